// Reading a JSON file with bounds (size, nesting) and typed field access
// whose errors name the file and the key.
#ifndef NHC_TEXT_TOKENIZER_JSON_FILE_H
#define NHC_TEXT_TOKENIZER_JSON_FILE_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace nhc::text::detail {

constexpr uint64_t kMaxJsonBytes = 256ull << 20; // 256 MiB

/// Reads and parses `path`. Throws TextError("<path>: ...") when it cannot be
/// read, is larger than kMaxJsonBytes, nests deeper than nhc::kMaxJsonDepth
/// (nhc/runtime/json_scan.h) or is
/// not valid JSON.
nlohmann::json readJsonFile(const std::string &path);

/// Reads `path` whole (a regular file of at most kMaxJsonBytes). Throws
/// TextError("<path>: ...").
std::string readTextFile(const std::string &path);

/// Field access; `where` is "<file>: <key path>" for the object `j`.
struct JsonAt {
  const nlohmann::json &j;
  std::string where;

  [[noreturn]] void fail(const std::string &key, const std::string &msg) const;
  std::string key(const std::string &k) const;
  bool has(const std::string &k) const; ///< present and not null
  const nlohmann::json &req(const std::string &k) const;
  std::string str(const std::string &k) const;
  std::optional<std::string> optStr(const std::string &k) const;
  bool boolean(const std::string &k, bool dflt) const;
  std::optional<bool> optBool(const std::string &k) const;
  int64_t integer(const std::string &k) const;
};

std::string typeName(const nlohmann::json &j);

} // namespace nhc::text::detail

#endif
