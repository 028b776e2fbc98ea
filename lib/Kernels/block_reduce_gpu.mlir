// Block-wide reductions for the GPU forms (*_gpu.mlir), blocks of 256
// threads along x. GPU only: the host pipeline drops them with the forms.

// The sum of `v` (or, if `is_max`, the maximum: maximumf, NaN propagates)
// over the block's 256 threads, each passing its own, in every thread:
// partial[tx] = v, then 8 halvings, each behind a barrier; the order of the
// additions is fixed by the code. A last barrier after reading the total
// lets the caller reuse `partial` at once.
func.func private @nhc_block_reduce_256(
    %v: f32, %tx: index,
    %partial: memref<256xf32, #gpu.address_space<workgroup>>,
    %is_max: i1) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c128 = arith.constant 128 : index
  memref.store %v, %partial[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
  gpu.barrier
  scf.for %k = %c0 to %c8 step %c1 {
    %stride = arith.shrui %c128, %k : index
    %active = arith.cmpi ult, %tx, %stride : index
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
  %total = memref.load %partial[%c0] : memref<256xf32, #gpu.address_space<workgroup>>
  gpu.barrier
  return %total : f32
}
