//===- CudaLibrary.h - compile the kernel library to PTX --------*- C++ -*-===//

#ifndef NHC_TARGET_CUDA_CUDALIBRARY_H
#define NHC_TARGET_CUDA_CUDALIBRARY_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::nhc {

struct CudaTargetOptions {
  /// GPU architectures to emit PTX for.
  std::vector<std::string> chips = {"sm_80", "sm_90"};
  /// NVPTX features; PTX ISA 8.0 is accepted by ptxas 12.0 and newer and
  /// covers sm_80 and sm_90.
  std::string features = "+ptx80";
  unsigned optLevel = 3;
  /// Threads per block (see nhc-gpu-map-parallel-loops).
  int64_t blockSize = 128;
  /// CUDA toolkit root (for libdevice); empty: next to ptxas, else
  /// /usr/local/cuda if it has libdevice, else MLIR's default.
  std::string cudaPath;
  /// Assemble each PTX with ptxas into a cubin when ptxas is found.
  bool assemble = true;
  /// ptxas to use; empty: PATH, then <cudaPath>/bin, then /usr/local/cuda/bin.
  std::string ptxas;
  /// Start every kernel of the chips sm_90 and newer with griddepcontrol
  /// (nhc-insert-grid-dependency-control), so the runtime may launch them
  /// with programmatic stream serialization; the launch table lists those
  /// chips (`grid_dependency_control`).
  bool gridDependencyControl = true;
};

/// The PTX (and, when ptxas ran, the cubin) of the library for one chip.
struct CudaImage {
  std::string chip; // e.g. "sm_90"
  std::string ptx;
  std::string cubin;    // empty if ptxas was not run
  std::string ptxasLog; // ptxas output (warnings), if it ran
};

struct CudaLibrary {
  std::vector<CudaImage> images; // in CudaTargetOptions::chips order
  /// How to launch each GPU kernel: entry names per chip, grid, block and
  /// dynamic shared memory as functions of the kernel function's
  /// arguments, and the argument layout (docs/artifact-format.md, "Launch
  /// table"). JSON text, two-space indented.
  std::string launchTable;
  /// The host side of every kernel function after outlining (grid sizes,
  /// kernel operands, `gpu.launch_func`), with the gpu.binary removed: what a
  /// GPU launcher has to evaluate.
  std::string hostIR;
  /// `ptxas --version` of the ptxas used, empty if none ran.
  std::string ptxasVersion;
};

/// Compiles the kernels (not modified) through `nhc-kernels-to-nvvm-pipeline`
/// for every chip and extracts the PTX: the pipeline's first half once, its
/// NVVM half once for the chips below sm_90 and once, with
/// griddepcontrol when `gridDependencyControl`, for the others. If ptxas is found (and `assemble`),
/// assembles each PTX for its chip; a ptxas error fails the compilation.
FailureOr<CudaLibrary> compileCudaLibrary(ModuleOp kernels,
                                          const CudaTargetOptions &options,
                                          std::string &error);
inline FailureOr<CudaLibrary> compileCudaLibrary(ModuleOp kernels,
                                                 std::string &error) {
  return compileCudaLibrary(kernels, CudaTargetOptions(), error);
}
inline FailureOr<CudaLibrary> compileCudaLibrary(ModuleOp kernels,
                                                 ArrayRef<std::string> chips,
                                                 std::string &error) {
  CudaTargetOptions options;
  options.chips.assign(chips.begin(), chips.end());
  return compileCudaLibrary(kernels, options, error);
}

/// The CUDA tools compileCudaLibrary uses for `options`.
struct CudaToolchain {
  /// ptxas, when `assemble` is set and one is found.
  std::optional<std::string> ptxas;
  /// The toolkit root for libdevice: options.cudaPath, else the one ptxas
  /// lives in, else /usr/local/cuda if it has libdevice; empty leaves the
  /// choice to MLIR's NVVM target.
  std::string cudaPath;
  /// libdevice under cudaPath, when it is there.
  std::optional<std::string> libdevice;
};
CudaToolchain findCudaToolchain(const CudaTargetOptions &options);

/// Registers the NVPTX target with LLVM's target registry, once per
/// process (MLIR's NVVM serialization would do it on first use, from
/// whichever thread gets there; see registerHostTarget).
void registerNVPTXTarget();

/// ptxas on PATH or in the usual CUDA locations, if any.
std::optional<std::string> findPtxas(StringRef cudaPath = {});

/// Assembles `ptx` for `chip` into a cubin with `ptxas`; returns the exit
/// status (0 on success) and appends ptxas's output to `log`.
int assemblePtx(StringRef ptxas, StringRef ptx, StringRef chip,
                std::string &cubin, std::string &log);

} // namespace mlir::nhc

#endif // NHC_TARGET_CUDA_CUDALIBRARY_H
