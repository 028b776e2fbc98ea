//===- json_fields.cpp - Typed, validated access to JSON values -----------===//

#include "json_fields.h"

#include <algorithm>
#include <unordered_set>

#include "error.h"
#include "nhc/runtime/escape.h"
#include "nhc/runtime/json_scan.h"

namespace nhc::runtime {

std::string boundedDump(const Json &value) {
  // Linear in the value's size and shallow: parseJson limits nesting. A
  // string's direction marks and other format characters pass dump() as
  // UTF-8: escaped here (docs/security.md), cut at a code point.
  return escapeBounded(value.dump(), kMaxQuotedChars);
}

std::string previewJson(const Json &value) {
  return cat(boundedDump(value), " (", value.type_name(), ")");
}

namespace {

[[noreturn]] void invalid(const std::string &where, const std::string &what) {
  throw Error(NHC_INVALID_FORMAT, cat(where, ": ", what));
}

/// nlohmann's DOM builder, refusing a key repeated within one object unless
/// told to keep the last (RepeatedKeys): nlohmann alone keeps the last one,
/// Rust's safetensors refuses such a header. (A parse
/// callback could see keys too, but nlohmann 3.11's callback parser walks
/// the parent container at every object's end: quadratic in its size.)
class RepeatedKeyCheckingDomParser
    : public nlohmann::detail::json_sax_dom_parser<Json> {
  using Base = nlohmann::detail::json_sax_dom_parser<Json>;

public:
  RepeatedKeyCheckingDomParser(Json &root, const std::string &where,
                               RepeatedKeys repeated)
      : Base(root, /*allow_exceptions_=*/true), where(where),
        refuse(repeated == RepeatedKeys::Refuse) {}

  bool start_object(std::size_t elements) {
    openObjects.emplace_back();
    return Base::start_object(elements);
  }
  bool end_object() {
    openObjects.pop_back();
    return Base::end_object();
  }
  bool key(Json::string_t &name) {
    // nlohmann's builder assigns a repeated key's value over the earlier one.
    if (refuse && !openObjects.back().insert(name).second)
      invalid(where, cat("key ", boundedDump(Json(name)),
                         " appears twice in one object"));
    return Base::key(name);
  }

private:
  const std::string &where;
  const bool refuse;
  std::vector<std::unordered_set<std::string>> openObjects;
};

} // namespace

Json parseJson(const char *data, size_t size, const std::string &where,
               RepeatedKeys repeated) {
  // Checked before any tree exists, so no walk recurses deeper.
  size_t tooDeep = scanJsonText(data, size, [&](const JsonNumberOverflow &n) {
    invalid(where, cat("number '", std::string(data + n.offset,
                                                 std::min<size_t>(n.length, 40)),
                       "' at byte ", n.offset, " is beyond double range"));
  });
  if (tooDeep != std::string::npos)
    invalid(where, cat("JSON nesting deeper than ", kMaxJsonDepth,
                       " levels at byte ", tooDeep));
  Json root;
  RepeatedKeyCheckingDomParser builder(root, where, repeated);
  try {
    Json::sax_parse(data, data + size, &builder);
    return root;
  } catch (const Json::exception &e) {
    invalid(where, cat("not valid JSON: ", e.what()));
  }
}

void requireObject(const Json &value, const std::string &where) {
  if (!value.is_object())
    invalid(where, cat("expected a JSON object, found ", previewJson(value)));
}

const Json &requireField(const Json &obj, const char *key,
                         const std::string &where) {
  requireObject(obj, where);
  auto it = obj.find(key);
  if (it == obj.end())
    invalid(where, cat("missing key '", key, "'"));
  return *it;
}

const Json &requireArrayField(const Json &obj, const char *key,
                              const std::string &where) {
  const Json &value = requireField(obj, key, where);
  NHC_CHECK(value.is_array(), NHC_INVALID_FORMAT,
            cat(where, ".", key, ": not an array"));
  return value;
}

uint64_t asUInt(const Json &value, const std::string &where) {
  if (value.is_number_unsigned())
    return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0)
    return static_cast<uint64_t>(value.get<int64_t>());
  invalid(where,
          cat("expected a non-negative integer, found ", previewJson(value)));
}

std::string asString(const Json &value, const std::string &where) {
  if (!value.is_string())
    invalid(where, cat("expected a string, found ", previewJson(value)));
  return value.get<std::string>();
}

void requireName(const std::string &name, const std::string &where) {
  size_t nul = name.find('\0');
  if (nul != std::string::npos) // the JSON spelling shows the NUL as \u0000
    invalid(where, cat("name ", boundedDump(Json(name)),
                       " contains a NUL byte at position ", nul));
}

std::string asName(const Json &value, const std::string &where) {
  std::string name = asString(value, where);
  requireName(name, where);
  return name;
}

void requireAtMost(uint64_t value, uint64_t limit, const char *limitName,
                   const std::string &where) {
  if (value > limit)
    invalid(where, cat(value, " exceeds the limit ", limit, " (", limitName,
                       ")"));
}

uint64_t asUIntAtMost(const Json &value, uint64_t limit, const char *limitName,
                      const std::string &where) {
  uint64_t v = asUInt(value, where);
  requireAtMost(v, limit, limitName, where);
  return v;
}

uint64_t asPositiveAtMost(const Json &value, uint64_t limit,
                          const char *limitName, const std::string &where) {
  uint64_t v = asUIntAtMost(value, limit, limitName, where);
  if (v == 0)
    invalid(where, "must be positive, found 0");
  return v;
}

nhc_dtype_t asDtype(const Json &value, const std::string &where) {
  std::string name = asString(value, where);
  nhc_dtype_t dtype = nhc_dtype_from_string(name.c_str());
  if (dtype == NHC_DTYPE_INVALID)
    invalid(where, cat("unknown or unsupported dtype '", name,
                       "' (supported: BOOL, U8, I8, F8_E4M3, F8_E5M2, "
                       "F8_E8M0, U16, I16, F16, BF16, U32, I32, F32, U64, "
                       "I64, F64)"));
  return dtype;
}

std::vector<uint64_t> asShape(const Json &value, const std::string &where) {
  if (!value.is_array())
    invalid(where,
            cat("expected an array of dimensions, found ", previewJson(value)));
  if (value.size() > NHC_MAX_RANK)
    invalid(where, cat("rank ", value.size(), " exceeds the supported maximum ",
                       NHC_MAX_RANK));
  std::vector<uint64_t> shape;
  shape.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i)
    shape.push_back(asUInt(value[i], cat(where, "[", i, "]")));
  return shape;
}

std::string shapeToString(const std::vector<uint64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

} // namespace nhc::runtime
