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
  %false = arith.constant false
  %c32 = arith.constant 32 : index
  %sum = func.call @nhc_warp_reduce(%v, %false, %c32) : (f32, i1, index) -> f32
  return %sum : f32
}

// The inclusive prefix sum of `v` over the warp's lanes (lane l gets
// v_0 + ... + v_l): shuffles up by 1, 2, 4, 8 and 16, each lane adding what
// the lane that far below holds (Hillis and Steele's scan; a lane with none
// that far below keeps its value). Every lane of the warp must call it.
func.func private @nhc_warp_inclusive_sum(%v: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %one = arith.constant 1 : i32
  %width = arith.constant 32 : i32
  %scanned = scf.for %k = %c0 to %c5 step %c1 iter_args(%x = %v) -> (f32) {
    %k32 = arith.index_cast %k : index to i32
    %distance = arith.shli %one, %k32 : i32
    %below, %valid = gpu.shuffle up %x, %distance, %width : f32
    %sum = arith.addf %x, %below : f32
    %next = arith.select %valid, %sum, %x : f32
    scf.yield %next : f32
  }
  return %scanned : f32
}

// The sum (or, if `is_max`, the maximum: maximumf, NaN propagates) of `v`
// within each aligned stretch of `stretch` lanes (a power of two; 32 or
// more: the whole warp), in every lane of the stretch: a xor butterfly of
// shuffles over the strides below the stretch (16, 8, 4, 2, 1). Every lane
// of the warp must call it.
func.func private @nhc_warp_reduce(%v: f32, %is_max: i1, %stretch: index)
    -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c16 = arith.constant 16 : index
  %width = arith.constant 32 : i32
  %reduced = scf.for %k = %c0 to %c5 step %c1 iter_args(%x = %v) -> (f32) {
    %stride = arith.shrui %c16, %k : index
    %inside = arith.cmpi ult, %stride, %stretch : index
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
  return %reduced : f32
}

// The same within each aligned segment of `segment` threads (a power of two
// from 1 to 256): threads s*segment .. (s+1)*segment - 1 all get the sum (or
// maximum) of their segment's values. First within each warp
// (nhc_warp_reduce over stretches of `segment` lanes); then, for segments
// of more than one warp, each warp's lane 0 puts its warp's value in
// partial[warp] and, behind a barrier, every thread combines its
// segment's warps in order. Every thread meets the same two barriers
// whatever the segment; the second lets the caller reuse `partial` at once.
// The order of the operations is fixed by the code.
func.func private @nhc_segment_reduce_256(
    %v: f32, %tx: index,
    %partial: memref<256xf32, #gpu.address_space<workgroup>>,
    %is_max: i1, %segment: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %inWarp = func.call @nhc_warp_reduce(%v, %is_max, %segment)
      : (f32, i1, index) -> f32
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

// Element e of a block's per-warp values, each of its 8 warps having put
// `count` of them at partial[warp * count ..] before a barrier: the sum of
// partial[w * count + e] over w = 0 .. 7, in warp order (so a result does
// not depend on which warp finished first).
func.func private @nhc_sum_over_warps(
    %partial: memref<?xf32, #gpu.address_space<workgroup>>, %e: index,
    %count: index) -> f32 {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %start = memref.load %partial[%e] : memref<?xf32, #gpu.address_space<workgroup>>
  %total = scf.for %w = %c1 to %c8 step %c1 iter_args(%acc = %start) -> (f32) {
    %base = arith.muli %w, %count : index
    %at = arith.addi %base, %e : index
    %y = memref.load %partial[%at] : memref<?xf32, #gpu.address_space<workgroup>>
    %sum = arith.addf %acc, %y : f32
    scf.yield %sum : f32
  }
  return %total : f32
}

// The sum of `v` over a block of 1024 threads, in every thread: each warp's
// sum by shuffles (@nhc_warp_sum), the 32 warps' sums through workgroup
// memory, then summed by every warp the same way (bit-identical in every
// thread: a xor butterfly adds the same pairs in each lane).
func.func private @nhc_block_sum_1024(%v: f32, %tx: index,
    %partial: memref<32xf32, #gpu.address_space<workgroup>>) -> f32 {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %own = func.call @nhc_warp_sum(%v) : (f32) -> f32
  %lane = arith.remui %tx, %c32 : index
  %warp = arith.divui %tx, %c32 : index
  %first = arith.cmpi eq, %lane, %c0 : index
  scf.if %first {
    memref.store %own, %partial[%warp] : memref<32xf32, #gpu.address_space<workgroup>>
  }
  gpu.barrier
  %p = memref.load %partial[%lane] : memref<32xf32, #gpu.address_space<workgroup>>
  %total = func.call @nhc_warp_sum(%p) : (f32) -> f32
  // The buffer may be written again by a later sum of the block.
  gpu.barrier
  return %total : f32
}
