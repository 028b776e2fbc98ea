//===- options.h - nhc-run command line ----------------------*- C++ -*-===//
#ifndef NHC_RUN_OPTIONS_H
#define NHC_RUN_OPTIONS_H

#include <cstdint>
#include <string>
#include <vector>

#include "nhc/runtime/session.h"

namespace nhc::run {

struct Options {
  std::string model;   // MODEL.nhc
  std::string weights; // --weights: checkpoint file, directory or index
  std::vector<int32_t> promptIds{1}; // --prompt-ids; default: <s> (id 1)
  bool promptIdsGiven = false;
  uint64_t maxNewTokens = 16;
  float temperature = 0.0f; // 0 = greedy
  uint64_t topK = 0;        // 0 = whole vocabulary
  float topP = 1.0f;        // 1 = no nucleus truncation
  float minP = 0.0f;        // 0 = no min-p truncation
  float repetitionPenalty = 1.0f; // 1 = none (> 0)
  float frequencyPenalty = 0.0f;  // [-2, 2]
  float presencePenalty = 0.0f;   // [-2, 2]
  uint64_t seed = 0;
  // Text mode (--prompt / --chat): tokenizer, template, streamed text.
  std::string prompt;             // --prompt TEXT
  std::string chat;               // --chat TEXT: one user turn (may be empty)
  bool chatGiven = false;         // --chat was given
  std::string system;             // --system TEXT (with --chat)
  std::string chatTemplateKwargs; // --chat-template-kwargs JSON
  std::string tokenizer;          // --tokenizer: default the checkpoint dir
  std::vector<std::string> stop;  // --stop STR (repeatable)
  bool textMode() const { return !prompt.empty() || chatGiven; }
  std::string dumpLogits;       // per generated token
  std::string dumpPromptLogits; // every prompt position (head_all)
  std::string dumpHiddenStates; // the prompt's hidden states (taps)
  uint64_t maxSeqLen = 0;       // 0 = prompt + max_new_tokens
  uint64_t prefillChunk = 0;    // --prefill-chunk: 0 = whole prompt at once
  bool verbose = false;         // --verbose: binding notes
  std::string backend;          // --backend: empty = the runtime's default
  nhc_gemm_precision_t gemmPrecision = NHC_GEMM_PRECISION_F32;
  std::string saveState;        // --save-state: the slot's state after prefill
  std::string loadState;        // --load-state: continue a saved request
  bool help = false;
};

/// Parses argv; on a usage error returns false with `error` set.
bool parseOptions(int argc, char **argv, Options &options,
                  std::string &error);

/// The --help text.
const char *usageText();

} // namespace nhc::run

#endif // NHC_RUN_OPTIONS_H
