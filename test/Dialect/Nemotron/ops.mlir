// RUN: nhc-opt %s | nhc-opt | FileCheck %s
// RUN: nhc-opt %s --mlir-print-op-generic | nhc-opt | FileCheck %s

// A tiny block of each kind; the round trip must keep every op, operand role
// and hyper-parameter.

// CHECK-LABEL: func.func @forward
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x256xf32> {
  // CHECK: %[[TABLE:.*]] = nemotron.param "backbone.embeddings.weight" : tensor<256x64xbf16>
  %table = nemotron.param "backbone.embeddings.weight" : tensor<256x64xbf16>
  // CHECK: %[[H0:.*]] = nemotron.embedding %{{.*}}, %[[TABLE]] : tensor<?xi32>, tensor<256x64xbf16> -> tensor<?x64xbf16>
  %h0 = nemotron.embedding %ids, %table : tensor<?xi32>, tensor<256x64xbf16> -> tensor<?x64xbf16>
  %nw0 = nemotron.param "backbone.layers.0.norm.weight" : tensor<64xbf16>
  // CHECK: nemotron.rms_norm %[[H0]], %{{.*}} {epsilon = 1.000000e-05 : f64} : tensor<?x64xbf16>, tensor<64xbf16>
  %x0 = nemotron.rms_norm %h0, %nw0 {epsilon = 1.0e-5 : f64} : tensor<?x64xbf16>, tensor<64xbf16>

  // Mamba-2: 8 heads x 16, 2 groups, state 16 -> I = 128, conv_dim = 192,
  // in_proj = 128 + 192 + 8 = 328.
  // CHECK: nemotron.linear_param "backbone.layers.0.mixer.in_proj" : !nemotron.linear<328x64xbf16>
  %in = nemotron.linear_param "backbone.layers.0.mixer.in_proj" : !nemotron.linear<328x64xbf16>
  %cw = nemotron.param "backbone.layers.0.mixer.conv1d.weight" : tensor<192x1x4xbf16>
  %cb = nemotron.param "backbone.layers.0.mixer.conv1d.bias" : tensor<192xbf16>
  %dtb = nemotron.param "backbone.layers.0.mixer.dt_bias" : tensor<8xbf16>
  %alog = nemotron.param "backbone.layers.0.mixer.A_log" : tensor<8xf32>
  %d = nemotron.param "backbone.layers.0.mixer.D" : tensor<8xbf16>
  %gn = nemotron.param "backbone.layers.0.mixer.norm.weight" : tensor<128xbf16>
  %out = nemotron.linear_param "backbone.layers.0.mixer.out_proj" : !nemotron.linear<64x128xf8E4M3FN>
  // CHECK: nemotron.mamba2 %{{.*}}[in_proj %{{.*}}, conv_weight %{{.*}}, conv_bias %{{.*}}, dt_bias %{{.*}}, a_log %{{.*}}, d %{{.*}}, norm_weight %{{.*}}, out_proj %{{.*}}]
  // CHECK-SAME: chunk_size = 8 : i64, conv_kernel = 4 : i64
  // CHECK-SAME: head_dim = 16 : i64, layer = 0 : i64, n_groups = 2 : i64, num_heads = 8 : i64, state_size = 16 : i64
  // CHECK-SAME: !nemotron.linear<64x128xf8E4M3FN>
  %m = nemotron.mamba2 %x0[in_proj %in, conv_weight %cw, conv_bias %cb, dt_bias %dtb, a_log %alog, d %d, norm_weight %gn, out_proj %out] {layer = 0 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, conv_kernel = 4 : i64, chunk_size = 8 : i64, epsilon = 1.0e-5 : f64, dt_min = 1.0e-3 : f64, dt_max = 0x7FF0000000000000 : f64} : (tensor<?x64xbf16>, !nemotron.linear<328x64xbf16>, tensor<192x1x4xbf16>, tensor<192xbf16>, tensor<8xbf16>, tensor<8xf32>, tensor<8xbf16>, tensor<128xbf16>, !nemotron.linear<64x128xf8E4M3FN>) -> tensor<?x64xbf16>
  // CHECK: %[[H1:.*]] = nemotron.add %[[H0]], %{{.*}} : tensor<?x64xbf16>
  %h1 = nemotron.add %h0, %m : tensor<?x64xbf16>

  // Mamba-2 without conv bias.
  // CHECK: nemotron.mamba2 %{{.*}}[in_proj %{{.*}}, conv_weight %{{.*}}, dt_bias
  %m2 = nemotron.mamba2 %h1[in_proj %in, conv_weight %cw, dt_bias %dtb, a_log %alog, d %d, norm_weight %gn, out_proj %out] {layer = 1 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, conv_kernel = 4 : i64, chunk_size = 8 : i64, epsilon = 1.0e-5 : f64, dt_min = 0.0 : f64, dt_max = 1.0 : f64} : (tensor<?x64xbf16>, !nemotron.linear<328x64xbf16>, tensor<192x1x4xbf16>, tensor<8xbf16>, tensor<8xf32>, tensor<8xbf16>, tensor<128xbf16>, !nemotron.linear<64x128xf8E4M3FN>) -> tensor<?x64xbf16>

  // Attention: 4 heads, 2 kv heads, head_dim 16.
  %q = nemotron.linear_param "backbone.layers.2.mixer.q_proj" : !nemotron.linear<64x64xbf16>
  %k = nemotron.linear_param "backbone.layers.2.mixer.k_proj" : !nemotron.linear<32x64xbf16>
  %v = nemotron.linear_param "backbone.layers.2.mixer.v_proj" : !nemotron.linear<32x64xbf16>
  %o = nemotron.linear_param "backbone.layers.2.mixer.o_proj" : !nemotron.linear<64x64xbf16>
  // CHECK: nemotron.attention %{{.*}}[q %{{.*}}, k %{{.*}}, v %{{.*}}, o %{{.*}}] {head_dim = 16 : i64, layer = 2 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f64}
  %a = nemotron.attention %m2[q %q, k %k, v %v, o %o] {layer = 2 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64, scale = 0.25 : f64} : (tensor<?x64xbf16>, !nemotron.linear<64x64xbf16>, !nemotron.linear<32x64xbf16>, !nemotron.linear<32x64xbf16>, !nemotron.linear<64x64xbf16>) -> tensor<?x64xbf16>

  // MLP.
  %up = nemotron.linear_param "backbone.layers.3.mixer.up_proj" : !nemotron.linear<192x64xbf16>
  %down = nemotron.linear_param "backbone.layers.3.mixer.down_proj" : !nemotron.linear<64x192xbf16>
  // CHECK: nemotron.mlp %{{.*}}[up %{{.*}}, down %{{.*}}] {activation = #nemotron.activation<relu2>, layer = 3 : i64}
  %p = nemotron.mlp %a[up %up, down %down] {layer = 3 : i64, activation = #nemotron.activation<relu2>} : (tensor<?x64xbf16>, !nemotron.linear<192x64xbf16>, !nemotron.linear<64x192xbf16>) -> tensor<?x64xbf16>

  // MoE: 8 experts in 4 groups, top-2 of the best 2 groups, latent 32.
  %rw = nemotron.param "backbone.layers.4.mixer.gate.weight" : tensor<8x64xbf16>
  %rb = nemotron.param "backbone.layers.4.mixer.gate.e_score_correction_bias" : tensor<8xf32>
  // CHECK: nemotron.linear_param "backbone.layers.4.mixer.experts.{e}.up_proj" : !nemotron.linear<8x48x32xbf16>
  %eu = nemotron.linear_param "backbone.layers.4.mixer.experts.{e}.up_proj" : !nemotron.linear<8x48x32xbf16>
  %ed = nemotron.linear_param "backbone.layers.4.mixer.experts.{e}.down_proj" : !nemotron.linear<8x32x48xbf16>
  %su = nemotron.linear_param "backbone.layers.4.mixer.shared_experts.up_proj" : !nemotron.linear<96x64xbf16>
  %sd = nemotron.linear_param "backbone.layers.4.mixer.shared_experts.down_proj" : !nemotron.linear<64x96xbf16>
  %li = nemotron.linear_param "backbone.layers.4.mixer.fc1_latent_proj" : !nemotron.linear<32x64xbf16>
  %lo = nemotron.linear_param "backbone.layers.4.mixer.fc2_latent_proj" : !nemotron.linear<64x32xbf16>
  // CHECK: nemotron.moe %{{.*}}[router %{{.*}}, router_bias %{{.*}}, experts_up %{{.*}}, experts_down %{{.*}}, latent_in %{{.*}}, latent_out %{{.*}}, shared_up %{{.*}}, shared_down %{{.*}}]
  // CHECK-SAME: n_group = 4 : i64, norm_topk_prob = true, num_experts = 8 : i64, routed_scaling_factor = 2.500000e+00 : f64, top_k = 2 : i64, topk_group = 2 : i64
  %e = nemotron.moe %p[router %rw, router_bias %rb, experts_up %eu, experts_down %ed, latent_in %li, latent_out %lo, shared_up %su, shared_down %sd] {layer = 4 : i64, num_experts = 8 : i64, top_k = 2 : i64, n_group = 4 : i64, topk_group = 2 : i64, norm_topk_prob = true, routed_scaling_factor = 2.5 : f64, activation = #nemotron.activation<relu2>} : (tensor<?x64xbf16>, tensor<8x64xbf16>, tensor<8xf32>, !nemotron.linear<8x48x32xbf16>, !nemotron.linear<8x32x48xbf16>, !nemotron.linear<96x64xbf16>, !nemotron.linear<64x96xbf16>, !nemotron.linear<32x64xbf16>, !nemotron.linear<64x32xbf16>) -> tensor<?x64xbf16>

  // CHECK: %[[SUM:.*]], %[[NORMED:.*]] = nemotron.add_rms_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-05 : f64} : tensor<?x64xbf16>, tensor<64xbf16>
  %nf = nemotron.param "backbone.norm_f.weight" : tensor<64xbf16>
  %sum, %normed = nemotron.add_rms_norm %h1, %e, %nf {epsilon = 1.0e-5 : f64} : tensor<?x64xbf16>, tensor<64xbf16>
  // CHECK: nemotron.lm_head %[[NORMED]], %[[TABLE]] : tensor<?x64xbf16>, tensor<256x64xbf16> -> tensor<?x256xf32>
  %logits = nemotron.lm_head %normed, %table : tensor<?x64xbf16>, tensor<256x64xbf16> -> tensor<?x256xf32>
  return %logits : tensor<?x256xf32>
}

// CHECK-LABEL: func.func @quantization_attr
// CHECK-SAME: test.quantization = #nemotron.quantization<algo = "FP8", exclude_modules = ["lm_head", "*q_proj*"]>
func.func @quantization_attr() attributes {test.quantization = #nemotron.quantization<algo = "FP8", exclude_modules = ["lm_head", "*q_proj*"]>} {
  return
}
