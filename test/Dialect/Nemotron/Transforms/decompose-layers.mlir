// RUN: nhc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nemotron-decompose-layers))' | FileCheck %s

// Mamba-2: in_proj, split [z | xBC | dt], conv+silu, SSD scan, gated norm,
// out_proj. 8 heads x 16, 2 groups, state 16: I = 128, conv_dim = 192.

// CHECK-LABEL: func.func @mamba
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xbf16>)
func.func @mamba(%x: tensor<?x64xbf16>) -> tensor<?x64xbf16> {
  // CHECK-DAG: %[[IN:.*]] = nemotron.linear_param "m.in_proj"
  // CHECK-DAG: %[[CW:.*]] = nemotron.param "m.conv1d.weight"
  // CHECK-DAG: %[[CB:.*]] = nemotron.param "m.conv1d.bias"
  // CHECK-DAG: %[[GN:.*]] = nemotron.param "m.norm.weight"
  // CHECK-DAG: %[[OUT:.*]] = nemotron.linear_param "m.out_proj"
  %in = nemotron.linear_param "m.in_proj" : !nemotron.linear<328x64xbf16>
  %cw = nemotron.param "m.conv1d.weight" : tensor<192x1x4xbf16>
  %cb = nemotron.param "m.conv1d.bias" : tensor<192xbf16>
  %h = nemotron.param "m.dt_bias" : tensor<8xbf16>
  %gn = nemotron.param "m.norm.weight" : tensor<128xbf16>
  %out = nemotron.linear_param "m.out_proj" : !nemotron.linear<64x128xbf16>
  // CHECK: %[[P:.*]] = nemotron.linear %[[X]], %[[IN]] : tensor<?x64xbf16>, !nemotron.linear<328x64xbf16> -> tensor<?x328xbf16>
  // CHECK: %[[S:.*]]:3 = nemotron.split %[[P]] [128, 192, 8] : tensor<?x328xbf16> -> tensor<?x128xbf16>, tensor<?x192xbf16>, tensor<?x8xbf16>
  // CHECK: %[[C:.*]] = nemotron.conv1d_act %[[S]]#1, %[[CW]], %[[CB]] {layer = 3 : i64}
  // CHECK: %[[Y:.*]] = nemotron.ssd_scan %[[C]], %[[S]]#2, {{.*}} {chunk_size = 8 : i64, dt_max = 1.000000e+02 : f64, dt_min = 1.000000e-03 : f64, head_dim = 16 : i64, layer = 3 : i64, n_groups = 2 : i64, num_heads = 8 : i64, state_size = 16 : i64}
  // CHECK: %[[G:.*]] = nemotron.gated_rms_norm %[[Y]], %[[S]]#0, %[[GN]] {epsilon = 1.000000e-05 : f64, n_groups = 2 : i64}
  // CHECK: %[[R:.*]] = nemotron.linear %[[G]], %[[OUT]]
  // CHECK: return %[[R]]
  // CHECK-NOT: nemotron.mamba2
  %m = nemotron.mamba2 %x[in_proj %in, conv_weight %cw, conv_bias %cb, dt_bias %h, a_log %h, d %h, norm_weight %gn, out_proj %out] {layer = 3 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, conv_kernel = 4 : i64, chunk_size = 8 : i64, epsilon = 1.0e-5 : f64, dt_min = 1.0e-3 : f64, dt_max = 100.0 : f64} : (tensor<?x64xbf16>, !nemotron.linear<328x64xbf16>, tensor<192x1x4xbf16>, tensor<192xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<128xbf16>, !nemotron.linear<64x128xbf16>) -> tensor<?x64xbf16>
  return %m : tensor<?x64xbf16>
}

// -----

// Attention: three projections, the cache-appending core, o_proj.

// CHECK-LABEL: func.func @attention
func.func @attention(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %q = nemotron.linear_param "a.q_proj" : !nemotron.linear<64x64xf32>
  %k = nemotron.linear_param "a.k_proj" : !nemotron.linear<32x64xf32>
  %v = nemotron.linear_param "a.v_proj" : !nemotron.linear<32x64xf32>
  %o = nemotron.linear_param "a.o_proj" : !nemotron.linear<64x64xf32>
  // CHECK: %[[Q:.*]] = nemotron.linear %{{.*}}, %{{.*}} : tensor<?x64xf32>, !nemotron.linear<64x64xf32> -> tensor<?x64xf32>
  // CHECK: %[[K:.*]] = nemotron.linear %{{.*}}, %{{.*}} : tensor<?x64xf32>, !nemotron.linear<32x64xf32> -> tensor<?x32xf32>
  // CHECK: %[[V:.*]] = nemotron.linear
  // CHECK: %[[A:.*]] = nemotron.attention_core %[[Q]], %[[K]], %[[V]] {head_dim = 16 : i64, layer = 2 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f64}
  // CHECK: nemotron.linear %[[A]]
  %a = nemotron.attention %x[q %q, k %k, v %v, o %o] {layer = 2 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64, scale = 0.25 : f64} : (tensor<?x64xf32>, !nemotron.linear<64x64xf32>, !nemotron.linear<32x64xf32>, !nemotron.linear<32x64xf32>, !nemotron.linear<64x64xf32>) -> tensor<?x64xf32>
  return %a : tensor<?x64xf32>
}

// -----

// MLP: up, relu2, down (the epilogue is fused by a later pass).

// CHECK-LABEL: func.func @mlp
func.func @mlp(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %up = nemotron.linear_param "p.up_proj" : !nemotron.linear<160x64xf32>
  %down = nemotron.linear_param "p.down_proj" : !nemotron.linear<64x160xf32>
  // CHECK: %[[U:.*]] = nemotron.linear %{{.*}}, %{{.*}} : tensor<?x64xf32>, !nemotron.linear<160x64xf32> -> tensor<?x160xf32>
  // CHECK: %[[R:.*]] = nemotron.activate <relu2> %[[U]] : tensor<?x160xf32>
  // CHECK: nemotron.linear %[[R]], %{{.*}} : tensor<?x160xf32>, !nemotron.linear<64x160xf32> -> tensor<?x64xf32>
  %p = nemotron.mlp %x[up %up, down %down] {layer = 1 : i64, activation = #nemotron.activation<relu2>} : (tensor<?x64xf32>, !nemotron.linear<160x64xf32>, !nemotron.linear<64x160xf32>) -> tensor<?x64xf32>
  return %p : tensor<?x64xf32>
}

// -----

// MoE: f32 router linear on the checkpoint's gate module, routing, routed
// experts, shared expert MLP, sum.

// CHECK-LABEL: func.func @moe
func.func @moe(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %rw = nemotron.param "e.gate.weight" : tensor<8x64xf32>
  %rb = nemotron.param "e.gate.e_score_correction_bias" : tensor<8xf32>
  %eu = nemotron.linear_param "e.experts.{e}.up_proj" : !nemotron.linear<8x48x64xf32>
  %ed = nemotron.linear_param "e.experts.{e}.down_proj" : !nemotron.linear<8x64x48xf32>
  %su = nemotron.linear_param "e.shared_experts.up_proj" : !nemotron.linear<96x64xf32>
  %sd = nemotron.linear_param "e.shared_experts.down_proj" : !nemotron.linear<64x96xf32>
  // CHECK: %[[GATE:.*]] = nemotron.linear_param "e.gate" : !nemotron.linear<8x64xf32>
  // CHECK: %[[LOGITS:.*]] = nemotron.linear %[[X:.*]], %[[GATE]] : tensor<?x64xf32>, !nemotron.linear<8x64xf32> -> tensor<?x8xf32>
  // CHECK: %[[IDX:.*]], %[[W:.*]] = nemotron.moe_route %[[LOGITS]], %{{.*}} {n_group = 4 : i64, norm_topk_prob = true, routed_scaling_factor = 2.500000e+00 : f64, top_k = 2 : i64, topk_group = 2 : i64} : (tensor<?x8xf32>, tensor<8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  // CHECK: %[[ROUTED:.*]] = nemotron.moe_experts %[[X]], %[[IDX]], %[[W]]
  // CHECK: %[[SU:.*]] = nemotron.linear %[[X]]
  // CHECK: %[[SR:.*]] = nemotron.activate <relu2> %[[SU]]
  // CHECK: %[[SD:.*]] = nemotron.linear %[[SR]]
  // CHECK: nemotron.add %[[ROUTED]], %[[SD]]
  %e = nemotron.moe %x[router %rw, router_bias %rb, experts_up %eu, experts_down %ed, shared_up %su, shared_down %sd] {layer = 4 : i64, num_experts = 8 : i64, top_k = 2 : i64, n_group = 4 : i64, topk_group = 2 : i64, norm_topk_prob = true, routed_scaling_factor = 2.5 : f64, activation = #nemotron.activation<relu2>} : (tensor<?x64xf32>, tensor<8x64xf32>, tensor<8xf32>, !nemotron.linear<8x48x64xf32>, !nemotron.linear<8x64x48xf32>, !nemotron.linear<96x64xf32>, !nemotron.linear<64x96xf32>) -> tensor<?x64xf32>
  return %e : tensor<?x64xf32>
}

// -----

// Any activation decomposes to nemotron.activate; the fuse pass folds it.
// CHECK-LABEL: func.func @silu_mlp
func.func @silu_mlp(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %up = nemotron.linear_param "p.up_proj" : !nemotron.linear<160x64xf32, bias>
  %down = nemotron.linear_param "p.down_proj" : !nemotron.linear<64x160xf32, bias>
  // CHECK: %[[U:.*]] = nemotron.linear %{{.*}}, %{{.*}} : tensor<?x64xf32>, !nemotron.linear<160x64xf32, bias> -> tensor<?x160xf32>
  // CHECK: nemotron.activate <silu> %[[U]] : tensor<?x160xf32>
  %p = nemotron.mlp %x[up %up, down %down] {layer = 1 : i64, activation = #nemotron.activation<silu>} : (tensor<?x64xf32>, !nemotron.linear<160x64xf32, bias>, !nemotron.linear<64x160xf32, bias>) -> tensor<?x64xf32>
  return %p : tensor<?x64xf32>
}
