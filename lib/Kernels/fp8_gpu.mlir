// GPU form of fp8.mlir's nhc_quantize_fp8 (nhc-select-kernel-variants): a
// thread per element, 256 per block, consecutive threads on consecutive
// elements of a row (the portable form's thread per row read a warp's 32
// rows a stride apart and left a prefill's rows on a few blocks). The same
// quantization per element (@nhc_e4m3_quantize).
func.func private @nhc_quantize_fp8_gpu(%x: memref<?xf32>, %stride: index,
                                        %offset: index,
                                        %scale: memref<?xf32>,
                                        %out: memref<?xf32>, %T: index,
                                        %K: index)
    attributes {nhc.gpu_variant_of = "nhc_quantize_fp8"} {
  %c1 = arith.constant 1 : index
  %c255 = arith.constant 255 : index
  %c256 = arith.constant 256 : index
  %n = arith.muli %T, %K : index
  %padded = arith.addi %n, %c255 : index
  %blocks = arith.divui %padded, %c256 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %blocks, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %step = arith.constant 256 : index
    %first = arith.muli %bx, %step : index
    %o = arith.addi %first, %tx : index
    %inside = arith.cmpi ult, %o, %n : index
    scf.if %inside {
      %t = arith.divui %o, %K : index
      %j = arith.remui %o, %K : index
      %r = arith.muli %t, %stride : index
      %row = arith.addi %r, %offset : index
      %i = arith.addi %row, %j : index
      %s = memref.load %scale[%c0] : memref<?xf32>
      %v = memref.load %x[%i] : memref<?xf32>
      %q = func.call @nhc_e4m3_quantize(%v, %s) : (f32, f32) -> f32
      memref.store %q, %out[%o] : memref<?xf32>
    }
    gpu.terminator
  }
  return
}
