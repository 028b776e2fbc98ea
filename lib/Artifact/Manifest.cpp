//===- Manifest.cpp - assemble the artifact manifest ------------*- C++ -*-===//

#include "nhc/Artifact/Manifest.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.h"


using json = nlohmann::json;

namespace mlir::nhc {

namespace {
std::string dtypeName(Type type) {
  return type.isBF16() ? "BF16" : type.isF16() ? "F16" : "F32";
}

json layerPlan(const std::string &pattern) {
  json layers = json::array();
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char *kind = pattern[i] == 'M'   ? "mamba"
                       : pattern[i] == '*' ? "attention"
                       : pattern[i] == '-' ? "mlp"
                                           : "moe";
    layers.push_back({{"index", i}, {"kind", kind}});
  }
  return layers;
}
} // namespace

json buildManifest(const ManifestInputs &inputs) {
  auto model = nemotron::ModelAttr::of(inputs.model);
  std::string pattern = model.getLayerPattern().str();
  json kernels = json::array();
  for (const std::string &name : inputs.plan->kernelsUsed) {
    json params = json::array();
    for (KernelParamKind kind : inputs.kernels->at(name))
      params.push_back(kernelParamKindName(kind));
    kernels.push_back({{"name", name}, {"params", params}});
  }
  return {
      {"format", "nhc-manifest"},
      {"version", 1},
      {"generator", "nhc"},
      {"config",
       {{"source", model.getSource().str()},
        {"fnv1a64", model.getConfigHash().str()}}},
      {"model",
       {{"hidden_size", model.getHiddenSize()},
        {"vocab_size", model.getVocabSize()},
        {"num_layers", model.getNumLayers()},
        {"max_position_embeddings", model.getMaxPositionEmbeddings()},
        {"dtype", dtypeName(model.getDtype())},
        {"compute_dtype", "F32"},
        {"layer_pattern", pattern}}},
      {"layers", layerPlan(pattern)},
      {"targets", inputs.targets},
      {"weights", inputs.plan->weights},
      {"state", inputs.plan->state},
      {"buffers", inputs.plan->buffers},
      {"kernels", kernels},
      {"schedules", inputs.plan->schedules},
      {"taps", inputs.plan->taps},
  };
}

} // namespace mlir::nhc
