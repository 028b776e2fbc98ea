//===- KernelCodegen.h - kernel library to machine code ---------*- C++ -*-===//
//
// The driver's view of the kernel library's code generation (lib/Target):
// parse the embedded library, build the host shared library, LLVM IR, PTX,
// through the compile cache where it holds them.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_COMPILER_KERNELCODEGEN_H
#define NHC_COMPILER_KERNELCODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "nhc/Compiler/CompileCache.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"

#include <optional>
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
/// The host shared library (HostTargetOptions' defaults) for each LLVM CPU
/// name in `cpus`, as (cpu, ELF bytes) in that order: those `cache` holds
/// from it, the others compiled (together) and stored in it. A store that
/// fails is a warning on the library's location.
FailureOr<std::vector<std::pair<std::string, std::string>>>
compileHostKernels(ModuleOp library, ArrayRef<std::string> cpus,
                   const CompileCache &cache);
/// compileHostKernels for every level of nhc::format::kHostIsaLevels.
FailureOr<std::vector<std::pair<std::string, std::string>>>
compileHostKernels(ModuleOp library, const CompileCache &cache);
FailureOr<std::string> emitHostLLVMIR(ModuleOp library);
/// PTX (and cubins, when ptxas is found) for `chips` and the launch table,
/// from `cache` when it holds them for these chips and this ptxas.
FailureOr<CudaCode> compileCudaKernels(ModuleOp library,
                                       const std::vector<std::string> &chips,
                                       const CompileCache &cache);

/// What an artifact carries of the kernel library: the host library of
/// every level of nhc::format::kHostIsaLevels, and the CUDA code.
struct KernelCode {
  std::vector<std::pair<std::string, std::string>> host; // level -> ELF
  std::optional<CudaCode> cuda; // when chips were asked for
};

/// compileHostKernels for every level and, when `chips` is not empty,
/// compileCudaKernels, at the same time: the CUDA code on a thread and in
/// an MLIRContext of its own (the library parsed again there, so `library`
/// must be parseKernels' unchanged), its errors
/// reported on `library`'s location as compileCudaKernels reports them.
/// One after the other where `library`'s context has multithreading off
/// (`--mlir-disable-threading`).
FailureOr<KernelCode> compileKernelCode(ModuleOp library,
                                        const std::vector<std::string> &chips,
                                        const CompileCache &cache);

} // namespace mlir::nhc

#endif // NHC_COMPILER_KERNELCODEGEN_H
