//===- NemotronExecOps.td - execution-level ops ------------*- tablegen -*-===//

#ifndef NHC_DIALECT_NEMOTRONEXEC_NEMOTRONEXECOPS_TD
#define NHC_DIALECT_NEMOTRONEXEC_NEMOTRONEXECOPS_TD

include "NemotronExec/NemotronExecDialect.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def NemotronExec_Dim : I32EnumAttr<"Dim", "a value known only when a step runs", [
    I32EnumAttrCase<"tokens", 0>, I32EnumAttrCase<"requests", 1>,
    I32EnumAttrCase<"max_seq_len", 2>, I32EnumAttrCase<"gemm_precision", 3>]> {
  let cppNamespace = "::mlir::nemotron_exec";
  let genSpecializedAttr = 0;
}
def NemotronExec_DimAttr : EnumAttr<NemotronExec_Dialect, NemotronExec_Dim, "dim">;

def NemotronExec_Rows : I32EnumAttr<"Rows", "what one row of a buffer belongs to", [
    I32EnumAttrCase<"token", 0>, I32EnumAttrCase<"request", 1>]> {
  let cppNamespace = "::mlir::nemotron_exec";
  let genSpecializedAttr = 0;
}
def NemotronExec_RowsAttr : EnumAttr<NemotronExec_Dialect, NemotronExec_Rows, "rows">;

def NemotronExec_StateKind : I32EnumAttr<"StateKind", "what a state tensor holds", [
    I32EnumAttrCase<"conv_state", 0>, I32EnumAttrCase<"ssm_state", 1>,
    I32EnumAttrCase<"k_cache", 2>, I32EnumAttrCase<"v_cache", 3>]> {
  let cppNamespace = "::mlir::nemotron_exec";
  let genSpecializedAttr = 0;
}
def NemotronExec_StateKindAttr
    : EnumAttr<NemotronExec_Dialect, NemotronExec_StateKind, "state_kind">;

//===----------------------------------------------------------------------===//
// Declarations (module level)
//===----------------------------------------------------------------------===//

def NemotronExec_WeightOp : NemotronExec_Op<"weight", [Symbol]> {
  let summary = "A checkpoint tensor the step reads";
  let description = [{
    `type` is the dtype and shape the computation reads; binding accepts any
    float storage dtype for a float tensor. `alternatives` lists other
    checkpoint names that may hold it: `{name}` (a whole tensor, e.g. the
    embeddings for a tied head) or `{name, index, count}` (slice `index` of a
    stacked tensor of `count`). `positive` marks an FP8 scale, which binding
    checks is positive, normal and at most sqrt(FLT_MAX) / 448. `finite` marks a
    float weight whose NaN or infinity would change the output without
    making it NaN (the MoE router's gate, whose logits only choose experts
    by top-k), which binding checks is finite everywhere.

    ```mlir
    nemotron_exec.weight @"backbone.layers.0.norm.weight" : tensor<64xbf16>
    nemotron_exec.weight @"backbone.layers.0.mixer.in_proj.input_scale" : tensor<f32> {positive}
    nemotron_exec.weight @"backbone.layers.1.mixer.gate.weight" : tensor<128x2688xf32> {finite}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<AnyStaticShapeTensor>:$type,
                       OptionalAttr<DictArrayAttr>:$alternatives,
                       UnitAttr:$positive, UnitAttr:$finite);
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let hasVerifier = 1;
}

def NemotronExec_StateOp : NemotronExec_Op<"state", [Symbol]> {
  let summary = "A named per-request state tensor";
  let description = [{
    One tensor per request of the state pool, owned by decoder layer
    `layer`. `type` is its shape and dtype for one request; a KV cache's
    leading `?` is the sequence length, `max_seq_len` of the pool.

    ```mlir
    nemotron_exec.state @"layers.0.conv_state" conv_state layer 0 : tensor<320x3xf32>
    nemotron_exec.state @"layers.3.k_cache" k_cache layer 3 : tensor<?x2x32xf32>
    nemotron_exec.state @"layers.5.v_cache" v_cache layer 5 : tensor<?x2x32xbf16>
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       NemotronExec_StateKindAttr:$kind,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       TypeAttrOf<AnyRankedTensor>:$type);
  let assemblyFormat = "$sym_name $kind `layer` $layer `:` $type attr-dict";
  let hasVerifier = 1;
}

def NemotronExec_BufferOp : NemotronExec_Op<"buffer", [Symbol,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Scratch rows of one step";
  let description = [{
    A buffer of `rows` rows (one per token or one per request of the step),
    each row holding `type` (a 1-D tensor: the row's elements and dtype).
    Kernels see it as a flat memref, rows `type`'s size apart.

    With `within` and `column` its rows are to be packed into another
    buffer's, from that column on: a kernel reads several values through
    one buffer (the attention kernel reads q, k and v with one row stride).
    `nemotron-exec-plan-buffers` moves the writers and readers there.

    ```mlir
    nemotron_exec.buffer @b0 per token : tensor<64xf32>
    nemotron_exec.buffer @k per token : tensor<32xf32> {within = @qkv, column = 128}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       NemotronExec_RowsAttr:$rows,
                       TypeAttrOf<1DTensorOf<[F32, I32]>>:$type,
                       OptionalAttr<FlatSymbolRefAttr>:$within,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$column);
  let assemblyFormat = "$sym_name `per` $rows `:` $type attr-dict";
  let extraClassDeclaration = [{
    int64_t getRowElements() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType()).getDimSize(0);
    }
  }];
  let hasVerifier = 1;
}

def NemotronExec_ScheduleOp : NemotronExec_Op<"schedule", [
    Symbol, IsolatedFromAbove, NoTerminator, SingleBlock, NoRegionArguments]> {
  let summary = "What runs in one part of a step, in order";
  let description = [{
    `@body` runs for every step; then `@head_last` (logits of each request's
    last token) or `@head_all` (logits of every token).
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name $body attr-dict";
  let hasRegionVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Operands
//===----------------------------------------------------------------------===//

class NemotronExec_RefOp<string mnemonic, string what>
    : NemotronExec_Op<mnemonic, [Pure,
        DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "The memory of a " # what;
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs AnyTypeOf<[MemRefRankOf<[F32, I32, I16], [1]>]>:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def NemotronExec_WeightRefOp : NemotronExec_RefOp<"weight_ref", "weight"> {
  let description = [{
    The weight as kernels read it: f32 elements, whatever the checkpoint's
    storage dtype.
  }];
}
def NemotronExec_StateRefOp : NemotronExec_RefOp<"state_ref", "state tensor"> {
  let description = [{
    The state tensor of every request of the step, one request's tensor
    after another (the kernel finds a request's through the request table).
    Its element type is the state's, or `i16` for a `bf16` state: kernels
    take bf16 as its bits.
  }];
}
def NemotronExec_BufferRefOp : NemotronExec_RefOp<"buffer_ref", "buffer">;

def NemotronExec_DimOp : NemotronExec_Op<"dim", [Pure]> {
  let summary = "A size of the step, optionally times a constant, or the session's gemm precision";
  let description = [{
    `tokens` (rows of the step), `requests` (requests of the step) or
    `max_seq_len` (the KV-cache length of the pool), times `times` when
    given; or `gemm_precision`, the session's arithmetic for products of
    BF16 checkpoints (`nhc_gemm_precision_t`: 0 f32, 1 bf16; never with
    `times`), which lets a kernel run its on-chip products in fewer
    passes where the session's numerics are bf16's anyway.
  }];
  let hasVerifier = 1;
  let arguments = (ins NemotronExec_DimAttr:$dim,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$times);
  let results = (outs Index:$result);
  let assemblyFormat = "$dim (`times` $times^)? attr-dict";
}

def NemotronExec_RequestTableOp : NemotronExec_Op<"request_table", [Pure]> {
  let summary = "Per request of the step: slot, first row, rows, position";
  let results = (outs MemRefRankOf<[I64], [1]>:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def NemotronExec_LogitsOp : NemotronExec_Op<"logits", [Pure]> {
  let summary = "The caller's logits output, vocab floats per row";
  let results = (outs MemRefRankOf<[F32], [1]>:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// What runs
//===----------------------------------------------------------------------===//

def NemotronExec_CallOp : NemotronExec_Op<"call", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Run a kernel of the kernel library";
  let description = [{
    Calls the kernel `callee`, a `func.func` declaration of the module (the
    kernel library's own signature). The operands must match its inputs in
    number and type: a wrong kernel ABI is an IR error.

    ```mlir
    nemotron_exec.call @nhc_add(%a, %b, %n) : (memref<?xf32>, memref<?xf32>, index) -> ()
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$args);
  let assemblyFormat = [{
    $callee `(` $args `)` attr-dict `:` functional-type($args, results)
  }];
}

def NemotronExec_GemmOp : NemotronExec_Op<"gemm", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "c[m, c_offset + n] = epilogue((a[m, a_offset + k] @ W^T) * scale + bias)";
  let description = [{
    A library GEMM over rows: `m` rows of `a` (`lda` elements apart, from
    column `a_offset`) times the weight `[n, k]` transposed, into `c` (`ldc`
    apart, from `c_offset`). `bias` adds a weight of `[n]`; `epilogue` is
    an activation; `scale` = [input_scale, weight_scale] marks an FP8 GEMM
    (e4m3 activations and weights) whose product is multiplied by both;
    `quantize_output` quantizes the result to e4m3 with that scale.
  }];
  let arguments = (ins Index:$m, MemRefRankOf<[F32], [1]>:$a,
                       MemRefRankOf<[F32], [1]>:$c,
                       FlatSymbolRefAttr:$weight,
                       ConfinedAttr<I64Attr, [IntPositive]>:$n,
                       ConfinedAttr<I64Attr, [IntPositive]>:$k,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$a_offset,
                       ConfinedAttr<I64Attr, [IntPositive]>:$lda,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$c_offset,
                       ConfinedAttr<I64Attr, [IntPositive]>:$ldc,
                       StrAttr:$epilogue,
                       OptionalAttr<FlatSymbolRefAttr>:$bias,
                       OptionalAttr<SymbolRefArrayAttr>:$scale,
                       OptionalAttr<FlatSymbolRefAttr>:$quantize_output);
  let assemblyFormat = [{
    $weight `rows` $m `a` $a `[` $a_offset `,` $lda `]` `c` $c `[` $c_offset `,` $ldc `]`
    attr-dict `:` type($a) `,` type($c)
  }];
  let hasVerifier = 1;
}

def NemotronExec_EmbeddingOp : NemotronExec_Op<"embedding", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Rows of the embedding table for the step's token ids";
  let arguments = (ins FlatSymbolRefAttr:$table,
                       MemRefRankOf<[F32], [1]>:$output,
                       ConfinedAttr<I64Attr, [IntPositive]>:$hidden);
  let assemblyFormat = "$table `into` $output `hidden` $hidden attr-dict `:` type($output)";
}

def NemotronExec_MoEExpertsOp : NemotronExec_Op<"moe_experts", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Routed experts: per token, sum over its top-k of w * down(act(up(x)))";
  let description = [{
    `up` and `down` name the experts' weights with `{e}` for the expert
    index; each expert's weight is a declared `nemotron_exec.weight`.
    FP8 (e4m3) experts carry `up_scale` and `down_scale`, each
    [input_scale, weight_scale] name patterns with `{e}`: expert `e`
    quantizes its input with its own input_scale and multiplies the e4m3
    product by input_scale * weight_scale (docs/fp8.md).
  }];
  let arguments = (ins MemRefRankOf<[F32], [1]>:$input,
                       MemRefRankOf<[I32], [1]>:$indices,
                       MemRefRankOf<[F32], [1]>:$weights,
                       MemRefRankOf<[F32], [1]>:$output,
                       StrAttr:$up, StrAttr:$down,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_experts,
                       ConfinedAttr<I64Attr, [IntPositive]>:$top_k,
                       ConfinedAttr<I64Attr, [IntPositive]>:$hidden,
                       ConfinedAttr<I64Attr, [IntPositive]>:$intermediate,
                       StrAttr:$activation,
                       OptionalAttr<StrArrayAttr>:$up_scale,
                       OptionalAttr<StrArrayAttr>:$down_scale);
  let assemblyFormat = [{
    $input `,` $indices `,` $weights `into` $output attr-dict `:`
    type($input) `,` type($indices) `,` type($weights) `,` type($output)
  }];
}

def NemotronExec_AliasOp : NemotronExec_Op<"alias", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "From here on, the storage of `source` holds `result`";
  let description = [{
    An in-place update: the entry before it wrote `result`'s values over
    `source`'s (`nhc_add`, `nhc_add_rms_norm` update their first operand).
    `nemotron-exec-plan-buffers` merges `result` into `source` and checks
    that nothing reads `source`'s old values after this point; the manifest
    translation refuses unplanned IR that still has aliases.

    ```mlir
    nemotron_exec.alias @v7 = @v0
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$result, FlatSymbolRefAttr:$source);
  let assemblyFormat = "$result `=` $source attr-dict";
}

def NemotronExec_TapOp : NemotronExec_Op<"tap"> {
  let summary = "Where a hidden state can be copied out";
  let description = [{
    After the op before it ran, `width` columns from `offset` of each row
    of `buffer` (rows `ld` apart) hold the hidden state `kind` (embeddings,
    mixer, residual, final_norm) of layer `layer` (docs/artifact-format.md,
    "Taps").
  }];
  let arguments = (ins StrAttr:$kind, OptionalAttr<I64Attr>:$layer,
                       MemRefRankOf<[F32], [1]>:$buffer,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$offset,
                       ConfinedAttr<I64Attr, [IntPositive]>:$ld,
                       ConfinedAttr<I64Attr, [IntPositive]>:$width);
  let assemblyFormat = [{
    $kind (`layer` $layer^)? $buffer `[` $offset `,` $ld `]` `width` $width attr-dict `:` type($buffer)
  }];
  let hasVerifier = 1;
}

#endif // NHC_DIALECT_NEMOTRONEXEC_NEMOTRONEXECOPS_TD
