//===- KernelsToNVVM.cpp - kernel library to NVVM and PTX -------*- C++ -*-===//

#include "nhc/Kernels/Passes.h"
#include "nhc/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::nhc::buildKernelsToGPUKernelsPipeline(OpPassManager &pm,
                                                 int64_t blockSize) {
  // GPU forms replace the portable kernels; the host's decode GEMV kernels
  // have no GPU form (gemv.mlir).
  NHCSelectKernelVariantsPassOptions variants;
  variants.target = "gpu";
  pm.addPass(createNHCSelectKernelVariantsPass(variants));
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createCSEPass());

  // Parallel loops -> gpu.launch -> outlined kernels in one gpu.module.
  NHCGPUMapParallelLoopsPassOptions mapOptions;
  mapOptions.blockSize = blockSize;
  pm.addNestedPass<func::FuncOp>(createNHCGPUMapParallelLoopsPass(mapOptions));
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createLowerAffinePass());
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  // Constants the kernels took copies of are dead on the host side; the
  // launch table refuses host values it cannot express (vectors).
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addPass(createNHCGPUMergeModulesPass());
}

void mlir::nhc::buildKernelsToNVVMPipeline(
    OpPassManager &pm, const KernelsToNVVMPipelineOptions &options) {
  buildKernelsToGPUKernelsPipeline(pm, options.blockSize);
  buildGPUKernelsToNVVMPipeline(pm, options);
}

void mlir::nhc::buildGPUKernelsToNVVMPipeline(
    OpPassManager &pm, const KernelsToNVVMPipelineOptions &options) {
  // One NVVM target per chip; gpu-module-to-binary emits one object each.
  std::vector<std::string> chips(options.chips.begin(), options.chips.end());
  if (chips.empty())
    chips.push_back("sm_90");
  for (const std::string &chip : chips) {
    GpuNVVMAttachTargetOptions target;
    target.chip = chip;
    target.features = options.features;
    target.optLevel = options.optLevel;
    pm.addPass(createGpuNVVMAttachTarget(target));
  }

  OpPassManager &gpuPm = pm.nest<gpu::GPUModuleOp>();
  if (options.gridDependencyControl)
    gpuPm.addPass(createNHCInsertGridDependencyControlPass());
  gpuPm.addPass(createSCFToControlFlowPass());
  // Tensor-core fragments (nvgpu.mma.sync) to nvvm.mma.sync first.
  gpuPm.addPass(createConvertNVGPUToNVVMPass());
  // Before the lowering reads the attributions' alignment.
  gpuPm.addPass(createNHCAlignWorkgroupMemoryPass());
  gpuPm.addPass(createConvertGpuOpsToNVVMOps());
  gpuPm.addPass(createNHCExternDynamicSharedMemoryPass());
  gpuPm.addPass(createCanonicalizerPass());
  gpuPm.addPass(createCSEPass());
  gpuPm.addPass(createReconcileUnrealizedCastsPass());

  if (!options.format.empty()) {
    GpuModuleToBinaryPassOptions binary;
    binary.toolkitPath = options.cudaPath;
    binary.compilationTarget = options.format;
    pm.addPass(createGpuModuleToBinaryPass(binary));
  }
}

void mlir::nhc::buildKernelsToGPUEmulationPipeline(
    OpPassManager &pm, const GPUEmulationPipelineOptions &options) {
  buildKernelsToGPUKernelsPipeline(pm, options.blockSize);
  NHCEmulateGPUKernelsPassOptions emulation;
  emulation.keepLaunchers = options.keepLaunchers;
  emulation.reverseOrder = options.reverseOrder;
  emulation.checkRaces = options.checkRaces;
  pm.addPass(createNHCEmulateGPUKernelsPass(emulation));
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  buildHostCodeToLLVMPipeline(pm);
}
