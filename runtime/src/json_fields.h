//===- json_fields.h - Typed, validated access to JSON values -*- C++ -*-===//
//
// Shared by the manifest, safetensors header and shard index parsers. Each
// accessor takes `where`, the message prefix naming the file and the JSON
// path (e.g. "artifact '/a.nhc': manifest: weights[3].shape"), and throws
// Error(NHC_INVALID_FORMAT) with it on failure.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_JSON_FIELDS_H
#define NHC_RUNTIME_SRC_JSON_FIELDS_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "error.h"
#include "nhc/runtime/dtype.h"

namespace nhc::runtime {

using Json = nlohmann::json;

/// `value` as JSON text cut to about 60 characters, for error messages.
std::string boundedDump(const Json &value);
/// boundedDump(value) followed by its type, e.g. `"x" (string)`.
std::string previewJson(const Json &value);

/// What parseJson does with a key repeated within one object.
enum class RepeatedKeys {
  Refuse,  // an error: ambiguous where nhc binds by key (safetensors
           // headers, manifests, launch tables)
  LastWins // Python's json.load, as transformers reads a shard index
};

/// Parses `size` bytes of JSON text: nesting is limited to kMaxJsonDepth and
/// numbers beyond double range are errors; every failure names `where`.
Json parseJson(const char *data, size_t size, const std::string &where,
               RepeatedKeys repeated = RepeatedKeys::Refuse);

/// Throws unless `value` is an object.
void requireObject(const Json &value, const std::string &where);

/// obj[key]; throws if `obj` is not an object or lacks `key`.
const Json &requireField(const Json &obj, const char *key,
                         const std::string &where);

/// requireField() of an array: throws "<where>.<key>: not an array".
const Json &requireArrayField(const Json &obj, const char *key,
                              const std::string &where);

uint64_t asUInt(const Json &value, const std::string &where);
std::string asString(const Json &value, const std::string &where);
/// A string that names something (tensor, buffer, kernel, file): no NUL
/// byte, which C callers would read as the end of a shorter, other name.
std::string asName(const Json &value, const std::string &where);
/// The check of asName() on a name read otherwise (an object key).
void requireName(const std::string &name, const std::string &where);

/// Throws "<where>: <value> exceeds the limit <limit> (<limitName>)" unless
/// value <= limit. For sizes and counts bounded by nhc/runtime/limits.h.
void requireAtMost(uint64_t value, uint64_t limit, const char *limitName,
                   const std::string &where);
/// asUInt() followed by requireAtMost().
uint64_t asUIntAtMost(const Json &value, uint64_t limit, const char *limitName,
                      const std::string &where);
/// asUIntAtMost() that also refuses 0 ("must be positive, found 0").
uint64_t asPositiveAtMost(const Json &value, uint64_t limit,
                          const char *limitName, const std::string &where);
nhc_dtype_t asDtype(const Json &value, const std::string &where);
/// An array of non-negative integers of rank <= NHC_MAX_RANK.
std::vector<uint64_t> asShape(const Json &value, const std::string &where);

/// "[17504, 4096]".
std::string shapeToString(const std::vector<uint64_t> &shape);

/// Runs `body` and turns any nlohmann::json exception escaping it (a value
/// of an unexpected type reached without a check) into
/// Error(NHC_INVALID_FORMAT) naming `where`, so that no JSON exception
/// leaves a parser as an internal error without the file's name.
template <typename F>
auto withJsonErrors(const std::string &where, F &&body) -> decltype(body()) {
  try {
    return body();
  } catch (const Json::exception &e) {
    throw Error(NHC_INVALID_FORMAT,
                cat(where, ": unexpected JSON value: ", e.what()));
  }
}

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_JSON_FIELDS_H
