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

#endif // NHC_DIALECT_NEMOTRON_TRANSFORMS_PASSES_TD
