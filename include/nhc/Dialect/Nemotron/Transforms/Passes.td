//===- Passes.td - nemotron dialect passes -----------------*- tablegen -*-===//

#ifndef NHC_DIALECT_NEMOTRON_TRANSFORMS_PASSES_TD
#define NHC_DIALECT_NEMOTRON_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

def NemotronFuseResidualNormPass
    : Pass<"nemotron-fuse-residual-norm", "::mlir::func::FuncOp"> {
  let summary = "Fuse a residual add with the RMS norm that consumes it";
  let description = [{
    Every block ends with `h = x + mixer(norm(x))` and the next block starts
    with `norm(h)`. This pass rewrites each `nemotron.rms_norm` of a
    `nemotron.add` into one `nemotron.add_rms_norm` that yields both the
    residual sum (for the next residual) and its normalization, so the
    residual stream is read once at each block boundary.

    Before:
    ```mlir
    %h = nemotron.add %x, %y : tensor<?x64xbf16>
    %n = nemotron.rms_norm %h, %w {epsilon = 1.0e-05 : f64} : tensor<?x64xbf16>, tensor<64xbf16>
    ```
    After:
    ```mlir
    %h, %n = nemotron.add_rms_norm %x, %y, %w {epsilon = 1.0e-05 : f64} : tensor<?x64xbf16>, tensor<64xbf16>
    ```
  }];
  let dependentDialects = ["::mlir::nemotron::NemotronDialect"];
}

def NemotronFuseLinearEpiloguePass
    : Pass<"nemotron-fuse-linear-epilogue", "::mlir::func::FuncOp"> {
  let summary = "Fold a pointwise activation into the GEMM that produces its input";
  let description = [{
    `activate<act>(linear(x, W))` becomes `linear(x, W) {epilogue = act}`, so
    the MLP's activation (relu2, relu, silu, gelu, ...) is applied to the GEMM
    output block while it is hot instead of by a separate pass over memory.
  }];
  let dependentDialects = ["::mlir::nemotron::NemotronDialect"];
}

//===----------------------------------------------------------------------===//
// Decomposition
//===----------------------------------------------------------------------===//

def NemotronDecomposeLayersPass
    : Pass<"nemotron-decompose-layers", "::mlir::func::FuncOp"> {
  let summary = "Decompose mixers into kernel-level ops";
  let description = [{
    Rewrites each mixer into the parts the kernel library and the runtime
    implement (docs/execution-model.md):

    - `nemotron.mamba2` → `linear` (in_proj), `split` [z | xBC | dt],
      `conv1d_act`, `ssd_scan` (dt softplus/bias/clamp and D skip fused),
      `gated_rms_norm` (gate fused), `linear` (out_proj);
    - `nemotron.attention` → three `linear`s, `attention_core` (KV-cache append
      and causal GQA softmax), `linear` (o_proj);
    - `nemotron.mlp` → `linear`, `activate`, `linear`;
    - `nemotron.moe` → router `linear` (f32), `moe_route`, optional latent
      `linear`s around `moe_experts`, the shared expert MLP and an `add`.
  }];
  let dependentDialects = ["::mlir::nemotron::NemotronDialect"];
}

//===----------------------------------------------------------------------===//
// FP8 (modelopt per-tensor static e4m3)
//===----------------------------------------------------------------------===//

def NemotronQuantizeFP8LinearsPass
    : Pass<"nemotron-quantize-fp8-linears", "::mlir::func::FuncOp"> {
  let summary = "Make the activation quantization of FP8 linears explicit";
  let description = [{
    An FP8 linear (a `nemotron.linear` whose weight is `f8E4M3FN`) reads its
    input as `sat_e4m3(x / input_scale)` (docs/fp8.md). This pass inserts
    that quantization as a `nemotron.quantize_fp8` of the module's
    `input_scale` checkpoint scalar, so the linear becomes an e4m3 x e4m3
    GEMM. Routed experts in FP8 are left alone: the `moe_experts` library
    operation quantizes each expert's rows with that expert's input_scale.

    Before:
    ```mlir
    %w = nemotron.linear_param "backbone.layers.0.mixer.in_proj" : !nemotron.linear<592x64xf8E4M3FN>
    %y = nemotron.linear %x, %w : tensor<?x64xf32>, !nemotron.linear<592x64xf8E4M3FN> -> tensor<?x592xf32>
    ```
    After:
    ```mlir
    %s = nemotron.param "backbone.layers.0.mixer.in_proj.input_scale" : tensor<f32>
    %q = nemotron.quantize_fp8 %x, %s : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf8E4M3FN>
    %y = nemotron.linear %q, %w : tensor<?x64xf8E4M3FN>, !nemotron.linear<592x64xf8E4M3FN> -> tensor<?x592xf32>
    ```
  }];
  let dependentDialects = ["::mlir::nemotron::NemotronDialect"];
}

def NemotronFuseFP8QuantizePass
    : Pass<"nemotron-fuse-fp8-quantize", "::mlir::func::FuncOp"> {
  let summary = "Fold activation quantization into the kernel that produces the activation";
  let description = [{
    `quantize_fp8(producer(...), s)` becomes `producer(...) quantize s` when
    the producer is an RMS norm, a fused add + RMS norm, a gated RMS norm or
    a linear (after its epilogue, e.g. relu2) and the quantization is the
    only user of the value: the producing kernel writes e4m3 values, and no
    separate pass over memory remains. Other quantizations stay and run as
    the `nhc_quantize_fp8` kernel.

    ```mlir
    %n = nemotron.rms_norm %h, %w {epsilon = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %q = nemotron.quantize_fp8 %n, %s : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf8E4M3FN>
    ```
    becomes
    ```mlir
    %q = nemotron.rms_norm %h, %w quantize %s {epsilon = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>, tensor<f32>
    ```
  }];
  let dependentDialects = ["::mlir::nemotron::NemotronDialect"];
}

#endif // NHC_DIALECT_NEMOTRON_TRANSFORMS_PASSES_TD
