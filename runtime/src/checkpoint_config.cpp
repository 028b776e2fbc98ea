//===- checkpoint_config.cpp - A checkpoint's config.json vs the artifact's -===//

#include "checkpoint_config.h"

#include <cstring>
#include <exception>
#include <unordered_map>

#include "error.h"
#include "json_fields.h"
#include "mapped_file.h"
#include "nhc/format/layer_pattern.h"
#include "nhc/runtime/escape.h"
#include "nhc/runtime/json_scan.h"
#include "nhc/runtime/limits.h"
#include "text.h"

namespace nhc::runtime {
namespace {

/// `text` read as Python's json module reads it (transformers writes
/// config.json so): the bare tokens Infinity, -Infinity and NaN and numbers
/// beyond double range become null (the compiler records no non-finite
/// value, so they are never compared), and a repeated key keeps its last
/// value. Throws Error naming `where` for text that is no JSON then.
Json parsePythonJson(const std::string &text, const std::string &where) {
  size_t tooDeep = std::string::npos;
  const std::string plain = withNonFiniteNumbersReplaced(text, NonFiniteJson::Null, tooDeep);
  if (tooDeep != std::string::npos)
    throw Error(NHC_INVALID_FORMAT, cat(where, ": JSON nesting deeper than ",
                                        kMaxJsonDepth, " levels"));
  Json parsed = Json::parse(plain, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded())
    throw Error(NHC_INVALID_FORMAT, cat(where, ": not valid JSON"));
  return parsed;
}

/// The value at a dotted key path, or nullptr where absent (a JSON null is
/// returned as itself). A pointer into `root`: no copy per key.
const Json *valueAt(const Json &root, const std::string &path) {
  const Json *node = &root;
  size_t from = 0;
  while (true) {
    size_t dot = path.find('.', from);
    if (!node->is_object())
      return nullptr;
    auto it = node->find(path.substr(from, dot - from));
    if (it == node->end())
      return nullptr;
    node = &*it;
    if (dot == std::string::npos)
      return node;
    from = dot + 1;
  }
}

/// `group`'s '|'-joined aliases, in the order the compiler tries them.
std::vector<std::string> aliasesOf(const std::string &group) {
  std::vector<std::string> aliases;
  for (size_t from = 0;;) {
    size_t bar = group.find('|', from);
    aliases.push_back(group.substr(from, bar - from));
    if (bar == std::string::npos)
      return aliases;
    from = bar + 1;
  }
}

/// Whether any of `group`'s aliases is there, null included.
bool groupPresent(const Json &root, const std::string &group) {
  for (const std::string &alias : aliasesOf(group))
    if (valueAt(root, alias))
      return true;
  return false;
}

/// The value of the first of `group`'s aliases that is there (not null),
/// as the compiler picks it; null when none is.
const Json &valueOfGroup(const Json &root, const std::string &group) {
  static const Json none;
  for (const std::string &alias : aliasesOf(group))
    if (const Json *value = valueAt(root, alias); value && !value->is_null())
      return *value;
  return none;
}

std::string describe(const Json &value) {
  return value.is_null() ? std::string("absent") : boundedDump(value);
}

/// `values` (key paths to values) by key, for lookups in constant time.
using ConfigIndex = std::unordered_map<std::string, const Json *>;
ConfigIndex indexOf(const std::vector<std::pair<std::string, Json>> &values) {
  ConfigIndex index;
  index.reserve(values.size());
  for (const auto &[k, v] : values)
    index.emplace(k, &v);
  return index;
}

/// The value of `key` in `index`, or null.
const Json &entryOf(const ConfigIndex &index, const std::string &key) {
  static const Json none;
  auto it = index.find(key);
  return it == index.end() ? none : *it->second;
}

/// The '|'-joined name the compiler records the layer lists under.
std::string layerListGroup() {
  return cat(format::kLayerTypesKey, "|", format::kLayersBlockTypeKey);
}

bool isLayerGroup(const std::string &group) {
  return group == layerListGroup() || group == format::kLayerPatternKey;
}

/// The layer pattern a list of block types or a pattern string spells
/// ('?' for a block type nhc does not know); null when neither is given.
Json layerPattern(const Json &list, const Json &pattern) {
  if (list.is_array()) {
    std::string chars;
    for (const Json &item : list) {
      char c = item.is_string()
                   ? format::layerPatternChar(item.get<std::string>())
                   : 0;
      chars.push_back(c ? c : '?');
    }
    return chars;
  }
  return pattern.is_string() ? pattern : Json();
}

} // namespace

ConfigComparison
compareCheckpointConfig(const std::string &path,
                        const std::vector<std::pair<std::string, Json>> &read,
                        const std::vector<std::pair<std::string, Json>> &defaults,
                        const std::string &artifact) {
  ConfigComparison result;
  if (read.empty())
    return result;
  if (!pathExists(path))
    return result; // a checkpoint without one: nothing to compare
  Json config;
  try {
    // Something else by that name is said, not passed over as missing.
    NHC_CHECK(isRegularFile(path), NHC_INVALID_ARGUMENT,
              cat("'", escapeControls(path), "' is not a regular file"));
    auto bytes = FileBytes::read(path, "checkpoint config", kMaxConfigFileBytes,
                                 "nhc::kMaxConfigFileBytes");
    config = parsePythonJson(
        std::string(reinterpret_cast<const char *>(bytes->data()), bytes->size()),
        cat("'", path, "'"));
    NHC_CHECK(config.is_object(), NHC_INVALID_FORMAT,
              cat("'", escapeControls(path), "' is not a JSON object"));
  } catch (const std::exception &e) {
    result.notCompared =
        cat("checkpoint config not compared with the artifact's: ", e.what());
    return result;
  }
  size_t count = 0;
  std::string listed;
  // `ownPresent`: the key is in the checkpoint's config, its value null (or
  // a number Python reads as non-finite) when `own` is.
  auto differ = [&](const std::string &keys, const Json &own, bool ownPresent,
                    const Json &compiled) {
    if (count++ < 8)
      listed += cat(count > 1 ? "; " : "", quoteForMessage(keys, '\''), " is ",
                    own.is_null() && ownPresent
                        ? std::string("null (or a number that is not finite)")
                        : describe(own),
                    " there, ", describe(compiled), " in the artifact's");
  };
  const ConfigIndex readIndex = indexOf(read), defaultIndex = indexOf(defaults);
  bool layersRead = false;
  for (const auto &[keys, recorded] : read) {
    if (isLayerGroup(keys)) {
      layersRead = true;
      continue;
    }
    const Json *own = &valueOfGroup(config, keys);
    const Json &fallback = entryOf(defaultIndex, keys);
    // An explicit null may mean something of its own (a null
    // num_key_value_heads is multi-head attention): only a key that is
    // not there at all reads as its default.
    const bool present = !own->is_null() || groupPresent(config, keys);
    if (!present)
      own = &fallback;
    const Json &compiled = recorded.is_null() ? fallback : recorded;
    if (*own != compiled)
      differ(keys, *own, present, compiled);
  }
  // The layers as the one pattern they spell, a list or a string.
  if (layersRead) {
    const Json *pattern = valueAt(config, format::kLayerPatternKey);
    Json own = layerPattern(valueOfGroup(config, layerListGroup()),
                            pattern ? *pattern : Json());
    Json compiled = layerPattern(entryOf(readIndex, layerListGroup()),
                                 entryOf(readIndex, format::kLayerPatternKey));
    if (own != compiled)
      differ("layer pattern", own, false, compiled);
  }
  if (count > 0)
    result.differences =
        cat("checkpoint config '", escapeControls(path),
            "' differs from the config ", artifact,
            " was compiled from: ", listed,
            count > 8 ? cat("; and ", count - 8, " more") : std::string(),
            ". The artifact computes with its own values; compile this "
            "config.json to run what it describes");
  return result;
}

} // namespace nhc::runtime
