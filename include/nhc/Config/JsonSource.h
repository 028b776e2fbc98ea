//===- JsonSource.h - JSON files with source positions ----------*- C++ -*-===//
//
// Reads a JSON file as Python's json module writes it (with the non-standard
// Infinity, -Infinity and NaN tokens) and remembers where each object key and
// its value start, so diagnostics can point at `file:line:col`.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_CONFIG_JSONSOURCE_H
#define NHC_CONFIG_JSONSOURCE_H

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlir::nhc {

struct SourcePosition {
  int line = 0; // 1-based; 0 means unknown
  int column = 0;
};

struct JsonSource {
  std::string path;
  std::string text;
  nlohmann::json root;
  /// Keys of nested objects are joined with '.', e.g. "quantization_config.quant_algo".
  std::map<std::string, SourcePosition> keyPositions;
  std::map<std::string, SourcePosition> valuePositions;

  SourcePosition keyPosition(const std::string &key) const;
  SourcePosition valuePosition(const std::string &key) const;
  /// Where byte `index` of the string value at `key` (as decoded) is
  /// written, escapes counted as written; the value's position when the
  /// string cannot be followed.
  SourcePosition stringBytePosition(const std::string &key, size_t index) const;
  /// Where each element of the array value at `key` starts (empty when the
  /// array's position is unknown).
  std::vector<SourcePosition> elementPositions(const std::string &key) const;
  /// Formats "path:line:col: " (or "path: " when the position is unknown).
  std::string where(SourcePosition position) const;
};

/// Loads and parses `path`. On failure returns false and sets `error` to a
/// complete diagnostic naming the file (and the position of a syntax error).
bool loadJsonSource(const std::string &path, JsonSource &source,
                    std::string &error);

/// Parses `text` as if read from `path` (used by tests).
bool parseJsonSource(const std::string &path, std::string text,
                     JsonSource &source, std::string &error);

} // namespace mlir::nhc

#endif // NHC_CONFIG_JSONSOURCE_H
