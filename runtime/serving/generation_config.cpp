//===- generation_config.cpp - A checkpoint's generation defaults ---------===//

#include "nhc/serving/generation_config.h"
#include "nhc/serving/logits_processor.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "nhc/runtime/escape.h"
#include "nhc/runtime/json_scan.h"

namespace nhc::serving {
namespace {

constexpr uint64_t kMaxConfigBytes = 16u << 20;

/// False when nothing is at `path`; its size when a regular file is; an
/// error for anything else of that name (a directory or FIFO is not a
/// missing file: passing over it would silently change the defaults, and
/// reading a FIFO would wait for a writer).
bool regularFileSize(const std::string &path, uint64_t &size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return false;
  if (!S_ISREG(st.st_mode))
    throw ServingError("'" + path + "' is not a regular file");
  size = static_cast<uint64_t>(st.st_size);
  return true;
}

/// `value` as the file spelled it, for a message: readJsonObject reads NaN
/// as kNaNMarker and +-Infinity (or a number past double range) as the
/// largest finite double; text escaped and cut (docs/security.md).
std::string shownValue(const nlohmann::json &value) {
  static const nlohmann::json nanMarker = nlohmann::json::parse(kNaNMarker);
  if (value == nanMarker)
    return "NaN";
  if (value.is_number_float() &&
      std::fabs(value.get<double>()) == std::numeric_limits<double>::max())
    return std::string(value.get<double>() < 0 ? "-" : "") +
           "Infinity (or a number past double range)";
  return escapeBounded(value.dump(), kMaxQuotedChars);
}

int32_t readId(const nlohmann::json &value, const std::string &where) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
      value.get<int64_t>() > INT32_MAX)
    throw ServingError(where + ": expected a token id (an integer in [0, "
                       "2^31)), got " + shownValue(value));
  return static_cast<int32_t>(value.get<int64_t>());
}


/// The parsed JSON object of `path`, or null when there is no such file.
nlohmann::json readJsonObject(const std::string &path) {
  uint64_t size = 0;
  if (!regularFileSize(path, size))
    return nullptr;
  if (size > kMaxConfigBytes)
    throw ServingError("'" + path + "' is " + std::to_string(size) +
                       " bytes; refusing more than 16 MiB");
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in && !in.eof())
    throw ServingError("cannot read '" + path + "'");
  // Infinity and numbers past double range (Python's json reads them) read
  // as the largest finite double, which the range checks of the keys nhc
  // uses refuse by name; NaN as an object (kNaNMarker), which their type
  // checks refuse by name (transformers refuses a NaN temperature too).
  size_t tooDeep = std::string::npos;
  const std::string content = withNonFiniteNumbersReplaced(
      text.str(), NonFiniteJson::Nearest, tooDeep);
  if (tooDeep != std::string::npos)
    throw ServingError("'" + path + "': JSON nested more than " +
                       std::to_string(kMaxJsonDepth) + " levels deep");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(content);
  } catch (const nlohmann::json::exception &e) {
    throw ServingError("'" + path + "': malformed JSON: " + e.what());
  }
  if (!json.is_object())
    throw ServingError("'" + path + "': expected a JSON object");
  return json;
}

/// `eos_token_id` of `json` (an id or a list); false when absent or null.
bool readEosIds(const nlohmann::json &json, const std::string &path,
                std::vector<int32_t> &out) {
  auto eos = json.find("eos_token_id");
  if (eos == json.end() || eos->is_null())
    return false;
  std::string where = "'" + path + "' key 'eos_token_id'";
  if (eos->is_array()) {
    for (size_t i = 0; i < eos->size(); ++i)
      out.push_back(readId((*eos)[i], where + "[" + std::to_string(i) + "]"));
  } else {
    out.push_back(readId(*eos, where));
  }
  return true;
}

} // namespace

std::string checkpointDirectory(const std::string &weightsPath) {
  struct stat st;
  if (::stat(weightsPath.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return weightsPath;
  size_t slash = weightsPath.find_last_of('/');
  return slash == std::string::npos ? "." : weightsPath.substr(0, slash);
}

GenerationDefaults readGenerationDefaults(const std::string &dir,
                                          std::optional<int32_t> tokenizerEos) {
  GenerationDefaults defaults;
  const std::string generationPath = dir + "/generation_config.json";
  const std::string configPath = dir + "/config.json";
  nlohmann::json generation = readJsonObject(generationPath);
  if (!generation.is_null() &&
      readEosIds(generation, generationPath, defaults.eosIds)) {
    defaults.eosSource = generationPath;
  } else {
    nlohmann::json config = readJsonObject(configPath);
    if (!config.is_null() && readEosIds(config, configPath, defaults.eosIds))
      defaults.eosSource = configPath;
    else if (tokenizerEos) {
      defaults.eosIds.push_back(*tokenizerEos);
      defaults.eosSource = "the tokenizer's eos_token";
    }
  }
  if (generation.is_null())
    return defaults;
  auto number = [&](const char *key, double lo, double hi,
                    bool loOpen) -> std::optional<double> {
    auto it = generation.find(key);
    if (it == generation.end() || it->is_null())
      return std::nullopt;
    double x = it->is_number() ? it->get<double>() : NAN;
    if (!(loOpen ? x > lo : x >= lo) || !(x <= hi))
      throw ServingError("'" + generationPath + "' key '" + key +
                         "': expected a number in " + (loOpen ? "(" : "[") +
                         nlohmann::json(lo).dump() + ", " +
                         nlohmann::json(hi).dump() + "], got " + shownValue(*it));
    return x;
  };
  auto doSample = generation.find("do_sample");
  if (doSample != generation.end() && !doSample->is_boolean() &&
      !doSample->is_null())
    throw ServingError("'" + generationPath + "' key 'do_sample': expected "
                       "true or false, got " + shownValue(*doSample));
  if (doSample != generation.end() && doSample->is_boolean() &&
      doSample->get<bool>()) {
    if (auto t = number("temperature", 0.0, 1e4, false))
      defaults.temperature = static_cast<float>(*t);
    if (auto p = number("top_p", 0.0, 1.0, true))
      defaults.topP = static_cast<float>(*p);
    if (auto k = number("top_k", 0.0, 2147483647.0, false)) {
      if (*k != std::floor(*k))
        throw ServingError("'" + generationPath + "' key 'top_k': expected "
                           "an integer, got " + shownValue(generation["top_k"]));
      defaults.topK = static_cast<uint64_t>(*k);
    }
    if (auto m = number("min_p", 0.0, 1.0, false))
      defaults.minP = static_cast<float>(*m);
  }
  // transformers applies it whether or not it samples (a logits processor,
  // not a warper), as vLLM takes it from this file.
  if (auto r = number("repetition_penalty", 0.0,
                      double(std::numeric_limits<float>::max()), true);
      r && isRepetitionPenalty(*r))
    defaults.repetitionPenalty = static_cast<float>(*r);
  else if (r)
    throw ServingError("'" + generationPath +
                       "' key 'repetition_penalty': expected a positive "
                       "number in float32's normal range, 1.17549435e-38 to "
                       "3.40282347e+38, got " +
                       shownValue(generation["repetition_penalty"]));
  return defaults;
}

} // namespace nhc::serving
