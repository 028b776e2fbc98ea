//===- Pipelines.h - kernel library lowering pipelines ----------*- C++ -*-===//

#ifndef NHC_PIPELINES_PIPELINES_H
#define NHC_PIPELINES_PIPELINES_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "nhc/Conversion/ActivationDtype.h"
#include "nhc/Conversion/StateDtype.h"

#include <string>

namespace mlir::nhc {

/// Lowers the kernel library (scf/arith/math/memref on `func.func`s) to the
/// LLVM dialect for the host: inline the private helpers, add a `_sliced`
/// twin of every single-loop kernel (nhc-add-sliced-kernels: the runtime
/// runs one slice per thread), parallel loops become sequential loops, `math.log1p` becomes a libm call (MLIR's inline
/// log(1 + x) loses precision near 0), the rest goes through the standard
/// *-to-llvm conversions with the default memref descriptor convention.
/// Registered as `nhc-kernels-to-host-pipeline`.
void buildKernelsToHostPipeline(OpPassManager &pm);

/// The host pipeline's lowering of `func.func`s (scf, math, vector, arith,
/// index, memref, cf) to the LLVM dialect.
void buildHostCodeToLLVMPipeline(OpPassManager &pm);

/// Options of `nhc-kernels-to-nvvm-pipeline`.
struct KernelsToNVVMPipelineOptions
    : public PassPipelineOptions<KernelsToNVVMPipelineOptions> {
  ListOption<std::string> chips{
      *this, "chip",
      llvm::cl::desc("GPU architectures, e.g. sm_80,sm_90 (default sm_90)")};
  Option<std::string> features{*this, "features",
                               llvm::cl::desc("NVPTX features (PTX ISA)"),
                               llvm::cl::init("+ptx80")};
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("NVPTX optimization level"),
                            llvm::cl::init(3)};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("Threads per block"),
                            llvm::cl::init(128)};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit root (libdevice); empty: MLIR's default")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("gpu-module-to-binary format: isa (PTX), bin, fatbin; "
                     "empty: stop before serialization"),
      llvm::cl::init("isa")};
  Option<bool> gridDependencyControl{
      *this, "grid-dependency-control",
      llvm::cl::desc("Start every kernel with griddepcontrol.wait and "
                     "launch_dependents (nhc-insert-grid-dependency-control; "
                     "every chip sm_90 or newer)"),
      llvm::cl::init(false)};
};

/// Lowers the kernel library to GPU kernels: each top-level parallel loop is
/// tiled into blocks of `block-size` threads and mapped to the grid, outlined,
/// all kernels are merged into one `gpu.module @nhc_kernels`, converted to
/// NVVM and serialized into a `gpu.binary` with one object per chip. The host
/// side (grid computation + `gpu.launch_func`) stays in the `func.func`s.
/// Registered as `nhc-kernels-to-nvvm-pipeline`.
void buildKernelsToNVVMPipeline(OpPassManager &pm,
                                const KernelsToNVVMPipelineOptions &options);

/// The second half of `nhc-kernels-to-nvvm-pipeline`: on the output of
/// buildKernelsToGPUKernelsPipeline, attach an NVVM target per chip, lower
/// the `gpu.module` to NVVM (with griddepcontrol where
/// `gridDependencyControl`) and serialize it (`format`). `blockSize` is not
/// used.
void buildGPUKernelsToNVVMPipeline(OpPassManager &pm,
                                   const KernelsToNVVMPipelineOptions &options);

/// The first half of `nhc-kernels-to-nvvm-pipeline`: host-only kernels
/// dropped, parallel loops mapped to blocks of `blockSize` threads, kernels
/// outlined and merged into one `gpu.module`; no NVVM yet.
void buildKernelsToGPUKernelsPipeline(OpPassManager &pm, int64_t blockSize);

/// Options of `nhc-kernels-to-gpu-emulation-pipeline`.
struct GPUEmulationPipelineOptions
    : public PassPipelineOptions<GPUEmulationPipelineOptions> {
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("Threads per block"),
                            llvm::cl::init(128)};
  Option<bool> keepLaunchers{
      *this, "keep-launchers",
      llvm::cl::desc("Keep the library kernels' host functions, their "
                     "launches calling the emulated kernels"),
      llvm::cl::init(false)};
  Option<bool> reverseOrder{
      *this, "reverse-order",
      llvm::cl::desc("Run blocks and threads in descending order"),
      llvm::cl::init(false)};
  Option<bool> checkRaces{
      *this, "check-races",
      llvm::cl::desc("Abort on workgroup-memory races and on barrier loops "
                     "whose bounds differ between threads"),
      llvm::cl::init(false)};
};

/// The kernels of a CUDA test double: the GPU kernels exactly as
/// buildKernelsToGPUKernelsPipeline outlines them, turned into host
/// functions over a grid (nhc-emulate-gpu-kernels), lowered as the host
/// pipeline lowers. With `keepLaunchers` the library kernels stay, each
/// with its own signature, launching the emulated kernels (how the kernel
/// unit tests run GPU forms); `reverseOrder` and `checkRaces` are the
/// emulation pass's options (nhc-emulate-gpu-kernels). Registered as
/// `nhc-kernels-to-gpu-emulation-pipeline`.
void buildKernelsToGPUEmulationPipeline(
    OpPassManager &pm, const GPUEmulationPipelineOptions &options);

/// Options of `nemotron-lower-to-exec-pipeline`.
struct ModelToExecPipelineOptions
    : public PassPipelineOptions<ModelToExecPipelineOptions> {
  ListOption<std::string> targets{
      *this, "targets",
      llvm::cl::desc("Targets of the artifact (default: cpu)")};
  Option<StateDtype> kvCacheDtype{
      *this, "kv-cache-dtype",
      llvm::cl::desc("Element type of the attention layers' KV cache"),
      kvCacheDtypeValues(), llvm::cl::init(StateDtype::F32)};
  Option<StateDtype> ssmStateDtype{
      *this, "ssm-state-dtype",
      llvm::cl::desc("Element type of the Mamba layers' SSM state"),
      ssmStateDtypeValues(), llvm::cl::init(StateDtype::F32)};
  Option<ActivationDtype> activationDtype{
      *this, "activation-dtype",
      llvm::cl::desc("What a bf16/f16 model's activations are rounded to"),
      activationDtypeValues(), llvm::cl::init(ActivationDtype::F32)};
};

/// What `nhc compile` runs on an imported model: the model-level passes
/// (nemotron-lower-to-kernels-pipeline), convert-nemotron-to-exec and
/// nemotron-exec-plan-buffers. Its result is `nhc compile --emit=exec`.
/// Registered as `nemotron-lower-to-exec-pipeline`.
void buildModelToExecPipeline(OpPassManager &pm,
                              const ModelToExecPipelineOptions &options);

/// Registers the pipelines and the nhc kernel and conversion passes.
void registerKernelPipelines();

/// Inserts the dialects, dialect extensions (ConvertToLLVM interfaces, LLVM IR
/// translations, the NVVM target) that both pipelines and the LLVM IR export
/// need.
void registerKernelLoweringDialects(DialectRegistry &registry);

} // namespace mlir::nhc

#endif // NHC_PIPELINES_PIPELINES_H
