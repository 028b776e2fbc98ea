// RUN: nhc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nemotron-decompose-layers))' -verify-diagnostics

func.func @silu_mlp(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %up = nemotron.linear_param "p.up_proj" : !nemotron.linear<160x64xf32>
  %down = nemotron.linear_param "p.down_proj" : !nemotron.linear<64x160xf32>
  // expected-error @+1 {{activation 'silu' has no kernel yet (supported: relu2)}}
  %p = nemotron.mlp %x[up %up, down %down] {layer = 1 : i64, activation = #nemotron.activation<silu>} : (tensor<?x64xf32>, !nemotron.linear<160x64xf32>, !nemotron.linear<64x160xf32>) -> tensor<?x64xf32>
  return %p : tensor<?x64xf32>
}
