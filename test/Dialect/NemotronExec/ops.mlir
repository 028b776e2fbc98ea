// RUN: nhc-opt %s | nhc-opt | FileCheck %s

// Every nemotron_exec op round-trips through its assembly format.

// CHECK-LABEL: module
// CHECK: func.func private @nhc_add(memref<?xf32>, memref<?xf32>, index)
func.func private @nhc_add(memref<?xf32>, memref<?xf32>, index)
func.func private @nhc_conv1d_like(memref<?xf32>, memref<?xi64>, index, f32)
func.func private @nhc_scan_like(memref<?xf32>, index)
// CHECK: nemotron_exec.weight @emb : tensor<16x8xbf16>
nemotron_exec.weight @emb : tensor<16x8xbf16>
// CHECK: nemotron_exec.weight @w : tensor<4x8xf32> {alternatives = [{count = 2 : i64, index = 0 : i64, name = "stacked"}]}
nemotron_exec.weight @w : tensor<4x8xf32> {alternatives = [{name = "stacked", index = 0, count = 2}]}
// CHECK: nemotron_exec.weight @w.bias : tensor<4xf32>
nemotron_exec.weight @w.bias : tensor<4xf32>
// CHECK: nemotron_exec.weight @w.input_scale : tensor<f32> {positive}
nemotron_exec.weight @w.input_scale : tensor<f32> {positive}
nemotron_exec.weight @w.weight_scale : tensor<f32> {positive}
// CHECK: nemotron_exec.weight @gate.weight : tensor<16x64xbf16> {finite}
nemotron_exec.weight @gate.weight : tensor<16x64xbf16> {finite}
nemotron_exec.weight @"experts.0.up" : tensor<6x8xf32>
nemotron_exec.weight @"experts.1.up" : tensor<6x8xf32>
nemotron_exec.weight @"experts.0.down" : tensor<8x6xf32>
nemotron_exec.weight @"experts.1.down" : tensor<8x6xf32>
// CHECK: nemotron_exec.state @layers.0.conv_state conv_state layer 0 : tensor<24x3xf32>
nemotron_exec.state @layers.0.conv_state conv_state layer 0 : tensor<24x3xf32>
// CHECK: nemotron_exec.state @layers.1.k_cache k_cache layer 1 : tensor<?x2x16xf32>
nemotron_exec.state @layers.1.k_cache k_cache layer 1 : tensor<?x2x16xf32>
// CHECK: nemotron_exec.buffer @b0 per token : tensor<8xf32>
nemotron_exec.buffer @b0 per token : tensor<8xf32>
nemotron_exec.buffer @b1 per token : tensor<8xf32>
// CHECK: nemotron_exec.buffer @b2 per request : tensor<2xi32>
nemotron_exec.buffer @b2 per request : tensor<2xi32>
// CHECK: nemotron_exec.schedule @body {
nemotron_exec.schedule @body {
  // CHECK: %[[B0:.*]] = nemotron_exec.buffer_ref @b0 : memref<?xf32>
  %b0 = nemotron_exec.buffer_ref @b0 : memref<?xf32>
  %b1 = nemotron_exec.buffer_ref @b1 : memref<?xf32>
  %b2 = nemotron_exec.buffer_ref @b2 : memref<?xi32>
  // CHECK: nemotron_exec.embedding @emb into %[[B0]] hidden 8 : memref<?xf32>
  nemotron_exec.embedding @emb into %b0 hidden 8 : memref<?xf32>
  // CHECK: nemotron_exec.tap "embeddings" %[[B0]][0, 8] width 8 : memref<?xf32>
  nemotron_exec.tap "embeddings" %b0[0, 8] width 8 : memref<?xf32>
  // CHECK: %[[T:.*]] = nemotron_exec.dim tokens times 8
  %t8 = nemotron_exec.dim tokens times 8
  // CHECK: nemotron_exec.call @nhc_add(%[[B0]], %{{.*}}, %[[T]]) : (memref<?xf32>, memref<?xf32>, index) -> ()
  nemotron_exec.call @nhc_add(%b0, %b1, %t8) : (memref<?xf32>, memref<?xf32>, index) -> ()
  // CHECK: nemotron_exec.tap "residual" layer 0 %[[B0]][0, 8] width 8
  nemotron_exec.tap "residual" layer 0 %b0[0, 8] width 8 : memref<?xf32>
  %s = nemotron_exec.state_ref @layers.0.conv_state : memref<?xf32>
  %r = nemotron_exec.request_table : memref<?xi64>
  %n = nemotron_exec.dim requests
  %eps = arith.constant 1.0e-5 : f32
  // CHECK: nemotron_exec.call @nhc_conv1d_like
  nemotron_exec.call @nhc_conv1d_like(%s, %r, %n, %eps) : (memref<?xf32>, memref<?xi64>, index, f32) -> ()
  // CHECK: %[[G:.*]] = nemotron_exec.dim gemm_precision
  %g = nemotron_exec.dim gemm_precision
  // CHECK: nemotron_exec.call @nhc_scan_like(%{{.*}}, %[[G]])
  nemotron_exec.call @nhc_scan_like(%s, %g) : (memref<?xf32>, index) -> ()
  %tokens = nemotron_exec.dim tokens
  // CHECK: nemotron_exec.gemm @w rows %{{.*}} a %[[B0]][0, 8] c %{{.*}}[4, 8] {bias = @w.bias, epilogue = "relu2", k = 8 : i64, n = 4 : i64, quantize_output = @w.input_scale, scale = [@w.input_scale, @w.weight_scale]} : memref<?xf32>, memref<?xf32>
  nemotron_exec.gemm @w rows %tokens a %b0[0, 8] c %b1[4, 8] {bias = @w.bias, epilogue = "relu2", k = 8, n = 4, scale = [@w.input_scale, @w.weight_scale], quantize_output = @w.input_scale} : memref<?xf32>, memref<?xf32>
  // CHECK: nemotron_exec.moe_experts %[[B0]], %{{.*}}, %{{.*}} into %{{.*}} {activation = "relu2", down = "experts.{e}.down", hidden = 8 : i64, intermediate = 6 : i64, num_experts = 2 : i64, top_k = 2 : i64, up = "experts.{e}.up"}
  nemotron_exec.moe_experts %b0, %b2, %b1 into %b1 {activation = "relu2", down = "experts.{e}.down", hidden = 8, intermediate = 6, num_experts = 2, top_k = 2, up = "experts.{e}.up"} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
}
// CHECK: nemotron_exec.schedule @head_all {
nemotron_exec.schedule @head_all {
  // CHECK: nemotron_exec.logits : memref<?xf32>
  %logits = nemotron_exec.logits : memref<?xf32>
  %tokens = nemotron_exec.dim tokens
  %b0 = nemotron_exec.buffer_ref @b0 : memref<?xf32>
  nemotron_exec.gemm @emb rows %tokens a %b0[0, 8] c %logits[0, 16] {epilogue = "none", k = 8, n = 16} : memref<?xf32>, memref<?xf32>
}
