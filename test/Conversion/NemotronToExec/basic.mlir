// RUN: nhc-opt %s --convert-nemotron-to-exec="targets=cpu,cuda:sm_90" | FileCheck %s
// RUN: nhc-opt %s --convert-nemotron-to-exec --nemotron-exec-plan-buffers | FileCheck %s --check-prefix=PLANNED

// A two-block model: embedding, norm, MLP (relu2 in the GEMM epilogue),
// residual add fused into the final norm, LM head.

// CHECK: module attributes {{{.*}}nemotron_exec.targets = ["cpu", "cuda:sm_90"]}
// Kernels are the library's own declarations, by name.
// CHECK: func.func private @nhc_add_rms_norm(memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, f32, memref<?xf32>, index)
// CHECK: func.func private @nhc_gather_last(memref<?xf32>, memref<?xi64>, memref<?xf32>, index, index)
// CHECK: func.func private @nhc_rms_norm(
// Weights in order of first use, with their checkpoint dtype.
// CHECK: nemotron_exec.weight @emb : tensor<32x8xbf16>
// CHECK: nemotron_exec.weight @norm0 : tensor<8xbf16>
// CHECK: nemotron_exec.weight @mlp.up_proj.weight : tensor<16x8xbf16>
// CHECK: nemotron_exec.weight @mlp.down_proj.weight : tensor<8x16xbf16>
// CHECK: nemotron_exec.weight @norm_f : tensor<8xbf16>
// CHECK: nemotron_exec.weight @lm_head.weight : tensor<32x8xbf16> {alternatives = [{name = "emb"}]}
// One buffer per value before planning, the in-place sum (v5) included.
// CHECK: nemotron_exec.buffer @v0 per token : tensor<8xf32>
// CHECK: nemotron_exec.buffer @v1 per token : tensor<8xf32>
// CHECK: nemotron_exec.buffer @v2 per token : tensor<16xf32>
// CHECK: nemotron_exec.buffer @v3 per token : tensor<8xf32>
// CHECK: nemotron_exec.buffer @v4 per token : tensor<8xf32>
// CHECK: nemotron_exec.buffer @v5 per token : tensor<8xf32>
// CHECK: nemotron_exec.buffer @v6 per request : tensor<8xf32>
// CHECK-NOT: nemotron_exec.buffer
// CHECK-LABEL: nemotron_exec.schedule @body
// CHECK: %[[V0:.*]] = nemotron_exec.buffer_ref @v0
// CHECK: nemotron_exec.embedding @emb into %[[V0]] hidden 8
// CHECK: nemotron_exec.tap "embeddings" %{{.*}}[0, 8] width 8
// CHECK: %[[TOKENS:.*]] = nemotron_exec.dim tokens
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: nemotron_exec.call @nhc_rms_norm(%[[V0]], %[[W0:.*]], %[[V1:.*]], %[[TOKENS]], %{{.*}}, %[[EPS]], %[[W0]], %{{.*}})
// CHECK: nemotron_exec.gemm @mlp.up_proj.weight rows %[[TOKENS]] a %[[V1]][0, 8] c %[[V2:.*]][0, 16] {epilogue = "relu2", k = 8 : i64, n = 16 : i64}
// CHECK: nemotron_exec.gemm @mlp.down_proj.weight rows %[[TOKENS]] a %[[V2]][0, 16] c %[[V3:.*]][0, 8] {epilogue = "none", k = 16 : i64, n = 8 : i64}
// CHECK: nemotron_exec.call @nhc_add_rms_norm(%[[V0]], %[[V3]],
// The add wrote the sum over the residual: from here on v0's storage holds v5.
// CHECK-NEXT: nemotron_exec.alias @v5 = @v0
// CHECK: nemotron_exec.tap "mixer" layer 0 %{{.*}}[0, 8] width 8
// CHECK: %[[SUM:.*]] = nemotron_exec.buffer_ref @v5
// CHECK-NEXT: nemotron_exec.tap "residual" layer 0 %[[SUM]][0, 8] width 8
// CHECK: nemotron_exec.tap "final_norm" %{{.*}}[0, 8] width 8
// CHECK-LABEL: nemotron_exec.schedule @head_last
// CHECK: %[[REQUESTS:.*]] = nemotron_exec.dim requests
// CHECK: nemotron_exec.call @nhc_gather_last
// CHECK: nemotron_exec.gemm @lm_head.weight rows %[[REQUESTS]] a %{{.*}}[0, 8] c %{{.*}}[0, 32]
// CHECK-LABEL: nemotron_exec.schedule @head_all
// CHECK: nemotron_exec.logits
// CHECK: nemotron_exec.gemm @lm_head.weight rows %{{.*}} a %{{.*}}[0, 8] c %{{.*}}[0, 32]
// CHECK-NOT: func.func @forward

// Planning: the up-projection's input (v1) is dead once the down-projection
// runs, so the down-projection's output reuses its storage.
// PLANNED: module attributes {{{.*}}nemotron_exec.targets = ["cpu"]}
// PLANNED: nemotron_exec.buffer @b0 per token : tensor<8xf32>
// PLANNED-NEXT: nemotron_exec.buffer @b1 per token : tensor<8xf32>
// PLANNED-NEXT: nemotron_exec.buffer @b2 per token : tensor<16xf32>
// PLANNED-NEXT: nemotron_exec.buffer @b3 per token : tensor<8xf32>
// PLANNED-NEXT: nemotron_exec.buffer @b4 per request : tensor<8xf32>
// PLANNED-NEXT: nemotron_exec.schedule @body
// PLANNED: nemotron_exec.gemm @mlp.down_proj.weight {{.*}} c %{{.*}}[0, 8]
// PLANNED: nemotron_exec.call @nhc_add_rms_norm(%{{.*}}, %[[UPDATE:.*]], %{{.*}}, %[[OUT:.*]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// The alias is resolved: the residual tap reads the residual's storage.
// PLANNED: %[[RES:.*]] = nemotron_exec.buffer_ref @b0
// PLANNED-NEXT: nemotron_exec.tap "residual" layer 0 %[[RES]][0, 8] width 8
// PLANNED-NOT: @v{{[0-9]}}
// PLANNED-NOT: nemotron_exec.alias

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 32, max_position_embeddings = 64, dtype = bf16, ssm_state_dtype = f32, tie_word_embeddings = true, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
  func.func @forward(%ids: tensor<?xi32>) -> tensor<?x32xf32> {
    %emb = nemotron.param "emb" : tensor<32x8xbf16>
    %h = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xbf16> -> tensor<?x8xbf16>
    %w0 = nemotron.param "norm0" : tensor<8xbf16>
    %n0 = nemotron.rms_norm %h, %w0 {epsilon = 1.0e-5 : f64} : tensor<?x8xbf16>, tensor<8xbf16>
    %up = nemotron.linear_param "mlp.up_proj" : !nemotron.linear<16x8xbf16>
    %down = nemotron.linear_param "mlp.down_proj" : !nemotron.linear<8x16xbf16>
    %a = nemotron.linear %n0, %up {epilogue = #nemotron.activation<relu2>} : tensor<?x8xbf16>, !nemotron.linear<16x8xbf16> -> tensor<?x16xbf16>
    %m = nemotron.linear %a, %down : tensor<?x16xbf16>, !nemotron.linear<8x16xbf16> -> tensor<?x8xbf16>
    %wf = nemotron.param "norm_f" : tensor<8xbf16>
    %sum, %normed = nemotron.add_rms_norm %h, %m, %wf {epsilon = 1.0e-5 : f64} : tensor<?x8xbf16>, tensor<8xbf16>
    %head = nemotron.param "lm_head.weight" or "emb" : tensor<32x8xbf16>
    %logits = nemotron.lm_head %normed, %head : tensor<?x8xbf16>, tensor<32x8xbf16> -> tensor<?x32xf32>
    return %logits : tensor<?x32xf32>
  }
}
