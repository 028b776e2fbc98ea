// REQUIRES: system-linux
// Dynamic shared memory in the emulation: one host buffer of the launch's
// bytes, seen through memref.view ops whose offsets and sizes come from the
// kernel's arguments. The kernel below stages x in a view 64 bytes into the
// buffer and a second, aliasing view (offset 0) reads the same words back
// shifted by 16: each thread's result is its neighbour's value times 2, and
// the check compares every element.
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races})' -o %t.ll.mlir
// RUN: mlir-runner %t.ll.mlir -e rotate_main -entry-point-result=void
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races reverse-order})' -o %t.rev.ll.mlir
// RUN: mlir-runner %t.rev.ll.mlir -e rotate_main -entry-point-result=void
// Without the barrier the aliasing view's read is a race on the same word:
// RUN: sed '/BARRIER/d' %s | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races})' -o %t.racy.ll.mlir
// RUN: not --crash stdbuf -o0 mlir-runner %t.racy.ll.mlir -e rotate_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=RACY
// RACY: GPU kernel 'rotate_main_kernel': threads of a block
// A launch with fewer bytes than the view spans is refused before any
// thread runs:
// RUN: sed 's/%extra = arith.constant 64 : index/%extra = arith.constant 60 : index/' %s | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races})' -o %t.short.ll.mlir
// RUN: not --crash stdbuf -o0 mlir-runner %t.short.ll.mlir -e rotate_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=SHORT
// SHORT: GPU kernel 'rotate_main_kernel': a view of dynamic shared memory is not within the launch's bytes on 4-byte words
// An index past a view's length is caught:
// RUN: sed 's/%wrap = arith.remui %moved, %n : index/%wrap = arith.addi %moved, %n : index/' %s | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races})' -o %t.past.ll.mlir
// RUN: not --crash stdbuf -o0 mlir-runner %t.past.ll.mlir -e rotate_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=PAST
// PAST: GPU kernel 'rotate_main_kernel': a load past the end of a buffer (a GPU reads or writes another buffer there, or faults)
// On the GPU the buffer is the kernel's extern shared array:
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-nvvm-pipeline{chip=sm_90})' | FileCheck %s --check-prefix=PTX
// PTX: .extern .shared .align 16 .b8 __dynamic_shmem__0[];

// y[t] = 2 x[(t + 16) % n] for n threads (n <= 1024), through dynamic
// shared memory of 4 n + 64 bytes: thread t writes word 16 + t, reads word
// 16 + (t + 16) % n through the view at 0.
func.func @rotate(%x: memref<?xf32>, %y: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %extra = arith.constant 64 : index
  %words = arith.muli %n, %c4 : index
  %bytesIndex = arith.addi %words, %extra : index
  %bytes = arith.index_cast %bytesIndex : index to i32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %n, %sy = %c1, %sz = %c1)
             dynamic_shared_memory_size %bytes {
    %c0 = arith.constant 0 : index
    %c16 = arith.constant 16 : index
    %c64 = arith.constant 64 : index
    %dsm = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
    %staged = memref.view %dsm[%c64][%n]
        : memref<?xi8, #gpu.address_space<workgroup>>
          to memref<?xf32, #gpu.address_space<workgroup>>
    %all = arith.addi %n, %c16 : index
    %whole = memref.view %dsm[%c0][%all]
        : memref<?xi8, #gpu.address_space<workgroup>>
          to memref<?xf32, #gpu.address_space<workgroup>>
    %v = memref.load %x[%tx] : memref<?xf32>
    %v2 = arith.addf %v, %v : f32
    memref.store %v2, %staged[%tx] : memref<?xf32, #gpu.address_space<workgroup>>
    gpu.barrier // BARRIER
    %moved = arith.addi %tx, %c16 : index
    %wrap = arith.remui %moved, %n : index
    %word = arith.addi %wrap, %c16 : index
    %w = memref.load %whole[%word] : memref<?xf32, #gpu.address_space<workgroup>>
    memref.store %w, %y[%tx] : memref<?xf32>
    gpu.terminator
  }
  return
}

func.func @rotate_main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %n = arith.constant 48 : index
  %x = memref.alloc(%n) : memref<?xf32>
  %y = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    memref.store %f, %x[%i] : memref<?xf32>
  }
  call @rotate(%x, %y, %n) : (memref<?xf32>, memref<?xf32>, index) -> ()
  scf.for %i = %c0 to %n step %c1 {
    %i16 = arith.addi %i, %c16 : index
    %src = arith.remui %i16, %n : index
    %si = arith.index_cast %src : index to i32
    %sf = arith.sitofp %si : i32 to f32
    %want = arith.addf %sf, %sf : f32
    %got = memref.load %y[%i] : memref<?xf32>
    %same = arith.cmpf oeq, %got, %want : f32
    cf.assert %same, "dynamic shared memory: a result differs"
  }
  memref.dealloc %x : memref<?xf32>
  memref.dealloc %y : memref<?xf32>
  return
}
