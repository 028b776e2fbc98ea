// Block-wide reductions for the GPU forms (*_gpu.mlir), blocks of 256
// threads along x. GPU only: the host pipeline drops them with the forms.

// The sum of `v` (or, if `is_max`, the maximum: maximumf, NaN propagates)
// over the block's 256 threads, each passing its own, in every thread.
func.func private @nhc_block_reduce_256(
    %v: f32, %tx: index,
    %partial: memref<256xf32, #gpu.address_space<workgroup>>,
    %is_max: i1) -> f32 {
  %c256 = arith.constant 256 : index
  %total = func.call @nhc_segment_reduce_256(%v, %tx, %partial, %is_max, %c256)
      : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1, index) -> f32
  return %total : f32
}

// The sum of `v` over the 32 lanes of the warp, in every lane: a xor
// butterfly of shuffles (strides 16, 8, 4, 2, 1; lane 0's order that of a
// halving tree, every lane's sum the same). Every lane of the warp must
// call it.
func.func private @nhc_warp_sum(%v: f32) -> f32 {
  %width = arith.constant 32 : i32
  %s16 = arith.constant 16 : i32
  %s8 = arith.constant 8 : i32
  %s4 = arith.constant 4 : i32
  %s2 = arith.constant 2 : i32
  %s1 = arith.constant 1 : i32
  %y0, %ok0 = gpu.shuffle xor %v, %s16, %width : f32
  %x1 = arith.addf %v, %y0 : f32
  %y1, %ok1 = gpu.shuffle xor %x1, %s8, %width : f32
  %x2 = arith.addf %x1, %y1 : f32
  %y2, %ok2 = gpu.shuffle xor %x2, %s4, %width : f32
  %x3 = arith.addf %x2, %y2 : f32
  %y3, %ok3 = gpu.shuffle xor %x3, %s2, %width : f32
  %x4 = arith.addf %x3, %y3 : f32
  %y4, %ok4 = gpu.shuffle xor %x4, %s1, %width : f32
  %x5 = arith.addf %x4, %y4 : f32
  return %x5 : f32
}

// The same within each aligned segment of `segment` threads (a power of two
// from 1 to 256): threads s*segment .. (s+1)*segment - 1 all get the sum (or
// maximum) of their segment's values. First within each warp, a xor
// butterfly of shuffles over the strides below the segment (16, 8, 4, 2, 1:
// every lane of a stretch gets the same value); then, for segments of more
// than one warp, each warp's lane 0 puts its warp's value in partial[warp]
// and, behind a barrier, every thread combines its segment's warps in
// order. Every thread meets the same two barriers whatever the segment; the
// second lets the caller reuse `partial` at once. The order of the
// operations is fixed by the code.
func.func private @nhc_segment_reduce_256(
    %v: f32, %tx: index,
    %partial: memref<256xf32, #gpu.address_space<workgroup>>,
    %is_max: i1, %segment: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %width = arith.constant 32 : i32
  %inWarp = scf.for %k = %c0 to %c5 step %c1 iter_args(%x = %v) -> (f32) {
    %stride = arith.shrui %c16, %k : index
    %inside = arith.cmpi ult, %stride, %segment : index
    %next = scf.if %inside -> (f32) {
      %stride32 = arith.index_cast %stride : index to i32
      %other, %valid = gpu.shuffle xor %x, %stride32, %width : f32
      %sum = arith.addf %x, %other : f32
      %max = arith.maximumf %x, %other : f32
      %r = arith.select %is_max, %max, %sum : f32
      scf.yield %r : f32
    } else {
      scf.yield %x : f32
    }
    scf.yield %next : f32
  }
  %warp = arith.divui %tx, %c32 : index
  %lane = arith.remui %tx, %c32 : index
  %lead = arith.cmpi eq, %lane, %c0 : index
  scf.if %lead {
    memref.store %inWarp, %partial[%warp] : memref<256xf32, #gpu.address_space<workgroup>>
  }
  gpu.barrier
  %manyWarps = arith.cmpi ugt, %segment, %c32 : index
  %result = scf.if %manyWarps -> (f32) {
    %warps = arith.divui %segment, %c32 : index
    %inSegment = arith.remui %tx, %segment : index
    %first = arith.subi %tx, %inSegment : index
    %firstWarp = arith.divui %first, %c32 : index
    %start = memref.load %partial[%firstWarp] : memref<256xf32, #gpu.address_space<workgroup>>
    %all = scf.for %w = %c1 to %warps step %c1 iter_args(%acc = %start) -> (f32) {
      %at = arith.addi %firstWarp, %w : index
      %y = memref.load %partial[%at] : memref<256xf32, #gpu.address_space<workgroup>>
      %sum = arith.addf %acc, %y : f32
      %max = arith.maximumf %acc, %y : f32
      %r = arith.select %is_max, %max, %sum : f32
      scf.yield %r : f32
    }
    scf.yield %all : f32
  } else {
    scf.yield %inWarp : f32
  }
  gpu.barrier
  return %result : f32
}
