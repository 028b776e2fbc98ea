// REQUIRES: system-linux
// nvgpu.mma.sync in the emulation: the lanes of each warp exchange their
// fragments as the PTX ISA lays them out ("Matrix Fragments for mma"). Each
// kernel below builds its fragments from row-major matrices by those
// layouts, two warps each doing their own product (so a warp's lanes are its
// own), and the check compares every element with a scalar product (the
// inputs are exact in f16 and tf32, so the sums must be equal).
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races})' -o %t.ll.mlir
// RUN: mlir-runner %t.ll.mlir -e f16_main -entry-point-result=void
// RUN: mlir-runner %t.ll.mlir -e tf32_main -entry-point-result=void
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races reverse-order})' -o %t.rev.ll.mlir
// RUN: mlir-runner %t.rev.ll.mlir -e f16_main -entry-point-result=void
// RUN: mlir-runner %t.rev.ll.mlir -e tf32_main -entry-point-result=void
// A fragment in the wrong lane fails the check (A's element for row g read
// from row g + 8):
// RUN: sed 's/%aRowHigh = arith.constant 8 : index/%aRowHigh = arith.constant 0 : index/' %s | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers})' -o %t.bad.ll.mlir
// RUN: not --crash stdbuf -o0 mlir-runner %t.bad.ll.mlir -e f16_main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: mma emulation: D differs from the scalar product
// On the GPU the same op is the tensor-core instruction:
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-nvvm-pipeline{chip=sm_80,sm_90})' | FileCheck %s --check-prefix=PTX
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32

// d[w] = a[w] b[w] + c[w] for warps w = 0, 1: a 16 x 16 (row-major, 256
// floats a warp), b 16 x 8 (row k at k * 8), c and d 16 x 8.
func.func @f16(%a: memref<?xf32>, %b: memref<?xf32>, %c: memref<?xf32>,
                %d: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %c128 = arith.constant 128 : index
    %c256 = arith.constant 256 : index
    %aRowHigh = arith.constant 8 : index
    %w = arith.divui %tx, %c32 : index
    %lane = arith.remui %tx, %c32 : index
    %g = arith.divui %lane, %c4 : index
    %t = arith.remui %lane, %c4 : index
    %aBase = arith.muli %w, %c256 : index
    %bBase = arith.muli %w, %c128 : index
    %g8 = arith.addi %g, %aRowHigh : index
    %t2 = arith.muli %t, %c2 : index
    %t21 = arith.addi %t2, %c1 : index
    %t28 = arith.addi %t2, %c8 : index
    %t29 = arith.addi %t21, %c8 : index
    // A: a0..a7 at (g, 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1), then the
    // same 8 columns on.
    %a0 = func.call @at_f16(%a, %aBase, %g, %t2, %c16) : (memref<?xf32>, index, index, index, index) -> f16
    %a1 = func.call @at_f16(%a, %aBase, %g, %t21, %c16) : (memref<?xf32>, index, index, index, index) -> f16
    %a2 = func.call @at_f16(%a, %aBase, %g8, %t2, %c16) : (memref<?xf32>, index, index, index, index) -> f16
    %a3 = func.call @at_f16(%a, %aBase, %g8, %t21, %c16) : (memref<?xf32>, index, index, index, index) -> f16
    %a4 = func.call @at_f16(%a, %aBase, %g, %t28, %c16) : (memref<?xf32>, index, index, index, index) -> f16
    %a5 = func.call @at_f16(%a, %aBase, %g, %t29, %c16) : (memref<?xf32>, index, index, index, index) -> f16
    %a6 = func.call @at_f16(%a, %aBase, %g8, %t28, %c16) : (memref<?xf32>, index, index, index, index) -> f16
    %a7 = func.call @at_f16(%a, %aBase, %g8, %t29, %c16) : (memref<?xf32>, index, index, index, index) -> f16
    %av = vector.from_elements %a0, %a1, %a2, %a3, %a4, %a5, %a6, %a7 : vector<4x2xf16>
    // B: b0..b3 at rows 2t, 2t+1, 2t+8, 2t+9 of column g.
    %b0 = func.call @at_f16(%b, %bBase, %t2, %g, %c8) : (memref<?xf32>, index, index, index, index) -> f16
    %b1 = func.call @at_f16(%b, %bBase, %t21, %g, %c8) : (memref<?xf32>, index, index, index, index) -> f16
    %b2 = func.call @at_f16(%b, %bBase, %t28, %g, %c8) : (memref<?xf32>, index, index, index, index) -> f16
    %b3 = func.call @at_f16(%b, %bBase, %t29, %g, %c8) : (memref<?xf32>, index, index, index, index) -> f16
    %bv = vector.from_elements %b0, %b1, %b2, %b3 : vector<2x2xf16>
    %cv = func.call @load_acc(%c, %bBase, %g, %t) : (memref<?xf32>, index, index, index) -> vector<2x2xf32>
    %dv = nvgpu.mma.sync (%av, %bv, %cv) {mmaShape = [16, 8, 16]}
        : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    func.call @store_acc(%d, %bBase, %g, %t, %dv) : (memref<?xf32>, index, index, index, vector<2x2xf32>) -> ()
    gpu.terminator
  }
  return
}

// The same for m16n8k8 tf32: a 16 x 8 (128 floats a warp), b 8 x 8.
func.func @tf32(%a: memref<?xf32>, %b: memref<?xf32>, %c: memref<?xf32>,
                %d: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %c32 = arith.constant 32 : index
    %c64b = arith.constant 64 : index
    %c128 = arith.constant 128 : index
    %w = arith.divui %tx, %c32 : index
    %lane = arith.remui %tx, %c32 : index
    %g = arith.divui %lane, %c4 : index
    %t = arith.remui %lane, %c4 : index
    %aBase = arith.muli %w, %c128 : index
    %bBase = arith.muli %w, %c64b : index
    %g8 = arith.addi %g, %c8 : index
    %t4 = arith.addi %t, %c4 : index
    // A: a0..a3 at (g, t), (g+8, t), (g, t+4), (g+8, t+4).
    %a0 = func.call @at(%a, %aBase, %g, %t, %c8) : (memref<?xf32>, index, index, index, index) -> f32
    %a1 = func.call @at(%a, %aBase, %g8, %t, %c8) : (memref<?xf32>, index, index, index, index) -> f32
    %a2 = func.call @at(%a, %aBase, %g, %t4, %c8) : (memref<?xf32>, index, index, index, index) -> f32
    %a3 = func.call @at(%a, %aBase, %g8, %t4, %c8) : (memref<?xf32>, index, index, index, index) -> f32
    %av = vector.from_elements %a0, %a1, %a2, %a3 : vector<4x1xf32>
    // B: b0, b1 at rows t, t+4 of column g.
    %b0 = func.call @at(%b, %bBase, %t, %g, %c8) : (memref<?xf32>, index, index, index, index) -> f32
    %b1 = func.call @at(%b, %bBase, %t4, %g, %c8) : (memref<?xf32>, index, index, index, index) -> f32
    %bv = vector.from_elements %b0, %b1 : vector<2x1xf32>
    %cv = func.call @load_acc(%c, %aBase, %g, %t) : (memref<?xf32>, index, index, index) -> vector<2x2xf32>
    %dv = nvgpu.mma.sync (%av, %bv, %cv) {mmaShape = [16, 8, 8], tf32Enabled}
        : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
    func.call @store_acc(%d, %aBase, %g, %t, %dv) : (memref<?xf32>, index, index, index, vector<2x2xf32>) -> ()
    gpu.terminator
  }
  return
}

func.func private @at(%m: memref<?xf32>, %base: index, %r: index, %k: index,
                      %ld: index) -> f32 {
  %rr = arith.muli %r, %ld : index
  %o = arith.addi %base, %rr : index
  %i = arith.addi %o, %k : index
  %v = memref.load %m[%i] : memref<?xf32>
  return %v : f32
}

func.func private @at_f16(%m: memref<?xf32>, %base: index, %r: index,
                           %k: index, %ld: index) -> f16 {
  %v = func.call @at(%m, %base, %r, %k, %ld) : (memref<?xf32>, index, index, index, index) -> f32
  %h = arith.truncf %v : f32 to f16
  return %h : f16
}

// The accumulator fragment: c0..c3 at (g, 2t), (g, 2t+1), (g+8, 2t),
// (g+8, 2t+1) of a 16 x 8 matrix.
func.func private @load_acc(%m: memref<?xf32>, %base: index, %g: index,
                            %t: index) -> vector<2x2xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %g8 = arith.addi %g, %c8 : index
  %t2 = arith.muli %t, %c2 : index
  %t21 = arith.addi %t2, %c1 : index
  %v0 = func.call @at(%m, %base, %g, %t2, %c8) : (memref<?xf32>, index, index, index, index) -> f32
  %v1 = func.call @at(%m, %base, %g, %t21, %c8) : (memref<?xf32>, index, index, index, index) -> f32
  %v2 = func.call @at(%m, %base, %g8, %t2, %c8) : (memref<?xf32>, index, index, index, index) -> f32
  %v3 = func.call @at(%m, %base, %g8, %t21, %c8) : (memref<?xf32>, index, index, index, index) -> f32
  %v = vector.from_elements %v0, %v1, %v2, %v3 : vector<2x2xf32>
  return %v : vector<2x2xf32>
}

func.func private @store_acc(%m: memref<?xf32>, %base: index, %g: index,
                             %t: index, %v: vector<2x2xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %g8 = arith.addi %g, %c8 : index
  %t2 = arith.muli %t, %c2 : index
  %t21 = arith.addi %t2, %c1 : index
  %r0 = arith.muli %g, %c8 : index
  %r8 = arith.muli %g8, %c8 : index
  %b0 = arith.addi %base, %r0 : index
  %b8 = arith.addi %base, %r8 : index
  %i0 = arith.addi %b0, %t2 : index
  %i1 = arith.addi %b0, %t21 : index
  %i2 = arith.addi %b8, %t2 : index
  %i3 = arith.addi %b8, %t21 : index
  %v0 = vector.extract %v[0, 0] : f32 from vector<2x2xf32>
  %v1 = vector.extract %v[0, 1] : f32 from vector<2x2xf32>
  %v2 = vector.extract %v[1, 0] : f32 from vector<2x2xf32>
  %v3 = vector.extract %v[1, 1] : f32 from vector<2x2xf32>
  memref.store %v0, %m[%i0] : memref<?xf32>
  memref.store %v1, %m[%i1] : memref<?xf32>
  memref.store %v2, %m[%i2] : memref<?xf32>
  memref.store %v3, %m[%i3] : memref<?xf32>
  return
}

// m[i] = ((i * mul) mod 13 - 6) * scale: small multiples of a power of
// two, exact in f16 and tf32 and in every partial sum.
func.func private @fill(%m: memref<?xf32>, %n: index, %mul: index,
                        %scale: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c13 = arith.constant 13 : index
  scf.for %i = %c0 to %n step %c1 {
    %p = arith.muli %i, %mul : index
    %r = arith.remui %p, %c13 : index
    %s = arith.subi %r, %c6 : index
    %si = arith.index_cast %s : index to i64
    %f = arith.sitofp %si : i64 to f32
    %v = arith.mulf %f, %scale : f32
    memref.store %v, %m[%i] : memref<?xf32>
  }
  return
}

// Asserts d[w] = a[w] b[w] + c[w] for warps w = 0, 1 (a M x K, b K x 8).
func.func private @check(%a: memref<?xf32>, %b: memref<?xf32>,
                         %c: memref<?xf32>, %d: memref<?xf32>, %K: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  %aSize = arith.muli %K, %c16 : index
  %bSize = arith.muli %K, %c8 : index
  scf.for %w = %c0 to %c2 step %c1 {
    %aBase = arith.muli %w, %aSize : index
    %bBase = arith.muli %w, %bSize : index
    %cBase = arith.muli %w, %c128 : index
    scf.for %r = %c0 to %c16 step %c1 {
      scf.for %n = %c0 to %c8 step %c1 {
        %ci = func.call @index2(%cBase, %r, %c8, %n) : (index, index, index, index) -> index
        %cv = memref.load %c[%ci] : memref<?xf32>
        %sum = scf.for %k = %c0 to %K step %c1 iter_args(%s = %cv) -> (f32) {
          %ai = func.call @index2(%aBase, %r, %K, %k) : (index, index, index, index) -> index
          %bi = func.call @index2(%bBase, %k, %c8, %n) : (index, index, index, index) -> index
          %av = memref.load %a[%ai] : memref<?xf32>
          %bv = memref.load %b[%bi] : memref<?xf32>
          %p = arith.mulf %av, %bv : f32
          %s2 = arith.addf %s, %p : f32
          scf.yield %s2 : f32
        }
        %dv = memref.load %d[%ci] : memref<?xf32>
        %same = arith.cmpf oeq, %dv, %sum : f32
        cf.assert %same, "mma emulation: D differs from the scalar product"
      }
    }
  }
  return
}

func.func private @index2(%base: index, %r: index, %ld: index, %c: index) -> index {
  %rr = arith.muli %r, %ld : index
  %o = arith.addi %base, %rr : index
  %i = arith.addi %o, %c : index
  return %i : index
}

func.func @run(%K: index, %f16: i1) {
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %half = arith.constant 0.5 : f32
  %quarter = arith.constant 0.25 : f32
  %one = arith.constant 1.0 : f32
  %aSize0 = arith.muli %K, %c16 : index
  %aSize = arith.muli %aSize0, %c3 : index
  %a = memref.alloc(%aSize) : memref<?xf32>
  %b = memref.alloc(%aSize) : memref<?xf32>
  %c = memref.alloc(%c256) : memref<?xf32>
  %d = memref.alloc(%c256) : memref<?xf32>
  func.call @fill(%a, %aSize, %c7, %half) : (memref<?xf32>, index, index, f32) -> ()
  func.call @fill(%b, %aSize, %c5, %quarter) : (memref<?xf32>, index, index, f32) -> ()
  func.call @fill(%c, %c256, %c3, %one) : (memref<?xf32>, index, index, f32) -> ()
  scf.if %f16 {
    func.call @f16(%a, %b, %c, %d) : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>) -> ()
  } else {
    func.call @tf32(%a, %b, %c, %d) : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>) -> ()
  }
  func.call @check(%a, %b, %c, %d, %K) : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index) -> ()
  memref.dealloc %a : memref<?xf32>
  memref.dealloc %b : memref<?xf32>
  memref.dealloc %c : memref<?xf32>
  memref.dealloc %d : memref<?xf32>
  return
}

func.func @f16_main() {
  %c16 = arith.constant 16 : index
  %true = arith.constant true
  func.call @run(%c16, %true) : (index, i1) -> ()
  return
}

func.func @tf32_main() {
  %c8 = arith.constant 8 : index
  %false = arith.constant false
  func.call @run(%c8, %false) : (index, i1) -> ()
  return
}
