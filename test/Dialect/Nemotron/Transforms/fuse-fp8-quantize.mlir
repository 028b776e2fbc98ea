// RUN: nhc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nemotron-fuse-fp8-quantize))' | FileCheck %s

// The norm that feeds an FP8 GEMM writes e4m3 values itself; no quantize op
// (and no pass over memory) remains.

// CHECK-LABEL: func.func @rms_norm
func.func @rms_norm(%x: tensor<?x64xf32>, %w: tensor<64xf32>, %s: tensor<f32>) -> tensor<?x64xf8E4M3FN> {
  // CHECK: %[[Q:.*]] = nemotron.rms_norm %{{.*}}, %{{.*}} quantize %{{.*}} {epsilon = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>, tensor<f32>
  // CHECK-NOT: nemotron.quantize_fp8
  // CHECK: return %[[Q]] : tensor<?x64xf8E4M3FN>
  %n = nemotron.rms_norm %x, %w {epsilon = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %q = nemotron.quantize_fp8 %n, %s : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf8E4M3FN>
  return %q : tensor<?x64xf8E4M3FN>
}

// -----

// add + norm: the residual sum stays f32 and keeps its users.

// CHECK-LABEL: func.func @add_rms_norm
func.func @add_rms_norm(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>, %w: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf8E4M3FN>) {
  // CHECK: %[[S:.*]] = nemotron.param "m.input_scale"
  // CHECK: %[[SUM:.*]], %[[Q:.*]] = nemotron.add_rms_norm %{{.*}}, %{{.*}}, %{{.*}} quantize %[[S]]
  // CHECK-NOT: nemotron.quantize_fp8
  // CHECK: return %[[SUM]], %[[Q]] : tensor<?x64xf32>, tensor<?x64xf8E4M3FN>
  %sum, %n = nemotron.add_rms_norm %a, %b, %w {epsilon = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  // The scale is defined after the norm: it moves up.
  %s = nemotron.param "m.input_scale" : tensor<f32>
  %q = nemotron.quantize_fp8 %n, %s : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf8E4M3FN>
  return %sum, %q : tensor<?x64xf32>, tensor<?x64xf8E4M3FN>
}

// -----

// Mamba's gated norm feeds the FP8 out_proj.

// CHECK-LABEL: func.func @gated_rms_norm
func.func @gated_rms_norm(%y: tensor<?x128xf32>, %z: tensor<?x128xf32>, %w: tensor<128xf32>, %s: tensor<f32>) -> tensor<?x128xf8E4M3FN> {
  // CHECK: nemotron.gated_rms_norm %{{.*}}, %{{.*}}, %{{.*}} quantize %{{.*}} {epsilon = 1.000000e-05 : f64, n_groups = 2 : i64} : tensor<?x128xf32>, tensor<128xf32>, tensor<f32>
  // CHECK-NOT: nemotron.quantize_fp8
  %g = nemotron.gated_rms_norm %y, %z, %w {n_groups = 2 : i64, epsilon = 1.0e-5 : f64} : tensor<?x128xf32>, tensor<128xf32>
  %q = nemotron.quantize_fp8 %g, %s : tensor<?x128xf32>, tensor<f32> -> tensor<?x128xf8E4M3FN>
  return %q : tensor<?x128xf8E4M3FN>
}

// -----

// The MLP: up_proj's relu2 epilogue quantizes for down_proj.

// CHECK-LABEL: func.func @mlp
func.func @mlp(%x: tensor<?x64xf8E4M3FN>, %s: tensor<f32>) -> tensor<?x64xf32> {
  %up = nemotron.linear_param "p.up_proj" : !nemotron.linear<160x64xf8E4M3FN>
  %down = nemotron.linear_param "p.down_proj" : !nemotron.linear<64x160xf8E4M3FN>
  // CHECK: %[[U:.*]] = nemotron.linear %{{.*}}, %{{.*}} quantize %{{.*}} {epilogue = #nemotron.activation<relu2>} : tensor<?x64xf8E4M3FN>, !nemotron.linear<160x64xf8E4M3FN>, tensor<f32> -> tensor<?x160xf8E4M3FN>
  // CHECK-NOT: nemotron.quantize_fp8
  // CHECK: nemotron.linear %[[U]], %{{.*}} : tensor<?x160xf8E4M3FN>, !nemotron.linear<64x160xf8E4M3FN> -> tensor<?x64xf32>
  %u = nemotron.linear %x, %up {epilogue = #nemotron.activation<relu2>} : tensor<?x64xf8E4M3FN>, !nemotron.linear<160x64xf8E4M3FN> -> tensor<?x160xf32>
  %q = nemotron.quantize_fp8 %u, %s : tensor<?x160xf32>, tensor<f32> -> tensor<?x160xf8E4M3FN>
  %d = nemotron.linear %q, %down : tensor<?x160xf8E4M3FN>, !nemotron.linear<64x160xf8E4M3FN> -> tensor<?x64xf32>
  return %d : tensor<?x64xf32>
}

// -----

// Attention's q/k/v all read the norm: it must also keep its f32 output, so
// the quantization stays a kernel of its own.

// CHECK-LABEL: func.func @shared_input
func.func @shared_input(%x: tensor<?x64xf32>, %w: tensor<64xf32>, %s: tensor<f32>) -> (tensor<?x64xf32>, tensor<?x64xf8E4M3FN>) {
  // CHECK: %[[N:.*]] = nemotron.rms_norm %{{.*}}, %{{.*}} {epsilon = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  // CHECK: nemotron.quantize_fp8 %[[N]]
  %n = nemotron.rms_norm %x, %w {epsilon = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %q = nemotron.quantize_fp8 %n, %s : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf8E4M3FN>
  return %n, %q : tensor<?x64xf32>, tensor<?x64xf8E4M3FN>
}

// -----

// A producer that cannot quantize (a split of in_proj) keeps the op.

// CHECK-LABEL: func.func @split_input
func.func @split_input(%x: tensor<?x96xf32>, %s: tensor<f32>) -> tensor<?x32xf8E4M3FN> {
  // CHECK: nemotron.split
  // CHECK: nemotron.quantize_fp8
  %p:3 = nemotron.split %x [32, 32, 32] : tensor<?x96xf32> -> tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
  %q = nemotron.quantize_fp8 %p#0, %s : tensor<?x32xf32>, tensor<f32> -> tensor<?x32xf8E4M3FN>
  return %q : tensor<?x32xf8E4M3FN>
}
