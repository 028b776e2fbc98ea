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

// The same within each aligned segment of `segment` threads (a power of two
// from 1 to 256): threads s*segment .. (s+1)*segment - 1 all get the sum (or
// maximum) of their segment's values. partial[tx] = v, then 8 halvings, each
// behind a barrier (those with a stride of at least `segment` do nothing, so
// every thread meets the same barriers); the order of the operations is
// fixed by the code. A last barrier after reading the result lets the
// caller reuse `partial` at once.
func.func private @nhc_segment_reduce_256(
    %v: f32, %tx: index,
    %partial: memref<256xf32, #gpu.address_space<workgroup>>,
    %is_max: i1, %segment: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c128 = arith.constant 128 : index
  %inSegment = arith.remui %tx, %segment : index
  %first = arith.subi %tx, %inSegment : index
  memref.store %v, %partial[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
  gpu.barrier
  scf.for %k = %c0 to %c8 step %c1 {
    %stride = arith.shrui %c128, %k : index
    %halving = arith.cmpi ult, %stride, %segment : index
    %lower = arith.cmpi ult, %inSegment, %stride : index
    %active = arith.andi %halving, %lower : i1
    scf.if %active {
      %other = arith.addi %tx, %stride : index
      %a = memref.load %partial[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
      %b = memref.load %partial[%other] : memref<256xf32, #gpu.address_space<workgroup>>
      %sum = arith.addf %a, %b : f32
      %max = arith.maximumf %a, %b : f32
      %r = arith.select %is_max, %max, %sum : f32
      memref.store %r, %partial[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
    }
    gpu.barrier
  }
  %result = memref.load %partial[%first] : memref<256xf32, #gpu.address_space<workgroup>>
  gpu.barrier
  return %result : f32
}
