// RUN: nhc-opt %s -split-input-file -verify-diagnostics -pass-pipeline='builtin.module(func.func(nhc-gpu-map-parallel-loops{block-size=64}))' | FileCheck %s

// A 1-D loop: blocks of 64 threads over x, a guard for the last block.
// CHECK-LABEL: func.func @one_dim(
// CHECK-SAME:    %[[X:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK:         %[[C64:.*]] = arith.constant 64 : index
// CHECK:         %[[STEP:.*]] = arith.muli %{{.*}}, %[[C64]] : index
// CHECK:         scf.parallel (%[[B:.*]]) = (%{{.*}}) to (%[[N]]) step (%[[STEP]]) {
// CHECK:           scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[STEP]]) step (%{{.*}}) {
// CHECK:             %[[I:.*]] = arith.addi %[[T]], %[[B]] : index
// CHECK:             arith.cmpi ult, %{{.*}}, %[[N]] : index
// CHECK:             scf.if
// CHECK:               memref.store %{{.*}}, %[[X]][%[[I]]]
// CHECK:           } {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
func.func @one_dim(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %x[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// The last dimension goes to x (tiled), the first to block y; the inner loop
// keeps a sequential unit dimension for it.
// CHECK-LABEL: func.func @two_dims
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK:           } {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
func.func @two_dims(%x: memref<?xf32>, %r: index, %c: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%r, %c) step (%c1, %c1) {
    %row = arith.muli %i, %c : index
    %k = arith.addi %row, %j : index
    memref.store %zero, %x[%k] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// Four dimensions: the fourth has no grid dimension left and runs
// sequentially in each thread.
// CHECK-LABEL: func.func @four_dims
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_z, {{.*}}>, #gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
func.func @four_dims(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%a, %b, %c, %d) = (%c0, %c0, %c0, %c0) to (%n, %n, %n, %n)
      step (%c1, %c1, %c1, %c1) {
    memref.store %zero, %x[%d] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

func.func @reduction(%x: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{parallel loops with reductions cannot be mapped}}
  %s = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %v = memref.load %x[%i] : memref<?xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %r = arith.addf %a, %b : f32
      scf.reduce.return %r : f32
    }
  }
  return %s : f32
}

// -----

func.func @nested(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{nested parallel loops are not supported}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.parallel (%j) = (%c0) to (%n) step (%c1) {
      memref.store %zero, %x[%j] : memref<?xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}
