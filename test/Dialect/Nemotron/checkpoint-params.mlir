// RUN: nhc-opt %s | nhc-opt | FileCheck %s
// RUN: nhc-opt %s --mlir-print-op-generic | nhc-opt | FileCheck %s

// Parameters with a fallback tensor, linears with a bias, activations and a
// conv without bias survive a round trip.

// CHECK-LABEL: func.func @forms
func.func @forms(%x: tensor<?x16xf32>, %xbc: tensor<?x24xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x24xf32>) {
  // CHECK: nemotron.param "lm_head.weight" or "backbone.embeddings.weight" : tensor<64x16xf32>
  %head = nemotron.param "lm_head.weight" or "backbone.embeddings.weight" : tensor<64x16xf32>
  // CHECK: nemotron.linear_param "p.up_proj" : !nemotron.linear<32x16xf32, bias>
  %up = nemotron.linear_param "p.up_proj" : !nemotron.linear<32x16xf32, bias>
  // CHECK: nemotron.linear %{{.*}}, %{{.*}} {epilogue = #nemotron.activation<gelu_tanh>} : tensor<?x16xf32>, !nemotron.linear<32x16xf32, bias> -> tensor<?x32xf32>
  %u = nemotron.linear %x, %up {epilogue = #nemotron.activation<gelu_tanh>} : tensor<?x16xf32>, !nemotron.linear<32x16xf32, bias> -> tensor<?x32xf32>
  // CHECK: nemotron.activate <quick_gelu> %{{.*}} : tensor<?x32xf32>
  %a = nemotron.activate <quick_gelu> %u : tensor<?x32xf32>
  %w = nemotron.param "p.conv1d.weight" : tensor<24x1x4xf32>
  // CHECK: nemotron.conv1d_act %{{.*}}, %{{.*}} {activation = #nemotron.activation<relu6>, layer = 0 : i64} : (tensor<?x24xf32>, tensor<24x1x4xf32>) -> tensor<?x24xf32>
  %c = nemotron.conv1d_act %xbc, %w {layer = 0 : i64, activation = #nemotron.activation<relu6>} : (tensor<?x24xf32>, tensor<24x1x4xf32>) -> tensor<?x24xf32>
  %logits = nemotron.lm_head %x, %head : tensor<?x16xf32>, tensor<64x16xf32> -> tensor<?x64xf32>
  return %logits, %a, %c : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x24xf32>
}
