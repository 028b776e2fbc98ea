//===- nhc/serving/engine.h - Continuous batching over a session -*- C++ -*-===//
//
// The engine owns a session (nhc/runtime/session.h) and a thread that runs
// its steps. Requests queue, take a slot when one is free, and from then on
// every step mixes the decode token of each running request with chunks of
// waiting prompts under a per-step token budget (continuous batching, Orca
// OSDI '22; chunked prefill as in Sarathi-Serve). A request that finishes,
// hits a stop, or is cancelled (its client went away) releases its slot at
// the next step boundary.
//
// Because a slot's state depends only on its own tokens and a prompt gives
// the same logits however it is split into steps (docs/runtime.md), a
// request's tokens do not depend on what else shares its steps: greedy
// requests get what they get alone, sampled ones what their seed gives.
//
// Thread safety: submit(), submitAll(), validate(), cancel
// (RequestStream::cancel), metrics() and stop() may be called from any
// thread.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVING_ENGINE_H
#define NHC_SERVING_ENGINE_H

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nhc/runtime/session.h"
#include "nhc/serving/logits_processor.h"
#include "nhc/serving/logprobs.h"
#include "nhc/serving/sampler.h"

namespace nhc::text {
class Tokenizer;
}

namespace nhc::serving {

enum class FinishReason { None, Stop, Length, Cancelled, Error };

/// OpenAI's spelling: "stop", "length"; "cancelled" and "error" otherwise.
const char *finishReasonName(FinishReason reason);

struct GenerationRequest {
  std::vector<int32_t> prompt;     ///< >= 1 ids, each in [0, vocab)
  /// Generated tokens at most: >= 1, or 0 with promptLogprobs (the prompt
  /// is prefilled for its logprobs and nothing is generated).
  uint64_t maxTokens = 16;
  SamplingParams sampling;
  LogitAdjustments adjustments;    ///< biases and penalties, before sampling
  std::vector<int32_t> stopIds;    ///< end of sequence (not shown as text): the server's EOS ids
  std::vector<int32_t> stopTokenIds; ///< the request's own (vLLM's stop_token_ids), the same
  std::vector<std::string> stop;   ///< stop strings (need a tokenizer)
  /// vLLM's min_tokens: until this many tokens were generated, stopIds and
  /// stopTokenIds are banned (-inf logits) and no stop string may lie
  /// entirely in their text (one may start there and end later). At most
  /// maxTokens.
  uint64_t minTokens = 0;
  /// vLLM's include_stop_str_in_output: the stop string, or the stop id's
  /// text, ends the shown text.
  bool includeStop = false;
  /// OpenAI's logprobs: -1 none; else each token's log probability and
  /// this many alternatives (at most kMaxTopLogprobs).
  int64_t logprobs = -1;
  /// The same for the prompt's tokens after its first (OpenAI's `echo`
  /// with logprobs, vLLM's prompt_logprobs), from the logits of every
  /// prompt position; needs logprobs >= 0.
  bool promptLogprobs = false;
  bool skipSpecialTokens = true;   ///< in the text of the events
  std::string id;                  ///< for logs
};

/// What a request produced since the last event.
struct GenerationEvent {
  std::vector<int32_t> tokens; ///< new token ids (EOS included)
  /// One per token when the request asked for logprobs, else empty.
  std::vector<PickLogprobs> logprobs;
  /// With promptLogprobs: one per prompt token after the first, all in the
  /// event of the first generated token (maxTokens 0: the event before the
  /// final one).
  std::vector<PickLogprobs> promptLogprobs;
  std::string text;            ///< new text: whole UTF-8 characters only
  bool done = false;
  FinishReason finish = FinishReason::None;
  std::string error; ///< when finish == Error
  uint64_t promptTokens = 0;
  uint64_t completionTokens = 0; ///< generated so far (EOS included)
};

/// Appends `more`, a later event of the same request, to `into`: tokens,
/// text and logprobs concatenated; done, finish, error and the counts are
/// `more`'s. What a client sees of a request is its events merged so.
void mergeEvent(GenerationEvent &into, GenerationEvent &&more);

/// Whether a (final) event ends its request in failure: an error, or
/// cancelled (a client gone, a sibling choice failed, shutdown).
inline bool failed(const GenerationEvent &event) {
  return event.finish == FinishReason::Error ||
         event.finish == FinishReason::Cancelled;
}

/// One request's side of the engine: its events, in order, and a cancel.
class RequestStream {
public:
  /// Waits up to `timeout` for events; returns false on timeout. Merges
  /// everything pending into `out` (mergeEvent; done when the request
  /// finished).
  bool next(GenerationEvent &out, std::chrono::milliseconds timeout);
  /// Ends the request at the next step boundary (FinishReason::Cancelled);
  /// its slot is freed then. Idempotent.
  void cancel();
  bool cancelled() const;

  /// Engine side.
  void push(GenerationEvent event);

private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<GenerationEvent> events_;
  bool cancelled_ = false;
};

struct EngineOptions {
  /// Tokens per step (decodes + prompt chunks); raised to the slot count
  /// plus 2 (kPromptChunkSlack), so a prefilling prompt always gets a chunk.
  uint64_t stepTokenBudget = 512;
  uint64_t maxQueue = 256;        ///< waiting requests beyond the slots
  /// Every pick from rows copied out of the session (the engine's own
  /// sampler and logits processor), never the session's: the path steps
  /// take when a sampled or edited prompt is shared by choices, for
  /// comparisons (tests) and debugging.
  bool picksFromRows = false;
};

/// Step tokens beyond one per slot that a prompt chunk may need: with at
/// least 3 tokens left for it, promptChunkTokens never waits.
inline constexpr uint64_t kPromptChunkSlack = 2;

/// Bytes of logits a step holds at most while a request's prompt logprobs
/// are prefilled: such a step holds the logits of every token
/// (NHC_LOGITS_ALL, a row of `vocab` f32 each) in the session (its
/// logprobs and picks computed there, nhc_step_options_t.logprobs and
/// greedy_ids; on a GPU in device memory) or copied out where choices
/// share a sampled or edited prompt.
inline constexpr uint64_t kPromptLogprobsStepBytes = uint64_t(256) << 20;

/// Rows such a step holds at most, its decodes' included:
/// kPromptLogprobsStepBytes of rows (512 at Nemotron-H's 131072-token
/// vocabulary), at least kPromptChunkSlack + 1 (with more decodes than
/// that, they and a prompt chunk of kPromptChunkSlack + 1 tokens). Before 2026-12-07 it was 128, while a sampled
/// or edited pick beside a prompt's logprobs copied the rows out.
inline uint64_t promptLogprobsStepTokens(uint64_t vocab) {
  const uint64_t rows = kPromptLogprobsStepBytes / (vocab ? vocab * 4 : 4);
  return rows > kPromptChunkSlack ? rows : kPromptChunkSlack + 1;
}

/// How many of a prompt's `remaining` tokens (`prefilled` already in its
/// slot) a step with `budget` tokens left takes, 0 to wait for a larger
/// budget. Every chunk is one that transformers runs in its chunked form,
/// whose dt clamp a prompt's tokens get in one prefill (docs/config.md):
/// several tokens, or a prompt's first token alone; so no chunk of one
/// token follows others, and no chunk leaves one token behind.
uint64_t promptChunkTokens(uint64_t remaining, uint64_t prefilled,
                           uint64_t budget);

/// Point-in-time counters for /metrics.
struct EngineMetrics {
  uint64_t requestsFinished[5] = {}; ///< by FinishReason
  uint64_t promptTokens = 0;         ///< processed (prefilled)
  /// Prompt tokens not prefilled: forked from another request of the same
  /// batch with the same prompt (n choices).
  uint64_t promptTokensShared = 0;
  uint64_t generatedTokens = 0;
  /// Rows of logits copied out of the session for the engine to pick from
  /// (a sampled or edited prompt shared by choices,
  /// EngineOptions::picksFromRows); other steps take their ids and
  /// logprobs from the session.
  uint64_t logitsRowsCopied = 0;
  uint64_t steps = 0;
  double stepSeconds = 0.0; ///< sum over steps
  uint64_t queueDepth = 0;  ///< waiting for a slot
  uint64_t running = 0;     ///< holding a slot
  uint64_t slots = 0;
};

enum class SubmitStatus { Ok, InvalidRequest, QueueFull, ShuttingDown };

class Engine {
public:
  /// Takes ownership of `session` (released in the destructor). `tokenizer`
  /// (may be null: no text in events, no stop strings) must outlive the
  /// engine. Starts the step thread.
  Engine(nhc_session_t *session, const text::Tokenizer *tokenizer,
         EngineOptions options);
  ~Engine();
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  /// Queues a request. InvalidRequest (with `error` naming the field and
  /// limit) for an empty prompt, an id outside [0, vocab) (prompt,
  /// stopIds, stopTokenIds, logit biases), maxTokens == 0 without
  /// promptLogprobs, promptLogprobs without logprobs, prompt + maxTokens -
  /// 1 > max_seq_len, minTokens > maxTokens, logprobs past
  /// kMaxTopLogprobs, sampling or adjustment values out of range, stop
  /// strings without a tokenizer; QueueFull when maxQueue requests already
  /// wait;
  /// ShuttingDown after stop(). Nothing is queued on an error. On
  /// InvalidRequest, `param` (if given) is set to the OpenAI request
  /// parameter at fault ("prompt", "max_tokens", "temperature", "top_p",
  /// "stop", "logit_bias", ...; empty for a stopIds id, which comes from
  /// the server).
  SubmitStatus submit(GenerationRequest request,
                      std::shared_ptr<RequestStream> &stream,
                      std::string &error, std::string *param = nullptr);

  /// Queues several requests (a response's choices) together: all, or none
  /// (QueueFull when the free slots and queue places are fewer than the
  /// requests, counted under one lock, so two such batches never take each
  /// other's places). InvalidRequest as submit() for any of them (`failed`,
  /// if given, is its index), or with `param` "n" when they are more than
  /// the slots and the queue hold at all. `streams` gets one per request,
  /// in order.
  SubmitStatus submitAll(std::vector<GenerationRequest> requests,
                         std::vector<std::shared_ptr<RequestStream>> &streams,
                         std::string &error, std::string *param = nullptr,
                         size_t *failed = nullptr);

  /// submit()'s checks of one request, queueing nothing: InvalidRequest
  /// (with `error` and `param` as submit() sets them) or Ok. For answers
  /// that need no engine (an echo of the prompt alone).
  SubmitStatus validate(const GenerationRequest &request, std::string &error,
                        std::string *param = nullptr) const;

  /// Finishes the running requests as cancelled and joins the thread.
  void stop();

  EngineMetrics metrics() const;
  uint64_t vocabSize() const { return vocab_; }
  uint64_t maxSeqLen() const { return maxSeqLen_; }
  /// The step token budget in effect: EngineOptions' raised to at least
  /// one token per slot plus kPromptChunkSlack.
  uint64_t stepTokenBudget() const { return options_.stepTokenBudget; }

private:
  struct Active;
  struct PromptShare;
  void loop();
  void runStep(std::vector<std::unique_ptr<Active>> &active);
  /// The prompt logprobs of this step's chunks (NHC_LOGITS_ALL rows from
  /// rowOf[i]): from `logits`, or where it is empty from the session's
  /// `entries` (entriesPerRow a row); a NaN row sets nanAt[i].
  void promptLogprobsOfStep(const std::vector<Active *> &members,
                            const std::vector<nhc_request_t> &batch,
                            const std::vector<size_t> &rowOf,
                            const std::vector<float> &logits,
                            const std::vector<nhc_token_logprob_t> &entries,
                            size_t entriesPerRow,
                            std::vector<int64_t> &nanAt);
  void admit(std::vector<std::unique_ptr<Active>> &active);
  /// Moves `follower` into a fork of `leader`'s slot (its prompt done);
  /// false (and it prefills itself, or failed when no slot is left) if the
  /// fork fails.
  bool forkInto(Active &follower, const Active &leader);
  /// `a`'s token from `row` (adjusted in place): its processor, sampler and
  /// logprobs; nanAt the row's first NaN (then no token), error a
  /// sampling failure. Touches only `a`: runs on several threads at once.
  void pick(Active &a, float *row, int32_t &token,
            std::optional<PickLogprobs> &logprobs, int64_t &nanAt,
            std::string &error) const;
  /// Sends a picked token (or, maxTokens 0, the prompt's logprobs; or the
  /// pick's error) and finishes `a` when it ends.
  void deliverPick(Active &a, int32_t token,
                   std::optional<PickLogprobs> logprobs,
                   const std::string &error);
  void finish(Active &request, FinishReason reason, std::string error = {});
  void emitToken(Active &request, int32_t token,
                 std::optional<PickLogprobs> logprobs);

  nhc_session_t *session_;
  const text::Tokenizer *tokenizer_;
  EngineOptions options_;
  uint64_t vocab_ = 0, maxSeqLen_ = 0;
  uint32_t slots_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Active>> waiting_;
  bool stopping_ = false;
  EngineMetrics metrics_;
  std::thread thread_;
};

} // namespace nhc::serving

#endif // NHC_SERVING_ENGINE_H
