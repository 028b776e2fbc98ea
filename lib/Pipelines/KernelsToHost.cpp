//===- KernelsToHost.cpp - kernel library to host LLVM dialect --*- C++ -*-===//

#include "nhc/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"
#include "nhc/Kernels/Passes.h"

using namespace mlir;

void mlir::nhc::buildKernelsToHostPipeline(OpPassManager &pm) {
  NHCSelectKernelVariantsPassOptions variants; // the portable forms
  variants.target = "host";
  pm.addPass(createNHCSelectKernelVariantsPass(variants));
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createCSEPass());
  // Single-loop kernels get a `_sliced` twin the runtime's threads share.
  pm.addPass(createNHCAddSlicedKernelsPass());
  buildHostCodeToLLVMPipeline(pm);
}

void mlir::nhc::buildHostCodeToLLVMPipeline(OpPassManager &pm) {
  // Stack buffers once per call: lowered loops release nothing per
  // iteration.
  pm.addNestedPass<func::FuncOp>(createNHCHoistStaticAllocasPass());
  // scf.parallel becomes a sequential loop nest (per slice).
  pm.addPass(createSCFToControlFlowPass());
  // Keep math.log1p for libm: the inline log(1 + x) is inexact for small x,
  // which softplus of a very negative dt hits.
  ConvertMathToLLVMPassOptions mathOptions;
  mathOptions.approximateLog1p = false;
  pm.addPass(createConvertMathToLLVMPass(mathOptions));
  pm.addPass(createConvertMathToLibmPass());
  // Vector-dialect code: the decode GEMV microkernels (gemv.mlir), the SSD
  // scan's state rows, the attention's p.V.
  pm.addPass(createConvertVectorToLLVMPass());
  // Vectors built element by element (the GPU emulation's mma fragments)
  // start from ub.poison.
  pm.addPass(createUBToLLVMConversionPass());
  // memref before arith: memref.dim with a constant index then still sees
  // the arith.constant, and reads the size from the descriptor instead of
  // copying the size array to a stack slot (an alloca in a loop block).
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}
