// RUN: nhc-opt %s -split-input-file -nhc-hoist-static-allocas | FileCheck %s

// The buffers of a scope that ends a parallel loop's body (as canonicalization
// leaves it, or inlined) move to the entry block; the scope, now without
// allocations, is inlined, so scf-to-cf can lower the loops it held.
// CHECK-LABEL: func.func @scoped_in_parallel(
// CHECK-NEXT:    memref.alloca() : memref<64xf32>
// CHECK-NEXT:    memref.alloca() {alignment = 64 : i64} : memref<16x4xf32>
// CHECK-NOT:     memref.alloca
// CHECK-NOT:     memref.alloca_scope
// CHECK:         scf.parallel
// CHECK:           scf.for
func.func @scoped_in_parallel(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.alloca_scope {
      %a = memref.alloca() {alignment = 64 : i64} : memref<16x4xf32>
      %b = memref.alloca() : memref<64xf32>
      scf.for %j = %c0 to %n step %c1 {
        %v = memref.load %x[%j] : memref<?xf32>
        memref.store %v, %b[%c0] : memref<64xf32>
        memref.store %v, %a[%c0, %c1] : memref<16x4xf32>
      }
    }
    scf.reduce
  }
  return
}

// -----

// A scope's results replace it when it is inlined.
// CHECK-LABEL: func.func @scope_with_result(
// CHECK-NEXT:    %[[BUF:.*]] = memref.alloca() : memref<4xf32>
// CHECK:         scf.for
// CHECK:           %[[V:.*]] = memref.load %[[BUF]]
// CHECK:           memref.store %[[V]]
func.func @scope_with_result(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %r = memref.alloca_scope -> (f32) {
      %buf = memref.alloca() : memref<4xf32>
      %v = memref.load %buf[%c0] : memref<4xf32>
      memref.alloca_scope.return %v : f32
    }
    memref.store %r, %x[%i] : memref<?xf32>
  }
  return
}

// -----

// Dynamic sizes stay where they are outside loops (at most once per call),
// and so do entry-block allocations.
// CHECK-LABEL: func.func @dynamic_outside_loops(
// CHECK-NEXT:    memref.alloca(%{{.*}}) : memref<?xf32>
// CHECK:         scf.if
// CHECK-NEXT:      memref.alloca(%{{.*}}) : memref<?xf32>
func.func @dynamic_outside_loops(%n: index, %c: i1) {
  %a = memref.alloca(%n) : memref<?xf32>
  scf.if %c {
    %b = memref.alloca(%n) : memref<?xf32>
  }
  return
}
