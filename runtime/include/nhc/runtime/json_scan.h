//===- nhc/runtime/json_scan.h - Linear pre-checks of JSON text -*- C++ -*-===//
//
// Untrusted JSON (config.json, hf_quant_config.json, safetensors headers,
// shard indexes, manifests) is scanned once, in linear time and constant
// stack, before nlohmann builds a tree: nesting deeper than kMaxJsonDepth is
// refused (a deep tree costs stack in every recursive walk and super-linear
// time), and numbers beyond double range are located (nlohmann throws on
// them; Python reads them as +-infinity). Header-only: the compiler's config
// reader and the runtime share it.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_JSON_SCAN_H
#define NHC_RUNTIME_JSON_SCAN_H

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace nhc {

/// Deepest nesting of objects/arrays accepted in any JSON file nhc reads.
/// Real files use at most 4 levels (manifest plans); 64 leaves room.
constexpr int kMaxJsonDepth = 64;

/// A number token whose magnitude exceeds the double range.
struct JsonNumberOverflow {
  size_t offset = 0; // first byte of the token
  size_t length = 0;
  bool negative = false;
};

namespace json_scan_detail {
inline bool isNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
         c == 'e' || c == 'E';
}
} // namespace json_scan_detail

/// Walks `text` outside strings. Returns the byte offset of the first '{' or
/// '[' that opens level kMaxJsonDepth + 1, or std::string::npos. Calls
/// `onOverflow(JsonNumberOverflow)` for each number beyond double range.
template <typename OnOverflow>
size_t scanJsonText(const char *text, size_t size, OnOverflow onOverflow) {
  int depth = 0;
  for (size_t i = 0; i < size; ++i) {
    char c = text[i];
    if (c == '"') {
      for (++i; i < size && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      continue;
    }
    if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth)
        return i;
      continue;
    }
    if (c == '}' || c == ']') {
      --depth;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = i;
      while (i + 1 < size && json_scan_detail::isNumberChar(text[i + 1]))
        ++i;
      size_t length = i - start + 1;
      // Only a token with an exponent or 309+ digits can overflow a double.
      bool mayOverflow = length > 308;
      for (size_t j = start; j <= i && !mayOverflow; ++j)
        mayOverflow = text[j] == 'e' || text[j] == 'E';
      if (!mayOverflow)
        continue;
      std::string token(text + start, length);
      char *end = nullptr;
      errno = 0;
      double value = std::strtod(token.c_str(), &end);
      bool overflow = errno == ERANGE && (value > 1.0 || value < -1.0);
      if (overflow && end == token.c_str() + token.size())
        onOverflow(JsonNumberOverflow{start, length, text[start] == '-'});
    }
  }
  return std::string::npos;
}

/// How withNonFiniteNumbersReplaced spells a non-finite number.
enum class NonFiniteJson {
  Null,    // every one as null
  Nearest, // +-infinity as the largest finite double of its sign (so that a
           // range check on a value nhc uses refuses it by name), NaN as
           // kNaNMarker, an object no number, string, bool or token reader
           // takes (so that a value nhc uses is refused by name, where null
           // would read as absent and a string as text)
};

/// What NonFiniteJson::Nearest makes of NaN.
inline constexpr const char *kNaNMarker = "{\"not a number\": \"NaN\"}";

/// `text` with every non-finite number outside strings — the bare tokens
/// Infinity, -Infinity and NaN that Python's json module writes and reads,
/// and numbers beyond double range (Python: +-infinity) — replaced as `as`
/// says, so that a strict JSON parser reads the rest as Python does: for
/// files nhc reads as Hugging Face writes them (config.json,
/// generation_config.json, tokenizer files). Sets `tooDeep` to the scan's
/// result (scanJsonText).
inline std::string withNonFiniteNumbersReplaced(const std::string &text,
                                                NonFiniteJson as,
                                                size_t &tooDeep) {
  std::vector<JsonNumberOverflow> overflows;
  tooDeep = scanJsonText(text.data(), text.size(),
                         [&](const JsonNumberOverflow &n) { overflows.push_back(n); });
  const bool nearest = as == NonFiniteJson::Nearest;
  std::string plain;
  plain.reserve(text.size());
  size_t nextOverflow = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') { // a string, escapes included, copied as it is
      size_t end = i + 1;
      while (end < text.size() && text[end] != '"')
        end += text[end] == '\\' ? 2 : 1;
      plain.append(text, i, end - i + 1);
      i = end;
      continue;
    }
    size_t replaced = 0;
    const char *spelling = "null";
    if (nextOverflow < overflows.size() && overflows[nextOverflow].offset == i) {
      const JsonNumberOverflow &n = overflows[nextOverflow++];
      replaced = n.length;
      if (nearest)
        spelling = n.negative ? "-1.7976931348623157e308" : "1.7976931348623157e308";
    }
    for (const char *word : {"-Infinity", "Infinity", "NaN"})
      if (!replaced && text.compare(i, std::strlen(word), word) == 0) {
        replaced = std::strlen(word);
        if (nearest)
          spelling = word[0] == 'N'   ? kNaNMarker
                     : word[0] == '-' ? "-1.7976931348623157e308"
                                      : "1.7976931348623157e308";
      }
    if (replaced) {
      plain += spelling;
      i += replaced - 1;
    } else {
      plain += text[i];
    }
  }
  return plain;
}

/// 1-based line and column of byte `offset` in `text`.
inline void jsonLineColumn(const char *text, size_t size, size_t offset,
                           int &line, int &column) {
  line = 1;
  column = 1;
  for (size_t i = 0; i < offset && i < size; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

} // namespace nhc

#endif // NHC_RUNTIME_JSON_SCAN_H
