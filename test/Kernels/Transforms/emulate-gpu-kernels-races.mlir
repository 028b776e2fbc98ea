// REQUIRES: system-linux
// check-races: a kernel whose threads touch the same workgroup element with
// no barrier between aborts with a message naming it; with the barrier it
// runs. Each neighbour swap below reads the element thread tx + 1 writes.
// The message goes out with puts() before abort(): stdbuf keeps it. (The
// pipeline inlines each function into its caller: the kernels are named
// after the callers.)
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races})' -o %t.ll.mlir
// In thread order the neighbour's later write is the race:
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e racy_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=RACY
// RACY: GPU kernel 'racy_main_kernel': threads of a block write a workgroup element another thread read or wrote with no gpu.barrier between
// In reverse order the read of the neighbour's earlier write is:
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races reverse-order})' -o %t.rev.ll.mlir
// RUN: not --crash stdbuf -o0 mlir-runner %t.rev.ll.mlir -e racy_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=RACYREV
// RACYREV: GPU kernel 'racy_main_kernel': threads of a block read a workgroup element another thread wrote with no gpu.barrier between
// Workgroup memory starts undefined on a GPU: at each block's start the
// emulation fills it with all-ones bytes (NaN), so an element read before
// any thread of the block wrote it is NaN, in the second block too (the
// first left its values there); unwritten_main asserts it:
// RUN: mlir-runner %t.ll.mlir -e unwritten_main -entry-point-result=void
// RUN: mlir-runner %t.rev.ll.mlir -e unwritten_main -entry-point-result=void
// With the barrier, two blocks (the tags start afresh in each) and a
// barrier loop whose bound is the same in every thread of a block (the
// block id), in both orders:
// RUN: mlir-runner %t.ll.mlir -e fixed_main -entry-point-result=void
// RUN: mlir-runner %t.rev.ll.mlir -e fixed_main -entry-point-result=void
// A loop whose next iteration overwrites what this one's neighbours read:
// the loop boundary is no barrier.
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e loop_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=LOOP
// LOOP: GPU kernel 'loop_main_kernel': threads of a block write a workgroup element another thread read or wrote with no gpu.barrier between
// A loop holding a barrier whose trip count differs between threads:
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e divergent_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=DIVERGENT
// DIVERGENT: GPU kernel 'divergent_main_kernel': a loop or branch holding a sync point has bounds or a condition that differ between the threads of a block
// A branch holding a barrier that only some threads take:
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e divergent_branch_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=BRANCH
// BRANCH: GPU kernel 'divergent_branch_main_kernel': a loop or branch holding a sync point has bounds or a condition that differ between the threads of a block
// Atomics: 32 threads adding into one element at once race with no one
// (the sum is 32 after the barrier, in both orders); a thread's plain store
// to an element others update atomically with no barrier between does.
// RUN: mlir-runner %t.ll.mlir -e atomic_main -entry-point-result=void
// RUN: mlir-runner %t.rev.ll.mlir -e atomic_main -entry-point-result=void
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e atomic_racy_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=ATOMIC
// ATOMIC: GPU kernel 'atomic_racy_main_kernel': threads of a block update a workgroup element atomically that another thread read or wrote with no gpu.barrier between

func.func @atomic(%x: memref<?xi32>, %plain: i1) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%count : memref<1xi32, #gpu.address_space<workgroup>>) {
    %zero = arith.constant 0 : index
    %k0 = arith.constant 0 : i32
    %k1 = arith.constant 1 : i32
    %lead = arith.cmpi eq, %tx, %zero : index
    scf.if %lead {
      memref.store %k0, %count[%zero] : memref<1xi32, #gpu.address_space<workgroup>>
    }
    // The racy variant leaves out this barrier.
    scf.if %plain {
    } else {
      gpu.barrier
    }
    %old = memref.atomic_rmw addi %k1, %count[%zero] : (i32, memref<1xi32, #gpu.address_space<workgroup>>) -> i32
    gpu.barrier
    %sum = memref.load %count[%zero] : memref<1xi32, #gpu.address_space<workgroup>>
    memref.store %sum, %x[%tx] : memref<?xi32>
    gpu.terminator
  }
  return
}

func.func @atomic_main() {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %false = arith.constant false
  %x = memref.alloc(%c32) : memref<?xi32>
  call @atomic(%x, %false) : (memref<?xi32>, i1) -> ()
  %sum = memref.load %x[%c0] : memref<?xi32>
  %k32 = arith.constant 32 : i32
  %all = arith.cmpi eq, %sum, %k32 : i32
  cf.assert %all, "32 atomic adds of 1 did not sum to 32"
  memref.dealloc %x : memref<?xi32>
  return
}

func.func @atomic_racy_main() {
  %c32 = arith.constant 32 : index
  %true = arith.constant true
  %x = memref.alloc(%c32) : memref<?xi32>
  call @atomic(%x, %true) : (memref<?xi32>, i1) -> ()
  memref.dealloc %x : memref<?xi32>
  return
}

func.func @racy(%x: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<32xf32, #gpu.address_space<workgroup>>) {
    %one = arith.constant 1 : index
    %n = arith.constant 32 : index
    %v = memref.load %x[%tx] : memref<?xf32>
    memref.store %v, %tile[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %t1 = arith.addi %tx, %one : index
    %next = arith.remui %t1, %n : index
    %w = memref.load %tile[%next] : memref<32xf32, #gpu.address_space<workgroup>>
    memref.store %w, %tile[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
    memref.store %w, %x[%tx] : memref<?xf32>
    gpu.terminator
  }
  return
}

// Each thread reads its element of the tile, then writes it: no thread
// touches another's, so there is no race, only a read of memory nobody in
// the block wrote.
func.func @unwritten(%x: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<32xf32, #gpu.address_space<workgroup>>) {
    %n = arith.constant 32 : index
    %base = arith.muli %bx, %n : index
    %i = arith.addi %base, %tx : index
    %v = memref.load %x[%i] : memref<?xf32>
    %w = memref.load %tile[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
    memref.store %v, %tile[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
    memref.store %w, %x[%i] : memref<?xf32>
    gpu.terminator
  }
  return
}

func.func @fixed(%x: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<32xf32, #gpu.address_space<workgroup>>) {
    %zero = arith.constant 0 : index
    %one = arith.constant 1 : index
    %n = arith.constant 32 : index
    %base = arith.muli %bx, %n : index
    %i = arith.addi %base, %tx : index
    %v = memref.load %x[%i] : memref<?xf32>
    memref.store %v, %tile[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %t1 = arith.addi %tx, %one : index
    %next = arith.remui %t1, %n : index
    %w = memref.load %tile[%next] : memref<32xf32, #gpu.address_space<workgroup>>
    memref.store %w, %x[%i] : memref<?xf32>
    %rounds = arith.addi %bx, %one : index
    scf.for %r = %zero to %rounds step %one {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

func.func @loop(%x: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<32xf32, #gpu.address_space<workgroup>>) {
    %zero = arith.constant 0 : index
    %one = arith.constant 1 : index
    %two = arith.constant 2 : index
    %n = arith.constant 32 : index
    scf.for %r = %zero to %two step %one {
      %v = memref.load %x[%tx] : memref<?xf32>
      memref.store %v, %tile[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %t1 = arith.addi %tx, %one : index
      %next = arith.remui %t1, %n : index
      %w = memref.load %tile[%next] : memref<32xf32, #gpu.address_space<workgroup>>
      memref.store %w, %x[%tx] : memref<?xf32>
    }
    gpu.terminator
  }
  return
}

func.func @divergent(%x: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %zero = arith.constant 0 : index
    %one = arith.constant 1 : index
    scf.for %i = %zero to %tx step %one {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

func.func @divergent_branch(%x: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %c16 = arith.constant 16 : index
    %low = arith.cmpi ult, %tx, %c16 : index
    scf.if %low {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

func.func @divergent_branch_main() {
  %c32 = arith.constant 32 : index
  %x = memref.alloc(%c32) : memref<?xf32>
  call @divergent_branch(%x) : (memref<?xf32>) -> ()
  memref.dealloc %x : memref<?xf32>
  return
}

func.func @unwritten_main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %true = arith.constant true
  %x = memref.alloc(%c64) : memref<?xf32>
  scf.for %i = %c0 to %c64 step %c1 {
    memref.store %zero, %x[%i] : memref<?xf32>
  }
  call @unwritten(%x) : (memref<?xf32>) -> ()
  %all = scf.for %i = %c0 to %c64 step %c1 iter_args(%ok = %true) -> (i1) {
    %v = memref.load %x[%i] : memref<?xf32>
    %nan = arith.cmpf uno, %v, %v : f32
    %both = arith.andi %ok, %nan : i1
    scf.yield %both : i1
  }
  cf.assert %all, "a read of workgroup memory nobody in the block wrote is not NaN"
  memref.dealloc %x : memref<?xf32>
  return
}

func.func @racy_main() {
  %c32 = arith.constant 32 : index
  %x = memref.alloc(%c32) : memref<?xf32>
  call @racy(%x) : (memref<?xf32>) -> ()
  memref.dealloc %x : memref<?xf32>
  return
}

func.func @fixed_main() {
  %c64 = arith.constant 64 : index
  %x = memref.alloc(%c64) : memref<?xf32>
  call @fixed(%x) : (memref<?xf32>) -> ()
  memref.dealloc %x : memref<?xf32>
  return
}

func.func @loop_main() {
  %c32 = arith.constant 32 : index
  %x = memref.alloc(%c32) : memref<?xf32>
  call @loop(%x) : (memref<?xf32>) -> ()
  memref.dealloc %x : memref<?xf32>
  return
}

func.func @divergent_main() {
  %c32 = arith.constant 32 : index
  %x = memref.alloc(%c32) : memref<?xf32>
  call @divergent(%x) : (memref<?xf32>) -> ()
  memref.dealloc %x : memref<?xf32>
  return
}
