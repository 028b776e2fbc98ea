//===- ModelConfig.cpp - read a Nemotron-H config.json ----------*- C++ -*-===//
//
// Mirrors transformers' configuration_nemotron_h.py: the same defaults, the
// same aliases (an alias, when present, wins, as in its __post_init__), and
// both layer spellings (hybrid_override_pattern / layers_block_type).
//
//===----------------------------------------------------------------------===//

#include "nhc/Config/ModelConfig.h"
#include "nhc/Config/JsonSource.h"
#include "nhc/format/layer_pattern.h"
#include "nhc/runtime/artifact.h"
#include "nhc/runtime/checkpoint_files.h"
#include "nhc/runtime/escape.h"
#include "nhc/format/manifest_schema.h"
#include "nhc/runtime/limits.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fnmatch.h>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>

namespace mlir::nhc {
using ::nhc::kMaxChunkSize;
using ::nhc::kMaxConvKernel;
using ::nhc::kMaxExperts;
using ::nhc::kMaxGroups;
using ::nhc::kMaxHeadDim;
using ::nhc::kMaxHeads;
using ::nhc::kMaxHidden;
using ::nhc::kMaxIntermediate;
using ::nhc::kMaxLayers;
using ::nhc::kMaxSequenceLength;
using ::nhc::kMaxStateSize;
using ::nhc::kMaxTopK;
using ::nhc::kMaxVocab;
using ::nhc::quoteForMessage;

/// Routed experts over all MoE layers (Nemotron-3 Super: 512 x 40): more
/// would make the weight table, not the model, the cost of compiling.
constexpr int64_t kMaxTotalRoutedExperts = 1 << 17;
/// Parameters a config may describe (2.2 trillion; the largest published
/// Nemotron-H has 120 billion).
constexpr double kMaxParameters = double(1ull << 41);

char patternChar(LayerKind kind) {
  switch (kind) {
  case LayerKind::Mamba:
    return 'M';
  case LayerKind::Attention:
    return '*';
  case LayerKind::MLP:
    return '-';
  case LayerKind::MoE:
    return 'E';
  }
  return '?';
}

const char *layerKindName(LayerKind kind) {
  switch (kind) {
  case LayerKind::Mamba:
    return "mamba";
  case LayerKind::Attention:
    return "attention";
  case LayerKind::MLP:
    return "mlp";
  case LayerKind::MoE:
    return "moe";
  }
  return "?";
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::BF16:
    return "BF16";
  case DType::F16:
    return "F16";
  case DType::F32:
    return "F32";
  }
  return "?";
}

int64_t ModelConfig::numLayers(LayerKind kind) const {
  int64_t count = 0;
  for (LayerKind layer : layers)
    count += layer == kind;
  return count;
}

std::string ModelConfig::pattern() const {
  std::string result;
  for (LayerKind layer : layers)
    result += patternChar(layer);
  return result;
}

namespace {
/// The names modelopt may write for a module: its path in NemotronHForCausalLM
/// ("backbone.layers.3.mixer.q_proj"), without the "backbone." prefix, or with
/// "model." in its place (the prefix of most HF decoder models).
std::vector<std::string> moduleSpellings(const std::string &module) {
  std::vector<std::string> spellings = {module};
  const std::string prefix = "backbone.";
  if (module.compare(0, prefix.size(), prefix) == 0) {
    std::string rest = module.substr(prefix.size());
    spellings.push_back(rest);
    spellings.push_back("model." + rest);
  }
  return spellings;
}
} // namespace

int matchingExclusion(const std::vector<std::string> &patterns,
                      const std::string &module) {
  std::vector<std::string> spellings = moduleSpellings(module);
  for (size_t i = 0; i < patterns.size(); ++i)
    for (const std::string &name : spellings)
      if (patterns[i] == name ||
          fnmatch(patterns[i].c_str(), name.c_str(), 0) == 0)
        return static_cast<int>(i);
  return -1;
}

bool isExcludedModule(const std::vector<std::string> &patterns,
                      const std::string &module) {
  return matchingExclusion(patterns, module) >= 0;
}

namespace {
namespace act = ::nhc::format::manifest::value;
struct ActivationAlias {
  const char *name;      // as in transformers' ACT2FN
  const char *canonical; // nhc's (the dialect's and the manifest's) name
};
// transformers/activations.py ACT2CLS: gelu and gelu_python are the exact
// erf form; gelu_new, gelu_pytorch_tanh, gelu_fast, gelu_accurate and
// gelu_python_tanh the tanh approximation 0.5x(1 + tanh(sqrt(2/pi)(x +
// 0.044715x^3))); silu and swish are x*sigmoid(x). The learnable ones
// (prelu, xielu: parameters of their own) are refused by name.
constexpr ActivationAlias kActivations[] = {
    {"relu2", act::kActivationRelu2},
    {"relu", act::kActivationRelu},
    {"relu6", act::kActivationRelu6},
    {"silu", act::kActivationSilu},
    {"swish", act::kActivationSilu},
    {"gelu", act::kActivationGelu},
    {"gelu_python", act::kActivationGelu},
    {"gelu_new", act::kActivationGeluTanh},
    {"gelu_pytorch_tanh", act::kActivationGeluTanh},
    {"gelu_fast", act::kActivationGeluTanh},
    {"gelu_accurate", act::kActivationGeluTanh},
    {"gelu_python_tanh", act::kActivationGeluTanh},
    {"quick_gelu", act::kActivationQuickGelu},
    {"gelu_10", act::kActivationGelu10},
    {"laplace", act::kActivationLaplace},
    {"leaky_relu", act::kActivationLeakyRelu},
    {"linear", act::kActivationLinear},
    {"mish", act::kActivationMish},
    {"sigmoid", act::kActivationSigmoid},
    {"tanh", act::kActivationTanh},
    {"hardswish", act::kActivationHardswish},
    {"sqrtsoftplus", act::kActivationSqrtSoftplus},
};
} // namespace

std::optional<std::string> canonicalActivation(const std::string &name) {
  for (const ActivationAlias &alias : kActivations)
    if (name == alias.name)
      return std::string(alias.canonical);
  return std::nullopt;
}

std::string quoteConfigText(const std::string &text, char quote) {
  return quoteForMessage(text, quote);
}

std::string supportedActivationNames() {
  std::string names;
  for (const ActivationAlias &alias : kActivations)
    names += (names.empty() ? "" : ", ") + std::string(alias.name);
  return names;
}

namespace {

/// A bounded rendering of an untrusted value for messages (dumping is
/// linear and, with the nesting limit of JsonSource, shallow), escaped as
/// nhc/runtime/escape.h says. Non-finite numbers (Infinity, 1e400) are
/// spelled as Python writes them, not as the `null` nlohmann would print.
std::string preview(const nlohmann::json &value) {
  if (value.is_string())
    return quoteForMessage(value.get_ref<const std::string &>());
  if (value.is_number_float() && !std::isfinite(value.get<double>())) {
    double d = value.get<double>();
    return std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
  }
  std::string text = value.dump();
  if (text.size() > ::nhc::kMaxQuotedChars) {
    // Cut at a character boundary, never inside a UTF-8 sequence.
    size_t cut = ::nhc::kMaxQuotedChars;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;
    text = ::nhc::escapeControls(std::string_view(text).substr(0, cut)) + "...";
  } else {
    text = ::nhc::escapeControls(text);
  }
  return text;
}

/// A float for a message: the shortest text that reads back as it,
/// non-finite ones spelled as Python writes them.
std::string formatFloat(double value) {
  if (!std::isfinite(value))
    return std::isnan(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof(text), "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  return text;
}

/// A diagnostic that is complete text ("file:line:col: error: ...").
struct ConfigError {
  std::string message;
};

/// Typed access to the keys of one JSON file with positioned errors.
class ConfigReader {
public:
  /// `recorded`, when given, collects every value a getter (through pick())
  /// reads: the key paths tried, '|'-joined, to the value found.
  explicit ConfigReader(const JsonSource &source,
                        std::map<std::string, std::string> *recorded = nullptr,
                        std::map<std::string, std::string> *defaults = nullptr)
      : source(source), recorded(recorded), defaults(defaults) {}

  [[noreturn]] void fail(const std::string &key, const std::string &message,
                         bool atValue = true) const {
    SourcePosition position =
        atValue ? source.valuePosition(key) : source.keyPosition(key);
    throw ConfigError{source.where(position) + "error: '" + key + "' " +
                      message};
  }

  [[noreturn]] void failFile(const std::string &message) const {
    throw ConfigError{source.where({}) + "error: " + message};
  }

  /// "file:line:col: warning: 'key' message", positioned as fail() is.
  std::string warning(const std::string &key, const std::string &message) const {
    return source.where(source.valuePosition(key)) + "warning: '" + key + "' " +
           message;
  }

  /// The JSON value at a dotted path, or nullptr when absent or null.
  const nlohmann::json *find(const std::string &key) const {
    const nlohmann::json *node = &source.root;
    std::string rest = key;
    while (true) {
      size_t dot = rest.find('.');
      std::string head = rest.substr(0, dot);
      if (!node->is_object())
        return nullptr;
      auto it = node->find(head);
      if (it == node->end() || it->is_null())
        return nullptr;
      node = &*it;
      if (dot == std::string::npos)
        return node;
      rest = rest.substr(dot + 1);
    }
  }

  const JsonSource &source;

private:
  /// `keys` '|'-joined: the name a recorded value goes by.
  static std::string groupOf(std::initializer_list<const char *> keys) {
    std::string group;
    for (const char *key : keys)
      group += (group.empty() ? "" : "|") + std::string(key);
    return group;
  }

  /// Records `fallback`, what a getter uses where none of `keys` is there
  /// (see `defaults`), whether or not one is; the first use of a group
  /// wins. Not for a read of a key known to be present (KeyPresent), whose
  /// fallback is a placeholder, not the config's default.
  void recordDefault(std::initializer_list<const char *> keys,
                     const nlohmann::json &fallback) const {
    if (!defaults || presentDepth > 0 || notComparedDepth > 0 ||
        !isFinite(fallback))
      return;
    defaults->emplace(groupOf(keys),
                      fallback.dump(-1, ' ', false,
                                    nlohmann::json::error_handler_t::replace));
  }

  /// Records what pick() found for `keys` (see `recorded`).
  void record(std::initializer_list<const char *> keys,
              const std::string &picked) const {
    if (!recorded || notComparedDepth > 0)
      return;
    std::string group = groupOf(keys);
    // A getter re-reading the key an alias group picked (parseDType) is
    // that group's value, recorded once.
    if (keys.size() == 1 && inGroups.count(group))
      return;
    if (keys.size() > 1)
      inGroups.insert(keys.begin(), keys.end());
    const nlohmann::json *value = picked.empty() ? nullptr : find(picked);
    if (recorded->count(group) || (value && !isFinite(*value)))
      return;
    (*recorded)[group] =
        value ? value->dump(-1, ' ', false,
                            nlohmann::json::error_handler_t::replace)
              : "null";
  }

  static bool isFinite(const nlohmann::json &value) {
    if (value.is_number_float())
      return std::isfinite(value.get<double>());
    if (value.is_structured())
      for (const nlohmann::json &item : value)
        if (!isFinite(item))
          return false;
    return true;
  }

  std::map<std::string, std::string> *recorded;
  /// The value a getter uses for a group none of whose keys is there.
  std::map<std::string, std::string> *defaults;
  mutable std::set<std::string> inGroups; // keys of recorded alias groups
  mutable int presentDepth = 0;     // KeyPresent scopes open
  mutable int notComparedDepth = 0; // NotCompared scopes open

public:
  /// Records `fallback` as the default of the group `keys` (for readers
  /// outside the getters, such as parseDType).
  void noteDefault(std::initializer_list<const char *> keys,
                   const nlohmann::json &fallback) const {
    recordDefault(keys, fallback);
  }

  /// Reads, in its scope, of keys the caller knows are present: their
  /// getters' fallbacks are placeholders, recorded as no default.
  struct KeyPresent {
    const ConfigReader &reader;
    explicit KeyPresent(const ConfigReader &r) : reader(r) { ++reader.presentDepth; }
    ~KeyPresent() { --reader.presentDepth; }
  };
  /// Reads, in its scope, of keys that do not change what the artifact
  /// computes (num_hidden_layers, the MTP layers nhc does not run):
  /// neither value nor default is recorded, so binding does not compare
  /// them with a checkpoint's config.
  struct NotCompared {
    const ConfigReader &reader;
    explicit NotCompared(const ConfigReader &r) : reader(r) { ++reader.notComparedDepth; }
    ~NotCompared() { --reader.notComparedDepth; }
  };

  bool has(const std::string &key) const { return find(key) != nullptr; }

  /// True when `key` (a dotted path) is present with the value null.
  bool isNull(const std::string &key) const {
    size_t dot = key.rfind('.');
    const nlohmann::json *parent =
        dot == std::string::npos ? &source.root : find(key.substr(0, dot));
    if (!parent || !parent->is_object())
      return false;
    auto it = parent->find(key.substr(dot == std::string::npos ? 0 : dot + 1));
    return it != parent->end() && it->is_null();
  }

  /// When none of `keys` has a value but one is an explicit null: the typed
  /// fields of transformers 5.23's config refuse null, and older versions
  /// fail on it in the layer that uses it (or, for a flag, read it as
  /// false), so no default may silently stand in. The keys whose null
  /// transformers defines (num_key_value_heads, head_dim, moe_latent_size,
  /// quantization's quant_algo, dtype) are read without this.
  void refuseNull(std::initializer_list<const char *> keys) const {
    for (const char *key : keys)
      if (isNull(key))
        fail(key, "is null: give a value, or leave the key out for "
                  "transformers' default");
  }

  /// The key a value was read from (the same lookup order as the getters),
  /// else `canonical`, so errors name what the user wrote.
  std::string keyFor(std::initializer_list<const char *> keys,
                     const char *canonical) const {
    std::string key = pick(keys);
    return key.empty() ? canonical : key;
  }

  /// The first of `keys` that is present (aliases first, as HF does).
  std::string pick(std::initializer_list<const char *> keys) const {
    std::string picked;
    for (const char *key : keys)
      if (has(key)) {
        picked = key;
        break;
      }
    record(keys, picked);
    return picked;
  }

  int64_t getInt(std::initializer_list<const char *> keys, int64_t fallback) {
    std::string key = pick(keys);
    recordDefault(keys, fallback);
    if (key.empty()) {
      refuseNull(keys);
      return fallback;
    }
    const nlohmann::json &value = *find(key);
    // nlohmann keeps 2^63 .. 2^64-1 as unsigned: never read them wrapped.
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() >
            static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(key, "is " + std::to_string(value.get<uint64_t>()) +
                    ", too large (nhc reads integers below 2^63)");
    if (value.is_number_integer())
      return value.get<int64_t>();
    if (value.is_number_float()) {
      double d = value.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
        return static_cast<int64_t>(d);
      // 2^64 and more reach here as doubles: still integers.
      if (std::isfinite(d) && d == std::floor(d))
        fail(key, "is " + formatFloat(d) +
                      ", too large (nhc reads integers below 2^63)");
    }
    fail(key, "must be an integer, got " + preview(value));
  }

  std::optional<int64_t> getOptionalInt(const char *key) {
    if (!has(key))
      return std::nullopt;
    KeyPresent present(*this);
    return getInt({key}, 0);
  }

  double getFloat(std::initializer_list<const char *> keys, double fallback) {
    std::string key = pick(keys);
    recordDefault(keys, fallback);
    if (key.empty()) {
      refuseNull(keys);
      return fallback;
    }
    const nlohmann::json &value = *find(key);
    if (!value.is_number())
      fail(key, "must be a number, got " + preview(value));
    return value.get<double>();
  }

  bool getBool(std::initializer_list<const char *> keys, bool fallback) {
    std::string key = pick(keys);
    recordDefault(keys, fallback);
    if (key.empty()) {
      refuseNull(keys);
      return fallback;
    }
    const nlohmann::json &value = *find(key);
    if (!value.is_boolean())
      fail(key, "must be true or false, got " + preview(value));
    return value.get<bool>();
  }

  std::string getString(std::initializer_list<const char *> keys,
                        const std::string &fallback) {
    std::string key = pick(keys);
    recordDefault(keys, fallback);
    if (key.empty()) {
      refuseNull(keys);
      return fallback;
    }
    const nlohmann::json &value = *find(key);
    if (!value.is_string())
      fail(key, "must be a string, got " + preview(value));
    return value.get<std::string>();
  }

  /// getString() for the quantization keys, where null means absent.
  std::string getOptionalString(const std::string &key) {
    if (!has(key))
      return std::string();
    KeyPresent present(*this);
    return getString({key.c_str()}, "");
  }

  /// A size in [1, limit]: the limits (nhc/runtime/limits.h,
  /// docs/security.md) keep every product of sizes far from overflow and a
  /// small file from describing a model no machine holds.
  void requireSize(const std::string &key, int64_t value,
                   uint64_t limit) const {
    if (value <= 0)
      fail(key, "must be positive, got " + std::to_string(value));
    if (static_cast<uint64_t>(value) > limit)
      fail(key, "is " + std::to_string(value) + ", above nhc's limit of " +
                    std::to_string(limit) + " (docs/security.md)");
  }
};

//===----------------------------------------------------------------------===//
// Layer patterns
//===----------------------------------------------------------------------===//

std::vector<LayerKind> parsePattern(ConfigReader &reader, const char *key) {
  ConfigReader::KeyPresent present(reader); // callers check has(key)
  std::string pattern = reader.getString({key}, "");
  if (pattern.size() > kMaxLayers)
    reader.fail(key, "has " + std::to_string(pattern.size()) +
                         " layers, above nhc's limit of " +
                         std::to_string(kMaxLayers) + " (docs/security.md)");
  std::vector<LayerKind> layers;
  for (size_t i = 0; i < pattern.size(); ++i) {
    switch (pattern[i]) {
    case 'M':
      layers.push_back(LayerKind::Mamba);
      break;
    case '*':
      layers.push_back(LayerKind::Attention);
      break;
    case '-':
      layers.push_back(LayerKind::MLP);
      break;
    case 'E':
      layers.push_back(LayerKind::MoE);
      break;
    default: {
      // Point at the character itself, as written in the file. Every
      // character before it is ASCII, so i is also its character index;
      // the whole (possibly multibyte) character is shown, escaped.
      SourcePosition at = reader.source.stringBytePosition(key, i);
      size_t length = 1;
      while (i + length < pattern.size() && length < 4 &&
             (static_cast<unsigned char>(pattern[i + length]) & 0xC0) == 0x80)
        ++length;
      std::ostringstream os;
      os << reader.source.where(at) << "error: '" << key
         << "' has unknown layer character "
         << quoteForMessage(std::string_view(pattern).substr(i, length), '\'')
         << " at index " << i
         << " (expected M = mamba, * = attention, - = mlp, E = moe)";
      throw ConfigError{os.str()};
    }
    }
  }
  if (layers.empty())
    reader.fail(key, "must not be empty");
  return layers;
}

std::vector<LayerKind> parseBlockTypes(ConfigReader &reader, const char *key) {
  const nlohmann::json &list = *reader.find(key);
  if (!list.is_array() || list.empty())
    reader.fail(key, "must be a non-empty list of layer types");
  if (list.size() > kMaxLayers)
    reader.fail(key, "has " + std::to_string(list.size()) +
                         " layers, above nhc's limit of " +
                         std::to_string(kMaxLayers) + " (docs/security.md)");
  std::vector<LayerKind> layers;
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json &item = list[i];
    std::string name = item.is_string() ? item.get<std::string>() : preview(item);
    // Current transformers spellings, then the legacy ones it remaps.
    char kind = item.is_string() ? ::nhc::format::layerPatternChar(name) : 0;
    if (kind == 'M')
      layers.push_back(LayerKind::Mamba);
    else if (kind == '*')
      layers.push_back(LayerKind::Attention);
    else if (kind == '-')
      layers.push_back(LayerKind::MLP);
    else if (kind == 'E')
      layers.push_back(LayerKind::MoE);
    else
      reader.fail(key, "has unknown layer type " + preview(item) + " at index " +
                           std::to_string(i) +
                           " (expected mamba/linear_attention, "
                           "attention/full_attention, mlp or moe)");
  }
  return layers;
}

/// A dtype key's value. float64 reads as float32 with a note: transformers
/// runs such a model in float64, nhc's kernels compute in f32 (the logits
/// agree within f32's rounding) and bind F64 tensors rounded to F32.
DType parseDType(ConfigReader &reader, std::initializer_list<const char *> keys,
                 DType fallback, std::vector<std::string> &notes) {
  std::string key = reader.pick(keys);
  // The default as transformers spells a dtype (torch's name).
  reader.noteDefault(keys, fallback == DType::BF16  ? "bfloat16"
                           : fallback == DType::F16 ? "float16"
                                                    : "float32");
  if (key.empty())
    return fallback;
  ConfigReader::KeyPresent present(reader);
  std::string name = reader.getString({key.c_str()}, "");
  if (name.rfind("torch.", 0) == 0)
    name = name.substr(6);
  if (name == "bfloat16")
    return DType::BF16;
  if (name == "float16" || name == "half")
    return DType::F16;
  if (name == "float32" || name == "float")
    return DType::F32;
  if (name == "float64" || name == "double") {
    notes.push_back(reader.source.path + ": note: " + key + " " + name +
                    " read as float32" +
                    (key == "mamba_ssm_cache_dtype"
                         ? std::string(" (transformers never reads it)")
                         : std::string(": nhc computes in float32 "
                                       "(transformers would run float64; F64 "
                                       "tensors bind rounded to F32)")));
    return DType::F32;
  }
  reader.fail(key, "has unsupported dtype " + quoteForMessage(name) +
                       " (supported: bfloat16, float16, float32, float64 "
                       "computed as float32)");
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

/// modelopt's `config_groups` (compressed-tensors' spelling of the scheme,
/// next to `quant_algo` in config.json) says how each group's weights and
/// input activations are quantized. nhc runs exactly one scheme, FP8 e4m3
/// with one static scale per tensor for both: a group that says otherwise
/// (dynamic or per-token activations, channel or block weight scales,
/// other bit widths, weight-only) is refused by key, not run with the
/// wrong scales.
void checkConfigGroups(ConfigReader &reader, const std::string &groupsKey) {
  const nlohmann::json *groups = reader.find(groupsKey);
  if (!groups)
    return;
  if (!groups->is_object())
    reader.fail(groupsKey, "must be an object of quantization groups");
  for (const auto &[name, group] : groups->items()) {
    std::string groupKey = groupsKey + "." + name;
    if (!group.is_object())
      reader.fail(groupKey, "must be an object, got " + preview(group));
    for (const char *role : {"weights", "input_activations"}) {
      std::string roleKey = groupKey + "." + role;
      const char *why = std::string(role) == "weights"
                            ? " (nhc runs FP8 weights with a per-tensor scale)"
                            : " (weight-only FP8 is not supported: nhc needs "
                              "a static input_scale for every FP8 linear)";
      auto it = group.find(role);
      if (it == group.end())
        reader.fail(groupKey, std::string("has no '") + role + "'" + why);
      if (it->is_null())
        reader.fail(roleKey, std::string("is null") + why);
      if (!it->is_object())
        reader.fail(roleKey, "must be an object, got " + preview(*it));
      auto expect = [&](const char *field, const nlohmann::json &want,
                        const char *why) {
        auto value = it->find(field);
        if (value == it->end() || value->is_null() || *value == want)
          return;
        reader.fail(roleKey + "." + field,
                    "is " + preview(*value) + ", but nhc supports only " +
                        want.dump() + " (" + why + ")");
      };
      expect("num_bits", 8, "FP8");
      expect("type", "float", "e4m3");
      expect("dynamic", false,
             "static scales: a per-tensor weight_scale and input_scale "
             "stored in the checkpoint");
      expect("strategy", "tensor", "one scale per tensor");
      for (const char *field : {"group_size", "block_structure"}) {
        auto value = it->find(field);
        if (value != it->end() && !value->is_null())
          reader.fail(roleKey + "." + field,
                      "is " + preview(*value) +
                          ", but nhc supports only one scale per tensor");
      }
    }
  }
}

/// Reads a modelopt quantization block: `quant_algo`, `exclude_modules`
/// (`ignore` in compressed-tensors style), `kv_cache_quant_algo`. A null or
/// absent `quant_algo` is how modelopt and TensorRT-LLM spell "weights not
/// quantized" (e.g. the FP8 KV-cache-only recipe): no Quantization results,
/// and a note says what was ignored.
std::optional<Quantization> parseQuantization(ConfigReader &reader,
                                              const std::string &prefix,
                                              std::vector<std::string> &notes) {
  auto key = [&](const char *name) { return prefix + name; };
  std::string block = prefix.substr(0, prefix.size() - 1);
  std::string kvKey = key("kv_cache_quant_algo");
  // A quantized KV cache is optional: nhc keeps K/V in the model dtype,
  // which only loses the memory saving, never accuracy.
  std::string kvAlgo = reader.getOptionalString(kvKey);
  std::string algoKey = key("quant_algo");
  if (!reader.has(algoKey)) {
    notes.push_back(reader.source.path + ": note: '" + block +
                    "' has no weight " +
                    "quantization (quant_algo is " +
                    (reader.find(block)->contains("quant_algo") ? "null"
                                                                : "absent") +
                    "): weights are used as stored" +
                    (kvAlgo.empty() ? std::string()
                                    : "; kv_cache_quant_algo " +
                                          quoteForMessage(kvAlgo, '\'') +
                                          " is ignored (the KV cache is f32, "
                                          "or bf16 with --kv-cache-dtype=bf16,"
                                          " and k_scale/v_scale tensors are "
                                          "not read)"));
    return std::nullopt;
  }
  Quantization quant;
  quant.sourcePath = reader.source.path;
  quant.kvCacheAlgo = kvAlgo;
  quant.algo = [&] {
    ConfigReader::KeyPresent present(reader); // the key picked above
    return reader.getString({algoKey.c_str()}, "");
  }();
  if (quant.algo != "FP8")
    reader.fail(algoKey, "has unsupported weight quantization " +
                             quoteForMessage(quant.algo) +
                             " (supported: FP8, per-tensor static e4m3)");
  // The scheme's details after its name: an NVFP4 export's 4-bit groups
  // are refused as NVFP4. config.json has the groups next to quant_algo;
  // its "quantization" member may sit below them.
  checkConfigGroups(reader, key("config_groups"));
  if (key("config_groups") != "quantization_config.config_groups")
    checkConfigGroups(reader, "quantization_config.config_groups");
  // Current modelopt writes the list as `ignore` (which vLLM reads) next to
  // or instead of `exclude_modules`; a module in either stays unquantized.
  std::set<std::string> excluded; // each entry once, in linear time
  for (const char *name : {"exclude_modules", "ignore"}) {
    std::string excludeKey = key(name);
    const nlohmann::json *list = reader.find(excludeKey);
    if (!list)
      continue;
    if (!list->is_array())
      reader.fail(excludeKey, "must be a list of module names");
    if (excluded.size() + list->size() > ::nhc::kMaxExcludedModules)
      reader.fail(excludeKey,
                  "holds " + std::to_string(list->size()) +
                      " entries; with the other list more than the " +
                      std::to_string(::nhc::kMaxExcludedModules) +
                      " nhc reads (nhc::kMaxExcludedModules)");
    // Where each entry is written, for the frontend's "matches no module".
    std::vector<SourcePosition> positions =
        reader.source.elementPositions(excludeKey);
    for (size_t i = 0; i < list->size(); ++i) {
      const nlohmann::json &item = (*list)[i];
      if (!item.is_string())
        reader.fail(excludeKey, "must contain only strings, got " + preview(item));
      // The two lists usually repeat each other: keep each entry once.
      std::string module = item.get<std::string>();
      if (!excluded.insert(module).second)
        continue;
      SourcePosition at = i < positions.size()
                              ? positions[i]
                              : reader.source.valuePosition(excludeKey);
      quant.excludeModules.push_back(module);
      quant.excludePositions.push_back({at.line, at.column});
    }
  }
  if (!quant.kvCacheAlgo.empty())
    notes.push_back(reader.source.path + ": note: kv_cache_quant_algo " +
                    quoteForMessage(quant.kvCacheAlgo, '\'') +
                    " is ignored: the KV cache is f32, or bf16 with "
                    "--kv-cache-dtype=bf16");
  return quant;
}

std::optional<Quantization> readQuantizationConfig(ConfigReader &reader,
                                                   std::vector<std::string> &notes) {
  if (!reader.has("quantization_config"))
    return std::nullopt;
  if (!reader.find("quantization_config")->is_object())
    reader.fail("quantization_config", "must be an object");
  // Other quantizers (compressed-tensors, fp8 block-wise, AWQ, GPTQ, ...)
  // describe their weights differently: refuse them by name rather than
  // read their weights as unquantized.
  std::string method =
      reader.getOptionalString("quantization_config.quant_method");
  if (method.empty())
    method = "modelopt";
  if (method != "modelopt")
    reader.fail("quantization_config.quant_method",
                "is " + quoteForMessage(method) + ", but nhc reads only modelopt "
                "quantization (quant_algo FP8, per-tensor static e4m3)");
  // modelopt writes quant_algo at the top of quantization_config, or under
  // its "quantization" member as in hf_quant_config.json.
  if (reader.has("quantization_config.quantization"))
    return parseQuantization(reader, "quantization_config.quantization.", notes);
  return parseQuantization(reader, "quantization_config.", notes);
}

//===----------------------------------------------------------------------===//
// The whole config
//===----------------------------------------------------------------------===//

void readLayers(ConfigReader &reader, ModelConfig &config) {
  // As in transformers, layers_block_type (or its alias layer_types, which
  // wins over it) wins over the legacy hybrid_override_pattern.
  namespace format = ::nhc::format;
  std::string listKey = reader.pick(
      {format::kLayerTypesKey, format::kLayersBlockTypeKey});
  if (!listKey.empty())
    config.layers = parseBlockTypes(reader, listKey.c_str());
  else if (reader.has(format::kLayerPatternKey))
    config.layers = parsePattern(reader, format::kLayerPatternKey);
  else {
    reader.refuseNull(
        {"layer_types", "layers_block_type", "hybrid_override_pattern"});
    reader.failFile("missing required key 'hybrid_override_pattern' or "
                    "'layers_block_type' (the layer pattern)");
  }

  // transformers 5.23 ignores num_hidden_layers (a property derived from
  // the pattern) and warns when they disagree: so does nhc.
  if (reader.has("num_hidden_layers")) {
    ConfigReader::NotCompared informational(reader);
    int64_t declared = reader.getInt({"num_hidden_layers"}, 0);
    if (declared != static_cast<int64_t>(config.layers.size()))
      config.warnings.push_back(reader.warning(
          "num_hidden_layers",
          "is " + std::to_string(declared) + " but the layer pattern '" +
              config.pattern() + "' has " +
              std::to_string(config.layers.size()) +
              " layers; the pattern's are used, as transformers does"));
  }

  // The MTP layers are recorded, not run (docs/config.md).
  ConfigReader::NotCompared notRun(reader);
  config.numNextnPredictLayers = reader.getInt({"num_nextn_predict_layers"}, 0);
  if (config.numNextnPredictLayers < 0 ||
      config.numNextnPredictLayers > static_cast<int64_t>(kMaxLayers))
    reader.fail("num_nextn_predict_layers",
                "must be in [0, " + std::to_string(kMaxLayers) + "]");
  if (config.numNextnPredictLayers > 0) {
    if (reader.has("mtp_layers_block_type"))
      config.mtpLayers = parseBlockTypes(reader, "mtp_layers_block_type");
    else if (reader.has("mtp_hybrid_override_pattern"))
      config.mtpLayers = parsePattern(reader, "mtp_hybrid_override_pattern");
    else
      config.mtpLayers = {LayerKind::Attention, LayerKind::MoE};
  }
}

void readRequired(ConfigReader &reader, const char *key) {
  reader.refuseNull({key});
  if (!reader.has(key))
    reader.failFile(std::string("missing required key '") + key + "'");
}

void readConfig(ConfigReader &reader, ModelConfig &config) {
  if (reader.has("model_type")) {
    ConfigReader::KeyPresent present(reader);
    config.modelType = reader.getString({"model_type"}, "");
    if (config.modelType != "nemotron_h")
      reader.fail("model_type", "is " + quoteForMessage(config.modelType) +
                                    ", but nhc compiles \"nemotron_h\" models");
  }
  readLayers(reader, config);
  readRequired(reader, "hidden_size");
  readRequired(reader, "vocab_size");

  ModelConfig &c = config;
  c.vocabSize = reader.getInt({"vocab_size"}, c.vocabSize);
  c.hiddenSize = reader.getInt({"hidden_size"}, c.hiddenSize);
  c.tieWordEmbeddings = reader.getBool({"tie_word_embeddings"}, c.tieWordEmbeddings);
  c.maxPositionEmbeddings =
      reader.getInt({"max_position_embeddings"}, c.maxPositionEmbeddings);
  c.dtype = parseDType(reader, {"dtype", "torch_dtype"}, c.dtype, c.notes);
  c.layerNormEpsilon = reader.getFloat({"layer_norm_epsilon"}, c.layerNormEpsilon);
  c.residualInFp32 = reader.getBool({"residual_in_fp32"}, c.residualInFp32);

  c.numAttentionHeads = reader.getInt({"num_attention_heads"}, c.numAttentionHeads);
  // HF: a null num_key_value_heads means plain multi-head attention.
  // HF: an explicit null num_key_value_heads means multi-head attention, and
  // a null head_dim means hidden_size / num_attention_heads.
  c.numKeyValueHeads = reader.isNull("num_key_value_heads")
                           ? c.numAttentionHeads
                           : reader.getInt({"num_key_value_heads"}, c.numKeyValueHeads);
  if (!reader.isNull("head_dim"))
    c.headDim = reader.getInt({"head_dim", "attention_head_dim"}, c.headDim);
  else if (c.numAttentionHeads > 0) // else validation names the heads
    c.headDim = c.hiddenSize / c.numAttentionHeads;

  c.intermediateSize = reader.getInt({"intermediate_size"}, c.intermediateSize);
  c.mlpHiddenAct = reader.getString({"mlp_hidden_act"}, c.mlpHiddenAct);

  c.mambaNumHeads = reader.getInt({"mamba_num_heads"}, c.mambaNumHeads);
  c.mambaHeadDim = reader.getInt({"mamba_head_dim"}, c.mambaHeadDim);
  c.ssmStateSize = reader.getInt({"ssm_state_size"}, c.ssmStateSize);
  c.nGroups = reader.getInt({"mamba_n_groups", "n_groups"}, c.nGroups);
  c.convKernel = reader.getInt({"mamba_d_conv", "conv_kernel"}, c.convKernel);
  c.chunkSize = reader.getInt({"mamba_chunk_size", "chunk_size"}, c.chunkSize);
  c.expand = reader.getInt({"mamba_expand", "expand"}, c.expand);
  c.mambaHiddenAct = reader.getString({"mamba_hidden_act"}, c.mambaHiddenAct);
  c.useConvBias = reader.getBool({"mamba_conv_bias", "use_conv_bias"}, c.useConvBias);
  c.useBias = reader.getBool({"use_bias"}, c.useBias);
  c.mlpBias = reader.getBool({"mlp_bias"}, c.mlpBias);
  c.timeStepMin = reader.getFloat({"mamba_dt_min", "time_step_min"}, c.timeStepMin);
  c.timeStepMax = reader.getFloat({"mamba_dt_max", "time_step_max"}, c.timeStepMax);
  c.timeStepFloor =
      reader.getFloat({"mamba_dt_init_floor", "time_step_floor"}, c.timeStepFloor);
  c.timeStepLimit[0] = 0.0;
  c.timeStepLimit[1] = std::numeric_limits<double>::infinity();
  // transformers 5.23 never reads time_step_limit, so any value (a list of
  // any length, inverted bounds) loads there and changes nothing: a
  // value other than [0, inf] is a note, never an error. The model keeps a
  // proper [min, max] for the record, else the default.
  std::string limitKey = reader.pick({"mamba_dt_limit", "time_step_limit"});
  if (limitKey.empty())
    reader.refuseNull({"mamba_dt_limit", "time_step_limit"});
  else {
    const nlohmann::json &limit = *reader.find(limitKey);
    const bool pair = limit.is_array() && limit.size() == 2 &&
                      limit[0].is_number() && limit[1].is_number();
    const double lo = pair ? limit[0].get<double>() : 0.0;
    const double hi =
        pair ? limit[1].get<double>() : std::numeric_limits<double>::infinity();
    if (lo >= 0 && std::isfinite(lo) && hi >= lo && hi > 0) {
      c.timeStepLimit[0] = lo;
      c.timeStepLimit[1] = hi;
    }
    if (!pair || lo != 0.0 || hi != std::numeric_limits<double>::infinity())
      c.notes.push_back(reader.source.path + ": note: " + limitKey + " " +
                        (pair ? "[" + formatFloat(lo) + ", " +
                                    formatFloat(hi) + "]"
                              : preview(limit)) +
                        " is ignored: as transformers 5.23, dt is clamped to "
                        "[time_step_min, inf) in prefill steps "
                        "(docs/config.md)");
  }
  c.ssmCacheDtype =
      parseDType(reader, {"mamba_ssm_cache_dtype"}, c.ssmCacheDtype, c.notes);

  c.nRoutedExperts =
      reader.getInt({"num_local_experts", "n_routed_experts"}, c.nRoutedExperts);
  c.nSharedExperts = reader.getInt({"n_shared_experts"}, c.nSharedExperts);
  c.moeIntermediateSize = reader.getInt({"moe_intermediate_size"}, c.moeIntermediateSize);
  c.moeSharedExpertIntermediateSize = reader.getInt(
      {"moe_shared_expert_intermediate_size"}, c.moeSharedExpertIntermediateSize);
  c.moeLatentSize = reader.getOptionalInt("moe_latent_size");
  c.numExpertsPerTok = reader.getInt({"num_experts_per_tok"}, c.numExpertsPerTok);
  c.routedScalingFactor =
      reader.getFloat({"routed_scaling_factor"}, c.routedScalingFactor);
  c.nGroup = reader.getInt({"n_group"}, c.nGroup);
  c.topkGroup = reader.getInt({"topk_group"}, c.topkGroup);
  c.normTopkProb = reader.getBool({"norm_topk_prob"}, c.normTopkProb);

  c.quantization = readQuantizationConfig(reader, c.notes);
  c.quantizationDeclared = reader.has("quantization_config");
}

/// Checks an activation name and maps transformers' aliases onto nhc's.
void readActivation(ConfigReader &reader, const char *key, std::string &name) {
  std::optional<std::string> canonical = canonicalActivation(name);
  if (!canonical)
    reader.fail(key, "has unsupported activation " + quoteForMessage(name) +
                         " (supported: " + supportedActivationNames() + ")");
  name = *canonical;
}

void validate(ConfigReader &reader, ModelConfig &c) {
  // transformers looks an activation up only when it builds a layer using it.
  if (c.numLayers(LayerKind::MLP) + c.numLayers(LayerKind::MoE) > 0)
    readActivation(reader, "mlp_hidden_act", c.mlpHiddenAct);
  if (c.numLayers(LayerKind::Mamba) > 0)
    readActivation(reader, "mamba_hidden_act", c.mambaHiddenAct);
  reader.requireSize("vocab_size", c.vocabSize, kMaxVocab);
  reader.requireSize("hidden_size", c.hiddenSize, kMaxHidden);
  // 0 runs in transformers (rsqrt(variance + 0)); a negative epsilon makes
  // rows of small variance NaN, an infinite one zeroes every norm.
  // The kernels compute in f32: a value past f32's range would be infinite
  // there (and an epsilon silently clamped or a scaling zeroing the logits).
  constexpr double kMaxF32 = 3.4028234663852886e38;
  if (!(c.layerNormEpsilon >= 0) || !(c.layerNormEpsilon <= kMaxF32))
    reader.fail("layer_norm_epsilon",
                "must be a finite number >= 0 within f32's range, got " +
                    formatFloat(c.layerNormEpsilon));
  reader.requireSize("max_position_embeddings", c.maxPositionEmbeddings, kMaxSequenceLength);

  auto divides = [&](const std::string &smallKey, int64_t small, const char *bigKey,
                     int64_t big) {
    if (big % small != 0)
      reader.fail(smallKey, "(" + std::to_string(small) + ") must divide '" +
                                bigKey + "' (" + std::to_string(big) + ")");
  };

  if (c.numLayers(LayerKind::Attention) > 0) {
    reader.requireSize("num_attention_heads", c.numAttentionHeads, kMaxHeads);
    reader.requireSize("num_key_value_heads", c.numKeyValueHeads, kMaxHeads);
    reader.requireSize(reader.keyFor({"head_dim", "attention_head_dim"}, "head_dim"), c.headDim, kMaxHeadDim);
    divides("num_key_value_heads", c.numKeyValueHeads, "num_attention_heads",
            c.numAttentionHeads);
  }
  if (c.numLayers(LayerKind::MLP) > 0) {
    reader.requireSize("intermediate_size", c.intermediateSize, kMaxIntermediate);
  }
  if (c.numLayers(LayerKind::Mamba) > 0) {
    reader.requireSize("mamba_num_heads", c.mambaNumHeads, kMaxHeads);
    reader.requireSize("mamba_head_dim", c.mambaHeadDim, kMaxHeadDim);
    reader.requireSize("ssm_state_size", c.ssmStateSize, kMaxStateSize);
    std::string groupsKey = reader.keyFor({"mamba_n_groups", "n_groups"}, "n_groups");
    reader.requireSize(groupsKey, c.nGroups, kMaxGroups);
    std::string convKey =
        reader.keyFor({"mamba_d_conv", "conv_kernel"}, "conv_kernel");
    // conv_kernel 1 runs (a per-channel scale, as in transformers): its
    // layers keep no conv state.
    reader.requireSize(convKey, c.convKernel, kMaxConvKernel);
    reader.requireSize(reader.keyFor({"mamba_chunk_size", "chunk_size"}, "chunk_size"), c.chunkSize, kMaxChunkSize);
    divides(groupsKey.c_str(), c.nGroups, "mamba_num_heads", c.mambaNumHeads);
    // time_step_max and time_step_floor only shape transformers' dt_bias
    // initialization, which a checkpoint overwrites: any value loads there
    // (1e400 reads as Infinity, as Python reads it).
    std::string minKey =
        reader.keyFor({"mamba_dt_min", "time_step_min"}, "time_step_min");
    if (!(c.timeStepMin >= 0) || !std::isfinite(c.timeStepMin))
      reader.fail(minKey, "must be a finite number >= 0, got " +
                              formatFloat(c.timeStepMin));
  }
  if (c.numLayers(LayerKind::MoE) > 0) {
    // transformers multiplies the routed experts' sum by it: 0 and negative
    // factors run there too.
    if (!(std::fabs(c.routedScalingFactor) <= kMaxF32))
      reader.fail("routed_scaling_factor",
                  "must be a finite number within f32's range, got " +
                      formatFloat(c.routedScalingFactor));
    reader.requireSize(reader.keyFor({"num_local_experts", "n_routed_experts"}, "n_routed_experts"),
                       c.nRoutedExperts, kMaxExperts);
    reader.requireSize("moe_intermediate_size", c.moeIntermediateSize, kMaxIntermediate);
    reader.requireSize("moe_shared_expert_intermediate_size",
                       c.moeSharedExpertIntermediateSize, kMaxIntermediate);
    reader.requireSize("num_experts_per_tok", c.numExpertsPerTok, kMaxTopK);
    reader.requireSize("n_group", c.nGroup, kMaxExperts);
    reader.requireSize("topk_group", c.topkGroup, kMaxExperts);
    if (c.moeLatentSize)
      reader.requireSize("moe_latent_size", *c.moeLatentSize, kMaxIntermediate);
    divides("n_group", c.nGroup, "n_routed_experts", c.nRoutedExperts);
    if (c.nRoutedExperts / c.nGroup < 2)
      reader.fail("n_group", "leaves fewer than 2 experts per group; each "
                             "group is scored by its two best experts");
    if (c.topkGroup > c.nGroup)
      reader.fail("topk_group", "(" + std::to_string(c.topkGroup) +
                                    ") exceeds 'n_group' (" +
                                    std::to_string(c.nGroup) + ")");
    if (c.numExpertsPerTok > c.topkGroup * (c.nRoutedExperts / c.nGroup))
      reader.fail("num_experts_per_tok",
                  "(" + std::to_string(c.numExpertsPerTok) +
                      ") exceeds the experts in the 'topk_group' selected groups");
  }
}

/// Products of sizes, checked once every factor is within its limit (so
/// none of them overflows): the model a config describes must be one a
/// machine could hold. Errors name the key of the largest part.
void checkModelSize(ConfigReader &reader, const ModelConfig &c) {
  int64_t moeLayers = c.numLayers(LayerKind::MoE);
  std::string expertsKey = reader.keyFor(
      {"num_local_experts", "n_routed_experts"}, "n_routed_experts");
  if (moeLayers * c.nRoutedExperts > kMaxTotalRoutedExperts)
    reader.fail(expertsKey,
                "(" + std::to_string(c.nRoutedExperts) + ") times the " +
                    std::to_string(moeLayers) + " MoE layers exceeds nhc's "
                    "limit of " + std::to_string(kMaxTotalRoutedExperts) +
                    " routed experts (docs/security.md)");
  // In double: only sizes of layer kinds the model has were checked, and an
  // estimate is all a limit needs.
  double h = double(c.hiddenSize);
  auto per = [&](LayerKind kind, auto parameters) {
    int64_t count = c.numLayers(kind);
    return count ? double(count) * parameters() : 0.0;
  };
  struct Part {
    std::string key;
    double parameters;
  } parts[] = {
      {"vocab_size", 2 * double(c.vocabSize) * h},
      {"mamba_num_heads", per(LayerKind::Mamba, [&] {
         double inner = double(c.mambaNumHeads) * double(c.mambaHeadDim);
         double conv = inner + 2.0 * double(c.nGroups) * double(c.ssmStateSize);
         return (2 * inner + conv + double(c.mambaNumHeads)) * h + inner * h +
                conv * double(c.convKernel);
       })},
      {"num_attention_heads", per(LayerKind::Attention, [&] {
         return 2.0 * h * double(c.numAttentionHeads + c.numKeyValueHeads) *
                double(c.headDim);
       })},
      {"intermediate_size", per(LayerKind::MLP, [&] {
         return 2.0 * h * double(c.intermediateSize);
       })},
      {expertsKey, per(LayerKind::MoE, [&] {
         double expertIn = double(c.moeLatentSize.value_or(c.hiddenSize));
         return 2.0 * (double(c.nRoutedExperts) * expertIn *
                           double(c.moeIntermediateSize) +
                       h * double(c.moeSharedExpertIntermediateSize));
       })},
  };
  double total = 0;
  const Part *largest = &parts[0];
  for (const Part &part : parts) {
    total += part.parameters;
    if (part.parameters > largest->parameters)
      largest = &part;
  }
  if (total > kMaxParameters) {
    std::ostringstream os;
    os << "makes the model " << total << " parameters, above nhc's limit of "
       << kMaxParameters << " (docs/security.md)";
    reader.fail(largest->key, os.str());
  }
}

/// FNV-1a 64 of the parsed documents in canonical form (sorted keys, no
/// whitespace), as 16 hex digits: formatting and key order do not change it.
std::string canonicalHash(std::initializer_list<const nlohmann::json *> docs) {
  std::string canonical;
  for (const nlohmann::json *doc : docs)
    canonical += doc->dump() + "\n";
  uint64_t hash = nhc_fnv1a64(canonical.data(), canonical.size(),
                              NHC_FNV1A64_OFFSET_BASIS);
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx",
                static_cast<unsigned long long>(hash));
  return text;
}

/// Fills `config` from `source`, or throws ConfigError.
void readInto(const JsonSource &source, ModelConfig &config) {
  std::map<std::string, std::string> recorded, defaults;
  ConfigReader reader(source, &recorded, &defaults);
  config.configPath = source.path;
  config.configHash = canonicalHash({&source.root});
  readConfig(reader, config);
  validate(reader, config);
  checkModelSize(reader, config);
  config.readValues.assign(recorded.begin(), recorded.end());
  config.defaultValues.assign(defaults.begin(), defaults.end());
}

bool isDirectory(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool fileExists(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

/// Something (a dangling link included) is at `path`.
bool pathExists(const std::string &path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0;
}

/// The shard files `dir`'s model.safetensors.index.json names (its
/// weight_map's values, each under `dir`); none when there is no readable
/// index of at most 64 MiB (the compiler does not read weights: this only
/// keeps an output off them, whatever the runtime will make of the index).
std::vector<std::string> indexedShards(const std::string &dir) {
  const std::string index = dir + "/model.safetensors.index.json";
  struct stat info;
  if (::stat(index.c_str(), &info) != 0 || !S_ISREG(info.st_mode) ||
      info.st_size > (64 << 20))
    return {};
  std::ifstream in(index, std::ios::binary);
  nlohmann::json parsed = nlohmann::json::parse(in, nullptr, false);
  std::set<std::string> shards;
  if (parsed.is_object() && parsed.contains("weight_map") &&
      parsed["weight_map"].is_object())
    for (const auto &entry : parsed["weight_map"].items())
      if (entry.value().is_string())
        shards.insert(dir + "/" + entry.value().get<std::string>());
  return {shards.begin(), shards.end()};
}
} // namespace

bool parseModelConfig(const std::string &path, const std::string &text,
                      ModelConfig &config, std::string &error) {
  JsonSource source;
  if (!parseJsonSource(path, text, source, error))
    return false;
  try {
    readInto(source, config);
  } catch (const ConfigError &e) {
    error = e.message;
    return false;
  }
  return true;
}

bool loadModelConfig(const std::string &path, ModelConfig &config,
                     std::string &error) {
  std::string configPath = path;
  std::string quantPath;
  if (isDirectory(path)) {
    std::string dir = path.back() == '/' ? path : path + "/";
    configPath = dir + "config.json";
    if (!fileExists(configPath)) {
      error = pathExists(configPath)
                  ? configPath + ": error: not a regular file"
                  : path + ": error: checkpoint directory has no config.json";
      return false;
    }
    // A quantization file that is there but unreadable as one is an error,
    // never silently skipped (the model would compile unquantized).
    if (pathExists(dir + "hf_quant_config.json"))
      quantPath = dir + "hf_quant_config.json";
  }
  // Listed before anything is parsed, so they hold whatever the outcome:
  // the checkpoint's other files too, there or not (a later compile reads
  // hf_quant_config.json; nhc-run and nhc-serve its weights, tokenizer and
  // generation defaults), and the shards its index names.
  config.inputPaths = {configPath};
  {
    size_t slash = configPath.find_last_of('/');
    const std::string dir = slash == std::string::npos ? std::string(".")
                            : slash == 0 ? std::string("/")
                                         : configPath.substr(0, slash);
    for (std::string &file : ::nhc::checkpointFiles(dir))
      config.inputPaths.push_back(std::move(file));
    for (std::string &shard : indexedShards(dir))
      config.inputPaths.push_back(std::move(shard));
  }
  JsonSource source;
  if (!loadJsonSource(configPath, source, error))
    return false;
  try {
    readInto(source, config);
    // modelopt also writes hf_quant_config.json; config.json's
    // quantization_config, when present, takes precedence.
    if (!quantPath.empty() && config.quantizationDeclared)
      config.notes.push_back(quantPath + ": note: not read: config.json's "
                             "quantization_config takes precedence");
    if (!quantPath.empty() && !config.quantizationDeclared) {
      JsonSource quantSource;
      if (!loadJsonSource(quantPath, quantSource, error))
        return false;
      ConfigReader quantReader(quantSource);
      if (!quantReader.has("quantization"))
        quantReader.failFile("missing required key 'quantization'");
      config.quantization =
          parseQuantization(quantReader, "quantization.", config.notes);
      config.configHash = canonicalHash({&source.root, &quantSource.root});
    }
  } catch (const ConfigError &e) {
    error = e.message;
    return false;
  }
  return true;
}

} // namespace mlir::nhc
