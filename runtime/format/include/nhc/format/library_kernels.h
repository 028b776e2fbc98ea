//===- nhc/format/library_kernels.h - Kernels library ops call -*- C++ -*-===//
//
// The kernels of the kernel library by name: those execution plans call,
// and those the runtime's library operations call directly rather than
// through the plan. The compiler's kernel list and the runtime name them
// from here; their arguments are documented at their definitions in
// lib/Kernels.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_FORMAT_LIBRARY_KERNELS_H
#define NHC_FORMAT_LIBRARY_KERNELS_H

namespace nhc::format::kernel {

// Kernels execution plans call (docs/execution-model.md, "Kernels"). The
// runtime checks every call of one against its contract
// (runtime/src/kernel_extents.cpp): what it indexes, by which arguments.
inline constexpr const char kRmsNorm[] = "nhc_rms_norm";
inline constexpr const char kAddRmsNorm[] = "nhc_add_rms_norm";
inline constexpr const char kAdd[] = "nhc_add";
inline constexpr const char kConv1dAct[] = "nhc_conv1d_act";
inline constexpr const char kSsdScan[] = "nhc_ssd_scan";
inline constexpr const char kSsdChunkScan[] = "nhc_ssd_chunk_scan";
inline constexpr const char kGatedRmsNorm[] = "nhc_gated_rms_norm";
inline constexpr const char kAttention[] = "nhc_attention";
inline constexpr const char kGatherLast[] = "nhc_gather_last";
inline constexpr const char kMoeRoute[] = "nhc_moe_route";
inline constexpr const char kQuantizeFp8[] = "nhc_quantize_fp8";
// Rounds activations in place to the model's dtype (`nhc compile
// --activation-dtype=model`); its `dtype` argument is one of kRoundTo*.
inline constexpr const char kRoundActivations[] = "nhc_round_activations";
inline constexpr long long kRoundToBf16 = 0;
inline constexpr long long kRoundToF16 = 1;
inline constexpr long long kRoundToLast = kRoundToF16;
// nhc_attention with its KV cache in bf16 and the scans with their SSM
// state in bf16 (nhc.bf16_state_form).
inline constexpr const char kAttentionBf16Kv[] = "nhc_attention_bf16_kv";
inline constexpr const char kSsdScanBf16State[] = "nhc_ssd_scan_bf16_state";
inline constexpr const char kSsdChunkScanBf16State[] =
    "nhc_ssd_chunk_scan_bf16_state";
// The suffix of the host library's sliced twin of a kernel (`X_sliced`,
// entry `X_sliced_packed`: nhc-add-sliced-kernels), which the runtime calls
// itself with its slice arguments; never a plan's kernel.
inline constexpr const char kSlicedSuffix[] = "_sliced";
inline constexpr const char *const kPlanKernels[] = {
    kRmsNorm,         kAddRmsNorm,   kAdd,
    kConv1dAct,       kSsdScan,      kSsdChunkScan,
    kGatedRmsNorm,    kAttention,    kGatherLast,
    kMoeRoute,        kQuantizeFp8,  kAttentionBf16Kv,
    kSsdScanBf16State, kSsdChunkScanBf16State, kRoundActivations};

// The host's decode GEMV microkernels (gemv.mlir): A (memref f32), W's bytes
// (memref i8), C (memref f32), then m, n, k, lda, ldc and accumulate
// (index): C[t, j] (+)= sum_i A[t, i] W[j, i].
inline constexpr const char kGemvBf16[] = "nhc_gemv_bf16";
inline constexpr const char kGemvF16[] = "nhc_gemv_f16";
inline constexpr const char kGemvE4m3[] = "nhc_gemv_e4m3";

// What a device backend runs around cuBLASLt (device_ops.mlir): the part of
// a gemm epilogue cuBLASLt cannot fuse, activations rounded to bf16 for a
// bf16 x bf16 product or packed to e4m3 for an e4m3 x e4m3 one, the embedding gather per table dtype, and the
// routed experts' row gather and weighted scatter-add.
inline constexpr const char kGemmEpilogue[] = "nhc_gemm_epilogue";
inline constexpr const char kRoundBf16[] = "nhc_round_bf16";
inline constexpr const char kRoundBf16Act[] = "nhc_round_bf16_act";
// Quantized activations as e4m3 bytes for an e4m3 x e4m3 product.
inline constexpr const char kPackE4m3[] = "nhc_pack_e4m3";
// A plan's RMS norms that also store their output rows rounded to bf16
// (norms.mlir): the plan kernel's arguments, then `bits` (memref i16,
// bits[t * width + j]). A device backend runs one instead of the plan's
// norm where a bf16 x bf16 product reads the norm's output next, instead of
// a rounding pass (kRoundBf16) before that product.
inline constexpr const char kRmsNormBf16[] = "nhc_rms_norm_bf16";
inline constexpr const char kAddRmsNormBf16[] = "nhc_add_rms_norm_bf16";
inline constexpr const char kGatedRmsNormBf16[] = "nhc_gated_rms_norm_bf16";
// A decode step's conv1d and SSD decode scan in one launch
// (ssd_conv_scan.mlir): nhc_conv1d_act's arguments, then nhc_ssd_scan's
// from `proj` on less its request table and count, then the (request,
// group) arrival counts (memref i32, R * G zeros). A device backend runs it
// instead of the plan's pair in steps of one token per request; the GPU
// form stages the group's B and C in workgroup memory, so N is at most
// kSsdConvScanMaxStateSize.
inline constexpr const char kSsdConvScan[] = "nhc_ssd_conv_scan";
// The same with the SSM state in bf16 (its nhc.bf16_state_form), in place of
// the plan's nhc_ssd_chunk_scan_bf16_state / nhc_ssd_scan_bf16_state pair
// (`nhc compile --ssm-state-dtype=bf16`).
inline constexpr const char kSsdConvScanBf16State[] =
    "nhc_ssd_conv_scan_bf16_state";
inline constexpr long kSsdConvScanMaxStateSize = 512;
inline constexpr const char kEmbeddingF32[] = "nhc_embedding_f32";
inline constexpr const char kEmbeddingBf16[] = "nhc_embedding_bf16";
// Routed experts: tokens gathered per expert, outputs weighted and added
// back.
inline constexpr const char kGatherRows[] = "nhc_gather_rows";
inline constexpr const char kScatterAddRows[] = "nhc_scatter_add_rows";
// Routed experts without the host (moe_experts.mlir): routes bucketed by
// expert, each active expert's rows times its part of a stacked weight,
// and each token's weighted outputs added in route order.
inline constexpr const char kMoeBucket[] = "nhc_moe_bucket";
inline constexpr const char kMoeExpertMatmulBf16[] =
    "nhc_moe_expert_matmul_bf16";
// The same products on tensor cores in 64 x 64 tiles (GPU form), for steps
// with many routes per expert.
inline constexpr const char kMoeExpertMatmulBf16Tiled[] =
    "nhc_moe_expert_matmul_bf16_tiled";
inline constexpr const char kMoeExpertMatmulF32[] = "nhc_moe_expert_matmul_f32";
// FP8 routed experts' e4m3 weights as stored, a byte each.
inline constexpr const char kMoeExpertMatmulE4m3[] =
    "nhc_moe_expert_matmul_e4m3";
inline constexpr const char kMoeExpertMatmulE4m3Tiled[] =
    "nhc_moe_expert_matmul_e4m3_tiled";
inline constexpr const char kMoeCombine[] = "nhc_moe_combine";
// FP8 routed experts on that path: each route row scaled, activated and
// quantized with its expert's own scales around the bf16 matmuls.
inline constexpr const char kMoeFp8Rows[] = "nhc_moe_fp8_rows";
// Greedy decoding (nhc_step_options_t.greedy_ids): each logits row's
// argmax, so that only token ids leave the device. Its last two arguments
// are scratch of 2 floats per (row, slice) and the slices per row: the GPU
// form reads each row as that many slices, a block each (argmax.mlir).
inline constexpr const char kArgmaxRows[] = "nhc_argmax_rows";
/// The arguments of nhc_argmax_rows (artifacts from before 2026-12-06 have
/// 4: no scratch, one block per row; a device backend picks their ids on
/// the host).
inline constexpr unsigned kArgmaxRowsArgs = 6;
/// The slices a device backend splits a row of `vocab` logits into for
/// nhc_argmax_rows: one per 8192 (one round of the GPU form's 256 threads
/// reading eight 16-byte chunks each), so a 131072-entry row is read by 16
/// blocks at once.
inline constexpr unsigned long long argmaxSlices(unsigned long long vocab) {
  return vocab <= 8192 ? 1 : (vocab + 8191) / 8192;
}
// Sampled decoding (nhc_step_options_t.sampling): each logits row's token
// by its rule (nhc/runtime/sampling.h), so that only token ids leave the
// device. Arguments: logits [R, V] f32, out [R] i32, R, V, and the rules,
// kSampleParams f64 per row in SampleParam order, passed as their bits in
// an i64 buffer (sample.mlir).
inline constexpr const char kSampleRows[] = "nhc_sample_rows";
inline constexpr unsigned kSampleRowsArgs = 5;
/// One row's rule as nhc_sample_rows reads it: f64s (their bits) at these
/// offsets.
/// Greedy rows have temperature 0; a min_p of 0 is a log of -inf.
enum SampleParam : unsigned {
  kSampleTemperature = 0,
  kSampleTopK = 1,     ///< 0 = all
  kSampleTopP = 2,     ///< (0, 1]
  kSampleLogMinP = 3,  ///< ln(min_p), in double as the host computes it
  kSampleUniform = 4,  ///< the row's draw in [0, 1)
  kSampleParams = 5,
};
// Log probabilities (nhc_step_options_t.logprobs): each logits row's
// log_softmax at its picked id and its most likely ids
// (nhc/runtime/logprobs.h), so that only they and the ids leave the
// device. Arguments: logits [R, V] f32, the picked ids [R] i32, out
// [R, 1 + N] entries of kLogprobEntryWords i32 each (the id, the logprob's
// f32 bits: nhc_token_logprob_t's layout), R, V and N (logprob.mlir).
inline constexpr const char kLogprobRows[] = "nhc_logprob_rows";
inline constexpr unsigned kLogprobRowsArgs = 6;
inline constexpr unsigned kLogprobEntryWords = 2;
// Logit edits (nhc_step_options_t.logit_edits): each edit applied to its
// token of its row in place (nhc/runtime/logit_edits.h), so that requests
// with biases or penalties pick on the device. Arguments: logits [R, V]
// f32, the edits, E of kLogitEditWords i32 each (nhc_logit_edit_t's
// layout, floats as their bits), E and V (edit_logits.mlir).
inline constexpr const char kEditLogits[] = "nhc_edit_logits";
inline constexpr unsigned kEditLogitsArgs = 4;
inline constexpr unsigned kLogitEditWords = 7;
// Synthetic weights (nhc_weights_synthetic) generated on the device: a
// matrix's Normal-rule values in f32 (optionally rounded to bf16) or as bf16.
inline constexpr const char kFillNormalF32[] = "nhc_fill_normal_f32";
inline constexpr const char kFillNormalBf16[] = "nhc_fill_normal_bf16";

// Every kernel above that plans do not call: the runtime's own, which a
// plan that names one is refused (their arguments are the runtime's to
// size, never a manifest's).
inline constexpr const char *const kRuntimeKernels[] = {
    kGemvBf16,
    kGemvF16,
    kGemvE4m3,
    kGemmEpilogue,
    kRoundBf16,
    kRoundBf16Act,
    kPackE4m3,
    kRmsNormBf16,
    kAddRmsNormBf16,
    kGatedRmsNormBf16,
    kSsdConvScan,
    kSsdConvScanBf16State,
    kEmbeddingF32,
    kEmbeddingBf16,
    kGatherRows,
    kScatterAddRows,
    kFillNormalF32,
    kFillNormalBf16,
    kMoeBucket,
    kMoeExpertMatmulBf16,
    kMoeExpertMatmulBf16Tiled,
    kMoeExpertMatmulF32,
    kMoeExpertMatmulE4m3,
    kMoeExpertMatmulE4m3Tiled,
    kMoeCombine,
    kMoeFp8Rows,
    kArgmaxRows,
    kSampleRows,
    kLogprobRows,
    kEditLogits};

} // namespace nhc::format::kernel

#endif // NHC_FORMAT_LIBRARY_KERNELS_H
