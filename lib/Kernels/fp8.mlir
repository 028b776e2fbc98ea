// FP8 (e4m3) activation quantization, modelopt's per-tensor static recipe
// (docs/fp8.md): q = sat_e4m3(x / scale), true f32 division, saturated to
// [-448, 448], rounded to the nearest e4m3 value with ties to even,
// subnormals kept; NaN stays NaN. Host buffers hold q widened to f32
// (exact), which the FP8 GEMM reads.

// out[t, j] = sat_e4m3(x[t * stride + offset + j] / scale[0]), j < K: the
// quantizations no producing kernel absorbed (nemotron-fuse-fp8-quantize).
func.func @nhc_quantize_fp8(%x: memref<?xf32>, %stride: index, %offset: index,
                            %scale: memref<?xf32>, %out: memref<?xf32>,
                            %T: index, %K: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %s = memref.load %scale[%c0] : memref<?xf32>
  scf.parallel (%t) = (%c0) to (%T) step (%c1) {
    %r = arith.muli %t, %stride : index
    %row = arith.addi %r, %offset : index
    %orow = arith.muli %t, %K : index
    scf.for %j = %c0 to %K step %c1 {
      %i = arith.addi %row, %j : index
      %v = memref.load %x[%i] : memref<?xf32>
      %q = func.call @nhc_e4m3_quantize(%v, %s) : (f32, f32) -> f32
      %o = arith.addi %orow, %j : index
      memref.store %q, %out[%o] : memref<?xf32>
    }
    scf.reduce
  }
  return
}

// `v`, or sat_e4m3(v / scale) when `quantize` is non-zero: the store of a
// kernel that may feed an FP8 GEMM directly.
func.func private @nhc_maybe_quantize(%v: f32, %quantize: i1, %scale: f32)
    -> f32 {
  %r = scf.if %quantize -> (f32) {
    %q = func.call @nhc_e4m3_quantize(%v, %scale) : (f32, f32) -> f32
    scf.yield %q : f32
  } else {
    scf.yield %v : f32
  }
  return %r : f32
}

func.func private @nhc_e4m3_quantize(%x: f32, %scale: f32) -> f32 {
  %max = arith.constant 448.0 : f32
  %nmax = arith.constant -448.0 : f32
  %v = arith.divf %x, %scale : f32
  // minimumf/maximumf propagate NaN, as torch.clamp does.
  %lo = arith.minimumf %v, %max : f32
  %c = arith.maximumf %lo, %nmax : f32
  %cbits = arith.bitcast %c : f32 to i32
  %signmask = arith.constant -2147483648 : i32 // 0x80000000
  %sign = arith.andi %cbits, %signmask : i32
  %absmask = arith.constant 2147483647 : i32 // 0x7fffffff
  %bits = arith.andi %cbits, %absmask : i32
  %a = arith.bitcast %bits : i32 to f32
  // Subnormals (|c| < 2^-6) are multiples of 2^-9: adding 2^14, whose f32
  // spacing is 2^-9, rounds to one of them with ties to even.
  %big = arith.constant 16384.0 : f32
  %shifted = arith.addf %a, %big : f32
  %sub = arith.subf %shifted, %big : f32
  // Normals keep 3 of f32's 23 mantissa bits: round the other 20 to nearest
  // even (a carry into the exponent is the right result).
  %c20 = arith.constant 20 : i32
  %one = arith.constant 1 : i32
  %half = arith.constant 524287 : i32 // 0x7ffff
  %keep = arith.constant -1048576 : i32 // 0xfff00000
  %above = arith.shrui %bits, %c20 : i32
  %odd = arith.andi %above, %one : i32
  %r0 = arith.addi %bits, %half : i32
  %r1 = arith.addi %r0, %odd : i32
  %r2 = arith.andi %r1, %keep : i32
  %normal = arith.bitcast %r2 : i32 to f32
  %minnormal = arith.constant 0.015625 : f32
  %tiny = arith.cmpf olt, %a, %minnormal : f32
  %m = arith.select %tiny, %sub, %normal : f32
  %mbits = arith.bitcast %m : f32 to i32
  %rbits = arith.ori %mbits, %sign : i32
  %rounded = arith.bitcast %rbits : i32 to f32
  // NaN stays NaN whatever its payload (the rounding could carry a large
  // one into the sign).
  %nan = arith.cmpf uno, %c, %c : f32
  %r = arith.select %nan, %c, %rounded : f32
  return %r : f32
}
