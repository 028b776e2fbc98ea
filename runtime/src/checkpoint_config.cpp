//===- checkpoint_config.cpp - A checkpoint's config.json vs the artifact's -===//

#include "checkpoint_config.h"

#include <cstring>
#include <exception>

#include "error.h"
#include "json_fields.h"
#include "mapped_file.h"
#include "nhc/format/layer_pattern.h"
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

/// The value at a dotted key path, or null where absent or null.
Json valueAt(const Json &root, const std::string &path) {
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
      return *node;
    from = dot + 1;
  }
}

/// Whether the config at `path` (a dotted key path) is there at all, null
/// included.
bool keyPresent(const Json &root, const std::string &path) {
  size_t dot = path.rfind('.');
  const Json parent =
      dot == std::string::npos ? root : valueAt(root, path.substr(0, dot));
  return parent.is_object() &&
         parent.contains(dot == std::string::npos ? path : path.substr(dot + 1));
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
    if (keyPresent(root, alias))
      return true;
  return false;
}

/// The value of the first of `group`'s aliases that is there (not null),
/// as the compiler picks it; null when none is.
Json valueOfGroup(const Json &root, const std::string &group) {
  for (const std::string &alias : aliasesOf(group)) {
    Json value = valueAt(root, alias);
    if (!value.is_null())
      return value;
  }
  return nullptr;
}

std::string describe(const Json &value) {
  return value.is_null() ? std::string("absent") : boundedDump(value);
}

/// The value of `key` in `values` (key paths to values), or null.
const Json &entryOf(const std::vector<std::pair<std::string, Json>> &values,
                    const std::string &key) {
  static const Json none;
  for (const auto &[k, v] : values)
    if (k == key)
      return v;
  return none;
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
  if (!isRegularFile(path))
    return result;
  Json config;
  try {
    auto bytes = FileBytes::read(path, "checkpoint config", kMaxConfigFileBytes,
                                 "nhc::kMaxConfigFileBytes");
    config = parsePythonJson(
        std::string(reinterpret_cast<const char *>(bytes->data()), bytes->size()),
        cat("'", path, "'"));
  } catch (const std::exception &e) {
    result.notCompared =
        cat("checkpoint config not compared with the artifact's: ", e.what());
    return result;
  }
  size_t count = 0;
  std::string listed;
  auto differ = [&](const std::string &keys, const Json &own,
                    const Json &compiled) {
    if (count++ < 8)
      listed += cat(count > 1 ? "; " : "", "'", keys, "' is ", describe(own),
                    " there, ", describe(compiled), " in the artifact's");
  };
  bool layersRead = false;
  for (const auto &[keys, recorded] : read) {
    if (isLayerGroup(keys)) {
      layersRead = true;
      continue;
    }
    Json own = valueOfGroup(config, keys);
    const Json &fallback = entryOf(defaults, keys);
    // An explicit null may mean something of its own (a null
    // num_key_value_heads is multi-head attention): only a key that is
    // not there at all reads as its default.
    if (own.is_null() && !groupPresent(config, keys))
      own = fallback;
    const Json &compiled = recorded.is_null() ? fallback : recorded;
    if (own != compiled)
      differ(keys, own, compiled);
  }
  // The layers as the one pattern they spell, a list or a string.
  if (layersRead) {
    Json own = layerPattern(valueOfGroup(config, layerListGroup()),
                            valueAt(config, format::kLayerPatternKey));
    Json compiled = layerPattern(entryOf(read, layerListGroup()),
                                 entryOf(read, format::kLayerPatternKey));
    if (own != compiled)
      differ("layer pattern", own, compiled);
  }
  if (count > 0)
    result.differences =
        cat("checkpoint config '", path, "' differs from the config ", artifact,
            " was compiled from: ", listed,
            count > 8 ? cat("; and ", count - 8, " more") : std::string(),
            ". The artifact computes with its own values; compile this "
            "config.json to run what it describes");
  return result;
}

} // namespace nhc::runtime
