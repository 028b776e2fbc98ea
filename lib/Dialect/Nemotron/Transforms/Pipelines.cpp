//===- Pipelines.cpp - model-level pipelines --------------------*- C++ -*-===//

#include "nhc/Dialect/Nemotron/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

namespace mlir::nemotron {

void buildLowerToKernelsPipeline(OpPassManager &pm) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(createNemotronFuseResidualNormPass());
  func.addPass(createNemotronDecomposeLayersPass());
  func.addPass(createNemotronFuseLinearEpiloguePass());
  func.addPass(createNemotronQuantizeFP8LinearsPass());
  func.addPass(createNemotronFuseFP8QuantizePass());
}

void registerNemotronPipelines() {
  PassPipelineRegistration<>(
      "nemotron-lower-to-kernels-pipeline",
      "Fuse residual norms, decompose mixers into kernel-level ops, fuse "
      "GEMM epilogues and FP8 activation quantization (what `nhc compile` "
      "runs before scheduling)",
      buildLowerToKernelsPipeline);
}

} // namespace mlir::nemotron
