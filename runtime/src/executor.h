//===- executor.h - Run a step's schedules ----------------------*- C++ -*-===//
//
// Above the device seam: walks a validated ExecutionPlan and hands each
// entry to the session's Backend (backend.h), which owns every byte of
// device memory. It names memory only by the plan's indices, copies taps
// out and gathers FP8 calibration through the backend, and reports
// progress. It trusts its inputs: the session validates every batch before
// calling run().
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_EXECUTOR_H
#define NHC_RUNTIME_SRC_EXECUTOR_H

#include <cstdint>
#include <vector>

#include "backend.h"
#include "plan.h"

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
  /// ... and per routed expert's product (bodyExpertGemmWeights() order).
  float *expertInputAbsmax = nullptr;
  /// Greedy decoding (head_last): each request's argmax of its `vocab`
  /// logits, after the step.
  int32_t *greedyIds = nullptr;
  /// How the ids are picked and what comes with them (TokenPicks).
  TokenPicks picks;
  uint64_t vocab = 0;
  ProgressFn progress = nullptr;
  void *progressUser = nullptr;
  /// Entry timing: seconds per schedule entry (the progress order), at
  /// least the step's total; the step then runs unrecorded.
  double *entrySeconds = nullptr;
};

class Executor {
public:
  /// `plan` and `backend` must outlive the executor.
  Executor(const ExecutionPlan &plan, Backend &backend);

  /// Which of `count` manifest weights only gemm / moe_experts / embedding
  /// read (as matrices): those may stay in their stored dtype.
  std::vector<bool> matrixOnlyWeights(size_t count) const;

  /// Grows the backend's memory for a step; throws (changing nothing).
  /// `logitsRows`: the most rows a head of the step writes.
  void prepare(uint64_t tokens, uint64_t requests, uint64_t logitsRows);
  /// Request table and token ids to fill before run().
  StepInputs inputs() { return backend_.stepInputs(); }

  /// Starts a step: launched() is false until work of it is issued.
  void beginStep() { launched_ = false; }
  /// Whether the step since beginStep() issued work that runs (not only
  /// a recording): if it then failed, its requests' state may be written.
  bool launched() const { return launched_; }
  /// Runs body, then head_last or head_all. Fails only where a library or
  /// the device does (after a failure, launched() says whether anything ran).
  void run(ScheduleKind head, const StepIo &io);
  /// The two halves of run(), for steps that run a head more than once
  /// (last-N logits: head_last over shifted request tables).
  void runBody(const StepIo &io, size_t total);
  void runHead(ScheduleKind head, const StepIo &io, size_t total);
  /// Writes io.entrySeconds (if set) for a step of `total` entries whose
  /// last head has run (synchronized).
  void finishEntryTiming(const StepIo &io, size_t total);
  size_t entries(ScheduleKind schedule) const;
  /// A step's entries, the progress callback's `total`: the body, then
  /// `headPasses` passes of `head` (last-N logits: N of head_last).
  size_t stepEntries(ScheduleKind head, uint64_t headPasses = 1) const;

  /// Manifest weight index of each gemm of the body, in schedule order.
  const std::vector<size_t> &bodyGemmWeights() const { return bodyGemmWeights_; }
  /// Manifest weight index of each routed expert's product of the body:
  /// per moe_experts entry in schedule order, per expert, up then down
  /// (a stacked projection's one tensor for every expert).
  const std::vector<size_t> &bodyExpertGemmWeights() const {
    return bodyExpertGemmWeights_;
  }
  const std::vector<TapPoint> &taps() const { return plan_.taps; }

private:
  void copyTaps(size_t entry, const StepIo &io);
  /// A decode step (one token per request, last logits, no taps or
  /// calibration) through the backend's recorded steps; false if the
  /// backend does not record it (then nothing ran). `idsLaunched`: the
  /// step picked its ids (Backend::launchIds).
  bool runRecorded(const StepIo &io, size_t total, bool &idsLaunched);
  /// The head's end: the logits to the caller and a wait for the device,
  /// which picks made on the device (pickTokens) leave to their own wait.
  void endHead(const StepIo &io);
  /// Records `recording` under `key` and replays it; false (nothing ran)
  /// when a call cannot be recorded.
  bool recordStep(const StepIo &recording, uint64_t key, size_t total);
  /// A decode step's entries: the body, the last-logits head, then with
  /// `idsBit` (Backend::kIdsKeys) the picks of its rows (launchIds).
  void runDecodeEntries(const StepIo &io, size_t total, uint64_t idsBit);
  void runEntries(const std::vector<ScheduleEntry> &entries,
                  ScheduleKind schedule, const StepIo &io, size_t &done,
                  size_t total);

  const ExecutionPlan &plan_;
  Backend &backend_;
  std::vector<size_t> bodyGemmWeights_, bodyExpertGemmWeights_;
  /// The body gemm's ordinal by body entry index, and a moe_experts entry's
  /// first expert product's (unused for other entries).
  std::vector<size_t> bodyGemmOrdinal_;
  size_t done_ = 0; // entries run in the current step (progress)
  /// The rows the prepared step may run as (runRecorded): its decode
  /// bucket when that was prepared, else its request count.
  uint64_t preparedBucket_ = 0;
  bool launched_ = false;  ///< beginStep(), launched()
  bool recording_ = false; ///< entries are being recorded, not run
};

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_EXECUTOR_H
