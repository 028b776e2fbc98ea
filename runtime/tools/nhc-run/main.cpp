//===- main.cpp - nhc-run: run a compiled model on token ids --------------===//
//
// Loads an artifact and a checkpoint, prefills the prompt in one step, then
// decodes one token per step (greedy, or temperature + top-k + top-p
// sampling). Token ids in and out, or text (--prompt/--chat) through the
// checkpoint's tokenizer and chat template.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <memory>
#include <new>
#include <set>
#include <stdexcept>

#include "../common/output_check.h"
#include "../common/session_notes.h"
#include "../common/trained_length.h"
#include "../common/weight_notes.h"
#include "logits_dump.h"
#include "nhc/runtime/api.h"
#include "nhc/runtime/limits.h"
#include "options.h"
#include "output_file.h"
#include "nhc/serving/engine.h"
#include "nhc/serving/logits_processor.h"
#include "nhc/serving/sampler.h"
#include "text_mode.h"

namespace {

using Clock = std::chrono::steady_clock;

/// Prompts longer than this get a progress line while they prefill.
constexpr size_t kProgressThreshold = 256;

int fail(const std::string &message) {
  std::fprintf(stderr, "nhc-run: %s\n", message.c_str());
  return 1;
}

int failStatus() { return fail(nhc_last_error()); }

double seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Progress {
  size_t tokens = 0;
  int lastPercent = -1;
};

void printProgress(void *user, size_t completed, size_t total) {
  auto *p = static_cast<Progress *>(user);
  int percent = total ? static_cast<int>(completed * 100 / total) : 100;
  if (percent == p->lastPercent)
    return;
  p->lastPercent = percent;
  std::fprintf(stderr, "\rnhc-run: prefill %zu tokens: %3d%%", p->tokens,
               percent);
  if (completed == total)
    std::fputc('\n', stderr);
  std::fflush(stderr);
}

/// The handles, released in reverse order on every path.
struct Handles {
  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
  nhc_session_t *session = nullptr;
  ~Handles() {
    nhc_session_release(session);
    nhc_weights_release(weights);
    nhc_artifact_release(artifact);
  }
};

/// Every file the run reads or may read: the artifact, a saved state, the
/// weights path, each file holding a checkpoint tensor (shards) and the
/// checkpoint's other files (index, configs, tokenizer, generation
/// defaults: whether or not text mode reads them), and a --tokenizer's.
std::set<std::string> inputFiles(const nhc::run::Options &options,
                                 const nhc_weights_t *weights) {
  std::set<std::string> files = {options.model, options.loadState};
  nhc::tools::addCheckpointFiles(options.weights, files);
  nhc::tools::addTokenizerFiles(options.tokenizer, files);
  nhc::tools::addTensorFiles(weights, files);
  return files;
}

/// Refuses (before anything is opened for writing) an output that would
/// replace an input or another output; a dump's ".json" sidecar counts.
bool checkOutputs(const nhc::run::Options &options,
                  const nhc_weights_t *weights, std::string &error) {
  std::vector<nhc::tools::OutputFile> outputs;
  for (const auto &[option, path] :
       {std::pair<const char *, const std::string &>{"--dump-logits",
                                                     options.dumpLogits},
        {"--dump-prompt-logits", options.dumpPromptLogits},
        {"--dump-hidden-states", options.dumpHiddenStates}}) {
    if (path.empty())
      continue;
    outputs.push_back({option, path});
    if (!nhc::run::isStream(path)) // a device or pipe gets no sidecar
      outputs.push_back({std::string(option) + " (its .json sidecar)",
                         path + ".json"});
  }
  outputs.push_back({"--save-state", options.saveState});
  return nhc::tools::checkOutputs(outputs, inputFiles(options, weights), error);
}

std::string rate(uint64_t tokens, double secs) {
  if (tokens == 0 || secs <= 0.0)
    return "n/a";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", tokens / secs);
  return buffer;
}

int run(nhc::run::Options options) {
  // Text mode: the prompt's ids come from the tokenizer (and template).
  std::unique_ptr<nhc::run::TextMode> text;
  if (options.textMode()) {
    try {
      text = std::make_unique<nhc::run::TextMode>(options);
    } catch (const std::exception &e) {
      return fail(std::string("error: ") + e.what());
    }
    options.promptIds = text->promptIds();
  }
  Handles h;
  if (nhc_artifact_load(options.model.c_str(), &h.artifact) != NHC_OK ||
      nhc_weights_open(options.weights.c_str(), &h.weights) != NHC_OK)
    return failStatus();
  std::string outputError;
  if (!checkOutputs(options, h.weights, outputError))
    return fail(outputError);
  nhc_model_info_t model{};
  if (nhc_manifest_model_info(nhc_artifact_manifest(h.artifact), &model) !=
      NHC_OK)
    return failStatus();
  if (text) {
    // A tokenizer that is not this model's can give ids past its
    // vocabulary: say so by the tokenizer, not as a bad request.
    const std::vector<int32_t> &ids = text->promptIds();
    for (size_t i = 0; i < ids.size(); ++i)
      if (ids[i] < 0 || uint64_t(ids[i]) >= model.vocab_size)
        return fail("error: the tokenizer ('" + text->tokenizerSource() +
                    "') gives the prompt token id " + std::to_string(ids[i]) +
                    " at position " + std::to_string(i) +
                    ", outside the model's vocabulary of " +
                    std::to_string(model.vocab_size) +
                    " ids: is it this model's tokenizer?");
  }
  if (nhc::run::bindAndPrintNotes(h.weights, h.artifact, "nhc-run",
                                  options.verbose) != NHC_OK)
    return failStatus();
  const uint64_t promptLen = options.promptIds.size();
  std::vector<uint8_t> savedState;
  uint64_t savedTokens = 0;
  if (!options.loadState.empty()) {
    std::string error;
    if (!nhc::run::readFile(options.loadState, savedState, error,
                            NHC_STATE_BLOB_MAGIC, NHC_STATE_BLOB_MAGIC_SIZE))
      return fail("--load-state: " + error + " (not an nhc state blob)");
    if (nhc_state_blob_seq_len(savedState.data(), savedState.size(),
                               &savedTokens) != NHC_OK)
      return fail("--load-state '" + options.loadState + "': " +
                  nhc_last_error());
    // No session holds more: also keeps the sizes below from wrapping.
    if (savedTokens > nhc::kMaxSequenceLength)
      return fail("--load-state '" + options.loadState + "': holds " +
                  std::to_string(savedTokens) + " tokens, more than any "
                  "session can (nhc::kMaxSequenceLength)");
  }
  // The positions the run may take (the last new token is never fed
  // back), and what asks for them.
  const uint64_t fedBack =
      options.maxNewTokens > 0 ? options.maxNewTokens - 1 : 0;
  const uint64_t needed = savedTokens + promptLen + fedBack;
  const std::string why =
      "the run needs " + std::to_string(needed) + " positions (" +
      (savedTokens ? std::to_string(savedTokens) + " from --load-state, "
                   : std::string()) +
      std::to_string(promptLen) + " prompt tokens and " +
      std::to_string(fedBack) + " from --max-new-tokens " +
      std::to_string(options.maxNewTokens) + ")";
  uint64_t maxSeqLen = options.maxSeqLen;
  if (maxSeqLen == 0) {
    maxSeqLen = needed;
    if (maxSeqLen > model.max_position_embeddings)
      return fail("error: " + why +
                  ", more than the model's max_position_embeddings " +
                  std::to_string(model.max_position_embeddings) +
                  nhc::run::pastTrainedLengthHint());
  } else if (needed > maxSeqLen) {
    // Refused before the run, not by the step that would pass it.
    return fail("error: " + why + ", more than --max-seq-len " +
                std::to_string(maxSeqLen));
  } else {
    nhc::run::warnPastTrainedLength("nhc-run", maxSeqLen,
                                    model.max_position_embeddings);
  }
  nhc_session_options_t sessionOptions{};
  sessionOptions.max_slots = 1;
  sessionOptions.max_seq_len = maxSeqLen;
  sessionOptions.backend = options.backend.c_str();
  sessionOptions.gemm_precision = options.gemmPrecision;
  if (nhc_session_create_ex(h.artifact, h.weights, &sessionOptions,
                            &h.session) != NHC_OK)
    return failStatus();
  nhc_session_info_t info;
  uint32_t slot;
  if (nhc::run::printSessionNotes(h.session, "nhc-run", options.gemmPrecision,
                                  &info) != NHC_OK)
    return failStatus();
  if (!options.loadState.empty()) {
    if (nhc_session_restore_request(h.session, savedState.data(),
                                    savedState.size(), &slot) != NHC_OK)
      return fail("--load-state '" + options.loadState + "': " +
                  nhc_last_error());
  } else if (nhc_session_claim(h.session, &slot) != NHC_OK) {
    return failStatus();
  }
  const uint64_t vocab = info.vocab_size;

  std::string error;
  nhc::run::LogitsDump generatedDump, promptDump;
  if (!options.dumpLogits.empty() &&
      !generatedDump.open(options.dumpLogits, "generated", vocab, error))
    return fail(error);
  if (!options.dumpPromptLogits.empty() &&
      !promptDump.open(options.dumpPromptLogits, "prompt", vocab, error))
    return fail(error);

  // --dump-hidden-states: taps for transformers' output_hidden_states, one
  // [prompt, hidden] block per entry, filled chunk by chunk.
  const uint64_t hidden = info.hidden_size;
  const uint64_t blocks = uint64_t(model.num_layers) + 1;
  nhc::run::LogitsDump hiddenDump;
  std::vector<float> hiddenStates;
  if (!options.dumpHiddenStates.empty()) {
    if (hidden == 0 || promptLen > SIZE_MAX / sizeof(float) / hidden / blocks)
      return fail("error: the hidden states do not fit in memory");
    hiddenStates.resize(blocks * promptLen * hidden);
    if (!hiddenDump.open(options.dumpHiddenStates, "hidden_states", hidden,
                         error))
      return fail(error);
    hiddenDump.describe({blocks, promptLen, hidden},
                        "[num_layers + 1, prompt tokens, hidden_size]: "
                        "embeddings, the residual stream after layers 0 .. "
                        "num_layers - 2, the final norm's output "
                        "(transformers' output_hidden_states)");
  }

  // Prefill: all prompt logits when they are dumped, else the last row.
  Progress progress{promptLen, -1};
  if (promptLen > kProgressThreshold)
    nhc_session_set_progress(h.session, printProgress, &progress);
  bool allRows = promptDump.isOpen();
  uint64_t rows = allRows ? promptLen : 1;
  if (vocab == 0 || rows > SIZE_MAX / sizeof(float) / vocab)
    return fail("error: " + std::to_string(rows) + " rows of logits over a vocabulary of " +
                std::to_string(vocab) + " do not fit in memory");
  std::vector<float> logits(rows * vocab);
  // --prefill-chunk splits the prompt into steps; each continues from the
  // slot's state, so the logits are those of one whole-prompt step. As in
  // nhc-serve, no chunk of one token follows others (transformers'
  // one-token step with history does not clamp dt; docs/config.md): a
  // chunk that would leave one token takes one fewer, or (N = 2 and an odd
  // rest) one more. N = 1 feeds the prompt token by token, as asked.
  uint64_t chunk = options.prefillChunk ? options.prefillChunk : promptLen;
  Clock::time_point start = Clock::now();
  uint64_t count = 0;
  for (uint64_t begin = 0; begin < promptLen; begin += count) {
    const uint64_t rest = promptLen - begin;
    // A loaded state's tokens are history too.
    count = chunk == 1 ? 1
                       : nhc::serving::promptChunkTokens(rest, savedTokens + begin,
                                                         chunk);
    if (count == 0)
      count = std::min(rest, chunk + 1);
    nhc_request_t request{slot, options.promptIds.data() + begin, count};
    float *out = logits.data() + (allRows ? begin * vocab : 0);
    std::vector<nhc_tap_t> taps;
    for (uint64_t b = 0; !hiddenStates.empty() && b < blocks; ++b) {
      nhc_tap_t tap{};
      tap.kind = b == 0             ? NHC_TAP_EMBEDDINGS
                 : b + 1 == blocks ? NHC_TAP_FINAL_NORM
                                   : NHC_TAP_RESIDUAL;
      tap.layer = static_cast<uint32_t>(b ? b - 1 : 0);
      tap.out = hiddenStates.data() + (b * promptLen + begin) * hidden;
      tap.capacity_floats = count * hidden;
      taps.push_back(tap);
    }
    nhc_step_options_t stepOptions{};
    stepOptions.logits_mode = allRows ? NHC_LOGITS_ALL : NHC_LOGITS_LAST;
    stepOptions.taps = taps.data();
    stepOptions.num_taps = taps.size();
    if (nhc_session_step_ex(h.session, &request, 1, &stepOptions, out,
                            (allRows ? count : 1) * vocab) != NHC_OK)
      return failStatus();
  }
  if (hiddenDump.isOpen() &&
      !hiddenDump.appendRows(hiddenStates.data(), blocks * promptLen, error))
    return fail(error);
  double prefillSeconds = seconds(start);
  if (!options.saveState.empty()) {
    size_t size = 0;
    std::vector<uint8_t> blob;
    std::string error;
    if (nhc_session_save_request(h.session, slot, nullptr, 0, &size) != NHC_OK)
      return failStatus();
    blob.resize(size);
    if (nhc_session_save_request(h.session, slot, blob.data(), blob.size(),
                                 &size) != NHC_OK)
      return failStatus();
    if (!nhc::run::writeFileAtomically(options.saveState, blob, error))
      return fail(error);
  }
  nhc_session_set_progress(h.session, nullptr, nullptr);
  if (allRows && !promptDump.appendRows(logits.data(), promptLen, error))
    return fail(error);
  const float *last = logits.data() + (allRows ? promptLen - 1 : 0) * vocab;

  // Decode: sample from the latest logits, feed the token back.
  nhc::serving::SamplingParams sampling;
  sampling.temperature = options.temperature;
  sampling.topK = options.topK;
  sampling.topP = options.topP;
  sampling.minP = options.minP;
  sampling.seed = options.seed;
  nhc::serving::Sampler sampler(sampling);
  nhc::serving::LogitAdjustments adjustments;
  adjustments.repetitionPenalty = options.repetitionPenalty;
  adjustments.frequencyPenalty = options.frequencyPenalty;
  adjustments.presencePenalty = options.presencePenalty;
  // Over the ids this run feeds (a loaded state's earlier tokens are not
  // known here) and the generated ones.
  nhc::serving::LogitsProcessor processor(adjustments, options.promptIds);
  // As transformers warns when do_sample is off: the filters only shape
  // sampling, and greedy decoding (temperature 0) ignores them.
  if (sampler.greedy() && options.temperature <= 0.0f &&
      (options.topK > 0 || options.topP < 1.0f || options.minP > 0.0f))
    std::fprintf(stderr, "nhc-run: warning: --top-k, --top-p and --min-p take "
                         "effect only with --temperature above 0; decoding "
                         "greedily\n");
  std::vector<int32_t> generated;
  // The prompt's dumps (its logits, its hidden states) are complete here:
  // written below with every generated id, or, when decoding fails (a NaN
  // pick: when they are wanted most), on the way out with those so far.
  bool promptDumpsWritten = false;
  auto writePromptDumps = [&](std::string &error) {
    promptDumpsWritten = true;
    return (!hiddenDump.isOpen() ||
            hiddenDump.finish(options.promptIds, generated, error)) &&
           (!promptDump.isOpen() ||
            promptDump.finish(options.promptIds, generated, error));
  };
  struct OnExit {
    std::function<void()> run;
    ~OnExit() { run(); }
  } writeOnFailure{[&] {
    std::string ignored;
    if (!promptDumpsWritten)
      writePromptDumps(ignored);
  }};
  std::vector<float> row(last, last + vocab);
  // Decoding without a logits dump takes each step's token from the
  // session (nhc_step_options_t.greedy_ids, with the sampler's rule and
  // next draw in .sampling and the penalties as .logit_edits: on the cuda
  // backend only the id leaves the device) instead of copying out the row;
  // the sampler's stream gives the same draws in the same order, and the
  // processor's edits are what apply() does to a row, either way.
  const bool sessionPicks = !generatedDump.isOpen();
  int32_t picked = 0;
  nhc_sampling_t rule{};
  std::vector<nhc_logit_edit_t> edits;
  start = Clock::now();
  for (uint64_t i = 0; i < options.maxNewTokens; ++i) {
    if (generatedDump.isOpen() &&
        !generatedDump.appendRows(row.data(), 1, error))
      return fail(error);
    const bool fromRow = i == 0 || !sessionPicks;
    const int64_t nanAt =
        fromRow ? nhc::serving::firstNan(row.data(), vocab)
                : nhc::serving::firstNanOfGreedyId(picked);
    if (nanAt >= 0)
      return fail("error: after " +
                  std::to_string(savedTokens + promptLen + i) + " tokens, " +
                  nhc::serving::nanLogitsMessage(nanAt) +
                  (options.loadState.empty()
                       ? ""
                       : " (or the state loaded from '" + options.loadState +
                             "' holds values no model step produces)"));
    if (fromRow)
      processor.apply(row.data(), vocab); // after the dump: it holds the model's
    int32_t token = fromRow ? sampler.sample(row.data(), vocab) : picked;
    processor.accept(token);
    generated.push_back(token);
    if (text && text->onToken(token))
      break;
    if (i + 1 == options.maxNewTokens)
      break;
    nhc_request_t next{slot, &token, 1};
    nhc_step_options_t stepOptions{};
    stepOptions.logits_mode = NHC_LOGITS_LAST;
    if (sessionPicks) {
      stepOptions.greedy_ids = &picked;
      stepOptions.num_greedy_ids = 1;
      if (!sampler.greedy()) {
        rule = sampler.nextRule();
        stepOptions.sampling = &rule;
        stepOptions.num_sampling = 1;
      }
      edits.clear();
      processor.edits(0, vocab, {}, edits);
      stepOptions.logit_edits = edits.empty() ? nullptr : edits.data();
      stepOptions.num_logit_edits = edits.size();
    }
    if (nhc_session_step_ex(h.session, &next, 1, &stepOptions,
                            sessionPicks ? nullptr : row.data(),
                            sessionPicks ? 0 : row.size()) != NHC_OK)
      return failStatus();
  }
  double decodeSeconds = seconds(start);
  uint64_t decodeSteps = generated.empty() ? 0 : generated.size() - 1;

  if (generatedDump.isOpen() &&
      !generatedDump.finish(options.promptIds, generated, error))
    return fail(error);
  if (!writePromptDumps(error))
    return fail(error);

  if (text) {
    text->finish();
  } else {
    std::string line = "generated:";
    for (int32_t id : generated)
      line += " " + std::to_string(id);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
  std::fprintf(stderr, "prefill: %s tok/s, decode: %s tok/s\n",
               rate(promptLen, prefillSeconds).c_str(),
               rate(decodeSteps, decodeSeconds).c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  nhc::run::Options options;
  std::string error;
  if (!nhc::run::parseOptions(argc, argv, options, error)) {
    std::fprintf(stderr, "nhc-run: %s\n%s", error.c_str(),
                 nhc::run::usageText());
    return 2;
  }
  if (options.help) {
    std::fputs(nhc::run::usageText(), stdout);
    return 0;
  }
  // The C API reports its own errors; this catches what the tool allocates.
  try {
    return run(options);
  } catch (const std::bad_alloc &) {
    return fail("error: out of memory");
  } catch (const std::exception &e) {
    return fail(std::string("internal error: ") + e.what());
  }
}
