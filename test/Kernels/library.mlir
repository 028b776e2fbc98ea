// Every kernel source parses, verifies and round-trips; the signatures are
// the ABI of docs/execution-model.md (memref<?xT>, index, f32 only).

// RUN: nhc-opt %nhc_src_root/lib/Kernels/elementwise.mlir | nhc-opt | FileCheck %s --check-prefix=ELEM
// ELEM-LABEL: func.func @nhc_add(
// ELEM-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index)
// ELEM:         scf.parallel

// round.mlir calls device_ops.mlir's bf16 rounding and activations (which
// call conv1d.mlir's and fp8.mlir's helpers).
// RUN: cat %nhc_src_root/lib/Kernels/round.mlir %nhc_src_root/lib/Kernels/device_ops.mlir %nhc_src_root/lib/Kernels/conv1d.mlir %nhc_src_root/lib/Kernels/fp8.mlir | nhc-opt | nhc-opt | FileCheck %s --check-prefix=ROUND
// ROUND-LABEL: func.func @nhc_round_activations(
// ROUND-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index)
// ROUND:         scf.parallel
// ROUND:         call @nhc_round_to_dtype
// ROUND:         scf.parallel
// ROUND:         call @nhc_round_activate_round
// ROUND:         scf.parallel
// ROUND:         call @nhc_round_activate_round
// ROUND-LABEL: func.func private @nhc_round_activate_round(
// ROUND:         call @nhc_round_to_dtype
// ROUND:         call @nhc_maybe_activate
// ROUND:         call @nhc_round_to_dtype
// ROUND-LABEL: func.func private @nhc_round_to_dtype(
// ROUND:         call @nhc_round_to_f16
// ROUND:         call @nhc_round_to_bf16
// ROUND:         arith.select
// ROUND-LABEL: func.func private @nhc_round_to_f16(

// The kernels around a device's GEMM library: bf16 bits are i16, e4m3 bits i8.
// RUN: cat %nhc_src_root/lib/Kernels/device_ops.mlir %nhc_src_root/lib/Kernels/conv1d.mlir %nhc_src_root/lib/Kernels/fp8.mlir | nhc-opt | nhc-opt | FileCheck %s --check-prefix=DEVICE
// DEVICE-LABEL: func.func @nhc_gemm_epilogue(
// DEVICE-LABEL: func.func @nhc_round_bf16(
// DEVICE-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?xi16>)
// DEVICE-LABEL: func.func @nhc_pack_e4m3(
// DEVICE-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?xi8>)
// DEVICE:         call @nhc_e4m3_quantize
// DEVICE:         memref.store %{{.*}} : memref<?xi8>
// DEVICE-LABEL: func.func @nhc_embedding_bf16(
// DEVICE-SAME:    %{{.*}}: memref<?xi16>, %{{.*}}: memref<?xi32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index)

// RUN: nhc-opt %nhc_src_root/lib/Kernels/gather.mlir | nhc-opt | FileCheck %s --check-prefix=GATHER
// GATHER-LABEL: func.func @nhc_gather_last(
// GATHER-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi64>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index)

// norms.mlir calls fp8.mlir's quantization helpers and device_ops.mlir's bf16
// rounding (which calls conv1d.mlir's activations).
// RUN: cat %nhc_src_root/lib/Kernels/fp8.mlir %nhc_src_root/lib/Kernels/norms.mlir %nhc_src_root/lib/Kernels/device_ops.mlir %nhc_src_root/lib/Kernels/conv1d.mlir | nhc-opt | nhc-opt | FileCheck %s --check-prefix=NORMS
// NORMS-LABEL: func.func @nhc_rms_norm(
// NORMS-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: f32, %{{.*}}: memref<?xf32>, %{{.*}}: index)
// NORMS:         math.rsqrt
// NORMS:         call @nhc_maybe_quantize
// NORMS-LABEL: func.func @nhc_add_rms_norm(
// NORMS-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: f32, %{{.*}}: memref<?xf32>, %{{.*}}: index)
// NORMS-LABEL: func.func @nhc_gated_rms_norm(
// NORMS-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: f32, %{{.*}}: memref<?xf32>, %{{.*}}: index)

// RUN: nhc-opt %nhc_src_root/lib/Kernels/fp8.mlir | nhc-opt | FileCheck %s --check-prefix=FP8
// FP8-LABEL: func.func @nhc_quantize_fp8(
// FP8-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index)
// FP8:         scf.parallel
// FP8-LABEL: func.func private @nhc_maybe_quantize(
// FP8-LABEL: func.func private @nhc_e4m3_quantize(
// FP8:         arith.divf
// FP8:         arith.minimumf
// FP8:         arith.maximumf

// RUN: nhc-opt %nhc_src_root/lib/Kernels/conv1d.mlir | nhc-opt | FileCheck %s --check-prefix=CONV
// CONV-LABEL: func.func @nhc_conv1d_act(
// CONV-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi64>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index)
// CONV:       func.func private @nhc_conv_seq_at

// RUN: cat %nhc_src_root/lib/Kernels/request.mlir %nhc_src_root/lib/Kernels/ssd_scan.mlir %nhc_src_root/lib/Kernels/conv1d.mlir | nhc-opt | nhc-opt | FileCheck %s --check-prefix=SSD
// SSD-LABEL: func.func @nhc_ssd_scan(
// SSD-SAME:    %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xf32> {nhc.bf16_state}, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xi64>, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: f32)
// SSD-SAME:    attributes {nhc.bf16_state_form = "nhc_ssd_scan_bf16_state"}
// SSD-LABEL: func.func @nhc_ssd_chunk_scan(
// SSD-SAME:    %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xf32> {nhc.bf16_state}, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xi64>, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index)
// SSD-SAME:    attributes {nhc.bf16_state_form = "nhc_ssd_chunk_scan_bf16_state"}
// SSD:       func.func private @nhc_ssd_dt
// SSD:         call @nhc_softplus
// SSD:       func.func private @nhc_softplus
// SSD:         math.log1p

// RUN: cat %nhc_src_root/lib/Kernels/request.mlir %nhc_src_root/lib/Kernels/attention.mlir %nhc_src_root/lib/Kernels/attention_prefill.mlir | nhc-opt | nhc-opt | FileCheck %s --check-prefix=ATTN
// ATTN-LABEL: func.func @nhc_attention(
// ATTN-SAME:    %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: memref<?xf32> {nhc.bf16_state}, %{{[a-z0-9_]+}}: memref<?xf32> {nhc.bf16_state}, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xf32>, %{{[a-z0-9_]+}}: memref<?xi64>, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index)
// ATTN-SAME:    attributes {nhc.bf16_state_form = "nhc_attention_bf16_kv"}
// Append, then attend: two top-level parallel loops.
// ATTN:         scf.parallel
// ATTN:         scf.parallel

// RUN: nhc-opt %nhc_src_root/lib/Kernels/moe_route.mlir | nhc-opt | FileCheck %s --check-prefix=MOE
// MOE-LABEL: func.func @nhc_moe_route(
// MOE-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: f32)

// The embedded copy is the whole library: the kernels of the contract
// are its public functions (COUNT below).
// RUN: nhc-kernels --emit=mlir | FileCheck %s --check-prefix=EMBED
// EMBED-DAG: func.func @nhc_rms_norm(
// EMBED-DAG: func.func @nhc_add_rms_norm(
// EMBED-DAG: func.func @nhc_add(
// EMBED-DAG: func.func @nhc_conv1d_act(
// EMBED-DAG: func.func @nhc_ssd_scan(
// EMBED-DAG: func.func @nhc_ssd_chunk_scan(
// EMBED-DAG: func.func @nhc_gated_rms_norm(
// EMBED-DAG: func.func @nhc_attention(
// EMBED-DAG: func.func @nhc_gather_last(
// EMBED-DAG: func.func @nhc_moe_route(
// EMBED-DAG: func.func @nhc_quantize_fp8(
// EMBED-DAG: func.func @nhc_gemv_bf16(
// EMBED-DAG: func.func @nhc_gemv_f16(
// EMBED-DAG: func.func @nhc_gemv_e4m3(
// EMBED-DAG: func.func @nhc_gemm_epilogue(
// EMBED-DAG: func.func @nhc_round_bf16(
// EMBED-DAG: func.func @nhc_round_bf16_act(
// EMBED-DAG: func.func @nhc_pack_e4m3(
// EMBED-DAG: func.func @nhc_embedding_f32(
// EMBED-DAG: func.func @nhc_embedding_bf16(
// EMBED-DAG: func.func @nhc_gather_rows(
// EMBED-DAG: func.func @nhc_scatter_add_rows(
// EMBED-DAG: func.func @nhc_fill_normal_f32(
// EMBED-DAG: func.func @nhc_fill_normal_bf16(
// EMBED-DAG: func.func @nhc_moe_bucket(
// EMBED-DAG: func.func @nhc_moe_expert_matmul_bf16(
// EMBED-DAG: func.func @nhc_moe_expert_matmul_bf16_tiled(
// EMBED-DAG: func.func @nhc_moe_expert_matmul_f32(
// EMBED-DAG: func.func @nhc_moe_expert_matmul_e4m3(
// EMBED-DAG: func.func @nhc_moe_expert_matmul_e4m3_tiled(
// EMBED-DAG: func.func @nhc_moe_combine(
// EMBED-DAG: func.func @nhc_moe_fp8_rows(
// EMBED-DAG: func.func @nhc_argmax_rows(
// EMBED-DAG: func.func @nhc_sample_rows(
// EMBED-DAG: func.func @nhc_logprob_rows(
// EMBED-DAG: func.func @nhc_edit_logits(
// EMBED-DAG: func.func @nhc_rms_norm_bf16(
// EMBED-DAG: func.func @nhc_add_rms_norm_bf16(
// EMBED-DAG: func.func @nhc_gated_rms_norm_bf16(
// EMBED-DAG: func.func @nhc_ssd_conv_scan(
// EMBED-DAG: func.func @nhc_attention_bf16_kv(
// EMBED-DAG: func.func @nhc_ssd_scan_bf16_state(
// EMBED-DAG: func.func @nhc_ssd_chunk_scan_bf16_state(
// EMBED-DAG: func.func @nhc_ssd_conv_scan_bf16_state(
// EMBED-DAG: func.func @nhc_round_activations(
// RUN: nhc-kernels --emit=mlir | grep -c "^  func.func @" | FileCheck %s --check-prefix=COUNT
// COUNT: 45
