//===- manifest.h - Validated in-memory manifest ------------*- C++ -*-===//
#ifndef NHC_RUNTIME_SRC_MANIFEST_H
#define NHC_RUNTIME_SRC_MANIFEST_H

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nhc/runtime/manifest.h"
#include "plan.h"

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
  /// Every value must be positive, normal and at most sqrt(FLT_MAX) / 448 (an FP8
  /// scale); checked when the checkpoint is bound.
  bool positive = false;
  /// Every value must be finite (the MoE router's gate, whose NaN would
  /// reorder the routing silently); checked when the checkpoint is bound.
  bool finite = false;
};

/// One entry of the manifest's `state` list: a tensor every request owns.
struct StateSpec {
  std::string name;
  uint32_t layer = 0; // the owning decoder layer, for messages
  nhc_dtype_t dtype = NHC_DTYPE_INVALID; // F32, BF16 or F16
  /// One request's shape; shape[0] is 0 for a sequence tensor (the pool's
  /// max_seq_len rows). Rank 1 .. NHC_MAX_STATE_RANK.
  std::vector<uint64_t> shape;
  bool perToken = false;
  /// Elements of the whole tensor, or of one token row of a sequence tensor
  /// (at most nhc::kMaxStateElements).
  uint64_t rowElems = 0;
};

/// Parses and validates manifest text. `where` prefixes error messages
/// ("artifact '/a.nhc': manifest"); `origin` names the manifest's owner in
/// later messages ("artifact '/a.nhc'"). Throws Error.
std::unique_ptr<nhc_manifest_t> parseManifest(const char *json, size_t size,
                                              const std::string &where,
                                              const std::string &origin);

/// Fills a C descriptor; `spec` must outlive the descriptor.
nhc_tensor_desc_t toDesc(const TensorSpec &spec);

/// "[max_seq_len, 2, 32]" for a sequence tensor, else as shapeToString().
std::string stateShapeToString(const StateSpec &spec);

} // namespace nhc::runtime

/// The opaque C handle. Immutable after parsing.
struct nhc_manifest_t {
  std::string origin;
  bool ownedByArtifact = false;
  /// `config.fnv1a64` (the compiled config's hash), empty when absent; names
  /// the model in state blobs.
  std::string configHash;
  /// `config.read`: each config key path the compiler looked up (dotted)
  /// with the value it found (null: absent); empty when absent. Binding
  /// compares a checkpoint's config.json with it.
  std::vector<std::pair<std::string, nlohmann::json>> configRead;
  /// `config.defaults`: the compiler's default for entries of configRead
  /// that have one (optional; empty when absent).
  std::vector<std::pair<std::string, nlohmann::json>> configDefaults;
  nhc_model_info_t model{};
  std::vector<nhc::runtime::TensorSpec> weights;
  std::vector<nhc::runtime::StateSpec> state; // manifest order
  nhc::runtime::ExecutionPlan plan; // buffers, kernels, schedules
};

#endif // NHC_RUNTIME_SRC_MANIFEST_H
