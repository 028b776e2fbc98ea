//===- KernelCodegen.h - kernel library to machine code ---------*- C++ -*-===//
//
// The driver's view of the kernel library's code generation (lib/Target):
// parse the embedded library, build the host shared library, LLVM IR, PTX.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_COMPILER_KERNELCODEGEN_H
#define NHC_COMPILER_KERNELCODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir::nhc {

struct CudaCode {
  std::vector<std::pair<std::string, std::string>> ptx;   // chip -> text
  std::vector<std::pair<std::string, std::string>> cubin; // chip -> bytes
  std::string launchTable; // JSON (docs/artifact-format.md, "Launch table")
};

OwningOpRef<ModuleOp> parseKernels(MLIRContext &context);
/// The host shared library for every level of nhc::format::kHostIsaLevels,
/// as (level, ELF bytes) in that order.
FailureOr<std::vector<std::pair<std::string, std::string>>>
compileHostKernels(ModuleOp library);
FailureOr<std::string> emitHostLLVMIR(ModuleOp library);
FailureOr<CudaCode> compileCudaKernels(ModuleOp library,
                                       const std::vector<std::string> &chips);

} // namespace mlir::nhc

#endif // NHC_COMPILER_KERNELCODEGEN_H
