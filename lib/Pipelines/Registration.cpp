//===- Registration.cpp - register kernel pipelines, dialects --*- C++ -*-===//

#include "nhc/Conversion/Passes.h"
#include "nhc/Dialect/NemotronExec/Transforms/Passes.h"
#include "nhc/Kernels/KernelLibrary.h"
#include "nhc/Kernels/Passes.h"
#include "nhc/Pipelines/Pipelines.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/Extensions/InlinerExtension.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"

using namespace mlir;

void mlir::nhc::registerKernelLoweringDialects(DialectRegistry &registry) {
  registerKernelLibraryDialects(registry);
  registry.insert<affine::AffineDialect, cf::ControlFlowDialect,
                  gpu::GPUDialect, index::IndexDialect, LLVM::LLVMDialect,
                  NVVM::NVVMDialect, ub::UBDialect>();
  // The pipelines start by inlining the kernels' private helpers.
  func::registerInlinerExtension(registry);
  // convert-gpu-to-nvvm lowers the non-GPU ops in kernels through these.
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  NVVM::registerConvertGpuToNVVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  // Tensor-core fragments are built as vectors.
  vector::registerConvertVectorToLLVMInterface(registry);
  // LLVM IR export (host) and PTX serialization (gpu-module-to-binary).
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
}

void mlir::nhc::registerKernelPipelines() {
  registerNHCKernelsPasses();
  registerNHCConversionPasses();
  nemotron_exec::registerNemotronExecTransformsPasses();
  PassPipelineRegistration<ModelToExecPipelineOptions>(
      "nemotron-lower-to-exec-pipeline",
      "Lower an imported model to the execution-level nemotron_exec IR",
      buildModelToExecPipeline);
  PassPipelineRegistration<>(
      "nhc-kernels-to-host-pipeline",
      "Lower the nhc kernel library to the LLVM dialect for the host",
      buildKernelsToHostPipeline);
  PassPipelineRegistration<KernelsToNVVMPipelineOptions>(
      "nhc-kernels-to-nvvm-pipeline",
      "Lower the nhc kernel library to GPU kernels, NVVM and PTX",
      buildKernelsToNVVMPipeline);
  PassPipelineRegistration<GPUEmulationPipelineOptions>(
      "nhc-kernels-to-gpu-emulation-pipeline",
      "Lower the nhc kernel library's GPU kernels to host functions that run "
      "a grid's threads in turn (for a CUDA test double)",
      buildKernelsToGPUEmulationPipeline);
}
