// RUN: nhc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nemotron-fuse-residual-norm))' | FileCheck %s

// The residual add of one block and the pre-norm of the next become one op;
// the sum still feeds the next residual add.

// CHECK-LABEL: func.func @block_boundary
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xbf16>, %[[Y:.*]]: tensor<?x64xbf16>, %[[Z:.*]]: tensor<?x64xbf16>)
func.func @block_boundary(%x: tensor<?x64xbf16>, %y: tensor<?x64xbf16>, %z: tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x64xbf16>) {
  // CHECK-NOT: nemotron.add %[[X]]
  %h = nemotron.add %x, %y : tensor<?x64xbf16>
  // CHECK: %[[W:.*]] = nemotron.param "backbone.layers.1.norm.weight"
  %w = nemotron.param "backbone.layers.1.norm.weight" : tensor<64xbf16>
  // CHECK: %[[SUM:.*]], %[[NORMED:.*]] = nemotron.add_rms_norm %[[X]], %[[Y]], %[[W]] {epsilon = 1.000000e-05 : f64}
  // CHECK-NOT: nemotron.rms_norm
  %n = nemotron.rms_norm %h, %w {epsilon = 1.0e-5 : f64} : tensor<?x64xbf16>, tensor<64xbf16>
  // CHECK: %[[NEXT:.*]] = nemotron.add %[[SUM]], %[[Z]]
  %next = nemotron.add %h, %z : tensor<?x64xbf16>
  // CHECK: return %[[NORMED]], %[[NEXT]]
  return %n, %next : tensor<?x64xbf16>, tensor<?x64xbf16>
}

// -----

// A norm of something other than an add is left alone.

// CHECK-LABEL: func.func @not_an_add
func.func @not_an_add(%x: tensor<?x64xbf16>) -> tensor<?x64xbf16> {
  %w = nemotron.param "n" : tensor<64xbf16>
  // CHECK: nemotron.rms_norm
  // CHECK-NOT: nemotron.add_rms_norm
  %n = nemotron.rms_norm %x, %w {epsilon = 1.0e-5 : f64} : tensor<?x64xbf16>, tensor<64xbf16>
  return %n : tensor<?x64xbf16>
}

// -----

// The sum is used before the norm: fusing would move that use's definition
// below it, so the pattern does not apply.

// CHECK-LABEL: func.func @sum_used_before_norm
func.func @sum_used_before_norm(%x: tensor<?x64xbf16>, %y: tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x64xbf16>) {
  // CHECK: %[[H:.*]] = nemotron.add
  %h = nemotron.add %x, %y : tensor<?x64xbf16>
  // CHECK: nemotron.add %[[H]], %[[H]]
  %early = nemotron.add %h, %h : tensor<?x64xbf16>
  %w = nemotron.param "n" : tensor<64xbf16>
  // CHECK: nemotron.rms_norm %[[H]]
  // CHECK-NOT: nemotron.add_rms_norm %{{.*}}, %{{.*}}, %{{.*}} {{.*}}
  %n = nemotron.rms_norm %h, %w {epsilon = 1.0e-5 : f64} : tensor<?x64xbf16>, tensor<64xbf16>
  return %n, %early : tensor<?x64xbf16>, tensor<?x64xbf16>
}
