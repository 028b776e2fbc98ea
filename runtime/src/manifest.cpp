//===- manifest.cpp - Parse and validate the artifact manifest ------------===//
//
// Everything the runtime later trusts (layer indices, state shapes, weight
// table) is checked here once, so the binder and state pool need no
// re-validation.
//
//===----------------------------------------------------------------------===//

#include "manifest.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "error.h"
#include "float_dtype.h"
#include "json_fields.h"
#include "nhc/format/manifest_schema.h"
#include "nhc/runtime/checked_math.h"
#include "nhc/runtime/escape.h"
#include "nhc/runtime/limits.h"

namespace nhc::runtime {

namespace {

/// The manifest's key names and fixed values, shared with the compiler.
namespace schema = ::nhc::format::manifest;

constexpr bool sameText(const char *a, const char *b) {
  return *a == *b && (*a == '\0' || sameText(a + 1, b + 1));
}
// The public C header spells the format and version too.
static_assert(sameText(schema::kFormatName, NHC_MANIFEST_FORMAT),
              "NHC_MANIFEST_FORMAT differs from the manifest schema");
static_assert(schema::kVersion == NHC_MANIFEST_VERSION,
              "NHC_MANIFEST_VERSION differs from the manifest schema");

void checkHeader(const Json &root, const std::string &where) {
  requireObject(root, where);
  std::string format = asString(requireField(root, schema::key::kFormat, where),
                                where + ": format");
  NHC_CHECK(format == schema::kFormatName, NHC_INVALID_FORMAT,
            cat(where, ": format is '", format, "', expected '",
                schema::kFormatName, "'"));
  uint64_t version = asUInt(requireField(root, schema::key::kVersion, where),
                            where + ": version");
  NHC_CHECK(version == schema::kVersion, NHC_UNSUPPORTED_VERSION,
            cat(where, ": manifest version ", version,
                " is not supported (this runtime reads version ",
                schema::kVersion, ")"));
}

nhc_model_info_t parseModel(const Json &root, const std::string &where) {
  std::string at = where + ": model";
  const Json &model = requireField(root, schema::key::kModel, where);
  requireObject(model, at);
  nhc_model_info_t info{};
  // Bounded here, before the per-layer table and anything a session sizes
  // by them (logits rows, KV caches) exist.
  info.hidden_size =
      asPositiveAtMost(requireField(model, schema::key::kHiddenSize, at),
                       kMaxHidden, "nhc::kMaxHidden", at + ".hidden_size");
  info.vocab_size =
      asPositiveAtMost(requireField(model, schema::key::kVocabSize, at),
                       kMaxVocab, "nhc::kMaxVocab", at + ".vocab_size");
  info.num_layers = static_cast<uint32_t>(
      asUIntAtMost(requireField(model, schema::key::kNumLayers, at),
                   kMaxLayers, "nhc::kMaxLayers", at + ".num_layers"));
  info.dtype =
      asDtype(requireField(model, schema::key::kDtype, at), at + ".dtype");
  info.max_position_embeddings = asPositiveAtMost(
      requireField(model, schema::key::kMaxPositionEmbeddings, at),
      kMaxSequenceLength, "nhc::kMaxSequenceLength",
      at + ".max_position_embeddings");
  return info;
}

std::vector<TensorAlternative> parseAlternatives(const Json &list,
                                                const TensorSpec &spec,
                                                const std::string &where) {
  NHC_CHECK(list.is_array() && list.size() <= 8, NHC_INVALID_FORMAT,
            cat(where, ": expected an array of at most 8 alternatives, found ",
                previewJson(list)));
  std::vector<TensorAlternative> out;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string at = cat(where, "[", i, "]");
    TensorAlternative alt;
    alt.name =
        asName(requireField(list[i], schema::key::kName, at), at + ".name");
    NHC_CHECK(!alt.name.empty() && alt.name != spec.name, NHC_INVALID_FORMAT,
              cat(at, ".name: must name another tensor"));
    alt.slice = list[i].contains(schema::key::kIndex) ||
                list[i].contains(schema::key::kCount);
    if (alt.slice) {
      alt.index = asUInt(requireField(list[i], schema::key::kIndex, at),
                         at + ".index");
      alt.count = asUInt(requireField(list[i], schema::key::kCount, at),
                         at + ".count");
      NHC_CHECK(alt.index < alt.count, NHC_INVALID_FORMAT,
                cat(at, ": index ", alt.index, " is not below count ",
                    alt.count));
      NHC_CHECK(spec.shape.size() < NHC_MAX_RANK, NHC_INVALID_FORMAT,
                cat(at, ": a slice of a rank-", spec.shape.size() + 1,
                    " tensor exceeds the maximum rank ", NHC_MAX_RANK));
    }
    out.push_back(std::move(alt));
  }
  return out;
}

/// The optional `config.fnv1a64`: 16 lowercase hex digits.
std::string parseConfigHash(const Json &root, const std::string &where) {
  auto config = root.find(schema::key::kConfig);
  NHC_CHECK(config == root.end() || config->is_object(), NHC_INVALID_FORMAT,
            cat(where, ": config: expected an object, found ",
                previewJson(*config)));
  if (config == root.end() || !config->contains(schema::key::kConfigHash))
    return {};
  std::string at = where + ": config.fnv1a64";
  std::string hash = asString((*config)[schema::key::kConfigHash], at);
  NHC_CHECK(hash.size() == 16 &&
                hash.find_first_not_of("0123456789abcdef") == std::string::npos,
            NHC_INVALID_FORMAT,
            cat(at, ": expected 16 lowercase hex digits, found '",
                hash.substr(0, 40), "'"));
  return hash;
}

/// The optional `config.read` or `config.defaults` (`key`): an object of
/// key paths to any JSON value.
std::vector<std::pair<std::string, Json>> parseConfigValues(const Json &root,
                                                            const char *key,
                                                            const std::string &where) {
  std::vector<std::pair<std::string, Json>> read;
  auto config = root.find(schema::key::kConfig);
  if (config == root.end() || !config->is_object())
    return read;
  auto values = config->find(key);
  if (values == config->end())
    return read;
  NHC_CHECK(values->is_object(), NHC_INVALID_FORMAT,
            cat(where, ": config.", key, ": expected an object"));
  requireAtMost(values->size(), kMaxConfigValues, "nhc::kMaxConfigValues",
                cat(where, ": config.", key, ": the number of entries"));
  for (auto it = values->begin(); it != values->end(); ++it) {
    const std::string &group = it.key();
    requireAtMost(std::count(group.begin(), group.end(), '|') + 1,
                  kMaxConfigAliases, "nhc::kMaxConfigAliases",
                  cat(where, ": config.", key, ": the aliases of entry ",
                      quoteForMessage(group, '\'')));
    read.emplace_back(group, it.value());
  }
  return read;
}

std::vector<TensorSpec> parseWeights(const Json &root,
                                     const std::string &where) {
  const Json &weights = requireField(root, schema::key::kWeights, where);
  NHC_CHECK(weights.is_array(), NHC_INVALID_FORMAT,
            cat(where, ": weights: expected an array"));
  requireAtMost(weights.size(), kMaxWeights, "nhc::kMaxWeights",
                cat(where, ": weights: the number of entries"));
  std::vector<TensorSpec> specs;
  specs.reserve(weights.size());
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < weights.size(); ++i) {
    std::string at = cat(where, ": weights[", i, "]");
    const Json &entry = weights[i];
    TensorSpec spec;
    spec.name =
        asName(requireField(entry, schema::key::kName, at), at + ".name");
    NHC_CHECK(!spec.name.empty(), NHC_INVALID_FORMAT,
              at + ".name: must not be empty");
    at = cat(at, " ('", spec.name, "')");
    spec.dtype =
        asDtype(requireField(entry, schema::key::kDtype, at), at + ".dtype");
    spec.shape =
        asShape(requireField(entry, schema::key::kShape, at), at + ".shape");
    if (entry.contains(schema::key::kAlternatives))
      spec.alternatives = parseAlternatives(entry[schema::key::kAlternatives],
                                            spec, at + ".alternatives");
    for (auto [key, flag] : {std::pair{schema::key::kPositive, &spec.positive},
                             std::pair{schema::key::kFinite, &spec.finite}}) {
      if (!entry.contains(key))
        continue;
      const Json &value = entry[key];
      NHC_CHECK(value.is_boolean(), NHC_INVALID_FORMAT,
                cat(at, ".", key, ": expected true or false, found ",
                    previewJson(value)));
      *flag = value.get<bool>();
      NHC_CHECK(!*flag || isConvertibleFloat(spec.dtype), NHC_INVALID_FORMAT,
                cat(at, ".", key, ": only a float tensor can be required ",
                    key, ", not ", nhc_dtype_name(spec.dtype)));
    }
    auto [it, inserted] = seen.emplace(spec.name, i);
    NHC_CHECK(
        inserted, NHC_INVALID_FORMAT,
        cat(at, ": tensor listed twice (also weights[", it->second, "])"));
    specs.push_back(std::move(spec));
  }
  return specs;
}

/// The sequence dimension's spelling in a state shape.
constexpr const char *kSeqDim = schema::value::kDimMaxSeqLen;

/// A state tensor's shape: rank 1 .. NHC_MAX_STATE_RANK, positive
/// dimensions within kMaxStateElements, "max_seq_len" only first; sets
/// spec.shape, .perToken and .rowElems.
void parseStateShape(const Json &value, const std::string &at,
                     StateSpec &spec) {
  NHC_CHECK(
      value.is_array(), NHC_INVALID_FORMAT,
      cat(at, ": expected an array of dimensions, found ", previewJson(value)));
  NHC_CHECK(!value.empty() && value.size() <= NHC_MAX_STATE_RANK,
            NHC_INVALID_FORMAT,
            cat(at, ": a state tensor has rank 1 to ", NHC_MAX_STATE_RANK,
                ", found rank ", value.size(), " (", boundedDump(value), ")"));
  for (size_t d = 0; d < value.size(); ++d) {
    std::string dimAt = cat(at, "[", d, "]");
    const Json &dim = value[d];
    if (dim.is_string()) {
      NHC_CHECK(dim.get<std::string>() == kSeqDim, NHC_INVALID_FORMAT,
                cat(dimAt, ": expected a positive integer or \"", kSeqDim,
                    "\", found ", previewJson(dim)));
      NHC_CHECK(d == 0, NHC_INVALID_FORMAT,
                cat(dimAt, ": only the first dimension may be \"", kSeqDim,
                    "\" (one row per token position)"));
      spec.perToken = true;
      spec.shape.push_back(0);
      continue;
    }
    uint64_t size = asUInt(dim, dimAt);
    NHC_CHECK(size > 0, NHC_INVALID_FORMAT,
              cat(dimAt, ": must be positive, found 0"));
    requireAtMost(size, kMaxStateElements, "nhc::kMaxStateElements", dimAt);
    spec.shape.push_back(size);
  }
  std::vector<uint64_t> row(spec.shape.begin() + (spec.perToken ? 1 : 0),
                            spec.shape.end());
  std::optional<uint64_t> elems = checkedProductOf(row, kMaxStateElements);
  NHC_CHECK(elems.has_value(), NHC_INVALID_FORMAT,
            cat(at, ": ", stateShapeToString(spec), " has more than ",
                kMaxStateElements, " elements",
                spec.perToken ? " per token" : "",
                " (nhc::kMaxStateElements)"));
  spec.rowElems = *elems;
}

/// The `state` list: one entry per named per-request tensor.
void parseState(const Json &root, const std::string &where,
                nhc_manifest_t &manifest) {
  std::string at = where + ": state";
  const Json &state = requireField(root, schema::key::kState, where);
  // Older compilers wrote an object of per-layer lists; an empty one (a
  // model without state) means the same as an empty list.
  if (state.is_object() && state.empty())
    return;
  NHC_CHECK(state.is_array(), NHC_INVALID_FORMAT,
            cat(at,
                ": expected an array of state tensors ({name, layer, "
                "dtype, shape}), found ",
                previewJson(state),
                state.is_object() ? "; an object is the per-layer format of "
                                    "older compilers: recompile the artifact"
                                  : ""));
  requireAtMost(state.size(), kMaxStateTensors, "nhc::kMaxStateTensors",
                at + ": the number of entries");
  std::unordered_map<std::string, size_t> seen;
  manifest.state.reserve(state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    std::string entryAt = cat(at, "[", i, "]");
    const Json &entry = state[i];
    requireObject(entry, entryAt);
    StateSpec spec;
    spec.name = asName(requireField(entry, schema::key::kName, entryAt),
                       entryAt + ".name");
    NHC_CHECK(!spec.name.empty(), NHC_INVALID_FORMAT,
              entryAt + ".name: must not be empty");
    requireAtMost(spec.name.size(), kMaxStateNameBytes,
                  "nhc::kMaxStateNameBytes",
                  entryAt + ".name: length in bytes");
    auto [it, inserted] = seen.emplace(spec.name, i);
    NHC_CHECK(inserted, NHC_INVALID_FORMAT,
              cat(entryAt, ".name: '", spec.name,
                  "' is listed twice (also state[", it->second, "])"));
    uint64_t layer = asUInt(requireField(entry, schema::key::kLayer, entryAt),
                            entryAt + ".layer");
    NHC_CHECK(layer < manifest.model.num_layers, NHC_INVALID_FORMAT,
              cat(entryAt, ".layer: ", layer,
                  " is out of range (model.num_layers is ",
                  manifest.model.num_layers, ")"));
    spec.layer = static_cast<uint32_t>(layer);
    spec.dtype = asDtype(requireField(entry, schema::key::kDtype, entryAt),
                         entryAt + ".dtype");
    NHC_CHECK(isConvertibleFloat(spec.dtype), NHC_INVALID_FORMAT,
              cat(entryAt, ".dtype: state tensor '", spec.name,
                  "' must be F32, BF16 or F16, found ",
                  nhc_dtype_name(spec.dtype)));
    parseStateShape(requireField(entry, schema::key::kShape, entryAt),
                    entryAt + ".shape", spec);
    manifest.state.push_back(std::move(spec));
  }
  manifest.model.num_state_tensors =
      static_cast<uint32_t>(manifest.state.size());
}

} // namespace

std::unique_ptr<nhc_manifest_t> parseManifest(const char *json, size_t size,
                                              const std::string &where,
                                              const std::string &origin) {
  requireAtMost(size, kMaxManifestBytes, "nhc::kMaxManifestBytes",
                cat(where, ": size in bytes"));
  Json root = parseJson(json, size, where);
  return withJsonErrors(where, [&] {
    checkHeader(root, where);
    auto manifest = std::make_unique<nhc_manifest_t>();
    manifest->origin = origin;
    manifest->model = parseModel(root, where);
    manifest->configHash = parseConfigHash(root, where);
    manifest->configRead =
        parseConfigValues(root, schema::key::kConfigRead, where);
    manifest->configDefaults =
        parseConfigValues(root, schema::key::kConfigDefaults, where);
    manifest->weights = parseWeights(root, where);
    parseState(root, where, *manifest);
    parseExecutionPlan(root, where, *manifest);
    return manifest;
  });
}

nhc_tensor_desc_t toDesc(const TensorSpec &spec) {
  nhc_tensor_desc_t desc{};
  desc.name = spec.name.c_str();
  desc.dtype = spec.dtype;
  desc.rank = static_cast<uint32_t>(spec.shape.size());
  for (size_t i = 0; i < spec.shape.size(); ++i)
    desc.shape[i] = spec.shape[i];
  return desc;
}

std::string stateShapeToString(const StateSpec &spec) {
  if (!spec.perToken)
    return shapeToString(spec.shape);
  std::vector<uint64_t> rest(spec.shape.begin() + 1, spec.shape.end());
  std::string tail = shapeToString(rest); // "[2, 32]"
  return rest.empty() ? cat("[", kSeqDim, "]")
                      : cat("[", kSeqDim, ", ", tail.substr(1));
}

} // namespace nhc::runtime

using namespace nhc::runtime;

extern "C" {

nhc_status_t nhc_manifest_parse(const char *json, size_t size,
                                const char *source,
                                nhc_manifest_t **out_manifest) {
  return guard("nhc_manifest_parse", [&] {
    NHC_CHECK_ARG(json, "nhc_manifest_parse");
    NHC_CHECK_ARG(out_manifest, "nhc_manifest_parse");
    std::string origin =
        source ? cat("manifest '", source, "'") : std::string("manifest");
    *out_manifest = parseManifest(json, size, origin, origin).release();
  });
}

void nhc_manifest_release(nhc_manifest_t *manifest) {
  if (manifest && !manifest->ownedByArtifact)
    delete manifest;
}

nhc_status_t nhc_manifest_model_info(const nhc_manifest_t *manifest,
                                     nhc_model_info_t *out_info) {
  return guard("nhc_manifest_model_info", [&] {
    NHC_CHECK_ARG(manifest, "nhc_manifest_model_info");
    NHC_CHECK_ARG(out_info, "nhc_manifest_model_info");
    *out_info = manifest->model;
  });
}

size_t nhc_manifest_weight_count(const nhc_manifest_t *manifest) {
  return manifest ? manifest->weights.size() : 0;
}

nhc_status_t nhc_manifest_weight_at(const nhc_manifest_t *manifest,
                                    size_t index, nhc_tensor_desc_t *out_desc) {
  return guard("nhc_manifest_weight_at", [&] {
    NHC_CHECK_ARG(manifest, "nhc_manifest_weight_at");
    NHC_CHECK_ARG(out_desc, "nhc_manifest_weight_at");
    NHC_CHECK(index < manifest->weights.size(), NHC_INVALID_ARGUMENT,
              cat("nhc_manifest_weight_at: index ", index, " out of range (",
                  manifest->origin, " lists ", manifest->weights.size(),
                  " weights)"));
    *out_desc = toDesc(manifest->weights[index]);
  });
}

size_t nhc_manifest_state_tensor_count(const nhc_manifest_t *manifest) {
  return manifest ? manifest->state.size() : 0;
}

nhc_status_t nhc_manifest_state_tensor_at(const nhc_manifest_t *manifest,
                                          size_t index,
                                          nhc_state_tensor_desc_t *out_desc) {
  return guard("nhc_manifest_state_tensor_at", [&] {
    NHC_CHECK_ARG(manifest, "nhc_manifest_state_tensor_at");
    NHC_CHECK_ARG(out_desc, "nhc_manifest_state_tensor_at");
    NHC_CHECK(index < manifest->state.size(), NHC_INVALID_ARGUMENT,
              cat("nhc_manifest_state_tensor_at: index ", index,
                  " out of range (", manifest->origin, " lists ",
                  manifest->state.size(), " state tensors)"));
    const StateSpec &spec = manifest->state[index];
    nhc_state_tensor_desc_t desc{};
    desc.name = spec.name.c_str();
    desc.layer = spec.layer;
    desc.dtype = spec.dtype;
    desc.rank = static_cast<uint32_t>(spec.shape.size());
    for (size_t i = 0; i < spec.shape.size(); ++i)
      desc.shape[i] = spec.shape[i];
    desc.per_token = spec.perToken ? 1 : 0;
    *out_desc = desc;
  });
}

} // extern "C"
