// RUN: nhc-opt %s | nhc-opt | FileCheck %s
// RUN: nhc-opt %s --mlir-print-op-generic | nhc-opt | FileCheck %s

// The decomposed (kernel-level) ops round-trip.

// CHECK-LABEL: func.func @kernel_ops
func.func @kernel_ops(%x: tensor<?x64xf32>, %q: tensor<?x64xf32>, %k: tensor<?x32xf32>) -> tensor<?x64xf32> {
  %in = nemotron.linear_param "m.in_proj" : !nemotron.linear<328x64xf32>
  %cw = nemotron.param "m.conv1d.weight" : tensor<192x1x4xf32>
  %cb = nemotron.param "m.conv1d.bias" : tensor<192xf32>
  %h = nemotron.param "m.dt_bias" : tensor<8xf32>
  %gn = nemotron.param "m.norm.weight" : tensor<128xf32>
  // CHECK: nemotron.linear %{{.*}}, %{{.*}} {epilogue = #nemotron.activation<relu2>} : tensor<?x64xf32>, !nemotron.linear<328x64xf32> -> tensor<?x328xf32>
  %p = nemotron.linear %x, %in {epilogue = #nemotron.activation<relu2>} : tensor<?x64xf32>, !nemotron.linear<328x64xf32> -> tensor<?x328xf32>
  // CHECK: nemotron.split %{{.*}} [128, 192, 8] : tensor<?x328xf32> -> tensor<?x128xf32>, tensor<?x192xf32>, tensor<?x8xf32>
  %z, %xbc, %dt = nemotron.split %p [128, 192, 8] : tensor<?x328xf32> -> tensor<?x128xf32>, tensor<?x192xf32>, tensor<?x8xf32>
  // CHECK: nemotron.conv1d_act %{{.*}}, %{{.*}}, %{{.*}} {layer = 0 : i64}
  %c = nemotron.conv1d_act %xbc, %cw, %cb {layer = 0 : i64} : (tensor<?x192xf32>, tensor<192x1x4xf32>, tensor<192xf32>) -> tensor<?x192xf32>
  // CHECK: nemotron.ssd_scan
  %y = nemotron.ssd_scan %c, %dt, %h, %h, %h {layer = 0 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, chunk_size = 8 : i64, dt_min = 0.0 : f64, dt_max = 1.0 : f64} : (tensor<?x192xf32>, tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x128xf32>
  // CHECK: nemotron.gated_rms_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-05 : f64, n_groups = 2 : i64}
  %g = nemotron.gated_rms_norm %y, %z, %gn {n_groups = 2 : i64, epsilon = 1.0e-5 : f64} : tensor<?x128xf32>, tensor<128xf32>
  // CHECK: nemotron.attention_core
  %a = nemotron.attention_core %q, %k, %k {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64, scale = 0.25 : f64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  // CHECK: nemotron.activate <relu2> %{{.*}} : tensor<?x64xf32>
  %r = nemotron.activate <relu2> %a : tensor<?x64xf32>
  %logits = nemotron.linear %r, %in : tensor<?x64xf32>, !nemotron.linear<328x64xf32> -> tensor<?x328xf32>
  %bias = nemotron.param "e.bias" : tensor<8xf32>
  %gate = nemotron.linear_param "e.gate" : !nemotron.linear<8x64xf32>
  %rl = nemotron.linear %x, %gate : tensor<?x64xf32>, !nemotron.linear<8x64xf32> -> tensor<?x8xf32>
  // CHECK: nemotron.moe_route
  %idx, %w = nemotron.moe_route %rl, %bias {top_k = 2 : i64, n_group = 4 : i64, topk_group = 2 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64} : (tensor<?x8xf32>, tensor<8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  %eu = nemotron.linear_param "e.experts.{e}.up_proj" : !nemotron.linear<8x48x64xf32>
  %ed = nemotron.linear_param "e.experts.{e}.down_proj" : !nemotron.linear<8x64x48xf32>
  // CHECK: nemotron.moe_experts
  %e = nemotron.moe_experts %x, %idx, %w, %eu, %ed {activation = #nemotron.activation<relu2>} : (tensor<?x64xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !nemotron.linear<8x48x64xf32>, !nemotron.linear<8x64x48xf32>) -> tensor<?x64xf32>
  return %e : tensor<?x64xf32>
}

// -----

// FP8: explicit quantization, and producers that quantize their output.
// CHECK-LABEL: func.func @fp8
func.func @fp8(%x: tensor<?x64xf32>, %r: tensor<?x64xf32>, %w: tensor<64xf32>, %s: tensor<f32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %up = nemotron.linear_param "p.up_proj" : !nemotron.linear<160x64xf8E4M3FN>
  %down = nemotron.linear_param "p.down_proj" : !nemotron.linear<64x160xf8E4M3FN>
  // CHECK: nemotron.quantize_fp8 %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf8E4M3FN>
  %q = nemotron.quantize_fp8 %x, %s : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf8E4M3FN>
  // CHECK: nemotron.rms_norm %{{.*}}, %{{.*}} quantize %{{.*}} {epsilon = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>, tensor<f32>{{$}}
  %n = nemotron.rms_norm %x, %w quantize %s {epsilon = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>, tensor<f32>
  // CHECK: nemotron.add_rms_norm %{{.*}}, %{{.*}}, %{{.*}} quantize %{{.*}} {epsilon = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>, tensor<f32>{{$}}
  %sum, %an = nemotron.add_rms_norm %r, %x, %w quantize %s {epsilon = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>, tensor<f32>
  // CHECK: nemotron.linear %{{.*}}, %{{.*}} quantize %{{.*}} {epilogue = #nemotron.activation<relu2>} : tensor<?x64xf8E4M3FN>, !nemotron.linear<160x64xf8E4M3FN>, tensor<f32> -> tensor<?x160xf8E4M3FN>
  %u = nemotron.linear %n, %up quantize %s {epilogue = #nemotron.activation<relu2>} : tensor<?x64xf8E4M3FN>, !nemotron.linear<160x64xf8E4M3FN>, tensor<f32> -> tensor<?x160xf8E4M3FN>
  // CHECK: nemotron.linear %{{.*}}, %{{.*}} : tensor<?x160xf8E4M3FN>, !nemotron.linear<64x160xf8E4M3FN> -> tensor<?x64xf32>
  %d = nemotron.linear %u, %down : tensor<?x160xf8E4M3FN>, !nemotron.linear<64x160xf8E4M3FN> -> tensor<?x64xf32>
  // An FP8 linear may still read its unquantized input (before
  // nemotron-quantize-fp8-linears).
  %d2 = nemotron.linear %x, %up : tensor<?x64xf32>, !nemotron.linear<160x64xf8E4M3FN> -> tensor<?x160xf32>
  return %d, %sum : tensor<?x64xf32>, tensor<?x64xf32>
}
