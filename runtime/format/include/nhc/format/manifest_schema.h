//===- nhc/format/manifest_schema.h - Manifest keys and version -*- C++ -*-===//
//
// The names the manifest JSON uses (docs/artifact-format.md, "Manifest"),
// spelled once: the compiler's manifest translation writes them and the
// runtime's manifest parser reads them.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_FORMAT_MANIFEST_SCHEMA_H
#define NHC_FORMAT_MANIFEST_SCHEMA_H

#include <cstdint>
#include <string>

namespace nhc::format::manifest {

/// `format` and `version` of the manifest this code writes and reads.
inline constexpr const char kFormatName[] = "nhc-manifest";
inline constexpr int kVersion = 1;

namespace key {
// Top level.
inline constexpr const char kFormat[] = "format";
inline constexpr const char kVersion[] = "version";
inline constexpr const char kGenerator[] = "generator";
inline constexpr const char kConfig[] = "config";
inline constexpr const char kModel[] = "model";
inline constexpr const char kLayers[] = "layers";
inline constexpr const char kTargets[] = "targets";
inline constexpr const char kWeights[] = "weights";
inline constexpr const char kState[] = "state";
inline constexpr const char kBuffers[] = "buffers";
inline constexpr const char kKernels[] = "kernels";
inline constexpr const char kSchedules[] = "schedules";
inline constexpr const char kTaps[] = "taps";
// config
inline constexpr const char kSource[] = "source";
inline constexpr const char kConfigHash[] = "fnv1a64";
/// Key path of the config (dotted) -> the value the compiler read (null:
/// absent): binding compares a checkpoint's config.json with it.
inline constexpr const char kConfigRead[] = "read";
/// Key path of `read` -> the compiler's default for it, where it has one
/// (optional): an absent key and its default written out compare equal.
inline constexpr const char kConfigDefaults[] = "defaults";
// model
inline constexpr const char kHiddenSize[] = "hidden_size";
inline constexpr const char kVocabSize[] = "vocab_size";
inline constexpr const char kNumLayers[] = "num_layers";
inline constexpr const char kMaxPositionEmbeddings[] = "max_position_embeddings";
inline constexpr const char kDtype[] = "dtype";
inline constexpr const char kComputeDtype[] = "compute_dtype";
inline constexpr const char kLayerPattern[] = "layer_pattern";
// layers, weights, state, buffers, kernels, taps
inline constexpr const char kIndex[] = "index";
inline constexpr const char kKind[] = "kind";
inline constexpr const char kName[] = "name";
inline constexpr const char kShape[] = "shape";
inline constexpr const char kAlternatives[] = "alternatives";
inline constexpr const char kCount[] = "count";
inline constexpr const char kPositive[] = "positive";
inline constexpr const char kFinite[] = "finite";
inline constexpr const char kLayer[] = "layer";
inline constexpr const char kPer[] = "per";
inline constexpr const char kElems[] = "elems";
inline constexpr const char kParams[] = "params";
// kernels[i]: per parameter, a memref's element type (value::kElem*), null
// for scalars; absent in manifests before 2026-12-07 (every state f32).
inline constexpr const char kParamElements[] = "param_elements";
inline constexpr const char kBuffer[] = "buffer";
inline constexpr const char kOffset[] = "offset";
inline constexpr const char kLd[] = "ld";
inline constexpr const char kWidth[] = "width";
inline constexpr const char kAfter[] = "after";
// Schedule entries: kernel calls and their arguments.
inline constexpr const char kKernel[] = "kernel";
inline constexpr const char kArgs[] = "args";
inline constexpr const char kWeight[] = "weight";
inline constexpr const char kDim[] = "dim";
inline constexpr const char kTimes[] = "times";
inline constexpr const char kF32[] = "f32";
inline constexpr const char kRequests[] = "requests";
// {"token_ids": true}: the step's token ids (a kernel argument form).
inline constexpr const char kTokenIds[] = "token_ids";
// {"logits": true}: the caller's logits output, in head_last and head_all
// only (a kernel argument form).
inline constexpr const char kLogits[] = "logits";
// Library entries.
inline constexpr const char kLibrary[] = "library";
inline constexpr const char kM[] = "m";
inline constexpr const char kA[] = "a";
inline constexpr const char kAOffset[] = "a_offset";
inline constexpr const char kLda[] = "lda";
inline constexpr const char kW[] = "w";
inline constexpr const char kC[] = "c";
inline constexpr const char kCOffset[] = "c_offset";
inline constexpr const char kLdc[] = "ldc";
inline constexpr const char kN[] = "n";
inline constexpr const char kK[] = "k";
inline constexpr const char kAccumulate[] = "accumulate";
inline constexpr const char kEpilogue[] = "epilogue";
inline constexpr const char kBias[] = "bias";
inline constexpr const char kScale[] = "scale";
inline constexpr const char kQuantizeOutput[] = "quantize_output";
inline constexpr const char kTable[] = "table";
inline constexpr const char kOutput[] = "output";
inline constexpr const char kHidden[] = "hidden";
inline constexpr const char kInput[] = "input";
inline constexpr const char kIndices[] = "indices";
inline constexpr const char kUp[] = "up";
inline constexpr const char kDown[] = "down";
/// FP8 routed experts: [input_scale, weight_scale] name patterns with {e}.
inline constexpr const char kUpScale[] = "up_scale";
inline constexpr const char kDownScale[] = "down_scale";
inline constexpr const char kNumExperts[] = "num_experts";
inline constexpr const char kTopK[] = "top_k";
inline constexpr const char kIntermediate[] = "intermediate";
inline constexpr const char kActivation[] = "activation";
// The single `schedule` of older compilers, replaced by `schedules`: never
// read, only detected so that the error for a missing `schedules` names it.
inline constexpr const char kLegacySchedule[] = "schedule";
} // namespace key

/// Values with a fixed spelling.
namespace value {
inline constexpr const char kGeneratorNhc[] = "nhc";
inline constexpr const char kPerToken[] = "token";
inline constexpr const char kPerRequest[] = "request";
inline constexpr const char kDimTokens[] = "tokens";
inline constexpr const char kDimRequests[] = "requests";
inline constexpr const char kDimMaxSeqLen[] = "max_seq_len";
// A `dim` the runtime accepts but the compiler does not write.
inline constexpr const char kDimMaxSlots[] = "max_slots";
// The session's gemm precision (nhc_gemm_precision_t: 0 f32, 1 bf16), not a
// size: never with `times`.
inline constexpr const char kDimGemmPrecision[] = "gemm_precision";
// An f32 argument JSON cannot spell as a number (the runtime reads them;
// the compiler writes an unbounded clamp as the largest f32 instead).
inline constexpr const char kF32Inf[] = "inf";
inline constexpr const char kF32NegInf[] = "-inf";
inline constexpr const char kF32NaN[] = "nan";
inline constexpr const char kParamMemRef[] = "memref";
inline constexpr const char kParamIndex[] = "index";
inline constexpr const char kParamF32[] = "f32";
// A memref parameter's element type (key::kParamElements). i16 holds bf16
// bits, i8 a narrow weight's bytes.
inline constexpr const char kElemF32[] = "f32";
inline constexpr const char kElemI8[] = "i8";
inline constexpr const char kElemI16[] = "i16";
inline constexpr const char kElemI32[] = "i32";
inline constexpr const char kElemI64[] = "i64";
inline constexpr const char kLogits[] = "logits";
inline constexpr const char kLibraryGemm[] = "gemm";
inline constexpr const char kLibraryEmbedding[] = "embedding";
inline constexpr const char kLibraryMoEExperts[] = "moe_experts";
// In moe_experts `up` and `down`: where a per-expert weight name holds the
// expert index (a name without it names one stacked tensor).
inline constexpr const char kExpertIndex[] = "{e}";
inline constexpr const char kScheduleBody[] = "body";
inline constexpr const char kScheduleHeadLast[] = "head_last";
inline constexpr const char kScheduleHeadAll[] = "head_all";
// Layer `kind`s, one per layer_pattern character (M, *, -, E).
inline constexpr const char kLayerMamba[] = "mamba";
inline constexpr const char kLayerAttention[] = "attention";
inline constexpr const char kLayerMlp[] = "mlp";
inline constexpr const char kLayerMoE[] = "moe";
// Activations: a gemm `epilogue` or moe_experts `activation`, by
// transformers' ACT2FN names; `none` is an epilogue only.
inline constexpr const char kActivationNone[] = "none";
inline constexpr const char kActivationRelu2[] = "relu2";
inline constexpr const char kActivationRelu[] = "relu";
inline constexpr const char kActivationSilu[] = "silu";
inline constexpr const char kActivationGelu[] = "gelu";
inline constexpr const char kActivationGeluTanh[] = "gelu_tanh";
inline constexpr const char kActivationQuickGelu[] = "quick_gelu";
inline constexpr const char kActivationRelu6[] = "relu6";
inline constexpr const char kActivationGelu10[] = "gelu_10";
inline constexpr const char kActivationLaplace[] = "laplace";
inline constexpr const char kActivationLeakyRelu[] = "leaky_relu";
inline constexpr const char kActivationLinear[] = "linear";
inline constexpr const char kActivationMish[] = "mish";
inline constexpr const char kActivationSigmoid[] = "sigmoid";
inline constexpr const char kActivationTanh[] = "tanh";
inline constexpr const char kActivationHardswish[] = "hardswish";
inline constexpr const char kActivationSqrtSoftplus[] = "sqrtsoftplus";
// Every activation but `none`, in the order of the nemotron dialect's
// Activation codes (a compiler unit test holds the dialect to it).
inline constexpr const char *const kActivations[] = {
    kActivationRelu2,    kActivationRelu,          kActivationSilu,
    kActivationGelu,     kActivationGeluTanh,      kActivationQuickGelu,
    kActivationRelu6,    kActivationGelu10,        kActivationLaplace,
    kActivationLeakyRelu, kActivationLinear,       kActivationMish,
    kActivationSigmoid,  kActivationTanh,          kActivationHardswish,
    kActivationSqrtSoftplus};
// Tap `kind`s: where in the body the tapped rows were written.
inline constexpr const char kTapEmbeddings[] = "embeddings";
inline constexpr const char kTapResidual[] = "residual";
inline constexpr const char kTapMixer[] = "mixer";
inline constexpr const char kTapFinalNorm[] = "final_norm";
} // namespace value

/// Expert `e`'s name: `pattern` with its (first) value::kExpertIndex
/// replaced by e; `pattern` itself when it has none (a stacked tensor).
inline std::string expertName(std::string pattern, uint64_t e) {
  std::string::size_type hole = pattern.find(value::kExpertIndex);
  if (hole != std::string::npos)
    pattern.replace(hole, sizeof(value::kExpertIndex) - 1, std::to_string(e));
  return pattern;
}

} // namespace nhc::format::manifest

#endif // NHC_FORMAT_MANIFEST_SCHEMA_H
