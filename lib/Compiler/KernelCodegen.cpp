//===- KernelCodegen.cpp - kernel library to machine code -------*- C++ -*-===//

#include "nhc/Compiler/KernelCodegen.h"

#include "mlir/IR/Diagnostics.h"
#include "nhc/Kernels/KernelLibrary.h"
#include "nhc/Target/CPU/HostLibrary.h"
#include "nhc/Target/CUDA/CudaLibrary.h"
#include "nhc/format/host_isa.h"

#include <iterator>

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

FailureOr<std::vector<std::pair<std::string, std::string>>>
compileHostKernels(ModuleOp library) {
  std::vector<std::string> levels(std::begin(::nhc::format::kHostIsaLevels),
                                  std::end(::nhc::format::kHostIsaLevels));
  std::string error;
  FailureOr<std::vector<HostLibrary>> hosts =
      compileHostLibraries(library, HostTargetOptions(), levels, error);
  if (failed(hosts)) {
    (void)report(library, error);
    return failure();
  }
  std::vector<std::pair<std::string, std::string>> objects;
  for (size_t i = 0; i < levels.size(); ++i)
    objects.emplace_back(levels[i], std::move((*hosts)[i].sharedObject));
  return objects;
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
