//===- nhc/serving/generation_config.h - A checkpoint's generation defaults -*- C++ -*-===//
//
// What a checkpoint directory says about generating: the end-of-sequence ids
// (generation_config.json `eos_token_id`, an id or a list, as transformers'
// GenerationConfig reads it; config.json's `eos_token_id` when there is no
// generation_config.json) and its sampling defaults.
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
  std::string source; ///< the file read ("" when none was found)
};

/// Reads `dir`/generation_config.json, else `dir`/config.json; a directory
/// with neither gives empty defaults. Throws ServingError naming the file
/// and key for malformed JSON, ids that are not integers in [0, 2^31), or a
/// file over 16 MiB.
GenerationDefaults readGenerationDefaults(const std::string &dir);

} // namespace nhc::serving

#endif // NHC_SERVING_GENERATION_CONFIG_H
