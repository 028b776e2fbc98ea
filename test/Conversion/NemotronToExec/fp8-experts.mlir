// RUN: nhc-opt %s --convert-nemotron-to-exec | FileCheck %s

// FP8 routed experts (modelopt's layout): per-expert e4m3 weights, each expert
// with its own input_scale and weight_scale (positive f32 scalars), and a
// moe_experts call that names both projections' scale patterns.

// CHECK-DAG: nemotron_exec.weight @experts.0.up_proj.weight : tensor<4x8xf8E4M3FN>{{$}}
// CHECK-DAG: nemotron_exec.weight @experts.1.up_proj.weight : tensor<4x8xf8E4M3FN>{{$}}
// CHECK-DAG: nemotron_exec.weight @experts.1.down_proj.weight : tensor<8x4xf8E4M3FN>{{$}}
// CHECK-DAG: nemotron_exec.weight @experts.0.up_proj.input_scale : tensor<f32> {positive}
// CHECK-DAG: nemotron_exec.weight @experts.1.up_proj.weight_scale : tensor<f32> {positive}
// CHECK-DAG: nemotron_exec.weight @experts.1.down_proj.input_scale : tensor<f32> {positive}
// CHECK-DAG: nemotron_exec.weight @experts.0.down_proj.weight_scale : tensor<f32> {positive}
// (No stacked alternatives after the weights: FP8 experts bind per-expert
// tensors only.)
// CHECK: nemotron_exec.moe_experts
// CHECK-SAME: down_scale = ["experts.{e}.down_proj.input_scale", "experts.{e}.down_proj.weight_scale"]
// CHECK-SAME: up_scale = ["experts.{e}.up_proj.input_scale", "experts.{e}.up_proj.weight_scale"]
module {
  func.func @forward(%ids: tensor<?xi32>) -> tensor<?x32xf32> {
    %emb = nemotron.param "emb" : tensor<32x8xf32>
    %h = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    %e2 = nemotron.param "router" : tensor<32x2xf32>
    %i = nemotron.embedding %ids, %e2 : tensor<?xi32>, tensor<32x2xf32> -> tensor<?x2xf32>
    %bias = nemotron.param "bias" : tensor<2xf32>
    %indices, %weights = nemotron.moe_route %i, %bias {n_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64, top_k = 1 : i64, topk_group = 1 : i64} : (tensor<?x2xf32>, tensor<2xf32>) -> (tensor<?x1xi32>, tensor<?x1xf32>)
    %up = nemotron.linear_param "experts.{e}.up_proj" : !nemotron.linear<2x4x8xf8E4M3FN>
    %down = nemotron.linear_param "experts.{e}.down_proj" : !nemotron.linear<2x8x4xf8E4M3FN>
    %y = nemotron.moe_experts %h, %indices, %weights, %up, %down {activation = #nemotron.activation<relu2>} : (tensor<?x8xf32>, tensor<?x1xi32>, tensor<?x1xf32>, !nemotron.linear<2x4x8xf8E4M3FN>, !nemotron.linear<2x8x4xf8E4M3FN>) -> tensor<?x8xf32>
    %head = nemotron.param "lm_head.weight" : tensor<32x8xf32>
    %logits = nemotron.lm_head %y, %head : tensor<?x8xf32>, tensor<32x8xf32> -> tensor<?x32xf32>
    return %logits : tensor<?x32xf32>
  }
}
