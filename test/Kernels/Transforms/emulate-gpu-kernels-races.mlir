// check-races: a kernel whose threads touch the same workgroup element with
// no barrier between aborts with a message naming it; with the barrier it
// runs. Each neighbour swap below reads the element thread tx + 1 writes.
// The message goes out with puts() before abort(): stdbuf keeps it. (The
// pipeline inlines each function into its caller: the kernels are named
// after the callers.)
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races})' -o %t.ll.mlir
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e racy_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=RACY
// RACY: GPU kernel 'racy_main_kernel': threads of a block write a workgroup element another thread read or wrote with no gpu.barrier between
// RUN: mlir-runner %t.ll.mlir -e fixed_main -entry-point-result=void
// A loop holding a barrier whose trip count differs between threads:
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e divergent_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=DIVERGENT
// DIVERGENT: GPU kernel 'divergent_main_kernel': a loop holding a gpu.barrier has bounds that differ between the threads of a block

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
    %t1 = arith.addi %tx, %one : index
    %next = arith.remui %t1, %n : index
    %w = memref.load %tile[%next] : memref<32xf32, #gpu.address_space<workgroup>>
    memref.store %w, %x[%tx] : memref<?xf32>
    gpu.terminator
  }
  return
}

func.func @fixed(%x: memref<?xf32>) {
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
    memref.store %w, %x[%tx] : memref<?xf32>
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

func.func @racy_main() {
  %c32 = arith.constant 32 : index
  %x = memref.alloc(%c32) : memref<?xf32>
  call @racy(%x) : (memref<?xf32>) -> ()
  memref.dealloc %x : memref<?xf32>
  return
}

func.func @fixed_main() {
  %c32 = arith.constant 32 : index
  %x = memref.alloc(%c32) : memref<?xf32>
  call @fixed(%x) : (memref<?xf32>) -> ()
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
