//===- generation_config.cpp - A checkpoint's generation defaults ---------===//

#include "nhc/serving/generation_config.h"

#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "nhc/runtime/json_scan.h"

namespace nhc::serving {
namespace {

constexpr uint64_t kMaxConfigBytes = 16u << 20;

bool isRegularFile(const std::string &path, uint64_t &size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return false;
  size = static_cast<uint64_t>(st.st_size);
  return true;
}

int32_t readId(const nlohmann::json &value, const std::string &where) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
      value.get<int64_t>() > INT32_MAX)
    throw ServingError(where + ": expected a token id (an integer in [0, "
                       "2^31)), got " + value.dump());
  return static_cast<int32_t>(value.get<int64_t>());
}

} // namespace

GenerationDefaults readGenerationDefaults(const std::string &dir) {
  GenerationDefaults defaults;
  uint64_t size = 0;
  std::string path = dir + "/generation_config.json";
  bool generationConfig = isRegularFile(path, size);
  if (!generationConfig) {
    path = dir + "/config.json";
    if (!isRegularFile(path, size))
      return defaults;
  }
  if (size > kMaxConfigBytes)
    throw ServingError("'" + path + "' is " + std::to_string(size) +
                       " bytes; refusing more than 16 MiB");
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in && !in.eof())
    throw ServingError("cannot read '" + path + "'");
  const std::string content = text.str();
  if (scanJsonText(content.data(), content.size(), [](const auto &) {}) !=
      std::string::npos)
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
  defaults.source = path;
  auto eos = json.find("eos_token_id");
  if (eos != json.end() && !eos->is_null()) {
    std::string where = "'" + path + "' key 'eos_token_id'";
    if (eos->is_array()) {
      for (size_t i = 0; i < eos->size(); ++i)
        defaults.eosIds.push_back(
            readId((*eos)[i], where + "[" + std::to_string(i) + "]"));
    } else {
      defaults.eosIds.push_back(readId(*eos, where));
    }
  }
  if (!generationConfig)
    return defaults;
  auto number = [&](const char *key) -> std::optional<double> {
    auto it = json.find(key);
    if (it == json.end() || it->is_null())
      return std::nullopt;
    if (!it->is_number())
      throw ServingError("'" + path + "' key '" + key +
                         "': expected a number, got " + it->dump());
    return it->get<double>();
  };
  auto doSample = json.find("do_sample");
  if (doSample != json.end() && !doSample->is_boolean() && !doSample->is_null())
    throw ServingError("'" + path + "' key 'do_sample': expected true or "
                       "false, got " + doSample->dump());
  if (doSample != json.end() && doSample->is_boolean() && doSample->get<bool>()) {
    if (auto t = number("temperature"))
      defaults.temperature = static_cast<float>(*t);
    if (auto p = number("top_p"))
      defaults.topP = static_cast<float>(*p);
    if (auto k = number("top_k"); k && *k >= 0)
      defaults.topK = static_cast<uint64_t>(*k);
  }
  return defaults;
}

} // namespace nhc::serving
