//===- ModelConfig.h - Nemotron-H configuration -----------------*- C++ -*-===//
//
// The Hugging Face `NemotronHConfig` as nhc reads it: every key alias that
// transformers accepts, its defaults, and the checks nhc needs. Plain C++ with
// no MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_CONFIG_MODELCONFIG_H
#define NHC_CONFIG_MODELCONFIG_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir::nhc {

enum class LayerKind { Mamba, Attention, MLP, MoE };

/// The pattern character of a layer kind: M, *, - or E.
char patternChar(LayerKind kind);
const char *layerKindName(LayerKind kind);

enum class DType { BF16, F16, F32 };
const char *dtypeName(DType dtype); // safetensors spelling: BF16, F16, F32

struct Quantization {
  std::string algo;                        // "FP8"
  std::vector<std::string> excludeModules; // names or glob patterns
  /// Where each excludeModules entry is written: {line, column}, 0 unknown.
  std::vector<std::pair<int, int>> excludePositions;
  std::string kvCacheAlgo;                 // empty when none
  std::string sourcePath;                  // file it was read from
};

struct ModelConfig {
  std::string configPath;
  /// config.json and the checkpoint's other files beside it, read or not,
  /// there or not (nhc/runtime/checkpoint_files.h: hf_quant_config.json,
  /// weights and shards, tokenizer, generation defaults; a later compile,
  /// run or server reads them): an output must never replace one.
  std::vector<std::string> inputPaths;
  /// FNV-1a 64 of the parsed config.json (and hf_quant_config.json when it
  /// was read) in canonical JSON form, as 16 hex digits.
  std::string configHash;
  /// Every value of config.json a getter read, keyed by the key paths it
  /// tried ("mlp_hidden_act", "mamba_n_groups|n_groups",
  /// "quantization_config.quant_algo"), with the JSON text of the value,
  /// "null" where none was present. The manifest carries them (`config.read`)
  /// so binding can name what a checkpoint's own config.json says otherwise.
  /// Values holding a non-finite number are left out (JSON has no spelling
  /// for them).
  std::vector<std::pair<std::string, std::string>> readValues;
  /// The default of each group of readValues that has one, present or not
  /// ("mamba_dt_min|time_step_min" -> "0.001"), as JSON text: binding reads
  /// an absent key of either config as its default, so a default written
  /// out and one left out compare equal.
  std::vector<std::pair<std::string, std::string>> defaultValues;
  std::string modelType = "nemotron_h";
  std::vector<LayerKind> layers;

  int64_t vocabSize = 131072;
  int64_t hiddenSize = 4096;
  bool tieWordEmbeddings = false;
  int64_t maxPositionEmbeddings = 4096;
  DType dtype = DType::F32;
  double layerNormEpsilon = 1e-5;
  bool residualInFp32 = false;

  // Attention.
  int64_t numAttentionHeads = 32;
  int64_t numKeyValueHeads = 8;
  int64_t headDim = 128;

  // MLP.
  int64_t intermediateSize = 21504;
  std::string mlpHiddenAct = "relu2"; // canonical name, see canonicalActivation
  bool mlpBias = false;               // MLP up/down (and shared expert) biases

  // Mamba-2.
  int64_t mambaNumHeads = 128;
  int64_t mambaHeadDim = 64;
  int64_t ssmStateSize = 128;
  int64_t nGroups = 8;
  int64_t convKernel = 4;
  int64_t chunkSize = 128;
  int64_t expand = 2;
  std::string mambaHiddenAct = "silu"; // activation after conv1d
  bool useConvBias = true;
  bool useBias = false; // Mamba in_proj / out_proj biases (`use_bias`)
  double timeStepMin = 0.001;
  double timeStepMax = 0.1;
  double timeStepFloor = 1e-4;
  double timeStepLimit[2] = {0.0, 0.0}; // set to {0, inf} by the parser
  DType ssmCacheDtype = DType::F32;

  // Mixture of experts.
  int64_t nRoutedExperts = 8;
  int64_t nSharedExperts = 1;
  int64_t moeIntermediateSize = 7688;
  int64_t moeSharedExpertIntermediateSize = 7688;
  std::optional<int64_t> moeLatentSize;
  int64_t numExpertsPerTok = 2;
  double routedScalingFactor = 1.0;
  int64_t nGroup = 1;
  int64_t topkGroup = 1;
  bool normTopkProb = true;

  // Multi-token prediction (not part of the forward pass).
  int64_t numNextnPredictLayers = 0;
  std::vector<LayerKind> mtpLayers;

  std::optional<Quantization> quantization;
  /// config.json has a quantization_config block (it wins over
  /// hf_quant_config.json even when it quantizes nothing).
  bool quantizationDeclared = false;
  /// What was read but deliberately not used (printed by `nhc compile
  /// --verbose`).
  std::vector<std::string> notes;
  /// What a user should see although the config loads ("file:line:col:
  /// warning: ..."; printed by every `nhc compile`).
  std::vector<std::string> warnings;

  int64_t numLayers(LayerKind kind) const;
  std::string pattern() const;
  int64_t mambaIntermediateSize() const { return mambaNumHeads * mambaHeadDim; }
  int64_t mambaConvDim() const {
    return mambaIntermediateSize() + 2 * nGroups * ssmStateSize;
  }
  int64_t mambaInProjSize() const {
    return mambaIntermediateSize() + mambaConvDim() + mambaNumHeads;
  }
};

/// Reads `path`: a config.json file, or a checkpoint directory holding
/// config.json (and possibly hf_quant_config.json). Returns false with a
/// diagnostic "file:line:col: error: ..." in `error` on bad input.
bool loadModelConfig(const std::string &path, ModelConfig &config,
                     std::string &error);

/// Same, from in-memory text of a config.json (for unit tests).
bool parseModelConfig(const std::string &path, const std::string &text,
                      ModelConfig &config, std::string &error);

/// True when `module` (e.g. "backbone.layers.3.mixer.q_proj") matches one of
/// the exclude_modules entries (exact names or '*'/'?' glob patterns). A
/// pattern may spell the module with the "backbone." prefix, without it, or
/// with "model." instead, as modelopt writes them.
bool isExcludedModule(const std::vector<std::string> &patterns,
                      const std::string &module);
/// Index of the first pattern matching `module` (as above), or -1.
int matchingExclusion(const std::vector<std::string> &patterns,
                      const std::string &module);

/// nhc's name for an activation that transformers' ACT2FN knows (aliases
/// such as swish, gelu_new, gelu_pytorch_tanh map onto one name), or nullopt.
std::optional<std::string> canonicalActivation(const std::string &name);
/// "relu2, relu, ..." for error messages.
std::string supportedActivationNames();

/// Text from a config quoted for a message: control characters and Unicode
/// direction overrides escaped, a long value cut short (nhc/runtime/escape.h).
std::string quoteConfigText(const std::string &text, char quote = '"');

} // namespace mlir::nhc

#endif // NHC_CONFIG_MODELCONFIG_H
