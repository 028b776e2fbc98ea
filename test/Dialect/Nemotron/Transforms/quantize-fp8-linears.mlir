// RUN: nhc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nemotron-quantize-fp8-linears))' | FileCheck %s

// Each FP8 linear reads sat_e4m3(x / input_scale): the quantization becomes
// an explicit op of the module's input_scale.

// CHECK-LABEL: func.func @fp8_linear
func.func @fp8_linear(%x: tensor<?x64xf32>) -> tensor<?x592xf32> {
  // CHECK: %[[W:.*]] = nemotron.linear_param "backbone.layers.0.mixer.in_proj"
  %w = nemotron.linear_param "backbone.layers.0.mixer.in_proj" : !nemotron.linear<592x64xf8E4M3FN>
  // CHECK: %[[S:.*]] = nemotron.param "backbone.layers.0.mixer.in_proj.input_scale" : tensor<f32>
  // CHECK: %[[Q:.*]] = nemotron.quantize_fp8 %{{.*}}, %[[S]] : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf8E4M3FN>
  // CHECK: nemotron.linear %[[Q]], %[[W]] : tensor<?x64xf8E4M3FN>, !nemotron.linear<592x64xf8E4M3FN> -> tensor<?x592xf32>
  %y = nemotron.linear %x, %w : tensor<?x64xf32>, !nemotron.linear<592x64xf8E4M3FN> -> tensor<?x592xf32>
  return %y : tensor<?x592xf32>
}

// -----

// Excluded modules keep their dtype and read their input as is.

// CHECK-LABEL: func.func @excluded_linear
func.func @excluded_linear(%x: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %w = nemotron.linear_param "backbone.layers.3.mixer.q_proj" : !nemotron.linear<128x64xf32>
  // CHECK-NOT: nemotron.quantize_fp8
  // CHECK: nemotron.linear %{{.*}}, %{{.*}} : tensor<?x64xf32>, !nemotron.linear<128x64xf32>
  %y = nemotron.linear %x, %w : tensor<?x64xf32>, !nemotron.linear<128x64xf32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// FP8 routed experts are left alone: moe_experts quantizes each expert's rows
// with that expert's own input_scale (docs/fp8.md).

// CHECK-LABEL: func.func @fp8_experts
func.func @fp8_experts(%x: tensor<?x16xf32>, %i: tensor<?x2xi32>, %g: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %up = nemotron.linear_param "p.experts.{e}.up_proj" : !nemotron.linear<4x8x16xf8E4M3FN>
  %down = nemotron.linear_param "p.experts.{e}.down_proj" : !nemotron.linear<4x16x8xf8E4M3FN>
  // CHECK-NOT: nemotron.quantize_fp8
  // CHECK: nemotron.moe_experts %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {activation = #nemotron.activation<relu2>} : (tensor<?x16xf32>,
  %y = nemotron.moe_experts %x, %i, %g, %up, %down {activation = #nemotron.activation<relu2>} : (tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !nemotron.linear<4x8x16xf8E4M3FN>, !nemotron.linear<4x16x8xf8E4M3FN>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
