//===- HostLibrary.h - compile the kernel library for the host --*- C++ -*-===//

#ifndef NHC_TARGET_CPU_HOSTLIBRARY_H
#define NHC_TARGET_CPU_HOSTLIBRARY_H

#include "nhc/Kernels/KernelLibrary.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace mlir::nhc {

struct HostTargetOptions {
  /// LLVM target triple; x86-64 Linux is the only supported host.
  std::string triple = "x86_64-unknown-linux-gnu";
  /// Target CPU: the portable x86-64 baseline by default (SSE2); "native"
  /// means the CPU of the machine that compiles.
  std::string cpu = "x86-64";
  /// Extra subtarget features, e.g. "+avx2,+fma".
  std::string features;
  /// LLVM optimization level (0-3) of the IR pipeline and the code generator.
  unsigned optLevel = 3;
  /// Linker driver used for `-shared`; empty: the first of cc, clang,
  /// clang-22, gcc found on PATH.
  std::string linker;
};

/// The linker driver compileHostLibrary runs: options.linker, else the
/// first of cc, clang, clang-22, gcc on PATH; nothing if none is found.
std::optional<std::string> findHostLinker(const HostTargetOptions &options);

/// Registers the x86 target with LLVM's target registry, once per process.
/// The registry is not thread-safe: call it (and registerNVPTXTarget) before
/// starting threads that compile for different targets (compileKernelCode).
void registerHostTarget();

/// The host build of the kernel library.
struct HostLibrary {
  /// ELF shared object exporting `void nhc_<name>_packed(void **args)` and
  /// `int64_t nhc_<name>_sliced_packed(void **args, int64_t slice, int64_t
  /// slices, int64_t phase)` (one thread's share of the kernel's loop
  /// `phase`; returns 1 while later phases exist).
  std::string sharedObject;
  /// The relocatable object the shared object is linked from.
  std::string object;
  /// Optimized LLVM IR (text) of the object.
  std::string llvmIR;
  /// Every kernel with its arguments in ABI order.
  std::vector<KernelSignature> kernels;
};

/// Compiles the kernels (a module as parseKernelLibrary returns; not modified)
/// through `nhc-kernels-to-host-pipeline`, LLVM IR with packed entry points,
/// the LLVM O<optLevel> pipeline, an x86-64 PIC object, and a system linker.
/// On failure returns failure() and describes it in `error`.
FailureOr<HostLibrary> compileHostLibrary(ModuleOp kernels,
                                          const HostTargetOptions &options,
                                          std::string &error);
/// As compileHostLibrary, once per CPU in `cpus` (options.cpu is ignored):
/// the MLIR lowering runs once, the LLVM optimization, code generation and
/// linking of the CPUs run in parallel. The results are in `cpus` order.
FailureOr<std::vector<HostLibrary>>
compileHostLibraries(ModuleOp kernels, const HostTargetOptions &options,
                     ArrayRef<std::string> cpus, std::string &error);
inline FailureOr<HostLibrary> compileHostLibrary(ModuleOp kernels,
                                                 std::string &error) {
  return compileHostLibrary(kernels, HostTargetOptions(), error);
}

/// The kernels of a CUDA test double (nhc-kernels-to-gpu-emulation-pipeline
/// with `blockSize` threads per block, which must be the CUDA library's): a
/// shared object exporting, for each GPU kernel entry `<k>` of the launch
/// table, `void <k>_packed(void **args)` (the kernel's LLVM-level
/// parameters, then the grid's and the block's x, y, z sizes and the
/// launch's dynamic shared memory bytes as int64), `int64_t
/// <k>_abi_slots(void)` (how many parameters precede the sizes) and
/// `int64_t <k>_static_shared_bytes(void)` (its workgroup buffers' bytes).
/// Races in workgroup memory and barrier loops with bounds that differ
/// between threads abort the process with a message (check-races).
FailureOr<HostLibrary> compileGPUEmulationLibrary(
    ModuleOp kernels, const HostTargetOptions &options, int64_t blockSize,
    std::string &error);

/// The library's kernels as the GPU runs them, on the host: each kernel's
/// GPU body (its GPU form, or its parallel loops mapped to blocks of
/// `blockSize` threads) emulated (nhc-kernels-to-gpu-emulation-pipeline
/// with keep-launchers), behind the same `nhc_<name>_packed` entries and
/// signatures as compileHostLibrary's; host-only kernels are absent. For
/// testing each GPU body against the host kernel of the same op;
/// `reverseOrder` runs blocks and threads in descending order (a result
/// that changes with it shows a missing barrier); races in workgroup memory
/// abort (check-races).
FailureOr<HostLibrary> compileEmulatedGPUKernels(
    ModuleOp kernels, const HostTargetOptions &options, int64_t blockSize,
    bool reverseOrder, std::string &error);

/// Adds to `module`, for each kernel, `void <name>_packed(ptr args)` that
/// loads the i-th LLVM-level parameter of `<name>` from `*args[i]` and calls
/// it, and `i64 <name>_sliced_packed(ptr args, i64 slice, i64 slices, i64
/// phase)` when `<name>_sliced` exists. Fails if a kernel is missing or its LLVM parameter
/// count differs from the signature's ABI slots.
LogicalResult addPackedEntryPoints(llvm::Module &module,
                                   ArrayRef<KernelSignature> kernels,
                                   std::string &error);

} // namespace mlir::nhc

#endif // NHC_TARGET_CPU_HOSTLIBRARY_H
