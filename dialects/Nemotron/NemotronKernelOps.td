//===- NemotronKernelOps.td - decomposed (kernel-level) ops -*- tablegen -*-===//
//
// The parts a mixer decomposes into. Each maps to one kernel of the kernel
// library or to one runtime library call (docs/execution-model.md). Ops that
// read or write per-request state (conv/SSM state, KV cache) are not Pure:
// they carry the layer whose state they own.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_DIALECT_NEMOTRON_NEMOTRONKERNELOPS_TD
#define NHC_DIALECT_NEMOTRON_NEMOTRONKERNELOPS_TD

def Nemotron_StateResource
    : Resource<"::mlir::nemotron::RequestStateResource">;

def Nemotron_LinearOp : Nemotron_Op<"linear", [Pure]> {
  let summary = "y = epilogue(x @ W^T + bias) (a GEMM)";
  let description = [{
    A linear layer applied to every token: the bias is added when the weight's
    type says `bias`, then the optional fused activation `epilogue` (set by
    `nemotron-fuse-linear-epilogue`). Lowered to the runtime's GEMM (oneDNN
    and generated GEMV kernels on the host, cuBLASLt on GPU).

    With an FP8 (`f8E4M3FN`) weight the layer is modelopt's per-tensor static
    FP8 linear: `y = (sat_e4m3(x / input_scale) @ Wq^T) * (input_scale *
    weight_scale) + bias`, where both scales are the module's checkpoint
    scalars. Its input is then either the unquantized activation (model
    level) or, after `nemotron-quantize-fp8-linears`, the `f8E4M3FN` values
    `sat_e4m3(x / input_scale)`. `quantize %s` (from
    `nemotron-fuse-fp8-quantize`) quantizes the result after the epilogue
    for the next FP8 GEMM: `result = sat_e4m3(epilogue(y) / s)`.
  }];
  let arguments = (ins Nemotron_MaybeQuantized:$input,
                       Nemotron_LinearType:$weight,
                       Optional<Nemotron_Tensor>:$quant_scale,
                       OptionalAttr<Nemotron_ActivationAttr>:$epilogue);
  let results = (outs Nemotron_MaybeQuantized:$result);
  let assemblyFormat = [{
    $input `,` $weight (`quantize` $quant_scale^)? attr-dict `:` type($input) `,` qualified(type($weight))
    (`,` type($quant_scale)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nemotron_ActivateOp : Nemotron_Op<"activate", [Pure, SameOperandsAndResultType]> {
  let summary = "A pointwise activation (relu2, relu, silu, gelu, ...)";
  let arguments = (ins Nemotron_Activations:$input,
                       Nemotron_ActivationAttr:$activation);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = "$activation $input attr-dict `:` type($result)";
}

def Nemotron_QuantizeFP8Op : Nemotron_Op<"quantize_fp8", [Pure]> {
  let summary = "Quantize activations to e4m3 with a static per-tensor scale";
  let description = [{
    `result = sat_e4m3(input / scale)`: true f32 division, saturated to
    [-448, 448], rounded to the nearest e4m3 value (ties to even, subnormals
    kept, NaN stays NaN), as `torch.Tensor.to(torch.float8_e4m3fn)` after
    `clamp` (docs/fp8.md). `scale` is the consuming FP8 linear's
    `input_scale`, a checkpoint scalar. `nemotron-fuse-fp8-quantize` folds
    it into the kernel that produces `input` where it can; what remains runs
    as its own kernel.

    ```mlir
    %q = nemotron.quantize_fp8 %x, %s : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf8E4M3FN>
    ```
  }];
  let arguments = (ins Nemotron_Activations:$input, Nemotron_Tensor:$scale);
  let results = (outs Nemotron_Quantized:$result);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` type($input) `,` type($scale) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nemotron_SplitOp : Nemotron_Op<"split", [Pure]> {
  let summary = "Split the columns of a [tokens, sum(sizes)] tensor";
  let description = [{
    Splits the in_proj output `[z | xBC | dt]` into its parts. Results are
    column ranges of the input; no data moves (the schedule passes a column
    offset and row stride to the consumers).
  }];
  let arguments = (ins Nemotron_Activations:$input, DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Nemotron_Activations>:$results);
  let assemblyFormat = "$input $sizes attr-dict `:` type($input) `->` type($results)";
  let hasVerifier = 1;
}

def Nemotron_Conv1dActOp : Nemotron_Op<"conv1d_act", [
    MemoryEffects<[MemRead<Nemotron_StateResource>, MemWrite<Nemotron_StateResource>]>]> {
  let summary = "Causal depthwise conv1d (+ optional bias) then an activation, continuing the request's conv state";
  let arguments = (ins Nemotron_Activations:$input, Nemotron_Tensor:$weight,
                       Optional<Nemotron_Tensor>:$bias,
                       Nemotron_LayerIndex:$layer,
                       DefaultValuedAttr<Nemotron_ActivationAttr,
                         "::mlir::nemotron::Activation::silu">:$activation);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Nemotron_SSDScanOp : Nemotron_Op<"ssd_scan", [
    MemoryEffects<[MemRead<Nemotron_StateResource>, MemWrite<Nemotron_StateResource>]>]> {
  let summary = "Mamba-2 SSD scan with dt softplus/bias/clamp, A = -exp(A_log) and D skip";
  let description = [{
    `x`, `B`, `C` are the post-conv parts of xBC; `dt` the raw dt part of
    in_proj. Prefill requests run the chunked scan (chunks of `chunk_size`
    tokens), decode requests one recurrence step; the final SSM state is
    written back to the request's slot. dt is clamped to
    `[dt_min, dt_max]` for prefill requests and fresh one-token prompts,
    not in the one-token step of a request with history (transformers'
    chunked and recurrent forms).
  }];
  let arguments = (ins Nemotron_Activations:$xbc, Nemotron_Activations:$dt,
                       Nemotron_Tensor:$dt_bias, Nemotron_Tensor:$a_log,
                       Nemotron_Tensor:$d,
                       Nemotron_LayerIndex:$layer,
                       Nemotron_PositiveI64:$num_heads,
                       Nemotron_PositiveI64:$head_dim,
                       Nemotron_PositiveI64:$state_size,
                       Nemotron_PositiveI64:$n_groups,
                       Nemotron_PositiveI64:$chunk_size,
                       F64Attr:$dt_min, F64Attr:$dt_max);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = [{
    $xbc `,` $dt `,` $dt_bias `,` $a_log `,` $d attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Nemotron_GatedRMSNormOp : Nemotron_Op<"gated_rms_norm", [Pure,
    AllTypesMatch<["input", "gate"]>]> {
  let summary = "rms_norm(y * silu(z)) in n_groups groups";
  let description = [{
    With `quantize %s` the result is `sat_e4m3(norm / s)` (`f8E4M3FN`), the
    input of the FP8 out_proj.
  }];
  let arguments = (ins Nemotron_Activations:$input, Nemotron_Activations:$gate,
                       Nemotron_Tensor:$weight,
                       Optional<Nemotron_Tensor>:$quant_scale,
                       Nemotron_PositiveI64:$n_groups, F64Attr:$epsilon);
  let results = (outs Nemotron_MaybeQuantized:$result);
  let assemblyFormat = [{
    $input `,` $gate `,` $weight (`quantize` $quant_scale^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($quant_scale)^)?
    `` custom<NormResult>(ref(type($input)), ref(type($quant_scale)), type($result))
  }];
  let hasVerifier = 1;
}

def Nemotron_AttentionCoreOp : Nemotron_Op<"attention_core", [
    MemoryEffects<[MemRead<Nemotron_StateResource>, MemWrite<Nemotron_StateResource>]>]> {
  let summary = "Append K/V to the request's cache, then causal GQA softmax attention";
  let arguments = (ins Nemotron_Activations:$q, Nemotron_Activations:$k,
                       Nemotron_Activations:$v,
                       Nemotron_LayerIndex:$layer,
                       Nemotron_PositiveI64:$num_heads,
                       Nemotron_PositiveI64:$num_kv_heads,
                       Nemotron_PositiveI64:$head_dim, F64Attr:$scale);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Nemotron_MoERouteOp : Nemotron_Op<"moe_route", [Pure]> {
  let summary = "Sigmoid, bias-corrected, group-limited top-k routing";
  let arguments = (ins Nemotron_Activations:$logits, Nemotron_Tensor:$bias,
                       Nemotron_PositiveI64:$top_k, Nemotron_PositiveI64:$n_group,
                       Nemotron_PositiveI64:$topk_group, BoolAttr:$norm_topk_prob,
                       F64Attr:$routed_scaling_factor);
  let results = (outs RankedTensorOf<[I32]>:$indices,
                      RankedTensorOf<[F32]>:$weights);
  let assemblyFormat = [{
    $logits `,` $bias attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Nemotron_MoEExpertsOp : Nemotron_Op<"moe_experts", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Routed experts: sum_k weight_k * down_e(act(up_e(x)))";
  let arguments = (ins Nemotron_Activations:$input,
                       RankedTensorOf<[I32]>:$indices,
                       RankedTensorOf<[F32]>:$weights,
                       Nemotron_LinearType:$up, Nemotron_LinearType:$down,
                       Nemotron_ActivationAttr:$activation);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = [{
    $input `,` $indices `,` $weights `,` $up `,` $down attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // NHC_DIALECT_NEMOTRON_NEMOTRONKERNELOPS_TD
