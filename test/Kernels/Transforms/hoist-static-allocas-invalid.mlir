// RUN: nhc-opt %s -split-input-file -nhc-hoist-static-allocas -verify-diagnostics

func.func @dynamic_in_loop(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    // expected-error @below {{has a dynamic size inside a loop of host code}}
    %buf = memref.alloca(%i) : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// Each iteration hands its buffer to the next: one buffer cannot serve both.
func.func @carried(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %init = memref.alloca() : memref<4xf32>
  %last = scf.for %i = %c0 to %n step %c1 iter_args(%prev = %init) -> (memref<4xf32>) {
    // expected-error @below {{is yielded or branched out of its region}}
    %buf = memref.alloca() : memref<4xf32>
    memref.copy %prev, %buf : memref<4xf32> to memref<4xf32>
    scf.yield %buf : memref<4xf32>
  }
  return
}
