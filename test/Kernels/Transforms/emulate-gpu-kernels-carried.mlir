// REQUIRES: system-linux
// A loop holding barriers may carry values (iter_args): each thread's are
// kept across the barriers and the iterations. Each thread sums its right
// neighbour's staged x over three rounds (a running f32 sum) and swaps a
// vector<2xf32> pair every round; the check compares every result.
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races})' -o %t.ll.mlir
// RUN: mlir-runner %t.ll.mlir -e carried_main -entry-point-result=void
// RUN: mlir-runner %t.ll.mlir -e branch_main -entry-point-result=void
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races reverse-order})' -o %t.rev.ll.mlir
// RUN: mlir-runner %t.rev.ll.mlir -e carried_main -entry-point-result=void
// RUN: mlir-runner %t.rev.ll.mlir -e branch_main -entry-point-result=void
// A branch holding a barrier (taken or not by the whole block) yields
// values the same way; yielding the other branch's pair is seen:
// RUN: sed 's/scf.yield %own, %unswapped/scf.yield %own, %reversed/' %s | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers})' -o %t.badif.ll.mlir
// RUN: not --crash stdbuf -o0 mlir-runner %t.badif.ll.mlir -e branch_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=BADIF
// BADIF: branch values: a result differs
// Carrying the unswapped pair gives other results, which the check sees:
// RUN: sed 's/%flip = vector.from_elements %latter, %former/%flip = vector.from_elements %former, %latter/' %s | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers})' -o %t.bad.ll.mlir
// RUN: not --crash stdbuf -o0 mlir-runner %t.bad.ll.mlir -e carried_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: carried values: a result differs

// y[t] = sum over rounds r < 3 of x[(t + 1 + r) % 32] + the pair's first
// element after three swaps of [1, 2] (2).
func.func @carried(%x: memref<?xf32>, %y: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<32xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %rounds = arith.constant 3 : index
    %n = arith.constant 32 : index
    %zero = arith.constant 0.0 : f32
    %pair0 = arith.constant dense<[1.0, 2.0]> : vector<2xf32>
    %r:2 = scf.for %i = %c0 to %rounds step %one
        iter_args(%acc = %zero, %pair = %pair0) -> (f32, vector<2xf32>) {
      %ti = arith.addi %tx, %i : index
      %j = arith.remui %ti, %n : index
      %v = memref.load %x[%j] : memref<?xf32>
      memref.store %v, %tile[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %t1 = arith.addi %tx, %one : index
      %k = arith.remui %t1, %n : index
      %w = memref.load %tile[%k] : memref<32xf32, #gpu.address_space<workgroup>>
      %acc2 = arith.addf %acc, %w : f32
      gpu.barrier
      %former = vector.extract %pair[0] : f32 from vector<2xf32>
      %latter = vector.extract %pair[1] : f32 from vector<2xf32>
      %flip = vector.from_elements %latter, %former : vector<2xf32>
      scf.yield %acc2, %flip : f32, vector<2xf32>
    }
    %p0 = vector.extract %r#1[0] : f32 from vector<2xf32>
    %out = arith.addf %r#0, %p0 : f32
    memref.store %out, %y[%tx] : memref<?xf32>
    gpu.terminator
  }
  return
}

func.func @carried_main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %n = arith.constant 32 : index
  %two = arith.constant 2.0 : f32
  %zero = arith.constant 0.0 : f32
  %x = memref.alloc(%n) : memref<?xf32>
  %y = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %sq = arith.mulf %f, %f : f32
    memref.store %sq, %x[%i] : memref<?xf32>
  }
  call @carried(%x, %y) : (memref<?xf32>, memref<?xf32>) -> ()
  scf.for %t = %c0 to %n step %c1 {
    %sum = scf.for %r = %c0 to %c3 step %c1 iter_args(%s = %zero) -> (f32) {
      %t1 = arith.addi %t, %c1 : index
      %tr = arith.addi %t1, %r : index
      %j = arith.remui %tr, %n : index
      %v = memref.load %x[%j] : memref<?xf32>
      %s2 = arith.addf %s, %v : f32
      scf.yield %s2 : f32
    }
    %want = arith.addf %sum, %two : f32
    %got = memref.load %y[%t] : memref<?xf32>
    %same = arith.cmpf oeq, %got, %want : f32
    cf.assert %same, "carried values: a result differs"
  }
  memref.dealloc %x : memref<?xf32>
  memref.dealloc %y : memref<?xf32>
  return
}

// With %mode != 0: y[t] = x[(t + 1) % 32] (through a barrier) + 2 (the swapped
// pair's first element); without: y[t] = x[t] + 1.
func.func @branch(%x: memref<?xf32>, %y: memref<?xf32>, %mode: index) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<32xf32, #gpu.address_space<workgroup>>) {
    %one = arith.constant 1 : index
    %n = arith.constant 32 : index
    %unswapped = arith.constant dense<[1.0, 2.0]> : vector<2xf32>
    %reversed = arith.constant dense<[2.0, 1.0]> : vector<2xf32>
    %own = memref.load %x[%tx] : memref<?xf32>
    // Computed by every thread (kept per thread, the same in each).
    %zeroMode = arith.constant 0 : index
    %take = arith.cmpi ne, %mode, %zeroMode : index
    %r:2 = scf.if %take -> (f32, vector<2xf32>) {
      memref.store %own, %tile[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %t1 = arith.addi %tx, %one : index
      %k = arith.remui %t1, %n : index
      %w = memref.load %tile[%k] : memref<32xf32, #gpu.address_space<workgroup>>
      scf.yield %w, %reversed : f32, vector<2xf32>
    } else {
      scf.yield %own, %unswapped : f32, vector<2xf32>
    }
    %p0 = vector.extract %r#1[0] : f32 from vector<2xf32>
    %out = arith.addf %r#0, %p0 : f32
    memref.store %out, %y[%tx] : memref<?xf32>
    gpu.terminator
  }
  return
}

func.func @branch_main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 32 : index
  %onef = arith.constant 1.0 : f32
  %twof = arith.constant 2.0 : f32
  %x = memref.alloc(%n) : memref<?xf32>
  %y = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %sq = arith.mulf %f, %f : f32
    memref.store %sq, %x[%i] : memref<?xf32>
  }
  call @branch(%x, %y, %c1) : (memref<?xf32>, memref<?xf32>, index) -> ()
  scf.for %t = %c0 to %n step %c1 {
    %t1 = arith.addi %t, %c1 : index
    %j = arith.remui %t1, %n : index
    %v = memref.load %x[%j] : memref<?xf32>
    %want = arith.addf %v, %twof : f32
    %got = memref.load %y[%t] : memref<?xf32>
    %same = arith.cmpf oeq, %got, %want : f32
    cf.assert %same, "branch values: a result differs"
  }
  call @branch(%x, %y, %c0) : (memref<?xf32>, memref<?xf32>, index) -> ()
  scf.for %t = %c0 to %n step %c1 {
    %v = memref.load %x[%t] : memref<?xf32>
    %want = arith.addf %v, %onef : f32
    %got = memref.load %y[%t] : memref<?xf32>
    %same = arith.cmpf oeq, %got, %want : f32
    cf.assert %same, "branch values: a result differs"
  }
  memref.dealloc %x : memref<?xf32>
  memref.dealloc %y : memref<?xf32>
  return
}
