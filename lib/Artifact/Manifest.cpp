//===- Manifest.cpp - assemble the artifact manifest ------------*- C++ -*-===//

#include "nhc/Artifact/Manifest.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Path.h"
#include "nhc/runtime/artifact.h"

#include <cstdio>

using json = nlohmann::json;

namespace mlir::nhc {

namespace {
int64_t intAttr(ModuleOp module, StringRef name) {
  auto attr = module->getAttrOfType<IntegerAttr>(("nemotron." + name).str());
  return attr ? attr.getInt() : 0;
}

std::string stringAttr(ModuleOp module, StringRef name) {
  auto attr = module->getAttrOfType<StringAttr>(("nemotron." + name).str());
  return attr ? attr.getValue().str() : std::string();
}

std::string dtypeOf(ModuleOp module) {
  auto attr = module->getAttrOfType<TypeAttr>("nemotron.dtype");
  if (!attr)
    return "F32";
  Type type = attr.getValue();
  return type.isBF16() ? "BF16" : type.isF16() ? "F16" : "F32";
}

std::string hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx",
                static_cast<unsigned long long>(value));
  return text;
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
  ModuleOp model = inputs.model;
  std::string pattern = stringAttr(model, "layer_pattern");
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
       // The file's name only: an artifact never records where on the build
       // machine it was compiled, so two checkouts build identical bytes.
       {{"source", llvm::sys::path::filename(stringAttr(model, "source")).str()},
        {"fnv1a64", hex64(nhc_fnv1a64(inputs.configText.data(),
                                      inputs.configText.size(),
                                      NHC_FNV1A64_OFFSET_BASIS))}}},
      {"model",
       {{"hidden_size", intAttr(model, "hidden_size")},
        {"vocab_size", intAttr(model, "vocab_size")},
        {"num_layers", intAttr(model, "num_layers")},
        {"max_position_embeddings", intAttr(model, "max_position_embeddings")},
        {"dtype", dtypeOf(model)},
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
