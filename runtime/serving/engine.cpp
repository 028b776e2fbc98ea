//===- engine.cpp - Continuous batching over a session --------------------===//

#include "nhc/serving/engine.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <optional>
#include <system_error>
#include <thread>

#include "nhc/serving/parallel_for.h"
#include "nhc/serving/text_stream.h"

namespace nhc::serving {

using Clock = std::chrono::steady_clock;

const char *finishReasonName(FinishReason reason) {
  switch (reason) {
  case FinishReason::None:
    return "none";
  case FinishReason::Stop:
    return "stop";
  case FinishReason::Length:
    return "length";
  case FinishReason::Cancelled:
    return "cancelled";
  case FinishReason::Error:
    return "error";
  }
  return "unknown";
}

//===----------------------------------------------------------------------===//
// RequestStream
//===----------------------------------------------------------------------===//

bool RequestStream::next(GenerationEvent &out,
                         std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!ready_.wait_for(lock, timeout, [&] { return !events_.empty(); }))
    return false;
  out = std::move(events_.front());
  events_.pop_front();
  while (!events_.empty() && !out.done) {
    mergeEvent(out, std::move(events_.front()));
    events_.pop_front();
  }
  return true;
}

void mergeEvent(GenerationEvent &into, GenerationEvent &&more) {
  auto append = [](auto &to, auto &from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()),
              std::make_move_iterator(from.end()));
  };
  append(into.tokens, more.tokens);
  append(into.logprobs, more.logprobs);
  append(into.promptLogprobs, more.promptLogprobs);
  into.text += more.text;
  into.done = more.done;
  into.finish = more.finish;
  into.error = std::move(more.error);
  into.promptTokens = more.promptTokens;
  into.completionTokens = more.completionTokens;
}

void RequestStream::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
}

bool RequestStream::cancelled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

void RequestStream::push(GenerationEvent event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(event));
  }
  ready_.notify_all();
}

//===----------------------------------------------------------------------===//
// Engine
//===----------------------------------------------------------------------===//

namespace {
std::vector<int32_t> concat(std::vector<int32_t> a,
                            const std::vector<int32_t> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// For each request, the index of the first one with the same prompt (and,
/// where prompt logprobs are asked for, the same logprobs: a follower takes
/// the first one's): itself when none comes before it.
std::vector<size_t>
sharedPromptLeaders(const std::vector<GenerationRequest> &requests) {
  std::vector<size_t> leaders(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    leaders[i] = i;
    const GenerationRequest &r = requests[i];
    for (size_t j = 0; j < i; ++j) {
      const GenerationRequest &l = requests[j];
      if (leaders[j] == j && l.prompt == r.prompt &&
          l.promptLogprobs == r.promptLogprobs &&
          (!r.promptLogprobs || l.logprobs == r.logprobs)) {
        leaders[i] = j;
        break;
      }
    }
  }
  return leaders;
}
} // namespace

/// Requests queued together (one submitAll) with the same prompt share its
/// prefill: the first prefills it; the others, once admitted, wait while it
/// does (`open`), then fork its state (nhc_session_fork_request) and pick
/// their first tokens from its last row. Closed when the first's prompt is
/// done or it ends: later ones prefill the prompt themselves.
struct Engine::PromptShare {
  bool open = true;
};

struct Engine::Active {
  GenerationRequest request;
  std::shared_ptr<PromptShare> share; ///< null when the prompt is its own
  bool leads = false;                 ///< prefills the shared prompt
  std::shared_ptr<RequestStream> stream;
  Sampler sampler;
  LogitsProcessor processor;
  std::vector<int32_t> allStopIds; ///< stopIds and stopTokenIds
  TextStream text;
  uint32_t slot = 0;
  bool hasSlot = false;
  bool finished = false;
  uint64_t prefilled = 0;  ///< prompt tokens already stepped
  uint64_t stepTokens = 0; ///< prompt tokens in the current step
  uint64_t generated = 0;
  int32_t nextToken = 0; ///< decoding: the token the next step feeds
  /// promptLogprobs: entry q for prompt token q + 1, filled chunk by chunk,
  /// sent with the first token (or the end, maxTokens 0).
  std::vector<PickLogprobs> promptEntries;
  /// Logprobs with adjustments: the model's row, kept aside while the
  /// adjustments change the step's copy (reused: a vocabulary row is
  /// 0.5 MiB at Nemotron-H's, allocated once, not per token).
  std::vector<float> rawRow;

  Active(GenerationRequest r, std::shared_ptr<RequestStream> s,
         const text::Tokenizer *tokenizer)
      : request(std::move(r)), stream(std::move(s)),
        sampler(request.sampling),
        processor(request.adjustments, request.prompt),
        allStopIds(concat(request.stopIds, request.stopTokenIds)),
        text(tokenizer, allStopIds, request.stop, request.skipSpecialTokens,
             request.includeStop) {}
  bool decoding() const { return prefilled == request.prompt.size(); }
  /// Whether it waits for the request it shares its prompt with.
  bool waitsForShare() const {
    return share && !leads && share->open && prefilled == 0;
  }
  /// Whether this step's logits give it a token (asked before the step):
  /// a decode step, or the prompt chunk holding the prompt's last token.
  bool picksThisStep() const {
    return decoding() || prefilled + stepTokens == request.prompt.size();
  }
  /// The stop ids banned now (min_tokens not reached), else none.
  bool banningStops() const {
    return generated < request.minTokens && !allStopIds.empty();
  }
  /// Whether this step's chunk needs the logits of each of its tokens.
  bool needsEveryRow() const {
    return request.promptLogprobs && !decoding();
  }
  /// Whether its pick is from its row edited (biases, penalties, banned
  /// stops): the session's pick with its logit edits.
  bool editsRow() const { return processor.active() || banningStops(); }
  /// The ids its pick bans now (min_tokens' stop ids), or none.
  const std::vector<int32_t> &bannedNow() const {
    static const std::vector<int32_t> none;
    return banningStops() ? allStopIds : none;
  }
  /// Its pick row's logit edits (`row`: its index in the step).
  void appendEdits(uint32_t row, size_t vocab,
                   std::vector<nhc_logit_edit_t> &out) const {
    processor.edits(row, vocab, bannedNow(), out);
  }
};

Engine::Engine(nhc_session_t *session, const text::Tokenizer *tokenizer,
               EngineOptions options)
    : session_(session), tokenizer_(tokenizer), options_(options) {
  nhc_session_info_t info{};
  nhc_session_get_info(session_, &info);
  vocab_ = info.vocab_size;
  maxSeqLen_ = info.max_seq_len;
  slots_ = info.max_slots;
  // One token per slot and the slack of a prompt chunk: decodes (at most
  // slots - 1 while any prompt is prefilling) never starve the prefills.
  options_.stepTokenBudget = std::max<uint64_t>(options_.stepTokenBudget,
                                                slots_ + kPromptChunkSlack);
  metrics_.slots = slots_;
  thread_ = std::thread([this] { loop(); });
}

Engine::~Engine() {
  stop();
  nhc_session_release(session_);
}

SubmitStatus Engine::validate(const GenerationRequest &request,
                              std::string &error, std::string *param) const {
  // An InvalidRequest names the OpenAI parameter it is about.
  auto refuse = [&](const char *name, std::string message) {
    error = std::move(message);
    if (param)
      *param = name;
    return SubmitStatus::InvalidRequest;
  };
  const uint64_t promptLen = request.prompt.size();
  if (promptLen == 0)
    return refuse("prompt",
                  "the prompt is empty (it must have at least one token)");
  for (size_t i = 0; i < promptLen; ++i)
    if (request.prompt[i] < 0 || uint64_t(request.prompt[i]) >= vocab_)
      return refuse("prompt", "prompt token " + std::to_string(i) + " (id " +
                                  std::to_string(request.prompt[i]) +
                                  ") is outside the vocabulary [0, " +
                                  std::to_string(vocab_) + ")");
  if (promptLen > maxSeqLen_)
    return refuse("prompt", "the prompt has " + std::to_string(promptLen) +
                                " tokens; this server's max_seq_len is " +
                                std::to_string(maxSeqLen_) + " tokens");
  if (request.promptLogprobs && request.logprobs < 0)
    return refuse("logprobs", "prompt logprobs need logprobs >= 0");
  if (request.maxTokens == 0 && !request.promptLogprobs)
    return refuse("max_tokens", "max_tokens must be at least 1");
  // The last generated token is never fed back, so it takes no position.
  if (request.maxTokens > 0 && request.maxTokens - 1 > maxSeqLen_ - promptLen)
    return refuse("max_tokens",
                  "the prompt (" + std::to_string(promptLen) +
                      " tokens) + max_tokens (" +
                      std::to_string(request.maxTokens) +
                      ") - 1 exceeds this server's max_seq_len of " +
                      std::to_string(maxSeqLen_) + " tokens; at most " +
                      std::to_string(maxSeqLen_ - promptLen + 1) +
                      " tokens can follow this prompt");
  if (request.minTokens > request.maxTokens)
    return refuse("min_tokens", "min_tokens (" +
                                    std::to_string(request.minTokens) +
                                    ") must be at most max_tokens (" +
                                    std::to_string(request.maxTokens) + ")");
  if (request.logprobs < -1 || request.logprobs > kMaxTopLogprobs)
    return refuse("logprobs", "logprobs must be in [0, " +
                                  std::to_string(kMaxTopLogprobs) + "]");
  const SamplingParams &s = request.sampling;
  if (!(s.temperature >= 0.0f) || !std::isfinite(s.temperature))
    return refuse("temperature", "temperature must be a finite number >= 0");
  if (!(s.topP > 0.0f && s.topP <= 1.0f))
    return refuse("top_p", "top_p must be in (0, 1]");
  if (!(s.minP >= 0.0f && s.minP <= 1.0f))
    return refuse("min_p", "min_p must be in [0, 1]");
  const LogitAdjustments &adjust = request.adjustments;
  if (!isRepetitionPenalty(adjust.repetitionPenalty))
    return refuse("repetition_penalty",
                  "repetition_penalty must be a positive number in "
                  "float32's normal range");
  if (!(std::fabs(adjust.frequencyPenalty) <= 2.0f))
    return refuse("frequency_penalty", "frequency_penalty must be in [-2, 2]");
  if (!(std::fabs(adjust.presencePenalty) <= 2.0f))
    return refuse("presence_penalty", "presence_penalty must be in [-2, 2]");
  auto outside = [&](int32_t id) {
    return id < 0 || uint64_t(id) >= vocab_;
  };
  auto vocabulary = [&] { return " [0, " + std::to_string(vocab_) + ")"; };
  for (const auto &[id, bias] : adjust.logitBias) {
    if (outside(id))
      return refuse("logit_bias", "logit_bias token id " + std::to_string(id) +
                                      " is outside the vocabulary" +
                                      vocabulary());
    if (!(std::fabs(bias) <= 100.0f))
      return refuse("logit_bias", "logit_bias of token id " +
                                      std::to_string(id) +
                                      " must be in [-100, 100]");
  }
  for (int32_t id : request.stopIds)
    if (outside(id))
      return refuse("", // the server's eos ids: no request parameter
                    "stop token id " + std::to_string(id) +
                        " is outside the vocabulary" + vocabulary());
  for (int32_t id : request.stopTokenIds)
    if (outside(id))
      return refuse("stop_token_ids", "stop_token_ids holds id " +
                                          std::to_string(id) +
                                          ", outside the vocabulary" +
                                          vocabulary());
  if (!request.stop.empty() && !tokenizer_)
    return refuse("stop",
                  "stop strings need a tokenizer; this engine has none");
  return SubmitStatus::Ok;
}

SubmitStatus Engine::submit(GenerationRequest request,
                            std::shared_ptr<RequestStream> &stream,
                            std::string &error, std::string *param) {
  std::vector<GenerationRequest> one;
  one.push_back(std::move(request));
  std::vector<std::shared_ptr<RequestStream>> streams;
  SubmitStatus status = submitAll(std::move(one), streams, error, param);
  if (status == SubmitStatus::Ok)
    stream = std::move(streams.front());
  return status;
}

SubmitStatus Engine::submitAll(std::vector<GenerationRequest> requests,
                               std::vector<std::shared_ptr<RequestStream>> &streams,
                               std::string &error, std::string *param,
                               size_t *failed) {
  for (size_t i = 0; i < requests.size(); ++i) {
    SubmitStatus status = validate(requests[i], error, param);
    if (status != SubmitStatus::Ok) {
      if (failed)
        *failed = i;
      return status;
    }
  }
  const uint64_t count = requests.size();
  // More than the engine ever holds at once can never be served: not a
  // "retry later".
  if (count > slots_ + options_.maxQueue) {
    error = std::to_string(count) + " requests at once are more than this "
            "server holds (" + std::to_string(slots_) + " slots and a queue "
            "of " + std::to_string(options_.maxQueue) + ")";
    if (param)
      *param = "n";
    if (failed)
      *failed = 0;
    return SubmitStatus::InvalidRequest;
  }
  const std::vector<size_t> leaders = sharedPromptLeaders(requests);
  std::vector<std::shared_ptr<RequestStream>> created;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      error = "the server is shutting down";
      return SubmitStatus::ShuttingDown;
    }
    // Requests wait only when no slot is free: free slots take requests
    // beyond the queue's capacity. All of them are queued, or none.
    uint64_t freeSlots = slots_ - std::min<uint64_t>(metrics_.running, slots_);
    if (waiting_.size() + count > options_.maxQueue + freeSlots) {
      // Of those waiting, `freeSlots` are about to take the free slots.
      const uint64_t queued =
          waiting_.size() - std::min<uint64_t>(waiting_.size(), freeSlots);
      error = count == 1
                  ? "all " + std::to_string(slots_) + " slots are busy and " +
                        std::to_string(queued) +
                        " requests wait for one (the queue holds " +
                        std::to_string(options_.maxQueue) + "); retry later"
                  : std::to_string(count) + " requests need as many places; " +
                        std::to_string(freeSlots) + " of " +
                        std::to_string(slots_) + " slots are free and " +
                        std::to_string(queued) + " of the queue's " +
                        std::to_string(options_.maxQueue) +
                        " places are taken; retry later";
      return SubmitStatus::QueueFull;
    }
    const size_t first = waiting_.size();
    for (size_t i = 0; i < requests.size(); ++i) {
      created.push_back(std::make_shared<RequestStream>());
      waiting_.push_back(std::make_unique<Active>(std::move(requests[i]),
                                                  created.back(), tokenizer_));
      Active &a = *waiting_.back();
      if (leaders[i] != i) {
        Active &leader = *waiting_[first + leaders[i]];
        if (!leader.share) {
          leader.share = std::make_shared<PromptShare>();
          leader.leads = true;
        }
        a.share = leader.share;
      }
    }
    metrics_.queueDepth = waiting_.size();
  }
  wake_.notify_one();
  streams = std::move(created);
  return SubmitStatus::Ok;
}

void Engine::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

EngineMetrics Engine::metrics() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return metrics_;
}

void Engine::finish(Active &request, FinishReason reason, std::string error) {
  if (request.finished)
    return;
  request.finished = true;
  if (request.leads)
    request.share->open = false; // its followers prefill themselves
  bool hadSlot = request.hasSlot;
  if (request.hasSlot) {
    nhc_session_release_slot(session_, request.slot);
    request.hasSlot = false;
  }
  GenerationEvent event;
  event.done = true;
  event.finish = reason;
  event.error = std::move(error);
  event.promptTokens = request.request.prompt.size();
  event.completionTokens = request.generated;
  {
    // Counted before the final event is published, so a client that has seen
    // its request end also sees it in the metrics.
    std::lock_guard<std::mutex> lock(mutex_);
    ++metrics_.requestsFinished[static_cast<int>(reason)];
    if (hadSlot)
      --metrics_.running; // free for submit() at once, not after the step
  }
  request.stream->push(std::move(event));
}

void Engine::emitToken(Active &a, int32_t token,
                       std::optional<PickLogprobs> logprobs) {
  ++a.generated;
  a.processor.accept(token);
  GenerationEvent event;
  event.tokens.push_back(token);
  if (logprobs)
    event.logprobs.push_back(std::move(*logprobs));
  if (a.generated == 1)
    event.promptLogprobs = std::move(a.promptEntries);
  event.promptTokens = a.request.prompt.size();
  event.completionTokens = a.generated;
  // vLLM's min_tokens: no stop string lies in the first tokens' text.
  TextStream::Piece piece =
      a.text.push(token, /*matchStops=*/a.generated > a.request.minTokens);
  event.text = std::move(piece.text);
  FinishReason reason = FinishReason::None;
  if (piece.ended) {
    reason = FinishReason::Stop;
  } else if (a.generated >= a.request.maxTokens) {
    reason = FinishReason::Length;
    event.text += a.text.finish();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++metrics_.generatedTokens;
  }
  a.nextToken = token;
  // The finishing event carries the last token and text.
  a.stream->push(std::move(event));
  if (reason != FinishReason::None)
    finish(a, reason);
}

void Engine::admit(std::vector<std::unique_ptr<Active>> &active) {
  std::vector<std::unique_ptr<Active>> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Requests whose clients left while they waited never take a slot.
    for (auto it = waiting_.begin(); it != waiting_.end();)
      if ((*it)->stream->cancelled()) {
        dropped.push_back(std::move(*it));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    while (!waiting_.empty() && active.size() < slots_) {
      uint32_t slot = 0;
      if (nhc_session_claim(session_, &slot) != NHC_OK)
        break;
      waiting_.front()->slot = slot;
      waiting_.front()->hasSlot = true;
      ++metrics_.running;
      active.push_back(std::move(waiting_.front()));
      waiting_.pop_front();
    }
    metrics_.queueDepth = waiting_.size();
  }
  for (auto &request : dropped)
    finish(*request, FinishReason::Cancelled);
}

uint64_t promptChunkTokens(uint64_t remaining, uint64_t prefilled,
                           uint64_t budget) {
  for (uint64_t n = std::min(remaining, budget); n > 0; --n)
    if ((n >= 2 || prefilled == 0) && remaining - n != 1)
      return n;
  return 0;
}

void Engine::promptLogprobsOfStep(
    const std::vector<Active *> &members,
    const std::vector<nhc_request_t> &batch, const std::vector<size_t> &rowOf,
    const std::vector<float> &logits,
    const std::vector<nhc_token_logprob_t> &entries, size_t entriesPerRow,
    std::vector<int64_t> &nanAt) {
  // Position q's row (q in this chunk, q + 1 in the prompt) is the
  // distribution of prompt token q + 1: entry q. Jobs run on several
  // threads; a row holding NaN fails its request as a pick's would.
  struct Job {
    size_t member;
    uint64_t position;
  };
  std::vector<Job> jobs;
  for (size_t i = 0; i < members.size(); ++i) {
    Active &a = *members[i];
    if (!a.needsEveryRow())
      continue;
    const uint64_t promptLen = a.request.prompt.size();
    a.promptEntries.resize(promptLen - 1);
    for (uint64_t q = a.prefilled; q < a.prefilled + batch[i].num_tokens &&
                                   q + 1 < promptLen;
         ++q)
      jobs.push_back({i, q});
  }
  std::vector<int64_t> jobNan(jobs.size(), -1);
  forEachInParallel(jobs.size(), [&](size_t j) {
    Active &a = *members[jobs[j].member];
    const uint64_t q = jobs[j].position;
    const size_t rowIndex = rowOf[jobs[j].member] + (q - a.prefilled);
    if (logits.empty()) { // the session's entries (at least 1 alternative)
      const nhc_token_logprob_t *e = entries.data() + rowIndex * entriesPerRow;
      if (std::isnan(e[0].logprob))
        jobNan[j] = firstNanOfGreedyId(e[1].id);
      else
        a.promptEntries[q] =
            pickLogprobsOfEntries(e, size_t(a.request.logprobs));
      return;
    }
    const float *row = logits.data() + rowIndex * vocab_;
    jobNan[j] = firstNan(row, vocab_);
    if (jobNan[j] < 0)
      a.promptEntries[q] = pickLogprobs(row, vocab_, a.request.prompt[q + 1],
                                        size_t(a.request.logprobs));
  });
  for (size_t j = 0; j < jobs.size(); ++j)
    if (jobNan[j] >= 0 && nanAt[jobs[j].member] < 0)
      nanAt[jobs[j].member] = jobNan[j];
}

void Engine::runStep(std::vector<std::unique_ptr<Active>> &active) {
  std::vector<nhc_request_t> batch;
  std::vector<Active *> members;
  uint64_t budget = options_.stepTokenBudget;
  // Decodes first: one token each, so running requests never stall.
  for (auto &a : active)
    if (a->decoding()) {
      batch.push_back({a->slot, &a->nextToken, 1});
      members.push_back(a.get());
      budget = budget ? budget - 1 : 0;
    }
  // Then chunks of prompts, oldest first, while the budget lasts; fewer
  // while a prompt's logprobs are prefilled (every token's logits held):
  // with the decodes' rows, promptLogprobsStepTokens rows (never so few
  // that a prompt chunk waits). A prompt another request prefills for it
  // waits.
  if (std::any_of(active.begin(), active.end(),
                  [](const auto &a) { return a->needsEveryRow(); })) {
    const uint64_t cap = promptLogprobsStepTokens(vocab_);
    const uint64_t least = batch.size() + kPromptChunkSlack + 1;
    budget = std::min(budget, std::max(cap, least) - batch.size());
  }
  for (auto &a : active) {
    if (a->decoding() || a->waitsForShare() || budget == 0)
      continue;
    uint64_t n = promptChunkTokens(a->request.prompt.size() - a->prefilled,
                                   a->prefilled, budget);
    if (n == 0)
      continue;
    a->stepTokens = n;
    batch.push_back({a->slot, a->request.prompt.data() + a->prefilled, n});
    members.push_back(a.get());
    budget -= n;
  }
  if (batch.empty())
    return;
  // The prompts this step finishes that others share (`hands`), and the
  // requests waiting for each: they take its state and its last row after
  // the step; ones admitted later prefill it themselves.
  std::vector<char> hands(members.size(), 0);
  std::vector<std::vector<Active *>> followers(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    Active &a = *members[i];
    hands[i] = a.leads && a.share->open && !a.decoding() && a.picksThisStep();
    if (hands[i])
      for (auto &f : active)
        if (f->share == a.share && f->waitsForShare())
          followers[i].push_back(f.get());
  }
  // A prompt's logprobs need every token's logits (NHC_LOGITS_ALL, in flat
  // token order); rowOf[i] is then member i's first row, its pick's row its
  // last.
  const bool allRows =
      std::any_of(members.begin(), members.end(),
                  [](const Active *a) { return a->needsEveryRow(); });
  std::vector<size_t> rowOf(members.size());
  size_t rows = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    rowOf[i] = allRows ? rows : i;
    rows += allRows ? batch[i].num_tokens : 1;
  }
  auto pickRow = [&](size_t i) {
    return allRows ? rowOf[i] + batch[i].num_tokens - 1 : i;
  };
  // The session picks the tokens, greedy or by each sampler's rule and
  // draw (nhc_step_options_t.sampling), from rows with each request's
  // biases, penalties and banned stops applied (logit_edits), with the
  // logprobs asked for (nhc_step_options_t.logprobs); on the cuda backend
  // only ids and logprobs leave the device. A prompt chunk that is not its
  // last picks nothing. A step with a prompt's logprobs (every row) takes
  // them from the session too (logprob_ids: each row's next prompt token,
  // NHC_LOGPROB_ID_PICKED at a pick's row). The requests forking a prompt
  // this step pick from copies of its row unless they and it are greedy
  // and unedited (their first token is then its id, their logprobs its
  // row's).
  auto plain = [](const Active *a) {
    return a->sampler.greedy() && !a->editsRow();
  };
  // A request that picks nothing (max_tokens 0) takes the greedy rule: its
  // session pick is its row's argmax too.
  auto argmaxPick = [&](const Active *a) {
    return plain(a) || a->request.maxTokens == 0;
  };
  // A choice forking a prompt takes the prompt's pick where both are the
  // row's argmax; else it picks from a copy of the prompt's row, the one
  // row the step copies out for it (nhc_session_last_logits_row).
  auto takesLeadersPick = [&](const Active *f, const Active *leader) {
    return argmaxPick(f) && argmaxPick(leader);
  };
  std::vector<char> needsRow(members.size(), 0);
  for (size_t i = 0; i < members.size(); ++i)
    for (const Active *f : followers[i])
      needsRow[i] |=
          f->request.maxTokens > 0 && !takesLeadersPick(f, members[i]);
  const bool sessionPicks = !options_.picksFromRows;
  std::vector<float> logits(sessionPicks ? 0 : rows * vocab_);
  std::vector<int32_t> ids(sessionPicks ? batch.size() : 0);
  // The session's logprobs: as many alternatives a row as the most any
  // request of the step (or one forking it) asks for; with every row, at
  // least 1 (a prompt row's NaN index: promptLogprobsOfStep).
  int64_t topLogprobs = allRows ? 1 : -1;
  for (size_t i = 0; sessionPicks && i < members.size(); ++i) {
    if (!members[i]->picksThisStep() && !members[i]->needsEveryRow())
      continue;
    topLogprobs = std::max(topLogprobs, members[i]->request.logprobs);
    for (const Active *f : followers[i])
      topLogprobs = std::max(topLogprobs, f->request.logprobs);
  }
  const size_t entriesPerRow = size_t(1 + std::max<int64_t>(topLogprobs, 0));
  std::vector<nhc_token_logprob_t> entries(
      sessionPicks && topLogprobs >= 0 ? rows * entriesPerRow : 0);
  // A prompt's rows: the logprobs of its next token; a pick's row: its
  // pick's (-1: a row nobody reads).
  std::vector<int32_t> rowIds(sessionPicks && allRows ? rows : 0, -1);
  for (size_t i = 0; i < members.size() && !rowIds.empty(); ++i) {
    const Active &a = *members[i];
    if (a.picksThisStep())
      rowIds[pickRow(i)] = NHC_LOGPROB_ID_PICKED;
    if (!a.needsEveryRow())
      continue;
    for (uint64_t k = 0; k < batch[i].num_tokens; ++k)
      if (a.prefilled + k + 1 < a.request.prompt.size())
        rowIds[rowOf[i] + k] = a.request.prompt[a.prefilled + k + 1];
  }
  // The rules, where any request samples: its draw taken now, as sample()
  // would take it after the step.
  std::vector<nhc_sampling_t> rules;
  if (sessionPicks &&
      std::any_of(members.begin(), members.end(), [](const Active *a) {
        return a->picksThisStep() && a->request.maxTokens > 0 &&
               !a->sampler.greedy();
      })) {
    rules.resize(members.size()); // zero: greedy
    for (size_t i = 0; i < members.size(); ++i)
      if (members[i]->picksThisStep() && members[i]->request.maxTokens > 0)
        rules[i] = members[i]->sampler.nextRule();
  }
  // The edits of the rows that pick (request i's edits are of its row).
  std::vector<nhc_logit_edit_t> edits;
  for (size_t i = 0; sessionPicks && i < members.size(); ++i)
    if (members[i]->picksThisStep() && members[i]->request.maxTokens > 0 &&
        members[i]->editsRow())
      members[i]->appendEdits(uint32_t(i), vocab_, edits);
  nhc_step_options_t stepOptions{};
  stepOptions.logits_mode = allRows ? NHC_LOGITS_ALL : NHC_LOGITS_LAST;
  stepOptions.logit_edits = edits.empty() ? nullptr : edits.data();
  stepOptions.num_logit_edits = edits.size();
  stepOptions.greedy_ids = sessionPicks ? ids.data() : nullptr;
  stepOptions.num_greedy_ids = stepOptions.greedy_ids ? ids.size() : 0;
  stepOptions.sampling = rules.empty() ? nullptr : rules.data();
  stepOptions.num_sampling = rules.size();
  stepOptions.logprobs = entries.empty() ? nullptr : entries.data();
  stepOptions.num_logprobs = entries.size();
  stepOptions.top_logprobs = uint32_t(entriesPerRow - 1);
  stepOptions.logprob_ids = rowIds.empty() ? nullptr : rowIds.data();
  stepOptions.num_logprob_ids = rowIds.size();
  Clock::time_point start = Clock::now();
  nhc_status_t status =
      nhc_session_step_ex(session_, batch.data(), batch.size(), &stepOptions,
                          sessionPicks ? nullptr : logits.data(), logits.size());
  double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  if (status != NHC_OK) {
    // A bad batch changes nothing (the step validates first); a step that
    // failed later lost its requests' state (their slots are refused until
    // released). Either way these requests fail and free their slots.
    std::string message = std::string("step failed: ") + nhc_last_error();
    for (Active *a : members)
      finish(*a, FinishReason::Error, message);
    return;
  }
  // A prompt finished this step hands its state and row over (before it
  // may finish and free its slot); one whose row holds NaN does not (they
  // would fail alike; they prefill it themselves and fail on their own),
  // nor one whose row the session cannot give (they prefill it too).
  struct Fork {
    Active *request;
    size_t leader; ///< its member index
    int32_t token = 0;
    std::optional<PickLogprobs> logprobs;
    int64_t nanAt = -1;
    std::string error;
  };
  std::vector<Fork> forks;
  std::vector<std::vector<float>> leaderRows(members.size()); // raw, kept
  uint64_t rowsCopied = sessionPicks ? 0 : rows;
  for (size_t i = 0; i < members.size(); ++i) {
    if (!hands[i])
      continue;
    Active &leader = *members[i];
    leader.share->open = false;
    if (followers[i].empty())
      continue;
    const bool finite =
        sessionPicks ? firstNanOfGreedyId(ids[i]) < 0
                  : firstNan(logits.data() + pickRow(i) * vocab_, vocab_) < 0;
    if (!finite)
      continue;
    if (!sessionPicks) {
      const float *row = logits.data() + pickRow(i) * vocab_;
      leaderRows[i].assign(row, row + vocab_);
    } else if (needsRow[i]) {
      leaderRows[i].resize(vocab_);
      if (nhc_session_last_logits_row(session_, pickRow(i),
                                      leaderRows[i].data(),
                                      leaderRows[i].size()) != NHC_OK)
        continue;
      ++rowsCopied;
    }
    for (Active *f : followers[i])
      if (forkInto(*f, leader)) {
        forks.emplace_back();
        forks.back().request = f;
        forks.back().leader = i;
      }
  }
  // Each picking row's token (a prompt chunk that is not its last picks
  // none): the session's pick, or its own sampler's pick from the row,
  // rows on several threads when many sample; then the tokens go out in
  // order.
  std::vector<char> picks(members.size(), 0);
  std::vector<int64_t> nanAt(members.size(), -1);
  std::vector<int32_t> token(members.size(), 0);
  std::vector<size_t> fromLogits;
  std::vector<std::optional<PickLogprobs>> logprobs(members.size());
  // A request's logprobs from the session's entries of member i's pick
  // row (none for a row holding NaN: the request fails).
  auto sessionLogprobs = [&](const Active &a,
                             size_t i) -> std::optional<PickLogprobs> {
    if (a.request.logprobs < 0 || firstNanOfGreedyId(ids[i]) >= 0)
      return std::nullopt;
    return pickLogprobsOfEntries(entries.data() + pickRow(i) * entriesPerRow,
                                 size_t(a.request.logprobs));
  };
  for (size_t i = 0; i < members.size(); ++i) {
    picks[i] = members[i]->picksThisStep();
    if (!picks[i] || members[i]->request.maxTokens == 0)
      continue; // nothing to pick (maxTokens 0: the prompt's logprobs only)
    if (sessionPicks) {
      nanAt[i] = firstNanOfGreedyId(ids[i]);
      token[i] = ids[i];
      logprobs[i] = sessionLogprobs(*members[i], i);
    } else {
      fromLogits.push_back(i);
    }
  }
  std::vector<std::string> sampleError(members.size());
  promptLogprobsOfStep(members, batch, rowOf, logits, entries, entriesPerRow,
                       nanAt);
  for (Fork &f : forks) {
    // Complete now; a prompt row holding NaN fails them as it fails it.
    f.request->promptEntries = members[f.leader]->promptEntries;
    if (f.request->request.promptLogprobs)
      f.nanAt = nanAt[f.leader];
  }
  forEachInParallel(fromLogits.size(), [&](size_t j) {
    const size_t i = fromLogits[j];
    if (nanAt[i] >= 0) // a prompt logprobs row: the request fails
      return;
    pick(*members[i], logits.data() + pickRow(i) * vocab_, token[i],
         logprobs[i], nanAt[i], sampleError[i]);
  });
  // The forked requests' first tokens: the leader's greedy id, or picks
  // from copies of its row.
  forEachInParallel(forks.size(), [&](size_t k) {
    Fork &f = forks[k];
    if (f.request->request.maxTokens == 0 || f.nanAt >= 0)
      return;
    if (sessionPicks && takesLeadersPick(f.request, members[f.leader])) {
      f.token = ids[f.leader];
      f.logprobs = sessionLogprobs(*f.request, f.leader);
      return;
    }
    std::vector<float> row = leaderRows[f.leader];
    pick(*f.request, row.data(), f.token, f.logprobs, f.nanAt, f.error);
  });
  uint64_t prompted = 0, shared = 0;
  for (const Fork &f : forks)
    shared += f.request->request.prompt.size();
  for (size_t i = 0; i < members.size(); ++i) {
    Active &a = *members[i];
    if (!a.decoding()) {
      a.prefilled += a.stepTokens;
      prompted += a.stepTokens;
    }
    if (nanAt[i] >= 0) { // the pick's row, or a prompt logprobs row
      finish(a, FinishReason::Error, nanLogitsMessage(nanAt[i]));
      continue;
    }
    if (!picks[i])
      continue; // more prompt to go: these logits are not needed
    deliverPick(a, token[i], std::move(logprobs[i]), sampleError[i]);
  }
  for (Fork &f : forks) {
    if (f.nanAt >= 0)
      finish(*f.request, FinishReason::Error, nanLogitsMessage(f.nanAt));
    else
      deliverPick(*f.request, f.token, std::move(f.logprobs), f.error);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ++metrics_.steps;
  metrics_.stepSeconds += seconds;
  metrics_.promptTokens += prompted;
  metrics_.promptTokensShared += shared;
  metrics_.logitsRowsCopied += rowsCopied;
}

bool Engine::forkInto(Active &follower, const Active &leader) {
  // Its own slot goes back and the fork claims a free one (that one); if
  // the fork fails it claims one again and prefills the prompt itself.
  nhc_session_release_slot(session_, follower.slot);
  uint32_t slot = 0;
  if (nhc_session_fork_request(session_, leader.slot, &slot) == NHC_OK) {
    follower.slot = slot;
    follower.prefilled = follower.request.prompt.size();
    return true;
  }
  const std::string why = nhc_last_error();
  if (nhc_session_claim(session_, &follower.slot) != NHC_OK) {
    follower.hasSlot = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --metrics_.running;
    }
    finish(follower, FinishReason::Error,
           "sharing the prompt's state failed: " + why);
  }
  return false;
}

void Engine::pick(Active &a, float *row, int32_t &token,
                  std::optional<PickLogprobs> &logprobs, int64_t &nanAt,
                  std::string &error) const {
  try {
    nanAt = firstNan(row, vocab_);
    if (nanAt >= 0)
      return;
    // Logprobs are the model's (before the adjustments): the raw row,
    // kept aside when the adjustments change it in place.
    const bool adjusts = a.editsRow();
    const bool keepRaw = a.request.logprobs >= 0 && adjusts;
    if (keepRaw)
      a.rawRow.assign(row, row + vocab_);
    if (adjusts)
      a.processor.apply(row, vocab_, a.bannedNow());
    token = a.sampler.sample(row, vocab_);
    if (a.request.logprobs >= 0)
      logprobs = pickLogprobs(keepRaw ? a.rawRow.data() : row, vocab_, token,
                              size_t(a.request.logprobs));
  } catch (const std::exception &e) {
    error = std::string("sampling: ") + e.what();
  } catch (...) {
    error = "sampling failed";
  }
}

void Engine::deliverPick(Active &a, int32_t token,
                         std::optional<PickLogprobs> logprobs,
                         const std::string &error) {
  if (a.request.maxTokens == 0) {
    GenerationEvent event;
    event.promptLogprobs = std::move(a.promptEntries);
    event.promptTokens = a.request.prompt.size();
    a.stream->push(std::move(event));
    finish(a, FinishReason::Length);
    return;
  }
  if (!error.empty()) {
    finish(a, FinishReason::Error, error);
    return;
  }
  try {
    emitToken(a, token, std::move(logprobs));
  } catch (const std::exception &e) {
    // One request's text failing must not stop the others.
    finish(a, FinishReason::Error, std::string("detokenizing: ") + e.what());
  }
}

void Engine::loop() {
  std::vector<std::unique_ptr<Active>> active;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] {
        return stopping_ || !waiting_.empty() || !active.empty();
      });
      if (stopping_)
        break;
    }
    admit(active);
    for (auto &a : active)
      if (a->stream->cancelled())
        finish(*a, FinishReason::Cancelled);
    auto removeFinished = [&] {
      active.erase(std::remove_if(active.begin(), active.end(),
                                  [](const auto &a) { return a->finished; }),
                   active.end());
    };
    removeFinished();
    if (!active.empty())
      runStep(active);
    removeFinished();
  }
  for (auto &a : active)
    finish(*a, FinishReason::Cancelled, "the server is shutting down");
  std::deque<std::unique_ptr<Active>> waiting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    waiting.swap(waiting_);
  }
  for (auto &a : waiting)
    finish(*a, FinishReason::Cancelled, "the server is shutting down");
}

} // namespace nhc::serving
