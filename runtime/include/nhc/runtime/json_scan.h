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
#include <string>

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
