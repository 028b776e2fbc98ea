//===- executor.h - Run a schedule on the host ---------------*- C++ -*-===//
//
// Binds a validated ExecutionPlan to memory (kernel entry points, f32
// weights, state pools, scratch) and runs its entries in order. It trusts
// its inputs: the session validates every batch before calling run().
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_EXECUTOR_H
#define NHC_RUNTIME_SRC_EXECUTOR_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host_library.h"
#include "manifest.h"
#include "moe.h"
#include "scratch.h"
#include "state_pool_internal.h"
#include "weights_f32.h"

namespace nhc::runtime {

/// Called after each schedule entry with (entries done, entries in step).
using ProgressFn = void (*)(void *user, size_t completed, size_t total);

/// A tap the caller asked for: `out` receives [tokens, width] f32.
struct TapCopy {
  const TapPoint *point = nullptr;
  float *out = nullptr;
};

/// What one step works on; pointers belong to the caller.
struct StepIo {
  uint64_t tokens = 0, requests = 0;
  float *logits = nullptr; // [R, vocab] (head_last) or [T, vocab] (head_all)
  const std::vector<TapCopy> *taps = nullptr; // copied during the body
  /// Calibration: max |input| per body gemm (bodyGemmWeights() order).
  float *gemmInputAbsmax = nullptr;
  ProgressFn progress = nullptr;
  void *progressUser = nullptr;
};

class Executor {
public:
  /// Resolves every kernel's entry point in `library` (may be null when
  /// the plan has no kernels) and every state argument in `pool`. Throws
  /// naming `manifest.origin` and the schedule path.
  Executor(const nhc_manifest_t &manifest, const HostLibrary *library,
           nhc_state_pool_t &pool);

  /// Which of `count` manifest weights only gemm / moe_experts read (as
  /// matrices): those may stay in their 16-bit dtype (F32Weights::build).
  std::vector<bool> matrixOnlyWeights(size_t count) const;
  /// Adopts the weights (manifest order), resolves expert pointers and
  /// allocates the 16-bit gemm panel; throws NHC_OUT_OF_MEMORY.
  void bindWeights(F32Weights weights);

  /// Grows scratch for a step; throws (changing nothing) on failure.
  void prepare(uint64_t tokens, uint64_t requests);
  /// Request table and token ids to fill before run().
  int64_t *requestTable() { return scratch_.requestTable(); }
  int32_t *tokenIds() { return scratch_.tokenIds(); }

  /// Runs body, then head_last or head_all. Does not fail.
  void run(ScheduleKind head, const StepIo &io);
  /// The two halves of run(), for steps that run a head more than once
  /// (last-N logits: head_last over shifted request tables).
  void runBody(const StepIo &io, size_t total);
  void runHead(ScheduleKind head, const StepIo &io, size_t total);
  size_t entries(ScheduleKind schedule) const;

  /// Manifest weight index of each gemm of the body, in schedule order.
  const std::vector<size_t> &bodyGemmWeights() const { return bodyGemmWeights_; }
  uint64_t scratchBytes() const { return scratch_.bytes(); }
  const std::vector<TapPoint> &taps() const { return plan_.taps; }
  uint64_t convertedWeightBytes() const { return weights_.convertedBytes(); }

private:
  /// A kernel entry with its packed-ABI argument storage: args_[i] points
  /// at cells_[i], which run() refills for each step.
  union Cell {
    void *ptr;
    int64_t i64;
    float f32;
  };
  struct BoundKernel {
    PackedKernelFn fn = nullptr;
    SlicedKernelFn sliced = nullptr; // null: the kernel runs on one thread
    std::vector<Cell> cells;
    std::vector<void *> args;
    std::vector<TensorPool> pools; // per argument; used for State args
  };
  struct BoundMoe {
    std::vector<WeightMatrix> up, down;
  };

  void copyTaps(size_t entry, const StepIo &io);
  void runEntries(const std::vector<ScheduleEntry> &entries,
                  std::vector<BoundKernel> &kernels,
                  std::vector<BoundMoe> &moes, ScheduleKind schedule,
                  const StepIo &io, size_t &done, size_t total);
  void runKernel(const ScheduleEntry &entry, BoundKernel &bound,
                 ScheduleKind schedule, const StepIo &io);
  void observeGemmInput(const GemmCall &gemm, const StepIo &io,
                        float &absmax);
  void runEmbedding(const EmbeddingCall &call, const StepIo &io);
  void runGemm(const GemmCall &gemm, const StepIo &io);
  void runMoe(const MoeCall &moe, const BoundMoe &bound, const StepIo &io);
  float *matrixBase(const MatrixRef &ref, const StepIo &io);

  void bindKernels(const std::vector<ScheduleEntry> &entries,
                   std::vector<BoundKernel> &kernels);
  void bindExperts(const std::vector<ScheduleEntry> &entries,
                   std::vector<BoundMoe> &moes);
  /// Sizes gemmPanel_ for the 16-bit weights bound (once, at binding).
  void allocateGemmPanel();

  std::string origin_;  // "artifact '/m.nhc'", for messages
  ExecutionPlan plan_; // a copy: the manifest may go before the session
  std::vector<size_t> bodyGemmWeights_;
  /// The body gemm's ordinal by body entry index (unused for other entries).
  std::vector<size_t> bodyGemmOrdinal_;
  uint64_t vocab_;
  uint64_t maxSlots_, maxSeqLen_;
  std::vector<PackedKernelFn> kernelFns_; // by plan_.kernels index
  std::vector<SlicedKernelFn> slicedFns_; // by plan_.kernels index
  nhc_state_pool_t &pool_;
  F32Weights weights_;
  Scratch scratch_;
  MoeWorkspace moeWorkspace_;
  std::vector<float> gemmPanel_; // 16-bit gemm weights widen into it
  size_t done_ = 0; // entries run in the current step (progress)
  // Per schedule entry (unused slots for other entry kinds).
  std::vector<BoundKernel> bodyKernels_, lastKernels_, allKernels_;
  std::vector<BoundMoe> bodyMoes_, lastMoes_, allMoes_;
};

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_EXECUTOR_H
