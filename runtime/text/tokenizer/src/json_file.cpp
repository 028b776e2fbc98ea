#include "json_file.h"

#include "nhc/runtime/json_scan.h"
#include "nhc/text/text_error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

namespace nhc::text::detail {
std::string readTextFile(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw TextError(path + ": cannot read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    throw TextError(path + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxJsonBytes)
    throw TextError(path + ": file is " + std::to_string(st.st_size) +
                    " bytes, more than the 256 MiB limit");
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) throw TextError(path + ": cannot open: " + std::strerror(errno));
  std::string data;
  data.resize(static_cast<size_t>(st.st_size));
  size_t got = data.empty() ? 0 : std::fread(&data[0], 1, data.size(), f);
  // The file may grow under us; never read past the limit.
  char extra;
  bool more = std::fread(&extra, 1, 1, f) == 1;
  std::fclose(f);
  if (got != data.size() || more)
    throw TextError(path + ": file changed while it was read");
  return data;
}

nlohmann::json readJsonFile(const std::string &path) {
  // Deep nesting is refused before nlohmann builds (and recursively frees)
  // a tree (the runtime's shared pre-check); Infinity and numbers past
  // double range, which Python's json reads, read as the largest finite
  // double (a value nhc uses is then refused by its range), NaN as an
  // object no reader of a used key takes (kNaNMarker).
  size_t tooDeep = std::string::npos;
  const std::string text = nhc::withNonFiniteNumbersReplaced(
      readTextFile(path), nhc::NonFiniteJson::Nearest, tooDeep);
  if (tooDeep != std::string::npos)
    throw TextError(path + ": JSON nested more than " +
                    std::to_string(nhc::kMaxJsonDepth) +
                    " levels deep (byte " + std::to_string(tooDeep) + ")");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception &e) {
    throw TextError(path + ": invalid JSON: " + e.what());
  }
}

std::string typeName(const nlohmann::json &j) { return j.type_name(); }

void JsonAt::fail(const std::string &k, const std::string &msg) const {
  throw TextError(key(k) + ": " + msg);
}

std::string JsonAt::key(const std::string &k) const {
  if (k.empty()) return where;
  // where is "<file>: a.b" or "<file>" (top level).
  if (where.find(": ") == std::string::npos) return where + ": " + k;
  return where + "." + k;
}

bool JsonAt::has(const std::string &k) const {
  auto it = j.find(k);
  return it != j.end() && !it->is_null();
}

const nlohmann::json &JsonAt::req(const std::string &k) const {
  auto it = j.find(k);
  if (it == j.end()) fail(k, "missing");
  return *it;
}

std::string JsonAt::str(const std::string &k) const {
  const auto &v = req(k);
  if (!v.is_string()) fail(k, "expected a string, got " + typeName(v));
  return v.get<std::string>();
}

std::optional<std::string> JsonAt::optStr(const std::string &k) const {
  if (!has(k)) return std::nullopt;
  return str(k);
}

bool JsonAt::boolean(const std::string &k, bool dflt) const {
  auto v = optBool(k);
  return v ? *v : dflt;
}

std::optional<bool> JsonAt::optBool(const std::string &k) const {
  if (!has(k)) return std::nullopt;
  const auto &v = j.at(k);
  if (!v.is_boolean()) fail(k, "expected true/false, got " + typeName(v));
  return v.get<bool>();
}

int64_t JsonAt::integer(const std::string &k) const {
  const auto &v = req(k);
  if (!v.is_number_integer()) fail(k, "expected an integer, got " + typeName(v));
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) fail(k, "integer out of range");
    return static_cast<int64_t>(u);
  }
  return v.get<int64_t>();
}

} // namespace nhc::text::detail
