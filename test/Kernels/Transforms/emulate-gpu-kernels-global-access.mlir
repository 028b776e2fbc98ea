// REQUIRES: system-linux
// What a GPU does not forgive and the host would: a vector load or store
// whose address is not a multiple of its alignment (ld.global.v4 /
// st.global.v4 need 16 bytes) faults, and an access past the end of a
// buffer reads or writes another buffer (or faults). The emulation aborts
// there, naming the kernel, so a kernel that picks its 16-byte form for a
// misaligned buffer, or indexes past a buffer, fails its host tests. (The
// pipeline inlines each function into its caller: the kernels are named
// after the callers.)
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers})' -o %t.ll.mlir
// Element 4 of a 64-byte aligned buffer: 16 bytes in, aligned.
// RUN: mlir-runner %t.ll.mlir -e aligned_main -entry-point-result=void
// Element 1: 4 bytes in.
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e load_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=LOAD
// LOAD: GPU kernel 'load_main_kernel': a vector load at an address that is not a multiple of its alignment (16 bytes): a GPU faults there
// A store at element 2: 8 bytes in.
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e store_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=STORE
// STORE: GPU kernel 'store_main_kernel': a vector store at an address that is not a multiple of its alignment (16 bytes): a GPU faults there
// Elements 12-15 copied to 20-23 of 16: the store is past the end.
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e store_past_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=STOREPAST
// STOREPAST: GPU kernel 'store_past_main_kernel': a store past the end of a buffer (a GPU reads or writes another buffer there, or faults)
// Elements 16-19 of 16: the (aligned) load is past the end.
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e load_past_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=LOADPAST
// LOADPAST: GPU kernel 'load_past_main_kernel': a load past the end of a buffer (a GPU reads or writes another buffer there, or faults)
// One element past the end, read by a scalar load.
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e scalar_past_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=SCALARPAST
// SCALARPAST: GPU kernel 'scalar_past_main_kernel': a load past the end of a buffer (a GPU reads or writes another buffer there, or faults)
// A view the kernel makes of a 16-byte buffer as 64 words: the view itself
// is past the end, whatever is accessed through it.
// RUN: not --crash stdbuf -o0 mlir-runner %t.ll.mlir -e view_past_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=VIEWPAST
// VIEWPAST: GPU kernel 'view_past_main_kernel': a memref.view past the end of its buffer (a GPU reads or writes another buffer through it, or faults) at loc(
// A memref of vectors: a vector load is one element (element 7 of 8 is
// in bounds); memrefs of index take vector accesses (no bit width to check).
// RUN: mlir-runner %t.ll.mlir -e vector_elements_main -entry-point-result=void
// RUN: mlir-runner %t.ll.mlir -e index_elements_main -entry-point-result=void

// Copies 4 floats from element `at` to element 8 + `at` with 16-byte
// accesses, one thread.
func.func @copy4(%x: memref<?xf32>, %at: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %c8 = arith.constant 8 : index
    %v = vector.load %x[%at] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %to = arith.addi %at, %c8 : index
    vector.store %v, %x[%to] : memref<?xf32>, vector<4xf32>
    gpu.terminator
  }
  return
}

func.func @store4(%x: memref<?xf32>, %at: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = arith.constant dense<1.0> : vector<4xf32>
    vector.store %v, %x[%at] {alignment = 16} : memref<?xf32>, vector<4xf32>
    gpu.terminator
  }
  return
}

func.func @aligned_main() {
  %c4 = arith.constant 4 : index
  %x = memref.alloc() {alignment = 64} : memref<16xf32>
  %d = memref.cast %x : memref<16xf32> to memref<?xf32>
  call @copy4(%d, %c4) : (memref<?xf32>, index) -> ()
  memref.dealloc %x : memref<16xf32>
  return
}

func.func @load_main() {
  %c1 = arith.constant 1 : index
  %x = memref.alloc() {alignment = 64} : memref<16xf32>
  %d = memref.cast %x : memref<16xf32> to memref<?xf32>
  call @copy4(%d, %c1) : (memref<?xf32>, index) -> ()
  memref.dealloc %x : memref<16xf32>
  return
}

func.func @store_main() {
  %c2 = arith.constant 2 : index
  %x = memref.alloc() {alignment = 64} : memref<16xf32>
  %d = memref.cast %x : memref<16xf32> to memref<?xf32>
  call @store4(%d, %c2) : (memref<?xf32>, index) -> ()
  memref.dealloc %x : memref<16xf32>
  return
}

func.func @load1(%x: memref<?xf32>, %at: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %v = memref.load %x[%at] : memref<?xf32>
    memref.store %v, %x[%c0] : memref<?xf32>
    gpu.terminator
  }
  return
}

func.func @store_past_main() {
  %c12 = arith.constant 12 : index
  %x = memref.alloc() {alignment = 64} : memref<16xf32>
  %d = memref.cast %x : memref<16xf32> to memref<?xf32>
  call @copy4(%d, %c12) : (memref<?xf32>, index) -> ()
  memref.dealloc %x : memref<16xf32>
  return
}

func.func @load_past_main() {
  %c16 = arith.constant 16 : index
  %x = memref.alloc() {alignment = 64} : memref<16xf32>
  %d = memref.cast %x : memref<16xf32> to memref<?xf32>
  call @copy4(%d, %c16) : (memref<?xf32>, index) -> ()
  memref.dealloc %x : memref<16xf32>
  return
}

func.func @scalar_past_main() {
  %c16 = arith.constant 16 : index
  %x = memref.alloc() {alignment = 64} : memref<16xf32>
  %d = memref.cast %x : memref<16xf32> to memref<?xf32>
  call @load1(%d, %c16) : (memref<?xf32>, index) -> ()
  memref.dealloc %x : memref<16xf32>
  return
}

func.func @view_words(%x: memref<?xi8>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %c64 = arith.constant 64 : index
    %w = memref.view %x[%c0][%c64] : memref<?xi8> to memref<?xi32>
    %v = memref.load %w[%c0] : memref<?xi32>
    memref.store %v, %w[%c0] : memref<?xi32>
    gpu.terminator
  }
  return
}

func.func @view_past_main() {
  %x = memref.alloc() {alignment = 64} : memref<16xi8>
  %d = memref.cast %x : memref<16xi8> to memref<?xi8>
  call @view_words(%d) : (memref<?xi8>) -> ()
  memref.dealloc %x : memref<16xi8>
  return
}

func.func @copy_vector_element(%x: memref<?xvector<4xf32>>, %at: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %v = vector.load %x[%at] {alignment = 16} : memref<?xvector<4xf32>>, vector<4xf32>
    vector.store %v, %x[%c0] : memref<?xvector<4xf32>>, vector<4xf32>
    gpu.terminator
  }
  return
}

func.func @vector_elements_main() {
  %c7 = arith.constant 7 : index
  %x = memref.alloc() {alignment = 64} : memref<8xvector<4xf32>>
  %d = memref.cast %x : memref<8xvector<4xf32>> to memref<?xvector<4xf32>>
  call @copy_vector_element(%d, %c7) : (memref<?xvector<4xf32>>, index) -> ()
  memref.dealloc %x : memref<8xvector<4xf32>>
  return
}

func.func @copy_indices(%x: memref<?xindex>, %at: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = vector.load %x[%at] {alignment = 16} : memref<?xindex>, vector<2xindex>
    vector.store %v, %x[%at] : memref<?xindex>, vector<2xindex>
    gpu.terminator
  }
  return
}

func.func @index_elements_main() {
  %c2 = arith.constant 2 : index
  %x = memref.alloc() {alignment = 64} : memref<4xindex>
  %d = memref.cast %x : memref<4xindex> to memref<?xindex>
  call @copy_indices(%d, %c2) : (memref<?xindex>, index) -> ()
  memref.dealloc %x : memref<4xindex>
  return
}
