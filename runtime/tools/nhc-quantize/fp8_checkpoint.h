//===- fp8_checkpoint.h - Write a modelopt FP8 checkpoint -----*- C++ -*-===//
//
// modelopt's per-tensor static FP8 recipe, as NVIDIA's published Nemotron-H
// FP8 checkpoints choose it (docs/fp8.md): Mamba in_proj/out_proj and MLP
// up_proj/down_proj in e4m3 with
//   weight_scale = max|W| / 448,  W_q = sat_e4m3(W / weight_scale)
//   input_scale  = max|x| / 448   over the calibration prompts' inputs
// and the MoE's shared and routed experts' up_proj/down_proj likewise (each
// routed expert its own scales, expert_calibration.h); everything else
// (embeddings, attention, conv1d, norms, the router, lm_head) as stored. The output is a checkpoint directory: model.safetensors,
// config.json with quantization_config, hf_quant_config.json, and the
// input's other files (generation config, tokenizer) copied.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_QUANTIZE_FP8_CHECKPOINT_H
#define NHC_QUANTIZE_FP8_CHECKPOINT_H

#include <map>
#include <string>
#include <vector>

#include "nhc/runtime/api.h"

namespace nhc::quantize {

/// "backbone.layers.3.mixer.experts.5.up_proj.weight" -> the module, without
/// ".weight" (a name without the suffix as it is).
std::string moduleOf(const std::string &weight);

/// True for the linear modules the recipe quantizes: Mamba in/out_proj, MLP
/// and shared-expert up/down_proj, each routed expert's own up/down_proj
/// ("...mixer.experts.3.up_proj"; not a stacked "...mixer.experts.up_proj").
bool quantizesModule(const std::string &module);

/// The exclude_modules list written to the configs: NVIDIA's wildcards that
/// name modules of this model (conv1d when it `hasMamba`), plus every other
/// module in `unquantized` none of them covers.
std::vector<std::string>
excludeModules(const std::vector<std::string> &unquantized, bool hasMamba);

struct QuantizedModule {
  std::string module; // as the checkpoint names it, without ".weight"
  float inputScale = 0, weightScale = 0;
};

/// The checkpoint tensor stacking every expert ([E, ...]) that manifest
/// weight `index` is bound to one slice of, else empty.
std::string stackedTensorOf(const nhc_weights_t *weights,
                            const nhc_manifest_t *manifest, size_t index);

/// "tensor 'NAME' in FILE holds NaN at element I" for the first weight
/// bound to `manifest` (in manifest order) that holds NaN or an infinity,
/// else empty. Reads every bound tensor: for explaining a failure only.
std::string firstNonFiniteWeight(const nhc_weights_t *weights,
                                 const nhc_manifest_t *manifest);

/// Writes the FP8 checkpoint of `weights` (bound to `manifest`) into
/// `outDir` (which exists and is empty): the modules in `inputAbsmax`
/// (manifest weight name -> max |input|) are quantized. Experts bound to
/// slices of a stacked tensor are written as per-expert tensors (modelopt's
/// FP8 layout, by their manifest names) in place of the stacked one, which
/// must then be quantized whole. Copies the other
/// files of `sourceDir`. Returns the quantized modules in checkpoint order.
/// Throws std::runtime_error naming the tensor or file.
std::vector<QuantizedModule>
writeFp8Checkpoint(const nhc_weights_t *weights, const nhc_manifest_t *manifest,
                   const std::map<std::string, float> &inputAbsmax,
                   const std::vector<std::string> &exclude,
                   const std::string &sourceDir, const std::string &outDir);

} // namespace nhc::quantize

#endif // NHC_QUANTIZE_FP8_CHECKPOINT_H
