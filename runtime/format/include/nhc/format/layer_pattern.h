//===- nhc/format/layer_pattern.h - Layer pattern spellings -----*- C++ -*-===//
//
// A config.json spells its decoder layers either as hybrid_override_pattern,
// one character per layer, or as a list of block types (layers_block_type,
// layer_types). The one table between the two: the compiler reads configs
// with it and the runtime compares a checkpoint's config with the one an
// artifact was compiled from. Header-only, standard C++.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_FORMAT_LAYER_PATTERN_H
#define NHC_FORMAT_LAYER_PATTERN_H

#include <string_view>

namespace nhc::format {

/// The config keys of the layers, in the order transformers prefers them:
/// the block-type lists (layer_types wins over its alias layers_block_type),
/// then the legacy pattern string.
inline constexpr const char kLayerTypesKey[] = "layer_types";
inline constexpr const char kLayersBlockTypeKey[] = "layers_block_type";
inline constexpr const char kLayerPatternKey[] = "hybrid_override_pattern";

/// The pattern character of a block type: 'M' Mamba-2, '*' attention, '-'
/// MLP, 'E' MoE; transformers' current names (linear_attention,
/// full_attention) and the legacy ones it remaps (mamba, attention). 0 for
/// any other name.
inline char layerPatternChar(std::string_view blockType) {
  if (blockType == "linear_attention" || blockType == "mamba")
    return 'M';
  if (blockType == "full_attention" || blockType == "attention")
    return '*';
  if (blockType == "mlp")
    return '-';
  if (blockType == "moe")
    return 'E';
  return 0;
}

} // namespace nhc::format

#endif // NHC_FORMAT_LAYER_PATTERN_H
