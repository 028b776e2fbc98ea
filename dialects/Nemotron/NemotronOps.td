//===- NemotronOps.td - nemotron operations ----------------*- tablegen -*-===//

#ifndef NHC_DIALECT_NEMOTRON_NEMOTRONOPS_TD
#define NHC_DIALECT_NEMOTRON_NEMOTRONOPS_TD

include "Nemotron/NemotronDialect.td"
include "Nemotron/NemotronTypes.td"
include "Nemotron/NemotronAttrs.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Constraints
//===----------------------------------------------------------------------===//

def Nemotron_PositiveI64 : ConfinedAttr<I64Attr, [IntMinValue<1>]>;
def Nemotron_LayerIndex : ConfinedAttr<I64Attr, [IntNonNegative]>;
def Nemotron_Activations : RankedTensorOf<[BF16, F16, F32]>;
def Nemotron_Logits : RankedTensorOf<[F32]>;
def Nemotron_TokenIds : 1DTensorOf<[I32, I64]>;
def Nemotron_Tensor : RankedTensorOf<[BF16, F16, F32, F8E4M3FN]>;
// An activation, or one quantized to e4m3 for an FP8 GEMM (the values of
// `sat_e4m3(x / input_scale)`; docs/fp8.md).
def Nemotron_MaybeQuantized : RankedTensorOf<[BF16, F16, F32, F8E4M3FN]>;
def Nemotron_Quantized : RankedTensorOf<[F8E4M3FN]>;

//===----------------------------------------------------------------------===//
// Parameters (checkpoint tensors)
//===----------------------------------------------------------------------===//

def Nemotron_ParamOp : Nemotron_Op<"param", [Pure]> {
  let summary = "A named checkpoint tensor";
  let description = [{
    Refers to the tensor `name` of the checkpoint that is bound at load time.
    Its shape is static; its element type is the dtype the computation reads
    (a checkpoint may store any float dtype: binding converts). `or` names a
    tensor of the same shape that binds when `name` is absent: a tied
    `lm_head.weight` falls back to the embeddings.

    ```mlir
    %a = nemotron.param "backbone.layers.0.mixer.A_log" : tensor<128xf32>
    %h = nemotron.param "lm_head.weight" or "backbone.embeddings.weight" : tensor<131072x4096xbf16>
    ```
  }];
  let arguments = (ins StrAttr:$name, OptionalAttr<StrAttr>:$fallback);
  let results = (outs Nemotron_Tensor:$result);
  let assemblyFormat = "$name (`or` $fallback^)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Nemotron_LinearParamOp : Nemotron_Op<"linear_param", [Pure]> {
  let summary = "A checkpoint linear module (its weight and FP8 scales)";
  let description = [{
    Refers to the linear module `name` of the checkpoint. It binds
    `<name>.weight`, and for FP8 types also `<name>.weight_scale` and
    `<name>.input_scale` (f32 scalars). A stacked (rank-3) type names routed
    experts: `name` then contains `{e}`, replaced by the expert index
    `0 .. experts-1` to find each expert's module.

    ```mlir
    %w = nemotron.linear_param "backbone.layers.0.mixer.in_proj" : !nemotron.linear<17504x4096xbf16>
    %u = nemotron.linear_param "backbone.layers.1.mixer.experts.{e}.up_proj" : !nemotron.linear<128x1856x2688xbf16>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs Nemotron_LinearType:$result);
  let assemblyFormat = "$name attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Model-level ops
//===----------------------------------------------------------------------===//

def Nemotron_EmbeddingOp : Nemotron_Op<"embedding", [Pure]> {
  let summary = "Token embedding lookup";
  let description = [{
    `result[t, :] = table[ids[t], :]`. Ids outside `[0, vocab)` are a runtime
    error, not undefined behaviour.
  }];
  let arguments = (ins Nemotron_TokenIds:$ids, Nemotron_Tensor:$table);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` type($ids) `,` type($table) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nemotron_RMSNormOp : Nemotron_Op<"rms_norm", [Pure]> {
  let summary = "RMS normalization over the last dimension";
  let description = [{
    `y = weight * x / sqrt(mean(x^2) + epsilon)`, computed in f32 and cast
    back to the input type (the block pre-norm and the final `norm_f`).
    With `quantize %s` (set by `nemotron-fuse-fp8-quantize`) the result is
    `sat_e4m3(y / s)`, the input of an FP8 GEMM, and its element type is
    `f8E4M3FN`.
  }];
  let arguments = (ins Nemotron_Activations:$input, Nemotron_Tensor:$weight,
                       Optional<Nemotron_Tensor>:$quant_scale, F64Attr:$epsilon);
  let results = (outs Nemotron_MaybeQuantized:$result);
  let assemblyFormat = [{
    $input `,` $weight (`quantize` $quant_scale^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($quant_scale)^)?
    `` custom<NormResult>(ref(type($input)), ref(type($quant_scale)), type($result))
  }];
  let hasVerifier = 1;
}

def Nemotron_AddOp : Nemotron_Op<"add", [Pure, Commutative,
    SameOperandsAndResultType]> {
  let summary = "Residual addition";
  let arguments = (ins Nemotron_Activations:$lhs, Nemotron_Activations:$rhs);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Nemotron_AddRMSNormOp : Nemotron_Op<"add_rms_norm", [Pure,
    AllTypesMatch<["residual", "update", "sum"]>]> {
  let summary = "Fused residual add and RMS normalization";
  let description = [{
    `sum = residual + update; normalized = rms_norm(sum, weight, epsilon)`.
    Produced by `nemotron-fuse-residual-norm` so that the residual stream is
    read and written once per block boundary. With `quantize %s`,
    `normalized` is `sat_e4m3(rms_norm(sum) / s)` (`f8E4M3FN`), as for
    `nemotron.rms_norm`.
  }];
  let arguments = (ins Nemotron_Activations:$residual,
                       Nemotron_Activations:$update,
                       Nemotron_Tensor:$weight,
                       Optional<Nemotron_Tensor>:$quant_scale, F64Attr:$epsilon);
  let results = (outs Nemotron_Activations:$sum,
                      Nemotron_MaybeQuantized:$normalized);
  let assemblyFormat = [{
    $residual `,` $update `,` $weight (`quantize` $quant_scale^)? attr-dict `:` type($residual) `,` type($weight)
    (`,` type($quant_scale)^)?
    `` custom<NormResult>(ref(type($residual)), ref(type($quant_scale)), type($normalized))
  }];
  let hasVerifier = 1;
}

def Nemotron_Mamba2Op : Nemotron_Op<"mamba2", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Mamba-2 mixer (in_proj, conv1d, SSD scan, gated norm, out_proj)";
  let description = [{
    The Mamba-2 mixer of one block, with `I = num_heads * head_dim`,
    `conv_dim = I + 2 * n_groups * state_size`:

    1. `[z, xBC, dt] = in_proj(x)` split `[I, conv_dim, num_heads]`;
    2. `xBC = act(causal_depthwise_conv1d(xBC, conv_weight, conv_bias))`
       with kernel `conv_kernel` (`act` is `mamba_hidden_act`, silu in every
       published config; the bias is optional), then split into `x [I]`, `B`, `C`
       (`[n_groups * state_size]` each);
    3. `dt = softplus(dt + dt_bias)`, clamped to `[dt_min, dt_max]`
       (transformers 5.23: `[time_step_min, inf)`) for a request of several
       tokens or a fresh one-token prompt, unclamped in the one-token step
       of a request with history, `A = -exp(A_log)`; the SSD scan
       `h_t = exp(dt A) h_{t-1} + dt x_t B_t^T`, `y_t = C_t h_t + D x_t`,
       with B and C shared by the `num_heads / n_groups` heads of a group,
       chunked by `chunk_size` on prefill;
    4. `y = rmsnorm_grouped(y * silu(z))` in `n_groups` groups of size
       `I / n_groups`, times `norm_weight`, with `epsilon`;
    5. `out_proj(y)`.

    Conv and SSM state (`[conv_dim, conv_kernel - 1]`, none for a
    `conv_kernel` of 1, and `[num_heads, head_dim, state_size]` in f32)
    persist per request.
  }];
  let arguments = (ins
    Nemotron_Activations:$input,
    Nemotron_LinearType:$in_proj,
    Nemotron_Tensor:$conv_weight,
    Optional<Nemotron_Tensor>:$conv_bias,
    Nemotron_Tensor:$dt_bias,
    Nemotron_Tensor:$a_log,
    Nemotron_Tensor:$d,
    Nemotron_Tensor:$norm_weight,
    Nemotron_LinearType:$out_proj,
    Nemotron_LayerIndex:$layer,
    Nemotron_PositiveI64:$num_heads,
    Nemotron_PositiveI64:$head_dim,
    Nemotron_PositiveI64:$state_size,
    Nemotron_PositiveI64:$n_groups,
    Nemotron_PositiveI64:$conv_kernel,
    Nemotron_PositiveI64:$chunk_size,
    F64Attr:$epsilon,
    F64Attr:$dt_min,
    F64Attr:$dt_max,
    DefaultValuedAttr<Nemotron_ActivationAttr,
      "::mlir::nemotron::Activation::silu">:$activation);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = [{
    $input `[` `in_proj` $in_proj `,` `conv_weight` $conv_weight `,`
      (`conv_bias` $conv_bias^ `,`)? `dt_bias` $dt_bias `,` `a_log` $a_log
      `,` `d` $d `,` `norm_weight` $norm_weight `,` `out_proj` $out_proj `]`
      attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getIntermediateSize() { return getNumHeads() * getHeadDim(); }
    int64_t getConvDim() {
      return getIntermediateSize() + 2 * getNGroups() * getStateSize();
    }
  }];
}

def Nemotron_AttentionOp : Nemotron_Op<"attention", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Causal GQA self-attention without positional embedding (NoPE)";
  let description = [{
    `q = q_proj(x)`, `k = k_proj(x)`, `v = v_proj(x)` split into heads of
    `head_dim`; each group of `num_heads / num_kv_heads` query heads shares one
    key/value head; causal softmax attention with `scale` (1/sqrt(head_dim))
    computed in f32; `o_proj` of the concatenated heads. No rotary embedding.
    Keys and values are appended to the request's KV cache.
  }];
  let arguments = (ins
    Nemotron_Activations:$input,
    Nemotron_LinearType:$q_proj,
    Nemotron_LinearType:$k_proj,
    Nemotron_LinearType:$v_proj,
    Nemotron_LinearType:$o_proj,
    Nemotron_LayerIndex:$layer,
    Nemotron_PositiveI64:$num_heads,
    Nemotron_PositiveI64:$num_kv_heads,
    Nemotron_PositiveI64:$head_dim,
    F64Attr:$scale);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = [{
    $input `[` `q` $q_proj `,` `k` $k_proj `,` `v` $v_proj `,` `o` $o_proj `]`
      attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Nemotron_MLPOp : Nemotron_Op<"mlp", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Non-gated MLP: down(act(up(x)))";
  let description = [{
    `down_proj(activation(up_proj(x)))`; Nemotron-H uses `relu2`
    (`relu(x)^2`). There is no gate projection.
  }];
  let arguments = (ins
    Nemotron_Activations:$input,
    Nemotron_LinearType:$up_proj,
    Nemotron_LinearType:$down_proj,
    Nemotron_LayerIndex:$layer,
    Nemotron_ActivationAttr:$activation);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = [{
    $input `[` `up` $up_proj `,` `down` $down_proj `]`
      attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Nemotron_MoEOp : Nemotron_Op<"moe", [Pure, AttrSizedOperandSegments,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Mixture of experts: sigmoid group-limited top-k routing plus shared experts";
  let description = [{
    Router: `s = sigmoid(x_f32 @ router_weight^T)`; the choice score
    `s + router_bias` (`e_score_correction_bias`) selects experts: the
    `num_experts` are split into `n_group` groups, each scored by the sum of
    its two best choice scores, the `topk_group` best groups are kept, and the
    `top_k` best experts among them are chosen. Their weights are `s` at those
    experts, divided by their sum (+1e-20) when `norm_topk_prob`, times
    `routed_scaling_factor`. Routed experts are non-gated MLPs
    `down(act(up(x)))` (optionally inside `latent_in` / `latent_out`
    projections); the output adds the shared expert MLP of `x`.
  }];
  let arguments = (ins
    Nemotron_Activations:$input,
    Nemotron_Tensor:$router_weight,
    Nemotron_Tensor:$router_bias,
    Nemotron_LinearType:$experts_up,
    Nemotron_LinearType:$experts_down,
    Nemotron_LinearType:$shared_up,
    Nemotron_LinearType:$shared_down,
    Optional<Nemotron_LinearType>:$latent_in,
    Optional<Nemotron_LinearType>:$latent_out,
    Nemotron_LayerIndex:$layer,
    Nemotron_PositiveI64:$num_experts,
    Nemotron_PositiveI64:$top_k,
    Nemotron_PositiveI64:$n_group,
    Nemotron_PositiveI64:$topk_group,
    BoolAttr:$norm_topk_prob,
    F64Attr:$routed_scaling_factor,
    Nemotron_ActivationAttr:$activation);
  let results = (outs Nemotron_Activations:$result);
  let assemblyFormat = [{
    $input `[` `router` $router_weight `,` `router_bias` $router_bias `,`
      `experts_up` $experts_up `,` `experts_down` $experts_down `,`
      (`latent_in` $latent_in^ `,` `latent_out` $latent_out `,`)?
      `shared_up` $shared_up `,` `shared_down` $shared_down `]`
      attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Nemotron_LMHeadOp : Nemotron_Op<"lm_head", [Pure]> {
  let summary = "Output projection to vocabulary logits (f32)";
  let description = [{
    `logits = x @ weight^T` in f32; `weight` is `lm_head.weight`, or
    `backbone.embeddings.weight` when the embeddings are tied.
  }];
  let arguments = (ins Nemotron_Activations:$input, Nemotron_Tensor:$weight);
  let results = (outs Nemotron_Logits:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

include "Nemotron/NemotronKernelOps.td"

#endif // NHC_DIALECT_NEMOTRON_NEMOTRONOPS_TD
