//===- backend.h - The device seam -----------------------------*- C++ -*-===//
//
// Everything that owns device memory or runs code on a device sits below
// this interface; the executor above it walks the plan and names what an
// entry touches only by the plan's own indices (buffer i, weight j, state
// tensor k, kernel n) and the step's sizes. The host backend is the first
// implementation (host_backend.h); a CUDA backend implements the same calls
// with device memory, the artifact's cubin/PTX and its launch table.
// Modelled on ggml's backend interface (ggml-backend-impl.h) and IREE's HAL.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_BACKEND_H
#define NHC_RUNTIME_SRC_BACKEND_H

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "error.h"
#include "logit_edits.h"
#include "logprobs.h"
#include "plan.h"
#include "sampling.h"
#include "thread_pool.h"
#include "nhc/runtime/artifact_reader.h"
#include "nhc/runtime/session.h"
#include "nhc/runtime/state_pool.h"
#include "state_pool_internal.h"
#include "nhc/runtime/weights.h"
#include "synthetic_weights.h"

namespace nhc::runtime {

/// The sizes of one step that the plan's arguments depend on.
struct StepShape {
  uint64_t tokens = 0;   // T: rows of the step
  uint64_t requests = 0; // R: requests of the step
  /// The most logits rows a head of the step writes (prepare() only):
  /// R for head_last, T for head_all.
  uint64_t logitsRows = 0;
};

/// How a step's tokens are picked (nhc_step_options_t's greedy_ids with
/// sampling, logprobs and logit edits): pick p from logits row
/// pickRow(p), greedy where `sampling` is null, else by sampling[p], from
/// the row with pick p's `edits` (edit.row == p) applied; with `logprobs`,
/// every unedited logits row's 1 + topLogprobs entries, of logprobIds[r]
/// (NHC_LOGPROB_ID_PICKED: row r's pick) or (null) the row's pick.
struct TokenPicks {
  const nhc_sampling_t *sampling = nullptr;
  nhc_token_logprob_t *logprobs = nullptr;
  uint32_t topLogprobs = 0;
  const int32_t *logprobIds = nullptr;
  const nhc_logit_edit_t *edits = nullptr; ///< valid (the session checked)
  size_t numEdits = 0;
  /// Null: a pick per logits row (NHC_LOGITS_LAST). Else numPicks rows,
  /// strictly increasing (NHC_LOGITS_ALL: each request's last token's).
  const uint64_t *pickRows = nullptr;
  uint64_t numPicks = 0;

  /// The step already picked the ids on the device, at the end of its
  /// recording (Backend::launchIds): pickTokens only copies them out.
  bool idsLaunched = false;

  /// Only ids (greedy or sampled by the rules) leave the step: no edit,
  /// logprob or row list.
  bool idsOnly() const { return !logprobs && !numEdits && !pickRows; }
  uint64_t picks(uint64_t rows) const { return pickRows ? numPicks : rows; }
  uint64_t pickRow(uint64_t p) const { return pickRows ? pickRows[p] : p; }
  /// The pick whose row is `row`, or -1.
  int64_t pickOfRow(uint64_t row, uint64_t rows) const {
    if (!pickRows)
      return row < rows ? int64_t(row) : -1;
    const uint64_t *end = pickRows + numPicks;
    const uint64_t *at = std::lower_bound(pickRows, end, row);
    return at != end && *at == row ? at - pickRows : -1;
  }
};

/// Host-writable staging for a step's inputs: the request table [R, 4]
/// (first row, rows, position, slot) and the token ids [T]. Valid until the
/// next prepare(); committed to the device by commitInputs().
struct StepInputs {
  int64_t *requestTable = nullptr;
  int32_t *tokenIds = nullptr;
};

class Backend {
  /// pickTokens' host scratch (prepareHostPicks): pick p's edits are
  /// edits[byPick[k]] for k in [editStart[p], editStart[p + 1]), edited
  /// in row editedRow[p] of `edited`.
  struct HostPickScratch {
    const nhc_logit_edit_t *edits = nullptr; ///< what it was sized for
    size_t numEdits = 0;
    uint64_t numPicks = 0;
    std::vector<size_t> editStart, byPick, editedRow;
    std::vector<float> edited;
  } hostPicks_;

public:
  virtual ~Backend() = default;

  /// The name sessions select it by ("host").
  virtual const char *name() const = 0;

  //===--------------------------------------------------------------------===//
  // Binding (once, at session creation; may throw)
  //===--------------------------------------------------------------------===//

  /// Allocates the memory of the session's state pool (`bytes` bytes; the
  /// pool reads and writes it only through the returned object). Throws
  /// NHC_OUT_OF_MEMORY naming `what`.
  virtual std::unique_ptr<StateMemory>
  allocateState(uint64_t bytes, const std::string &what) = 0;
  /// Binds the session's state pool (allocated by allocateState): resolves
  /// every state argument of the plan. Throws naming the schedule path.
  virtual void bindState(nhc_state_pool_t &pool) = 0;
  /// Binds the checkpoint's tensors, in manifest order. A tensor with
  /// `matrixOnly[i]` is read only as a matrix (gemm, experts, embedding
  /// rows) and may stay in its stored dtype. A non-null `synthetic[i]` (the
  /// vector may be empty) is a synthetic matrix the session left to this
  /// backend to generate (generatesWeight); its `data` is null.
  virtual void bindWeights(const std::vector<nhc_tensor_info_t> &tensors,
                           const std::vector<bool> &matrixOnly,
                           const std::vector<const SyntheticTensor *> &synthetic) = 0;
  /// Whether this backend generates the synthetic matrix `tensor` itself
  /// (on the device) rather than take its data from host memory.
  virtual bool generatesWeight(const SyntheticTensor &tensor) const {
    (void)tensor;
    return false;
  }

  //===--------------------------------------------------------------------===//
  // Memory of a step
  //===--------------------------------------------------------------------===//

  /// Makes room for a step (scratch buffers, workspaces, staging). Throws
  /// NHC_OUT_OF_MEMORY or NHC_INVALID_ARGUMENT and then changes nothing.
  virtual void prepare(const StepShape &shape) = 0;
  virtual StepInputs stepInputs() = 0;
  /// The staged inputs are final for the entries that follow (called again
  /// when the executor rewrites the request table between heads).
  virtual void commitInputs(const StepShape &shape) = 0;
  /// Where the head's logits go: [rows, vocab] f32 in caller memory, there
  /// once synchronize() returned.
  virtual void setLogitsOutput(float *logits, uint64_t rows) = 0;

  //===--------------------------------------------------------------------===//
  // What a schedule runs (never fails once prepare() succeeded)
  //===--------------------------------------------------------------------===//

  /// Runs plan kernel `call.kernel` with the plan's arguments; `logitsRows`
  /// is the row count a {"logits"} argument has in this schedule.
  virtual void launch(const KernelCall &call, const StepShape &shape,
                      uint64_t logitsRows) = 0;
  virtual void gemm(const GemmCall &call, const StepShape &shape) = 0;
  /// `inputAbsmax`: null, or calibration maxima to raise (foldAbsMax) for
  /// the call's experts, [2 * numExperts]: expert e's up input (the rows
  /// routed to it) at 2e, its down input (the activation's output) at
  /// 2e + 1. Only where calibratesExperts().
  virtual void moeExperts(const MoeCall &call, const StepShape &shape,
                          float *inputAbsmax) = 0;
  virtual void embedding(const EmbeddingCall &call, const StepShape &shape) = 0;

  /// Copies `width` f32 of each of `rows` rows of buffer `buffer` (starting
  /// `offset` elements in, rows `ld` apart) to `out` [rows, width].
  virtual void readRows(size_t buffer, uint64_t offset, uint64_t ld,
                        uint64_t width, uint64_t rows, float *out) = 0;
  /// max |a[r, c]| over `rows` rows and `cols` columns of a gemm operand
  /// (NaN when any element is NaN): FP8 calibration.
  virtual float absMax(const MatrixRef &a, uint64_t rows, uint64_t cols) = 0;
  /// Whether moeExperts() takes `inputAbsmax` (the routed experts'
  /// calibration statistics).
  virtual bool calibratesExperts() const { return false; }
  /// Where `out` is not null, out[p] = the token of pick p <
  /// picks.picks(rows) from the step's logits (`rows` rows): its row's
  /// greedy id (greedyId), or with picks.sampling the one sampling[p]
  /// picks (sampleLogits), edits applied; with picks.logprobs each row's
  /// 1 + picks.topLogprobs entries (tokenLogprobs of picks.logprobIds[r],
  /// its pick for NHC_LOGPROB_ID_PICKED or without ids). `hostLogits` the
  /// rows the step wrote to caller memory (null where picksOnDevice()
  /// and the caller wants none). Waits for the device. This base form
  /// picks on the host's threads from `hostLogits`, with the scratch
  /// prepareHostPicks sized.
  virtual void pickTokens(uint64_t rows, uint64_t vocab,
                          const float *hostLogits, const TokenPicks &picks,
                          int32_t *out);
  /// Sizes pickTokens' host scratch for `picks` (each pick's edits, a row
  /// for each edited pick) before the step runs, so that the host's picks
  /// allocate nothing once the step changed state (std::bad_alloc:
  /// nothing changed). The scratch is kept for later steps.
  void prepareHostPicks(uint64_t rows, uint64_t vocab, const TokenPicks &picks);
  /// Makes room for pickTokens(`rows`, ..., `picks`) before the step runs,
  /// so that it allocates nothing once the step changed state (throws
  /// NHC_OUT_OF_MEMORY naming what, changing nothing).
  virtual void preparePicks(uint64_t rows, const TokenPicks &picks) {
    (void)rows;
    (void)picks;
  }
  /// Whether pickTokens() makes `picks` from the step's logits where they
  /// are, without rows copied out (setLogitsOutput may then be given
  /// null); if not, the session gives rows of its own, allocated before
  /// the step.
  virtual bool picksOnDevice(uint64_t vocab, const TokenPicks &picks) const {
    (void)vocab;
    (void)picks;
    return false;
  }
  /// Copies row `row` of the last step's logits, which picksOnDevice()
  /// left where they were, to `out` (`vocab` floats); waits for it.
  virtual void copyLogitsRow(uint64_t row, uint64_t vocab, float *out) {
    (void)row;
    (void)vocab;
    (void)out;
    throw Error(NHC_INTERNAL, "this backend keeps no logits rows");
  }
  /// Waits until everything issued so far has finished, the head's logits
  /// in the caller's memory (setLogitsOutput) included.
  virtual void synchronize() = 0;
  /// Issues the head's logits to the caller's memory without waiting for
  /// the stream: a step whose picks follow on the device (picksOnDevice),
  /// which wait for their ids, ends with this instead of synchronize(). (A
  /// GPU's copy to pageable memory returns once done: a step that returns
  /// logits as well as ids still waits there; one of ids only waits once.)
  virtual void issueLogitsCopy() {}
  /// After a failed step: why the device can run nothing more (a sticky
  /// fault of its context), or empty where it still can (the host; a GPU
  /// whose error was the failed call's own).
  virtual std::string deviceFailure() { return {}; }

  //===--------------------------------------------------------------------===//
  // Recorded steps (CUDA graphs): a device backend may record what a decode
  // step issues once and replay it for later steps of the same shape, with
  // no launch-table evaluation, allocation or per-kernel launch on the host.
  // The executor commits the inputs and sets the logits output first.
  //===--------------------------------------------------------------------===//

  /// The recording key's bits for a decode step that ends with its picks
  /// (launchIds): the greedy ids' argmax, or the rules' sampled ids; the
  /// other bits are the bucket's rows.
  static constexpr uint64_t kGreedyIdsKey = uint64_t(1) << 63;
  static constexpr uint64_t kSampledIdsKey = uint64_t(1) << 62;
  static constexpr uint64_t kIdsKeys = kGreedyIdsKey | kSampledIdsKey;
  /// Copies in the sampling rules of a step whose recording ends with
  /// sampled ids, before it runs: `sampling[r]` for its `requests` rows, a
  /// greedy rule for the padding rows up to `rows`.
  virtual void stageSampledIds(uint64_t requests, uint64_t rows,
                               const nhc_sampling_t *sampling) {
    (void)requests;
    (void)rows;
    (void)sampling;
    throw Error(NHC_INTERNAL, "this backend samples no ids on a device");
  }
  /// Launches the picks of the first `rows` logits rows, greedy or by the
  /// staged rules (`sampled`), into the buffer pickTokens copies the ids
  /// from (recordable: a decode step's recording ends with it when only
  /// ids leave the device).
  virtual void launchIds(uint64_t rows, uint64_t vocab, bool sampled) {
    (void)rows;
    (void)vocab;
    (void)sampled;
    throw Error(NHC_INTERNAL, "this backend picks no ids on a device");
  }
  /// Replays the step recorded under `key` if that recording is still
  /// valid (no buffer it names moved since); false otherwise.
  virtual bool replayRecorded(uint64_t key) { (void)key; return false; }
  /// Records the calls that follow instead of running them; false if this
  /// backend does not record, `key` could not be recorded before, or the
  /// shape is new (its first step runs directly: libraries load their
  /// kernels outside a recording).
  virtual bool beginRecording(uint64_t key) { (void)key; return false; }
  /// Ends recording. True: `key` is recorded (nothing ran yet; replay it).
  /// False: the calls could not be recorded (one needed the host to wait:
  /// it threw NotRecordable) and none of them ran; `key` is not tried again.
  virtual bool endRecording(uint64_t key) { (void)key; return false; }
  /// Ends a recording that an error interrupted, keeping nothing of it.
  virtual void abortRecording() {}
  /// Whether `key` is or may yet be recorded (not known unrecordable).
  virtual bool mayRecord(uint64_t key) const { (void)key; return false; }

  /// Padded decode steps: a decode step of `requests` requests runs as one
  /// of `decodeBucket(requests)` (>= requests) rows, so one recording
  /// serves every request count of its bucket. The session's state pool
  /// then has the hidden padding slot (state_pool_internal.h) when
  /// `padsDecodeSteps()`. Default: no padding.
  virtual bool padsDecodeSteps() const { return false; }
  virtual uint64_t decodeBucket(uint64_t requests) const { return requests; }
  /// Fills rows `requests .. bucket - 1` of the staged inputs (prepared for
  /// `bucket` rows): one token (id 0) at position 0 of the padding slot.
  virtual void padDecodeInputs(uint64_t requests, uint64_t bucket) {
    (void)requests;
    (void)bucket;
  }

  //===--------------------------------------------------------------------===//
  // Entry timing (nhc_step_options_t.entry_seconds): the executor begins it
  // before a step's first entry, marks each entry once its work is issued,
  // and reads the times once the step has synchronized. Such steps are
  // never recorded or replayed. By default a monotonic clock on the calling
  // thread: right where an entry has run when its call returns (host).
  //===--------------------------------------------------------------------===//

  /// A step of `entries` schedule entries is about to run.
  virtual void beginEntryTiming(size_t entries);
  /// Entry `index` (< entries) has been issued.
  virtual void entryIssued(size_t index);
  /// Each entry's seconds into `seconds[0, entries)`: from the end of the
  /// entry issued before it (or the step's start) to its own end; 0 for
  /// one never issued, NaN for one that could not be timed. None of the
  /// three throws: timing never fails a step.
  virtual void entrySeconds(double *seconds, size_t entries);


  //===--------------------------------------------------------------------===//
  // Accounting
  //===--------------------------------------------------------------------===//

  virtual uint64_t scratchBytes() const = 0;
  /// The arithmetic its BF16-weight gemms run in (context's, or F32 where
  /// the device cannot do better).
  virtual nhc_gemm_precision_t gemmPrecision() const = 0;
  /// Memory held by converted (widened) copies of weights.
  virtual uint64_t convertedWeightBytes() const = 0;
  /// The dtype manifest weight `weight` is held in where this backend reads
  /// it (after bindWeights): the checkpoint's, or what it was converted to.
  virtual nhc_dtype_t weightDtype(size_t weight) const = 0;
  /// One-line notes on how this backend changed what the artifact asks for
  /// (e.g. FP8 weights widened for a device without FP8 products).
  virtual std::vector<std::string> notes() const { return {}; }

private:
  std::vector<double> entryClock_; // seconds per entry (default timing)
  size_t entriesTimed_ = 0;
  std::chrono::steady_clock::time_point lastEntryEnd_;
};

/// Thrown by a backend's call while recording when that call cannot be
/// recorded (it needs the host to wait); the executor then ends the
/// recording and runs the step directly.
struct NotRecordable {};

/// Folds `value` into the running calibration maximum `absmax`: the larger
/// one, and NaN from the first NaN on (a NaN activation must show).
inline void foldAbsMax(float &absmax, float value) {
  if (value != value || value > absmax)
    absmax = absmax != absmax ? absmax : value;
}
/// foldAbsMax of |a[r * ld + c]| over `rows` x `cols`.
inline void foldBlockAbsMax(float &absmax, uint64_t rows, uint64_t cols,
                            const float *a, uint64_t ld) {
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c)
      foldAbsMax(absmax, std::fabs(a[r * ld + c]));
}

/// The state tensors kernels of `plan` read, by manifest state index (a
/// tensor no kernel names has a null `name`). Throws NHC_UNSUPPORTED naming
/// the schedule entry and argument for a state tensor that is not F32: the
/// kernels read state as f32 (docs/execution-model.md, Numerics).
std::vector<TensorPool> kernelStateTensors(nhc_state_pool_t &pool,
                                           const ExecutionPlan &plan,
                                           size_t stateCount);

/// What a backend is created from.
struct BackendContext {
  const nhc_artifact_t *artifact = nullptr;
  const nhc_manifest_t *manifest = nullptr;
  const ExecutionPlan *plan = nullptr; // outlives the backend
  uint32_t maxSlots = 0;   // the session's
  uint64_t maxSeqLen = 0;  // the session's
  nhc_gemm_precision_t gemmPrecision = NHC_GEMM_PRECISION_F32; // requested
};

/// The backend called `name` ("host"; NULL or "" mean "host"). Throws
/// NHC_INVALID_ARGUMENT for a name this runtime does not have, naming the
/// ones it has, and whatever the backend throws while loading the
/// artifact's code for it.
std::unique_ptr<Backend> createBackend(const char *name,
                                       const BackendContext &context);

/// The backends this runtime has, comma-separated ("host").
const char *availableBackends();

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_BACKEND_H
