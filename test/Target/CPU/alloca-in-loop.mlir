// RUN: not nhc-kernels %s --emit=llvm -o /dev/null 2>&1 | FileCheck %s

// An alloca inside a loop reserves more stack every iteration. Here the
// lowering of memref.dim with a loop-variant index makes one (it copies the
// size array to a stack slot); the host library refuses it by name instead
// of building code that exhausts a thread's stack.
// CHECK: host code of 'nhc_grow' allocates stack memory inside a loop
func.func @nhc_grow(%y: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = memref.alloca(%n) : memref<?x4xf32>
  scf.for %i = %c0 to %n step %c1 {
    %d = memref.dim %m, %i : memref<?x4xf32>
    %v = arith.index_cast %d : index to i32
    %f = arith.sitofp %v : i32 to f32
    memref.store %f, %y[%i] : memref<?xf32>
  }
  return
}
