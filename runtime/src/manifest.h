//===- manifest.h - Validated in-memory manifest ------------*- C++ -*-===//
#ifndef NHC_RUNTIME_SRC_MANIFEST_H
#define NHC_RUNTIME_SRC_MANIFEST_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nhc/runtime/manifest.h"
#include "schedule.h"

namespace nhc::runtime {

/// Another checkpoint tensor a weight may bind from when its own name is
/// absent: the whole tensor (same shape), or slice `index` of `count` along
/// the first dimension of a stacked [count, ...shape] tensor.
struct TensorAlternative {
  std::string name;
  bool slice = false;
  uint64_t index = 0, count = 0;
};

struct TensorSpec {
  std::string name;
  /// The dtype the computation reads. A float dtype (F32/BF16/F16) binds a
  /// tensor stored in any float dtype; others (FP8) must match exactly.
  nhc_dtype_t dtype = NHC_DTYPE_INVALID;
  std::vector<uint64_t> shape;
  std::vector<TensorAlternative> alternatives; // tried in order
  /// Every value must be positive and finite (an FP8 scale); checked when
  /// the checkpoint is bound.
  bool positive = false;
};

struct MambaLayerSpec {
  uint32_t layer = 0;
  TensorSpec convState; // [conv_dim, conv_kernel - 1]
  TensorSpec ssmState;  // [heads, head_dim, state_size]
};

struct AttentionLayerSpec {
  uint32_t layer = 0;
  uint32_t numKvHeads = 0;
  uint32_t headDim = 0;
  nhc_dtype_t dtype = NHC_DTYPE_INVALID;
};

/// Parses and validates manifest text. `where` prefixes error messages
/// ("artifact '/a.nhc': manifest"); `origin` names the manifest's owner in
/// later messages ("artifact '/a.nhc'"). Throws Error.
std::unique_ptr<nhc_manifest_t> parseManifest(const char *json, size_t size,
                                              const std::string &where,
                                              const std::string &origin);

/// Fills a C descriptor; `spec` must outlive the descriptor.
nhc_tensor_desc_t toDesc(const TensorSpec &spec);

/// "a Mamba layer", "an attention layer" or "a layer without state", for
/// error messages.
const char *layerStateKindDescription(nhc_layer_state_kind_t kind);

} // namespace nhc::runtime

/// The opaque C handle. Immutable after parsing.
struct nhc_manifest_t {
  std::string origin;
  bool ownedByArtifact = false;
  /// `config.fnv1a64` (the compiled config's hash), empty when absent; names
  /// the model in state blobs.
  std::string configHash;
  nhc_model_info_t model{};
  std::vector<nhc::runtime::TensorSpec> weights;
  std::vector<nhc::runtime::MambaLayerSpec> mambaLayers;
  std::vector<nhc::runtime::AttentionLayerSpec> attentionLayers;
  std::vector<nhc_layer_state_kind_t> layerKinds; // indexed by layer
  nhc::runtime::ExecutionPlan plan; // buffers, kernels, schedules
};

#endif // NHC_RUNTIME_SRC_MANIFEST_H
