//===- session.cpp - Sessions: slots, batch validation, steps -------------===//
//
// A step validates the whole batch before it changes anything, so a bad
// request never leaves a slot half-advanced: after validation the only
// fallible work the runtime does itself is growing scratch, which also
// happens before any kernel runs. Once kernels run, a library they call
// may still fail (oneDNN or cuBLASLt allocating, a device error); the
// requests' state may then be partly written, so their slots are marked
// lost: refused by later steps, saves and forks until released.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <climits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "error.h"
#include "backend.h"
#include "executor.h"
#include "manifest.h"
#include "logit_edits.h"
#include "sampling.h"
#include "nhc/runtime/artifact.h"
#include "nhc/runtime/checked_math.h"
#include "nhc/runtime/limits.h"
#include "nhc/runtime/session.h"
#include "state_pool_internal.h"
#include "weights_internal.h"

struct nhc_session_t {
  std::string origin; // "artifact '/m.nhc'"
  uint64_t vocab = 0;
  uint64_t hidden = 0;
  uint64_t numLayers = 0;
  // Members are destroyed in reverse order: the executor goes first, then
  // the pool (whose memory the backend allocated), then the backend, which
  // refers to the plan.
  nhc::runtime::ExecutionPlan plan; // a copy: the manifest may go first
  std::unique_ptr<nhc::runtime::Backend> backend;
  nhc::runtime::StatePoolPtr pool;
  std::unique_ptr<nhc::runtime::Executor> executor;
  nhc_progress_fn_t progress = nullptr;
  void *progressUser = nullptr;
  // seenInStep[slot] == stepStamp marks a slot already used by this batch.
  std::vector<uint64_t> seenInStep;
  uint64_t stepStamp = 0;
  std::vector<std::string> gemmWeights; // body gemms' weight names
  std::vector<std::string> expertGemmWeights; // routed experts' products
  std::vector<std::string> weightNames; // the manifest's, in its order
  std::vector<std::string> notes;       // the backend's, after binding
  std::vector<float> greedyRows; // greedy ids' logits where the caller gave none
  std::vector<uint64_t> editSeen; // checkLogitEdits' bits, clear between steps
  std::vector<uint64_t> pickRows; // an NHC_LOGITS_ALL step's (TokenPicks)
  // The last step's logits rows nhc_session_last_logits_row reads: none, in
  // greedyRows, or the backend's (on the device).
  enum class KeptRows { None, Session, Backend } kept = KeptRows::None;
  uint64_t keptRows = 0;
};

namespace nhc::runtime {
namespace {

std::unique_ptr<nhc_session_t>
createSession(const nhc_artifact_t &artifact, const nhc_weights_t &weights,
              const nhc_session_options_t &options) {
  const nhc_manifest_t &manifest = *nhc_artifact_manifest(&artifact);
  const ExecutionPlan &plan = manifest.plan;
  const uint32_t maxSlots = options.max_slots;
  const uint64_t maxSeqLen = options.max_seq_len;
  NHC_CHECK(plan.present, NHC_NOT_FOUND,
            cat(manifest.origin,
                ": manifest has no 'schedules' (body, head_last, head_all); "
                "the artifact cannot be executed",
                plan.legacySchedule
                    ? " (it has a 'schedule' key, which this runtime does "
                      "not read)"
                    : ""));
  NHC_CHECK(maxSlots <= kMaxSlots, NHC_INVALID_ARGUMENT,
            cat("session: max_slots ", maxSlots, " exceeds the limit ",
                kMaxSlots, " (nhc::kMaxSlots)"));
  NHC_CHECK(maxSeqLen <= kMaxSequenceLength, NHC_INVALID_ARGUMENT,
            cat("session: max_seq_len ", maxSeqLen, " exceeds the limit ",
                kMaxSequenceLength, " (nhc::kMaxSequenceLength)"));
  NHC_CHECK(nhc_gemm_precision_name(options.gemm_precision) != nullptr,
            NHC_INVALID_ARGUMENT,
            cat("session: gemm_precision ",
                static_cast<long long>(options.gemm_precision),
                " is not a precision (NHC_GEMM_PRECISION_F32 or _BF16)"));
  // Gemms take int dimensions (oneDNN's sgemm, as BLAS); T is at most
  // max_slots * max_seq_len.
  NHC_CHECK(checkedProduct({maxSlots, maxSeqLen}, INT_MAX).has_value(),
            NHC_INVALID_ARGUMENT,
            cat("session: max_slots * max_seq_len (", maxSlots, " * ",
                maxSeqLen, ") exceeds ", INT_MAX, " tokens"));

  auto session = std::make_unique<nhc_session_t>();
  session->origin = manifest.origin;
  session->vocab = manifest.model.vocab_size;
  session->hidden = manifest.model.hidden_size;
  session->numLayers = manifest.model.num_layers;
  session->plan = plan;
  // Cheap checks first; converting weights can take seconds. The state
  // pool's memory is the backend's.
  session->backend = createBackend(
      options.backend,
      {&artifact, &manifest, &session->plan, maxSlots, maxSeqLen,
       options.gemm_precision});
  Backend &backend = *session->backend;
  session->pool = createStatePool(
      manifest, maxSlots, maxSeqLen, true,
      [&backend](uint64_t bytes, const std::string &what) {
        return backend.allocateState(bytes, what);
      },
      backend.padsDecodeSteps());
  backend.bindState(*session->pool);
  session->executor =
      std::make_unique<Executor>(session->plan, *session->backend);
  std::vector<nhc_tensor_info_t> tensors = boundTensors(weights, manifest);
  std::vector<bool> matrixOnly =
      session->executor->matrixOnlyWeights(tensors.size());
  // A matrix the compiler declares F32 in a narrower model (the MoE router,
  // which transformers runs in f32) is read as its f32 copy, not its stored
  // bytes: every backend then multiplies it in f32, never rounding its
  // input to bf16 (a near-tied expert choice would flip).
  if (manifest.model.dtype != NHC_DTYPE_F32)
    for (size_t i = 0; i < tensors.size(); ++i)
      if (manifest.weights[i].dtype == NHC_DTYPE_F32)
        matrixOnly[i] = false;
  // Synthetic weights: the backend generates the matrices it can (those
  // get a spec in `onBackend`), the rest is generated in host memory now.
  std::vector<const SyntheticTensor *> onBackend(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const SyntheticTensor *spec = syntheticSpec(weights, tensors[i]);
    if (!spec || tensors[i].data)
      continue;
    if (matrixOnly[i] && spec->elems > 0 && backend.generatesWeight(*spec))
      onBackend[i] = spec;
    else
      tensors[i].data = generatedData(weights, tensors[i]);
  }
  backend.bindWeights(tensors, matrixOnly, onBackend);
  session->seenInStep.assign(maxSlots, 0);
  for (size_t weight : session->executor->bodyGemmWeights())
    session->gemmWeights.push_back(manifest.weights[weight].name);
  for (size_t weight : session->executor->bodyExpertGemmWeights())
    session->expertGemmWeights.push_back(manifest.weights[weight].name);
  for (const auto &weight : manifest.weights)
    session->weightNames.push_back(weight.name);
  session->notes = session->backend->notes();
  return session;
}

/// Checks one request; `index` is its position in the batch.
void validateRequest(nhc_session_t &session, const nhc_request_t &request,
                     size_t index) {
  const nhc_state_pool_t &pool = *session.pool;
  const uint32_t slot = request.slot;
  const std::string at = cat("nhc_session_step: request ", index, ": ");
  NHC_CHECK(slot < maxSlots(pool), NHC_INVALID_ARGUMENT,
            cat(at, "slot ", slot, " does not exist (max_slots is ",
                maxSlots(pool), ")"));
  NHC_CHECK(session.seenInStep[slot] != session.stepStamp,
            NHC_INVALID_ARGUMENT,
            cat(at, "slot ", slot,
                " appears twice in the batch; a slot takes one request per "
                "step"));
  session.seenInStep[slot] = session.stepStamp;
  uint64_t length;
  try {
    length = slotLength(pool, slot);
    checkSlotUsable(pool, slot);
  } catch (const Error &e) {
    throw Error(e.status(), cat(at, e.what()));
  }
  NHC_CHECK(request.num_tokens >= 1, NHC_INVALID_ARGUMENT,
            cat(at, "slot ", slot, ": num_tokens is 0; a request needs at "
                                   "least one token"));
  NHC_CHECK(request.tokens != nullptr, NHC_INVALID_ARGUMENT,
            cat(at, "slot ", slot, ": tokens is NULL"));
  // Before any id is read: a num_tokens larger than the caller's array is
  // then at least bounded by max_seq_len, and an absurd one is rejected
  // without reading past the array.
  uint64_t max = maxSeqLen(pool);
  NHC_CHECK(request.num_tokens <= max - length, NHC_OUT_OF_RANGE,
            cat(at, "slot ", slot, " has length ", length, "; ",
                request.num_tokens, " more tokens would exceed max_seq_len ",
                max));
  for (size_t i = 0; i < request.num_tokens; ++i) {
    int32_t id = request.tokens[i];
    NHC_CHECK(id >= 0 && static_cast<uint64_t>(id) < session.vocab,
              NHC_INVALID_ARGUMENT,
              cat(at, "slot ", slot, ": token ", i, " has id ", id,
                  ", outside the vocabulary [0, ", session.vocab, ")"));
  }
}

/// A step whose kernels began failed with `error`: marks the batch's slots
/// lost (their state may be partly written) and returns the error's
/// message naming them.
std::string lostInStep(nhc_session_t &session, const nhc_request_t *requests,
                       size_t count, const std::string &error) {
  std::string slots;
  for (size_t r = 0; r < count; ++r) {
    markSlotLost(*session.pool, requests[r].slot, error);
    slots += cat(r ? ", " : "", requests[r].slot);
  }
  return count == 1
             ? cat(error, "; the step failed after its kernels began, so the "
                          "state of its slot ",
                   slots, " is lost: release it and start its request again")
             : cat(error, "; the step failed after its kernels began, so the "
                          "state of its slots (",
                   slots,
                   ") is lost: release them and start their requests again");
}

/// A step failed with `error`: after a sticky device fault (whenever it
/// showed), every request of the session is out of reach; the message
/// says so, or "" where the device still runs.
std::string deviceFailedInStep(nhc_session_t &session,
                               const std::string &error) {
  const std::string device = session.backend->deviceFailure();
  if (device.empty())
    return {};
  markDeviceFailed(*session.pool, device);
  return cat(error, "; the device failed (", device,
             "), which loses every request of this session: release the "
             "session and create another");
}

/// NHC_LOGITS_LAST_N: the body once, then head_last once per position j
/// (0 = last), over a request table whose requests end j tokens earlier
/// (requests with no such token left out); each pass's rows are scattered
/// to their place: request r's rows are consecutive, oldest first.
void lastNLogits(nhc_session_t &session, const nhc_request_t *requests,
                 size_t count, uint64_t n, StepIo &io,
                 std::vector<float> &headRows, float *logits) {
  Executor &executor = *session.executor;
  size_t total = executor.stepEntries(ScheduleKind::HeadLast, n);
  executor.runBody(io, total);
  int64_t *table = executor.inputs().requestTable;
  std::vector<int64_t> original(table, table + 4 * count);
  std::vector<uint64_t> firstRow(count); // of request r in `logits`
  uint64_t row = 0;
  for (size_t r = 0; r < count; ++r) {
    firstRow[r] = row;
    row += std::min<uint64_t>(n, requests[r].num_tokens);
  }
  uint64_t V = session.vocab;
  for (uint64_t j = 0; j < n; ++j) {
    std::vector<size_t> members;
    for (size_t r = 0; r < count; ++r) {
      if (requests[r].num_tokens <= j)
        continue;
      size_t k = members.size();
      for (int c = 0; c < 4; ++c)
        table[4 * k + c] = original[4 * r + c];
      table[4 * k + 1] -= static_cast<int64_t>(j); // ends j tokens earlier
      members.push_back(r);
    }
    if (members.empty())
      break;
    StepIo head = io;
    head.requests = members.size();
    head.logits = headRows.data();
    executor.runHead(ScheduleKind::HeadLast, head, total);
    for (size_t k = 0; k < members.size(); ++k) {
      size_t r = members[k];
      uint64_t rows = std::min<uint64_t>(n, requests[r].num_tokens);
      uint64_t dst = firstRow[r] + rows - 1 - j; // oldest first
      std::memcpy(logits + dst * V, headRows.data() + k * V,
                  V * sizeof(float));
    }
  }
  std::copy(original.begin(), original.end(), table);
  executor.finishEntryTiming(io, total);
}

const char *modeName(uint32_t mode) {
  return mode == NHC_LOGITS_LAST  ? "LAST"
         : mode == NHC_LOGITS_ALL ? "ALL"
                                  : "LAST_N";
}

/// The plan's tap point for a requested tap, or throws.
const TapPoint &findTap(const nhc_session_t &session, const nhc_tap_t &tap,
                        size_t index) {
  std::string at = cat("nhc_session_step: tap ", index, ": ");
  uint32_t kind = tap.kind;
  NHC_CHECK(kind <= NHC_TAP_FINAL_NORM, NHC_INVALID_ARGUMENT,
            cat(at, "unknown kind ", kind,
                " (EMBEDDINGS 0, RESIDUAL 1, MIXER 2, FINAL_NORM 3)"));
  bool layered = kind == NHC_TAP_RESIDUAL || kind == NHC_TAP_MIXER;
  NHC_CHECK(!layered || tap.layer < session.numLayers, NHC_INVALID_ARGUMENT,
            cat(at, "layer ", tap.layer, " does not exist (the model has ",
                session.numLayers, " layers)"));
  TapKind want = static_cast<TapKind>(kind); // same order as nhc_tap_kind_t
  for (const TapPoint &point : session.executor->taps())
    if (point.kind == want && (!layered || point.layer == tap.layer))
      return point;
  throw Error(NHC_UNSUPPORTED,
              cat(at, session.origin, " has no tap point for this kind",
                  layered ? cat(" and layer ", tap.layer) : std::string(),
                  "; recompile it with this nhc"));
}

/// Refuses edits of a row outside the batch, an id outside the
/// vocabulary, a (row, id) edited twice or a value outside its range,
/// naming the edit. `seen`: a bit per (row, id) of the batch, all clear,
/// and clear again on return (one pass over the edits, any count).
void checkLogitEdits(const nhc_logit_edit_t *edits, size_t n, size_t count,
                     uint64_t vocab, std::vector<uint64_t> &seen) {
  if (!edits)
    return;
  std::optional<uint64_t> product = checkedMul(uint64_t(count), vocab);
  NHC_CHECK(product.has_value(), NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: ", count, " rows of ", vocab,
                " logits overflow 64 bits"));
  const uint64_t bits = *product;
  if (seen.size() < (bits + 63) / 64)
    seen.resize((bits + 63) / 64); // bad_alloc: nothing changed
  size_t marked = 0; // edits whose bit is set
  struct Clear {
    const nhc_logit_edit_t *edits;
    const size_t &marked;
    uint64_t vocab;
    std::vector<uint64_t> &seen;
    ~Clear() {
      for (size_t e = 0; e < marked; ++e) {
        const uint64_t bit = uint64_t(edits[e].row) * vocab + edits[e].id;
        seen[bit / 64] &= ~(uint64_t(1) << (bit % 64));
      }
    }
  } clear{edits, marked, vocab, seen};
  for (size_t e = 0; e < n; ++e) {
    const nhc_logit_edit_t &edit = edits[e];
    NHC_CHECK(edit.row < count, NHC_INVALID_ARGUMENT,
              cat("nhc_session_step: logit edit ", e, ": row ", edit.row,
                  " is outside the batch of ", count, " requests"));
    NHC_CHECK(edit.id >= 0 && uint64_t(edit.id) < vocab, NHC_INVALID_ARGUMENT,
              cat("nhc_session_step: logit edit ", e, ": id ", edit.id,
                  " is outside the vocabulary [0, ", vocab, ")"));
    std::string problem = logitEditProblem(edit);
    NHC_CHECK(problem.empty(), NHC_INVALID_ARGUMENT,
              cat("nhc_session_step: logit edit ", e, " (row ", edit.row,
                  ", id ", edit.id, "): ", problem));
    const uint64_t bit = uint64_t(edit.row) * vocab + uint64_t(edit.id);
    const uint64_t mask = uint64_t(1) << (bit % 64);
    if (seen[bit / 64] & mask) {
      size_t first = 0;
      while (edits[first].row != edit.row || edits[first].id != edit.id)
        ++first;
      throw Error(NHC_INVALID_ARGUMENT,
                  cat("nhc_session_step: logit edits ", first, " and ", e,
                      " both edit row ", edit.row, ", id ", edit.id,
                      " (one edit a token)"));
    }
    seen[bit / 64] |= mask;
    marked = e + 1;
  }
}

void step(nhc_session_t &session, const nhc_request_t *requests,
          size_t count, const nhc_step_options_t &options, float *logits,
          size_t capacity) {
  uint32_t mode = options.logits_mode;
  NHC_CHECK(count >= 1, NHC_INVALID_ARGUMENT,
            "nhc_session_step: the batch is empty (count is 0)");
  NHC_CHECK_ARG(requests, "nhc_session_step");
  // A slot takes one request per step, so a longer batch is certainly
  // wrong; refusing it first also bounds how far `requests` and the
  // per-request options are read and what count * vocab can be.
  NHC_CHECK(count <= maxSlots(*session.pool), NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: count ", count, " exceeds max_slots ",
                maxSlots(*session.pool),
                " (a slot takes one request per step)"));
  NHC_CHECK(logits || options.greedy_ids || options.logprobs,
            NHC_INVALID_ARGUMENT,
            "nhc_session_step: argument 'logits' must not be NULL (it may "
            "be with greedy_ids or logprobs)");
  NHC_CHECK(mode <= NHC_LOGITS_LAST_N, NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: unknown logits mode ", mode,
                " (NHC_LOGITS_LAST is 0, NHC_LOGITS_ALL is 1, "
                "NHC_LOGITS_LAST_N is 2)"));
  NHC_CHECK(mode != NHC_LOGITS_LAST_N || options.last_n >= 1,
            NHC_INVALID_ARGUMENT,
            "nhc_session_step: NHC_LOGITS_LAST_N needs last_n >= 1");
  NHC_CHECK(!options.greedy_ids || mode != NHC_LOGITS_LAST_N,
            NHC_INVALID_ARGUMENT,
            "nhc_session_step: greedy_ids take NHC_LOGITS_LAST or "
            "NHC_LOGITS_ALL, not NHC_LOGITS_LAST_N");
  NHC_CHECK(!options.greedy_ids || options.num_greedy_ids >= count,
            NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: greedy_ids holds ", options.num_greedy_ids,
                " ids; the batch has ", count, " requests"));
  NHC_CHECK(!options.sampling || options.greedy_ids, NHC_INVALID_ARGUMENT,
            "nhc_session_step: sampling needs greedy_ids (where the sampled "
            "ids go)");
  NHC_CHECK(!options.sampling || options.num_sampling >= count,
            NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: sampling holds ", options.num_sampling,
                " rules; the batch has ", count, " requests"));
  for (size_t r = 0; options.sampling && r < count; ++r) {
    std::string problem = samplingProblem(options.sampling[r]);
    NHC_CHECK(problem.empty(), NHC_INVALID_ARGUMENT,
              cat("nhc_session_step: request ", r, " (slot ",
                  requests[r].slot, "): sampling: ", problem));
  }
  NHC_CHECK(!options.logprobs || mode != NHC_LOGITS_LAST_N,
            NHC_INVALID_ARGUMENT,
            "nhc_session_step: logprobs take NHC_LOGITS_LAST or "
            "NHC_LOGITS_ALL, not NHC_LOGITS_LAST_N");
  NHC_CHECK(!options.logprobs || options.greedy_ids || options.logprob_ids,
            NHC_INVALID_ARGUMENT,
            "nhc_session_step: logprobs needs greedy_ids or logprob_ids (the "
            "ids they are of)");
  NHC_CHECK(!options.logprob_ids || options.logprobs, NHC_INVALID_ARGUMENT,
            "nhc_session_step: logprob_ids without logprobs (where their "
            "entries go)");
  NHC_CHECK(!options.logprobs || options.logprob_ids ||
                mode == NHC_LOGITS_LAST,
            NHC_INVALID_ARGUMENT,
            "nhc_session_step: logprobs of NHC_LOGITS_ALL rows need "
            "logprob_ids (a row per token; NHC_LOGPROB_ID_PICKED at a "
            "request's last row for its pick)");
  NHC_CHECK(!options.logprobs ||
                options.top_logprobs <= NHC_MAX_TOP_LOGPROBS,
            NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: top_logprobs is ", options.top_logprobs,
                "; at most ", NHC_MAX_TOP_LOGPROBS, " alternatives"));
  NHC_CHECK(!options.logit_edits || options.greedy_ids, NHC_INVALID_ARGUMENT,
            "nhc_session_step: logit_edits needs greedy_ids (the ids picked "
            "from the edited rows)");
  NHC_CHECK(options.num_taps == 0 || options.taps, NHC_INVALID_ARGUMENT,
            "nhc_session_step: taps is NULL but num_taps is not 0");
  NHC_CHECK(!options.gemm_input_absmax ||
                options.num_gemm_input_absmax == session.gemmWeights.size(),
            NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: gemm_input_absmax holds ",
                options.num_gemm_input_absmax, " floats; the plan has ",
                session.gemmWeights.size(),
                " body gemms (nhc_session_gemm_count)"));
  NHC_CHECK(!options.expert_input_absmax ||
                options.num_expert_input_absmax ==
                    session.expertGemmWeights.size(),
            NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: expert_input_absmax holds ",
                options.num_expert_input_absmax, " floats; the plan has ",
                session.expertGemmWeights.size(),
                " routed expert products (nhc_session_expert_gemm_count)"));
  NHC_CHECK(!options.expert_input_absmax ||
                session.backend->calibratesExperts(),
            NHC_UNSUPPORTED,
            cat("nhc_session_step: expert_input_absmax: the ",
                session.backend->name(),
                " backend gathers no routed-expert calibration statistics; "
                "calibrate on the host backend"));
  checkLogitEdits(options.logit_edits, options.num_logit_edits, count,
                  session.vocab, session.editSeen);
  ++session.stepStamp;
  // An NHC_LOGITS_ALL step's picks: each request's last token's row.
  const bool pickRows = options.greedy_ids && mode == NHC_LOGITS_ALL;
  session.pickRows.resize(pickRows ? count : 0); // bad_alloc: nothing changed
  uint64_t tokens = 0, lastRows = 0;
  for (size_t r = 0; r < count; ++r) {
    validateRequest(session, requests[r], r);
    // Each num_tokens <= max_seq_len and count <= max_slots keep the sum
    // below INT_MAX (checked at creation); checked anyway.
    std::optional<uint64_t> sum = checkedAdd(tokens, requests[r].num_tokens);
    NHC_CHECK(sum.has_value(), NHC_INVALID_ARGUMENT,
              "nhc_session_step: the batch's token count overflows 64 bits");
    tokens = *sum;
    if (pickRows)
      session.pickRows[r] = tokens - 1; // num_tokens >= 1 (validated)
    lastRows += std::min<uint64_t>(options.last_n, requests[r].num_tokens);
  }
  uint64_t rows = mode == NHC_LOGITS_LAST  ? count
                  : mode == NHC_LOGITS_ALL ? tokens
                                           : lastRows;
  std::optional<uint64_t> needed = checkedMul(rows, session.vocab);
  NHC_CHECK(needed.has_value(), NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: ", rows, " rows of ", session.vocab,
                " logits overflow 64 bits"));
  NHC_CHECK(!logits || capacity >= *needed, NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: logits buffer holds ", capacity,
                " floats; this step needs ", *needed, " (", rows, " rows of ",
                session.vocab, ", mode ", modeName(mode), ")"));
  NHC_CHECK(!options.logprobs ||
                options.num_logprobs / (1 + uint64_t(options.top_logprobs)) >=
                    rows,
            NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: logprobs holds ", options.num_logprobs,
                " entries; the step's ", rows, " logits rows need ",
                rows * (1 + uint64_t(options.top_logprobs)), " (1 + ",
                options.top_logprobs, " each, mode ", modeName(mode), ")"));
  NHC_CHECK(!options.logprob_ids || options.num_logprob_ids >= rows,
            NHC_INVALID_ARGUMENT,
            cat("nhc_session_step: logprob_ids holds ",
                options.num_logprob_ids, " ids; the step has ", rows,
                " logits rows (mode ", modeName(mode), ")"));
  TokenPicks picks{options.sampling,     options.logprobs,
                   options.top_logprobs, options.logprob_ids,
                   options.logit_edits,
                   options.logit_edits ? options.num_logit_edits : 0};
  if (pickRows) {
    picks.pickRows = session.pickRows.data();
    picks.numPicks = count;
  }
  for (uint64_t i = 0; options.logprob_ids && i < rows; ++i)
    NHC_CHECK(options.logprob_ids[i] != NHC_LOGPROB_ID_PICKED ||
                  (options.greedy_ids && picks.pickOfRow(i, rows) >= 0),
              NHC_INVALID_ARGUMENT,
              cat("nhc_session_step: logprob_ids[", i,
                  "] is NHC_LOGPROB_ID_PICKED but row ", i,
                  options.greedy_ids
                      ? " is no request's last row (the rows picked from)"
                      : " is picked from only with greedy_ids"));
  std::vector<TapCopy> taps;
  for (size_t i = 0; i < options.num_taps; ++i) {
    const nhc_tap_t &tap = options.taps[i];
    const TapPoint &point = findTap(session, tap, i);
    NHC_CHECK(tap.out != nullptr, NHC_INVALID_ARGUMENT,
              cat("nhc_session_step: tap ", i, ": out is NULL"));
    std::optional<uint64_t> floats = checkedMul(tokens, point.width);
    NHC_CHECK(floats && tap.capacity_floats >= *floats, NHC_INVALID_ARGUMENT,
              cat("nhc_session_step: tap ", i, ": buffer holds ",
                  tap.capacity_floats, " floats; this step needs ", tokens,
                  " rows of ", point.width));
    taps.push_back({&point, tap.out});
  }

  Executor &executor = *session.executor;
  if (options.entry_seconds) {
    size_t total = executor.stepEntries(
        mode == NHC_LOGITS_ALL ? ScheduleKind::HeadAll : ScheduleKind::HeadLast,
        mode == NHC_LOGITS_LAST_N ? options.last_n : 1);
    NHC_CHECK(options.num_entry_seconds >= total, NHC_INVALID_ARGUMENT,
              cat("nhc_session_step: entry_seconds holds ",
                  options.num_entry_seconds, " values; this step has ", total,
                  " schedule entries"));
  }
  // Fallible: nothing changed yet but the last step's kept rows, which
  // this step overwrites.
  session.kept = nhc_session_t::KeptRows::None;
  const uint64_t keepRows = uint64_t(maxSlots(*session.pool)) * session.vocab;
  if (session.greedyRows.size() > keepRows) // a large ALL step's, kept till now
    std::vector<float>().swap(session.greedyRows);
  executor.prepare(tokens, count, mode == NHC_LOGITS_ALL ? tokens : count);
  session.backend->preparePicks(rows, picks);
  std::vector<float> headRows;
  if (mode == NHC_LOGITS_LAST_N)
    headRows.resize(count * session.vocab); // std::bad_alloc: still nothing
  // Ids or logprobs without logits: a backend that reads them on the host gets
  // rows of the session's own (grown to a decode step's and kept: no
  // allocation per step; a larger NHC_LOGITS_ALL step's freed at the next
  // step, nhc_session_last_logits_row reading them till then).
  const bool picksOnHost =
      (options.greedy_ids || options.logprobs) &&
      !session.backend->picksOnDevice(session.vocab, picks);
  if (picksOnHost)
    session.backend->prepareHostPicks(rows, session.vocab, picks);
  const nhc_session_t::KeptRows keep =
      logits || mode == NHC_LOGITS_LAST_N ? nhc_session_t::KeptRows::None
      : picksOnHost                       ? nhc_session_t::KeptRows::Session
                                          : nhc_session_t::KeptRows::Backend;
  if (!logits && picksOnHost) {
    if (session.greedyRows.size() < *needed)
      session.greedyRows.resize(*needed); // bad_alloc: nothing changed
    logits = session.greedyRows.data();
  }
  StepInputs inputs = executor.inputs();
  int64_t *table = inputs.requestTable;
  int32_t *ids = inputs.tokenIds;
  uint64_t offset = 0;
  for (size_t r = 0; r < count; ++r) {
    const nhc_request_t &request = requests[r];
    table[4 * r + 0] = static_cast<int64_t>(offset);
    table[4 * r + 1] = static_cast<int64_t>(request.num_tokens);
    table[4 * r + 2] =
        static_cast<int64_t>(slotLength(*session.pool, request.slot));
    table[4 * r + 3] = request.slot;
    for (size_t i = 0; i < request.num_tokens; ++i)
      ids[offset + i] = request.tokens[i];
    offset += request.num_tokens;
  }

  StepIo io;
  io.tokens = tokens;
  io.requests = count;
  io.logits = logits;
  io.taps = &taps;
  io.gemmInputAbsmax = options.gemm_input_absmax;
  io.expertInputAbsmax = options.expert_input_absmax;
  io.greedyIds = options.greedy_ids;
  io.picks = picks;
  io.vocab = session.vocab;
  io.progress = session.progress;
  io.progressUser = session.progressUser;
  io.entrySeconds = options.entry_seconds;
  executor.beginStep();
  try {
    if (mode != NHC_LOGITS_LAST_N) {
      executor.run(mode == NHC_LOGITS_LAST ? ScheduleKind::HeadLast
                                           : ScheduleKind::HeadAll,
                   io);
    } else {
      lastNLogits(session, requests, count, options.last_n, io, headRows,
                  logits);
    }
  } catch (const std::exception &e) {
    const nhc_status_t status =
        dynamic_cast<const Error *>(&e) ? static_cast<const Error &>(e).status()
        : dynamic_cast<const std::bad_alloc *>(&e) ? NHC_OUT_OF_MEMORY
                                                    : NHC_INTERNAL;
    const std::string what = e.what();
    std::string message = deviceFailedInStep(session, what);
    if (!message.empty())
      throw Error(status, message);
    if (!executor.launched())
      throw; // nothing ran (a recording failed): nothing changed
    throw Error(status, lostInStep(session, requests, count, what));
  }
  for (size_t r = 0; r < count; ++r)
    advanceSlot(*session.pool, requests[r].slot, requests[r].num_tokens);
  session.kept = keep;
  session.keptRows = rows;
}

} // namespace
} // namespace nhc::runtime

using namespace nhc::runtime;

extern "C" {

nhc_status_t nhc_session_create(const nhc_artifact_t *artifact,
                                const nhc_weights_t *weights,
                                uint32_t max_slots, uint64_t max_seq_len,
                                nhc_session_t **out_session) {
  return guard("nhc_session_create", [&] {
    NHC_CHECK_ARG(artifact, "nhc_session_create");
    NHC_CHECK_ARG(weights, "nhc_session_create");
    NHC_CHECK_ARG(out_session, "nhc_session_create");
    nhc_session_options_t options{};
    options.max_slots = max_slots;
    options.max_seq_len = max_seq_len;
    *out_session = createSession(*artifact, *weights, options).release();
  });
}

nhc_status_t nhc_session_create_ex(const nhc_artifact_t *artifact,
                                   const nhc_weights_t *weights,
                                   const nhc_session_options_t *options,
                                   nhc_session_t **out_session) {
  return guard("nhc_session_create_ex", [&] {
    NHC_CHECK_ARG(artifact, "nhc_session_create_ex");
    NHC_CHECK_ARG(weights, "nhc_session_create_ex");
    NHC_CHECK_ARG(options, "nhc_session_create_ex");
    NHC_CHECK_ARG(out_session, "nhc_session_create_ex");
    *out_session = createSession(*artifact, *weights, *options).release();
  });
}

const char *nhc_session_backend(const nhc_session_t *session) {
  return session ? session->backend->name() : "";
}

const char *nhc_backends(void) { return availableBackends(); }

const char *nhc_gemm_precision_name(nhc_gemm_precision_t precision) {
  switch (precision) {
  case NHC_GEMM_PRECISION_F32:
    return "f32";
  case NHC_GEMM_PRECISION_BF16:
    return "bf16";
  case NHC_GEMM_PRECISION_MAX_ENUM:
    break;
  }
  return nullptr;
}

void nhc_session_release(nhc_session_t *session) { delete session; }

nhc_status_t nhc_session_claim(nhc_session_t *session, uint32_t *out_slot) {
  return guard("nhc_session_claim", [&] {
    NHC_CHECK_ARG(session, "nhc_session_claim");
    NHC_CHECK_ARG(out_slot, "nhc_session_claim");
    *out_slot = claimSlot(*session->pool);
  });
}

nhc_status_t nhc_session_release_slot(nhc_session_t *session, uint32_t slot) {
  return guard("nhc_session_release_slot", [&] {
    NHC_CHECK_ARG(session, "nhc_session_release_slot");
    releaseSlot(*session->pool, slot);
  });
}

nhc_status_t nhc_session_slot_length(const nhc_session_t *session,
                                     uint32_t slot, uint64_t *out_length) {
  return guard("nhc_session_slot_length", [&] {
    NHC_CHECK_ARG(session, "nhc_session_slot_length");
    NHC_CHECK_ARG(out_length, "nhc_session_slot_length");
    *out_length = slotLength(*session->pool, slot);
  });
}

nhc_status_t nhc_session_last_logits_row(nhc_session_t *session,
                                         uint64_t row, float *out,
                                         size_t capacity_floats) {
  return guard("nhc_session_last_logits_row", [&] {
    NHC_CHECK_ARG(session, "nhc_session_last_logits_row");
    NHC_CHECK_ARG(out, "nhc_session_last_logits_row");
    NHC_CHECK(capacity_floats >= session->vocab, NHC_INVALID_ARGUMENT,
              cat("nhc_session_last_logits_row: out holds ", capacity_floats,
                  " floats; a row has ", session->vocab));
    NHC_CHECK(session->kept != nhc_session_t::KeptRows::None,
              NHC_FAILED_PRECONDITION,
              "nhc_session_last_logits_row: the session keeps no logits rows "
              "(no step ran, the last step wrote its logits to the caller's "
              "buffer or was NHC_LOGITS_LAST_N, or a step since failed)");
    NHC_CHECK(row < session->keptRows, NHC_INVALID_ARGUMENT,
              cat("nhc_session_last_logits_row: row ", row,
                  " is past the last step's ", session->keptRows, " rows"));
    if (session->kept == nhc_session_t::KeptRows::Session)
      std::copy_n(session->greedyRows.data() + row * session->vocab,
                  session->vocab, out);
    else
      session->backend->copyLogitsRow(row, session->vocab, out);
  });
}

nhc_status_t nhc_session_step(nhc_session_t *session,
                              const nhc_request_t *requests, size_t count,
                              nhc_logits_mode_t mode, float *logits,
                              size_t logits_capacity_floats) {
  return guard("nhc_session_step", [&] {
    NHC_CHECK_ARG(session, "nhc_session_step");
    // `mode` may hold any integer: it is only ever read as one.
    nhc_step_options_t options{};
    options.logits_mode = static_cast<uint32_t>(enumBits(mode));
    NHC_CHECK(options.logits_mode != NHC_LOGITS_LAST_N,
              NHC_INVALID_ARGUMENT,
              "nhc_session_step: NHC_LOGITS_LAST_N needs its N; use "
              "nhc_session_step_ex");
    step(*session, requests, count, options, logits, logits_capacity_floats);
  });
}

nhc_status_t nhc_session_step_ex(nhc_session_t *session,
                                 const nhc_request_t *requests, size_t count,
                                 const nhc_step_options_t *options,
                                 float *logits,
                                 size_t logits_capacity_floats) {
  return guard("nhc_session_step_ex", [&] {
    NHC_CHECK_ARG(session, "nhc_session_step_ex");
    NHC_CHECK_ARG(options, "nhc_session_step_ex");
    step(*session, requests, count, *options, logits, logits_capacity_floats);
  });
}

nhc_status_t nhc_session_set_progress(nhc_session_t *session,
                                      nhc_progress_fn_t fn, void *user) {
  return guard("nhc_session_set_progress", [&] {
    NHC_CHECK_ARG(session, "nhc_session_set_progress");
    session->progress = fn;
    session->progressUser = fn ? user : nullptr;
  });
}

nhc_status_t nhc_session_get_info(const nhc_session_t *session,
                                  nhc_session_info_t *out_info) {
  return guard("nhc_session_get_info", [&] {
    NHC_CHECK_ARG(session, "nhc_session_get_info");
    NHC_CHECK_ARG(out_info, "nhc_session_get_info");
    nhc_state_pool_info_t pool{};
    nhc_state_pool_get_info(session->pool.get(), &pool);
    nhc_session_info_t info{};
    info.vocab_size = session->vocab;
    info.hidden_size = session->hidden;
    info.max_slots = pool.max_slots;
    info.free_slots = pool.free_slots;
    info.max_seq_len = pool.max_seq_len;
    info.state_bytes = pool.total_bytes;
    info.weight_f32_bytes = session->backend->convertedWeightBytes();
    info.scratch_bytes = session->backend->scratchBytes();
    info.gemm_precision = session->backend->gemmPrecision();
    *out_info = info;
  });
}

size_t nhc_session_gemm_count(const nhc_session_t *session) {
  return session ? session->gemmWeights.size() : 0;
}

const char *nhc_session_gemm_weight(const nhc_session_t *session,
                                    size_t index) {
  if (!session || index >= session->gemmWeights.size())
    return nullptr;
  return session->gemmWeights[index].c_str();
}

size_t nhc_session_expert_gemm_count(const nhc_session_t *session) {
  return session ? session->expertGemmWeights.size() : 0;
}

const char *nhc_session_expert_gemm_weight(const nhc_session_t *session,
                                           size_t index) {
  if (!session || index >= session->expertGemmWeights.size())
    return nullptr;
  return session->expertGemmWeights[index].c_str();
}

size_t nhc_session_note_count(const nhc_session_t *session) {
  return session ? session->notes.size() : 0;
}

const char *nhc_session_note_at(const nhc_session_t *session, size_t index) {
  if (!session || index >= session->notes.size())
    return nullptr;
  return session->notes[index].c_str();
}

nhc_status_t nhc_session_weight_dtype(const nhc_session_t *session,
                                      const char *name,
                                      nhc_dtype_t *out_dtype) {
  return guard("nhc_session_weight_dtype", [&] {
    NHC_CHECK_ARG(session, "nhc_session_weight_dtype");
    NHC_CHECK_ARG(name, "nhc_session_weight_dtype");
    NHC_CHECK_ARG(out_dtype, "nhc_session_weight_dtype");
    const auto &names = session->weightNames;
    auto found = std::find(names.begin(), names.end(), name);
    NHC_CHECK(found != names.end(), NHC_NOT_FOUND,
              cat("nhc_session_weight_dtype: ", session->origin,
                  " has no weight '", name, "'"));
    *out_dtype = session->backend->weightDtype(
        static_cast<size_t>(found - names.begin()));
  });
}

nhc_state_pool_t *nhc_session_state_pool(nhc_session_t *session) {
  return session ? session->pool.get() : nullptr;
}

} // extern "C"
