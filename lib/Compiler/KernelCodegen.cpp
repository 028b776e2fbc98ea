//===- KernelCodegen.cpp - kernel library to machine code -------*- C++ -*-===//

#include "nhc/Compiler/KernelCodegen.h"

#include "mlir/IR/Diagnostics.h"
#include "nhc/Kernels/KernelLibrary.h"
#include "nhc/Target/CPU/HostLibrary.h"
#include "nhc/Target/CUDA/CudaLibrary.h"

namespace mlir::nhc {

namespace {
/// Reports a code generation error on the library module.
LogicalResult report(ModuleOp library, const std::string &error) {
  return emitError(library.getLoc()) << "nhc: kernel code generation failed: "
                                     << error;
}
} // namespace

OwningOpRef<ModuleOp> parseKernels(MLIRContext &context) {
  return parseKernelLibrary(context);
}

FailureOr<std::string> compileHostKernels(ModuleOp library) {
  std::string error;
  FailureOr<HostLibrary> host = compileHostLibrary(library, error);
  if (failed(host)) {
    (void)report(library, error);
    return failure();
  }
  return std::move(host->sharedObject);
}

FailureOr<std::string> emitHostLLVMIR(ModuleOp library) {
  std::string error;
  FailureOr<HostLibrary> host = compileHostLibrary(library, error);
  if (failed(host)) {
    (void)report(library, error);
    return failure();
  }
  return std::move(host->llvmIR);
}

FailureOr<CudaCode> compileCudaKernels(ModuleOp library,
                                       const std::vector<std::string> &chips) {
  CudaTargetOptions options;
  options.chips = chips;
  std::string error;
  FailureOr<CudaLibrary> cuda = compileCudaLibrary(library, options, error);
  if (failed(cuda)) {
    (void)report(library, error);
    return failure();
  }
  CudaCode code;
  code.launchTable = std::move(cuda->launchTable);
  for (CudaImage &image : cuda->images) {
    code.ptx.emplace_back(image.chip, std::move(image.ptx));
    if (!image.cubin.empty())
      code.cubin.emplace_back(image.chip, std::move(image.cubin));
  }
  return code;
}

} // namespace mlir::nhc
