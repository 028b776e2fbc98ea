//===- nhc/serving/generation_config.h - A checkpoint's generation defaults -*- C++ -*-===//
//
// What a checkpoint directory says about generating: the end-of-sequence ids
// (generation_config.json `eos_token_id`, an id or a list, as transformers'
// GenerationConfig reads it; else config.json's; else the tokenizer's EOS)
// and its sampling defaults.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVING_GENERATION_CONFIG_H
#define NHC_SERVING_GENERATION_CONFIG_H

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace nhc::serving {

/// A bad request or input file; the message names the file, key or field.
class ServingError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct GenerationDefaults {
  std::vector<int32_t> eosIds; ///< generation stops after any of these
  std::optional<float> temperature; ///< only when do_sample is true
  std::optional<float> topP;
  std::optional<uint64_t> topK;
  std::optional<float> minP;               ///< only when do_sample is true
  std::optional<float> repetitionPenalty;  ///< whether or not it samples
  std::string eosSource; ///< where eosIds came from ("" when nowhere)
};

/// Reads `dir`/generation_config.json and `dir`/config.json (either may be
/// missing); `tokenizerEos` is the last fallback for the EOS ids. Throws
/// ServingError naming the file and key for malformed JSON, ids that are
/// not integers in [0, 2^31), sampling defaults out of range (temperature
/// not finite or < 0, top_p outside (0, 1], top_k outside [0, 2^31), min_p
/// outside [0, 1], repetition_penalty not isRepetitionPenalty), or a file over
/// 16 MiB.
GenerationDefaults readGenerationDefaults(
    const std::string &dir, std::optional<int32_t> tokenizerEos = std::nullopt);

/// The directory holding a checkpoint given as a directory, a .safetensors
/// file or an index file (where config.json, tokenizer.json and
/// generation_config.json live).
std::string checkpointDirectory(const std::string &weightsPath);

} // namespace nhc::serving

#endif // NHC_SERVING_GENERATION_CONFIG_H
