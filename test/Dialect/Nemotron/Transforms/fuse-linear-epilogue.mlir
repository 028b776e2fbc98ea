// RUN: nhc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nemotron-fuse-linear-epilogue))' | FileCheck %s

// CHECK-LABEL: func.func @mlp
func.func @mlp(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %up = nemotron.linear_param "p.up_proj" : !nemotron.linear<160x64xf32>
  %down = nemotron.linear_param "p.down_proj" : !nemotron.linear<64x160xf32>
  // CHECK: %[[U:.*]] = nemotron.linear %{{.*}}, %{{.*}} {epilogue = #nemotron.activation<relu2>} : tensor<?x64xf32>, !nemotron.linear<160x64xf32> -> tensor<?x160xf32>
  // CHECK-NOT: nemotron.activate
  // CHECK: nemotron.linear %[[U]], %{{.*}} : tensor<?x160xf32>
  %u = nemotron.linear %x, %up : tensor<?x64xf32>, !nemotron.linear<160x64xf32> -> tensor<?x160xf32>
  %r = nemotron.activate <relu2> %u : tensor<?x160xf32>
  %d = nemotron.linear %r, %down : tensor<?x160xf32>, !nemotron.linear<64x160xf32> -> tensor<?x64xf32>
  return %d : tensor<?x64xf32>
}

// -----

// The pre-activation value is still needed elsewhere: no fusion.

// CHECK-LABEL: func.func @shared_preactivation
func.func @shared_preactivation(%x: tensor<?x64xf32>) -> (tensor<?x160xf32>, tensor<?x160xf32>) {
  %up = nemotron.linear_param "p.up_proj" : !nemotron.linear<160x64xf32>
  // CHECK: nemotron.linear %{{.*}}, %{{.*}} : tensor<?x64xf32>
  // CHECK: nemotron.activate <relu2>
  %u = nemotron.linear %x, %up : tensor<?x64xf32>, !nemotron.linear<160x64xf32> -> tensor<?x160xf32>
  %r = nemotron.activate <relu2> %u : tensor<?x160xf32>
  return %u, %r : tensor<?x160xf32>, tensor<?x160xf32>
}
