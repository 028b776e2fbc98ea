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

#endif // NHC_DIALECT_NEMOTRON_TRANSFORMS_PASSES_TD
