//===- manifest.cpp - Parse and validate the artifact manifest ------------===//
//
// Everything the runtime later trusts (layer indices, state shapes, weight
// table) is checked here once, so the binder and state pool need no
// re-validation.
//
//===----------------------------------------------------------------------===//

#include "manifest.h"

#include <initializer_list>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "error.h"
#include "float_dtype.h"
#include "json_fields.h"
#include "nhc/runtime/limits.h"

namespace nhc::runtime {

namespace {

/// conv_dim = heads * head_dim + 2 * groups * state_size, at the limits.
constexpr uint64_t kMaxConvDim =
    kMaxHeads * kMaxHeadDim + 2 * kMaxGroups * kMaxStateSize;

uint32_t asUInt32(const Json &value, const std::string &where) {
  uint64_t v = asUInt(value, where);
  NHC_CHECK(v <= std::numeric_limits<uint32_t>::max(), NHC_INVALID_FORMAT,
            cat(where, ": value ", v, " does not fit in 32 bits"));
  return static_cast<uint32_t>(v);
}

uint32_t asPositiveUInt32(const Json &value, const std::string &where) {
  uint32_t v = asUInt32(value, where);
  NHC_CHECK(v > 0, NHC_INVALID_FORMAT,
            cat(where, ": must be positive, found 0"));
  return v;
}

void checkHeader(const Json &root, const std::string &where) {
  requireObject(root, where);
  std::string format =
      asString(requireField(root, "format", where), where + ": format");
  NHC_CHECK(format == NHC_MANIFEST_FORMAT, NHC_INVALID_FORMAT,
            cat(where, ": format is '", format, "', expected '",
                NHC_MANIFEST_FORMAT, "'"));
  uint64_t version =
      asUInt(requireField(root, "version", where), where + ": version");
  NHC_CHECK(version == NHC_MANIFEST_VERSION, NHC_UNSUPPORTED_VERSION,
            cat(where, ": manifest version ", version,
                " is not supported (this runtime reads version ",
                NHC_MANIFEST_VERSION, ")"));
}

nhc_model_info_t parseModel(const Json &root, const std::string &where) {
  std::string at = where + ": model";
  const Json &model = requireField(root, "model", where);
  requireObject(model, at);
  nhc_model_info_t info{};
  // Bounded here, before the per-layer table and anything a session sizes
  // by them (logits rows, KV caches) exist.
  info.hidden_size =
      asUIntAtMost(requireField(model, "hidden_size", at), kMaxHidden,
                   "nhc::kMaxHidden", at + ".hidden_size");
  info.vocab_size =
      asUIntAtMost(requireField(model, "vocab_size", at), kMaxVocab,
                   "nhc::kMaxVocab", at + ".vocab_size");
  info.num_layers = static_cast<uint32_t>(
      asUIntAtMost(requireField(model, "num_layers", at), kMaxLayers,
                   "nhc::kMaxLayers", at + ".num_layers"));
  info.dtype = asDtype(requireField(model, "dtype", at), at + ".dtype");
  info.max_position_embeddings = asUIntAtMost(
      requireField(model, "max_position_embeddings", at), kMaxSequenceLength,
      "nhc::kMaxSequenceLength", at + ".max_position_embeddings");
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
    alt.name = asName(requireField(list[i], "name", at), at + ".name");
    NHC_CHECK(!alt.name.empty() && alt.name != spec.name, NHC_INVALID_FORMAT,
              cat(at, ".name: must name another tensor"));
    alt.slice = list[i].contains("index") || list[i].contains("count");
    if (alt.slice) {
      alt.index = asUInt(requireField(list[i], "index", at), at + ".index");
      alt.count = asUInt(requireField(list[i], "count", at), at + ".count");
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
  auto config = root.find("config");
  if (config == root.end() || !config->is_object() ||
      !config->contains("fnv1a64"))
    return {};
  std::string at = where + ": config.fnv1a64";
  std::string hash = asString((*config)["fnv1a64"], at);
  NHC_CHECK(hash.size() == 16 &&
                hash.find_first_not_of("0123456789abcdef") == std::string::npos,
            NHC_INVALID_FORMAT,
            cat(at, ": expected 16 lowercase hex digits, found '",
                hash.substr(0, 40), "'"));
  return hash;
}

std::vector<TensorSpec> parseWeights(const Json &root,
                                     const std::string &where) {
  const Json &weights = requireField(root, "weights", where);
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
    spec.name = asName(requireField(entry, "name", at), at + ".name");
    NHC_CHECK(!spec.name.empty(), NHC_INVALID_FORMAT,
              at + ".name: must not be empty");
    at = cat(at, " ('", spec.name, "')");
    spec.dtype = asDtype(requireField(entry, "dtype", at), at + ".dtype");
    spec.shape = asShape(requireField(entry, "shape", at), at + ".shape");
    if (entry.contains("alternatives"))
      spec.alternatives = parseAlternatives(entry["alternatives"], spec,
                                            at + ".alternatives");
    if (entry.contains("positive")) {
      NHC_CHECK(entry["positive"].is_boolean(), NHC_INVALID_FORMAT,
                cat(at, ".positive: expected true or false, found ",
                    previewJson(entry["positive"])));
      spec.positive = entry["positive"].get<bool>();
    }
    NHC_CHECK(!spec.positive || isConvertibleFloat(spec.dtype),
              NHC_INVALID_FORMAT,
              cat(at, ".positive: only a float tensor can be required "
                      "positive, not ", nhc_dtype_name(spec.dtype)));
    auto [it, inserted] = seen.emplace(spec.name, i);
    NHC_CHECK(
        inserted, NHC_INVALID_FORMAT,
        cat(at, ": tensor listed twice (also weights[", it->second, "])"));
    specs.push_back(std::move(spec));
  }
  return specs;
}

/// An upper limit for one dimension of a state tensor, and its name.
struct DimLimit {
  uint64_t limit;
  const char *name;
};

/// A state tensor: dtype + shape of exactly `limits.size()` positive
/// dimensions, each within its limit (a slot's state is sized by them).
TensorSpec parseStateTensor(const Json &layer, const char *key,
                            std::initializer_list<DimLimit> limits,
                            const std::string &where) {
  const size_t rank = limits.size();
  std::string at = cat(where, ".", key);
  const Json &value = requireField(layer, key, where);
  TensorSpec spec;
  spec.name = key;
  spec.dtype = asDtype(requireField(value, "dtype", at), at + ".dtype");
  spec.shape = asShape(requireField(value, "shape", at), at + ".shape");
  NHC_CHECK(spec.shape.size() == rank, NHC_INVALID_FORMAT,
            cat(at, ".shape: expected rank ", rank, ", found ",
                shapeToString(spec.shape)));
  for (uint64_t dim : spec.shape)
    NHC_CHECK(dim > 0, NHC_INVALID_FORMAT,
              cat(at, ".shape: dimensions must be positive, found ",
                  shapeToString(spec.shape)));
  size_t i = 0;
  for (const DimLimit &limit : limits) {
    requireAtMost(spec.shape[i], limit.limit, limit.name,
                  cat(at, ".shape[", i, "]"));
    ++i;
  }
  return spec;
}

/// Records `layer` as `kind`, rejecting out-of-range and repeated layers.
void claimLayer(nhc_manifest_t &manifest, uint32_t layer,
                nhc_layer_state_kind_t kind, const std::string &at) {
  NHC_CHECK(layer < manifest.model.num_layers, NHC_INVALID_FORMAT,
            cat(at, ".layer: ", layer, " is out of range (model.num_layers is ",
                manifest.model.num_layers, ")"));
  NHC_CHECK(
      manifest.layerKinds[layer] == NHC_LAYER_STATELESS, NHC_INVALID_FORMAT,
      cat(at, ".layer: layer ", layer, " already has state listed in state.",
          manifest.layerKinds[layer] == NHC_LAYER_MAMBA ? "mamba_layers"
                                                        : "attention_layers"));
  manifest.layerKinds[layer] = kind;
}

/// An optional array member: missing means empty.
const Json *optionalArray(const Json &obj, const char *key,
                          const std::string &where) {
  auto it = obj.find(key);
  if (it == obj.end())
    return nullptr;
  NHC_CHECK(it->is_array(), NHC_INVALID_FORMAT,
            cat(where, ".", key, ": expected an array"));
  return &*it;
}

void parseState(const Json &root, const std::string &where,
                nhc_manifest_t &manifest) {
  std::string at = where + ": state";
  const Json &state = requireField(root, "state", where);
  requireObject(state, at);
  manifest.layerKinds.assign(manifest.model.num_layers, NHC_LAYER_STATELESS);

  if (const Json *mamba = optionalArray(state, "mamba_layers", at)) {
    for (size_t i = 0; i < mamba->size(); ++i) {
      std::string entryAt = cat(at, ".mamba_layers[", i, "]");
      const Json &entry = (*mamba)[i];
      MambaLayerSpec spec;
      spec.layer =
          asUInt32(requireField(entry, "layer", entryAt), entryAt + ".layer");
      spec.convState = parseStateTensor(
          entry, "conv_state",
          {{kMaxConvDim, "conv_dim: nhc::kMaxHeads * nhc::kMaxHeadDim + 2 * "
                         "nhc::kMaxGroups * nhc::kMaxStateSize"},
           {kMaxConvKernel - 1, "conv_kernel - 1: nhc::kMaxConvKernel - 1"}},
          entryAt);
      spec.ssmState = parseStateTensor(entry, "ssm_state",
                                       {{kMaxHeads, "nhc::kMaxHeads"},
                                        {kMaxHeadDim, "nhc::kMaxHeadDim"},
                                        {kMaxStateSize, "nhc::kMaxStateSize"}},
                                       entryAt);
      claimLayer(manifest, spec.layer, NHC_LAYER_MAMBA, entryAt);
      manifest.mambaLayers.push_back(std::move(spec));
    }
  }
  if (const Json *attention = optionalArray(state, "attention_layers", at)) {
    for (size_t i = 0; i < attention->size(); ++i) {
      std::string entryAt = cat(at, ".attention_layers[", i, "]");
      const Json &entry = (*attention)[i];
      AttentionLayerSpec spec;
      spec.layer =
          asUInt32(requireField(entry, "layer", entryAt), entryAt + ".layer");
      spec.numKvHeads =
          asPositiveUInt32(requireField(entry, "num_kv_heads", entryAt),
                           entryAt + ".num_kv_heads");
      requireAtMost(spec.numKvHeads, kMaxHeads, "nhc::kMaxHeads",
                    entryAt + ".num_kv_heads");
      spec.headDim = asPositiveUInt32(requireField(entry, "head_dim", entryAt),
                                      entryAt + ".head_dim");
      requireAtMost(spec.headDim, kMaxHeadDim, "nhc::kMaxHeadDim",
                    entryAt + ".head_dim");
      spec.dtype =
          asDtype(requireField(entry, "dtype", entryAt), entryAt + ".dtype");
      claimLayer(manifest, spec.layer, NHC_LAYER_ATTENTION, entryAt);
      manifest.attentionLayers.push_back(spec);
    }
  }
  manifest.model.num_mamba_layers =
      static_cast<uint32_t>(manifest.mambaLayers.size());
  manifest.model.num_attention_layers =
      static_cast<uint32_t>(manifest.attentionLayers.size());
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

const char *layerStateKindDescription(nhc_layer_state_kind_t kind) {
  switch (kind) {
  case NHC_LAYER_MAMBA:
    return "a Mamba layer";
  case NHC_LAYER_ATTENTION:
    return "an attention layer";
  default:
    return "a layer without state";
  }
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

nhc_layer_state_kind_t
nhc_manifest_layer_state_kind(const nhc_manifest_t *manifest, uint32_t layer) {
  if (!manifest || layer >= manifest->layerKinds.size())
    return NHC_LAYER_STATELESS;
  return manifest->layerKinds[layer];
}

} // extern "C"
