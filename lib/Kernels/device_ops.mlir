// Kernels behind a device backend's library operations (docs/runtime.md,
// "Library operations"): what the host does in C++ around its oneDNN calls, a
// GPU does in these kernels around cuBLASLt. They are not in any execution
// plan; the runtime calls them by name (nhc/format/library_kernels.h). One
// thread per element, flat, so that neighbouring threads touch neighbouring
// elements.

// c[offset + t * ld + j] = maybe_quantize(act(c[...])) for t < m, j < n: the
// part of a gemm's epilogue cuBLASLt cannot fuse. `act` is an activation code
// (nhc_conv_activate; negative: none); `quantize` nonzero quantizes to e4m3
// with scale[0] (docs/fp8.md). `scale` must hold an element either way
// (a launcher reads it before the launch; pass `c` when not quantizing).
func.func @nhc_gemm_epilogue(%c: memref<?xf32>, %offset: index, %ld: index,
                             %m: index, %n: index, %act: index,
                             %quantize: index, %scale: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %doQuantize = arith.cmpi ne, %quantize, %c0 : index
  %doActivate = arith.cmpi sge, %act, %c0 : index
  %s = memref.load %scale[%c0] : memref<?xf32>
  %count = arith.muli %m, %n : index
  scf.parallel (%i) = (%c0) to (%count) step (%c1) {
    %t = arith.divui %i, %n : index
    %j = arith.remui %i, %n : index
    %row = arith.muli %t, %ld : index
    %rowOffset = arith.addi %row, %offset : index
    %at = arith.addi %rowOffset, %j : index
    %x = memref.load %c[%at] : memref<?xf32>
    %a = func.call @nhc_maybe_activate(%x, %doActivate, %act)
        : (f32, i1, index) -> f32
    %q = func.call @nhc_maybe_quantize(%a, %doQuantize, %s)
        : (f32, i1, f32) -> f32
    memref.store %q, %c[%at] : memref<?xf32>
    scf.reduce
  }
  return
}

// dst[t * k + j] = bf16(src[offset + t * ld + j]) for t < m, j < k: a gemm's
// activations for a bf16 x bf16 product. Round to nearest, ties to even;
// NaN stays NaN (quiet), infinities stay, as torch's .to(torch.bfloat16).
func.func @nhc_round_bf16(%src: memref<?xf32>, %offset: index, %ld: index,
                          %m: index, %k: index, %dst: memref<?xi16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %count = arith.muli %m, %k : index
  scf.parallel (%i) = (%c0) to (%count) step (%c1) {
    %t = arith.divui %i, %k : index
    %j = arith.remui %i, %k : index
    %row = arith.muli %t, %ld : index
    %rowOffset = arith.addi %row, %offset : index
    %at = arith.addi %rowOffset, %j : index
    %x = memref.load %src[%at] : memref<?xf32>
    %r = func.call @nhc_bf16_bits(%x) : (f32) -> i32
    %r16 = arith.trunci %r : i32 to i16
    memref.store %r16, %dst[%i] : memref<?xi16>
    scf.reduce
  }
  return
}

// dst[t * k + j] = bf16(act(src[offset + t * ld + j])) for t < m, j < k:
// nhc_gemm_epilogue's activation and nhc_round_bf16 in one pass, for a gemm
// whose activation a bf16 x bf16 product reads next (cuBLASLt has no relu²;
// the producing gemm then skips its epilogue). `act`: an nhc_conv_activate
// code (negative: none).
func.func @nhc_round_bf16_act(%src: memref<?xf32>, %offset: index,
                              %ld: index, %m: index, %k: index, %act: index,
                              %dst: memref<?xi16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %doActivate = arith.cmpi sge, %act, %c0 : index
  %count = arith.muli %m, %k : index
  scf.parallel (%i) = (%c0) to (%count) step (%c1) {
    %t = arith.divui %i, %k : index
    %j = arith.remui %i, %k : index
    %row = arith.muli %t, %ld : index
    %rowOffset = arith.addi %row, %offset : index
    %at = arith.addi %rowOffset, %j : index
    %x = memref.load %src[%at] : memref<?xf32>
    %a = func.call @nhc_maybe_activate(%x, %doActivate, %act)
        : (f32, i1, index) -> f32
    %r = func.call @nhc_bf16_bits(%a) : (f32) -> i32
    %r16 = arith.trunci %r : i32 to i16
    memref.store %r16, %dst[%i] : memref<?xi16>
    scf.reduce
  }
  return
}

// act(v) (nhc_conv_activate) if `activate`, else v.
func.func private @nhc_maybe_activate(%v: f32, %activate: i1, %act: index) -> f32 {
  %r = scf.if %activate -> (f32) {
    %a = func.call @nhc_conv_activate(%v, %act) : (f32, index) -> f32
    scf.yield %a : f32
  } else {
    scf.yield %v : f32
  }
  return %r : f32
}

// The bf16 nearest to v (ties to even) as the low 16 bits of an i32; NaN
// stays NaN (quiet), infinities stay, as torch's .to(torch.bfloat16).
func.func private @nhc_bf16_bits(%v: f32) -> i32 {
  %c16 = arith.constant 16 : i32
  %cOne = arith.constant 1 : i32
  %cHalf = arith.constant 32767 : i32 // 0x7fff
  %cQuiet = arith.constant 64 : i32   // 0x40: the quiet bit of a bf16 NaN
  %bits = arith.bitcast %v : f32 to i32
  %high = arith.shrui %bits, %c16 : i32
  %lsb = arith.andi %high, %cOne : i32
  %bias = arith.addi %cHalf, %lsb : i32
  %biased = arith.addi %bits, %bias : i32
  %rounded = arith.shrui %biased, %c16 : i32
  %quiet = arith.ori %high, %cQuiet : i32
  %isNan = arith.cmpf uno, %v, %v : f32
  %r = arith.select %isNan, %quiet, %rounded : i32
  return %r : i32
}

// v rounded to the nearest bf16 (nhc_bf16_bits), kept in f32.
func.func private @nhc_round_to_bf16(%v: f32) -> f32 {
  %c16 = arith.constant 16 : i32
  %r = func.call @nhc_bf16_bits(%v) : (f32) -> i32
  %back = arith.shli %r, %c16 : i32
  %f = arith.bitcast %back : i32 to f32
  return %f : f32
}

// dst[t * k + j] = e4m3 bits of sat_e4m3(src[offset + t * ld + j]) for
// t < m, j < k: a gemm's quantized activations (already on the e4m3 grid,
// so exact) as the bytes an e4m3 x e4m3 product reads. Values off the grid
// round to nearest even and saturate to +-448 (nhc_e4m3_quantize); NaN is
// 0x7f with its sign.
func.func @nhc_pack_e4m3(%src: memref<?xf32>, %offset: index, %ld: index,
                         %m: index, %k: index, %dst: memref<?xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  %minNormal = arith.constant 0.015625 : f32 // 2^-6
  %subnormalScale = arith.constant 512.0 : f32 // 2^9: units of the last place
  %c20 = arith.constant 20 : i32
  %c23 = arith.constant 23 : i32
  %c24 = arith.constant 24 : i32
  %cSign = arith.constant 128 : i32      // 0x80
  %cExpBias = arith.constant 120 : i32   // f32 bias 127 - e4m3 bias 7
  %cMantissa = arith.constant 7 : i32  // 0b111
  %c3 = arith.constant 3 : i32
  %cExpMask = arith.constant 255 : i32
  %cNan = arith.constant 127 : i32       // 0x7f
  %count = arith.muli %m, %k : index
  scf.parallel (%i) = (%c0) to (%count) step (%c1) {
    %t = arith.divui %i, %k : index
    %j = arith.remui %i, %k : index
    %row = arith.muli %t, %ld : index
    %rowOffset = arith.addi %row, %offset : index
    %at = arith.addi %rowOffset, %j : index
    %x = memref.load %src[%at] : memref<?xf32>
    %q = func.call @nhc_e4m3_quantize(%x, %one) : (f32, f32) -> f32
    %bits = arith.bitcast %q : f32 to i32
    %signHigh = arith.shrui %bits, %c24 : i32
    %sign = arith.andi %signHigh, %cSign : i32
    %a = math.absf %q : f32
    // Normals: the exponent rebiased, the top 3 mantissa bits.
    %exp = arith.shrui %bits, %c23 : i32
    %exp8 = arith.andi %exp, %cExpMask : i32
    %e = arith.subi %exp8, %cExpBias : i32
    %eField = arith.shli %e, %c3 : i32
    %man = arith.shrui %bits, %c20 : i32
    %m3 = arith.andi %man, %cMantissa : i32
    %normal = arith.ori %eField, %m3 : i32
    // Subnormals (and zero): multiples of 2^-9 below 2^-6.
    %units = arith.mulf %a, %subnormalScale : f32
    %sub = arith.fptoui %units : f32 to i32
    %tiny = arith.cmpf olt, %a, %minNormal : f32
    %magnitude = arith.select %tiny, %sub, %normal : i32
    %isNan = arith.cmpf uno, %q, %q : f32
    %code = arith.select %isNan, %cNan, %magnitude : i32
    %signed = arith.ori %code, %sign : i32
    %byte = arith.trunci %signed : i32 to i8
    memref.store %byte, %dst[%i] : memref<?xi8>
    scf.reduce
  }
  return
}

// out[t * H + j] = table[ids[t] * H + j] for t < T, j < H: the embedding
// rows of a step's tokens (ids were checked against the vocabulary).
func.func @nhc_embedding_f32(%table: memref<?xf32>, %ids: memref<?xi32>,
                             %out: memref<?xf32>, %T: index, %H: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %count = arith.muli %T, %H : index
  scf.parallel (%i) = (%c0) to (%count) step (%c1) {
    %t = arith.divui %i, %H : index
    %j = arith.remui %i, %H : index
    %id32 = memref.load %ids[%t] : memref<?xi32>
    %id = arith.index_castui %id32 : i32 to index
    %row = arith.muli %id, %H : index
    %at = arith.addi %row, %j : index
    %v = memref.load %table[%at] : memref<?xf32>
    memref.store %v, %out[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// As nhc_embedding_f32 for a BF16 table (its bits), widened exactly.
func.func @nhc_embedding_bf16(%table: memref<?xi16>, %ids: memref<?xi32>,
                              %out: memref<?xf32>, %T: index, %H: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : i32
  %count = arith.muli %T, %H : index
  scf.parallel (%i) = (%c0) to (%count) step (%c1) {
    %t = arith.divui %i, %H : index
    %j = arith.remui %i, %H : index
    %id32 = memref.load %ids[%t] : memref<?xi32>
    %id = arith.index_castui %id32 : i32 to index
    %row = arith.muli %id, %H : index
    %at = arith.addi %row, %j : index
    %bits = memref.load %table[%at] : memref<?xi16>
    %wide = arith.extui %bits : i16 to i32
    %shifted = arith.shli %wide, %c16 : i32
    %v = arith.bitcast %shifted : i32 to f32
    memref.store %v, %out[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// dst[i * H + j] = src[rows[i] * H + j] for i < n, j < H: one routed
// expert's tokens gathered into consecutive rows.
func.func @nhc_gather_rows(%src: memref<?xf32>, %rows: memref<?xi32>,
                           %dst: memref<?xf32>, %n: index, %H: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %count = arith.muli %n, %H : index
  scf.parallel (%i) = (%c0) to (%count) step (%c1) {
    %r = arith.divui %i, %H : index
    %j = arith.remui %i, %H : index
    %row32 = memref.load %rows[%r] : memref<?xi32>
    %row = arith.index_castui %row32 : i32 to index
    %base = arith.muli %row, %H : index
    %at = arith.addi %base, %j : index
    %v = memref.load %src[%at] : memref<?xf32>
    memref.store %v, %dst[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// dst[rows[i] * H + j] += scale[i] * src[i * H + j] for i < n, j < H: one
// routed expert's outputs, weighted, added back to their tokens (a token
// appears once per expert, so no two threads add to the same element).
func.func @nhc_scatter_add_rows(%src: memref<?xf32>, %rows: memref<?xi32>,
                                %scale: memref<?xf32>, %dst: memref<?xf32>,
                                %n: index, %H: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %count = arith.muli %n, %H : index
  scf.parallel (%i) = (%c0) to (%count) step (%c1) {
    %r = arith.divui %i, %H : index
    %j = arith.remui %i, %H : index
    %row32 = memref.load %rows[%r] : memref<?xi32>
    %row = arith.index_castui %row32 : i32 to index
    %base = arith.muli %row, %H : index
    %at = arith.addi %base, %j : index
    %w = memref.load %scale[%r] : memref<?xf32>
    %v = memref.load %src[%i] : memref<?xf32>
    %old = memref.load %dst[%at] : memref<?xf32>
    %weighted = arith.mulf %w, %v : f32
    %sum = arith.addf %old, %weighted : f32
    memref.store %sum, %dst[%at] : memref<?xf32>
    scf.reduce
  }
  return
}

// Element i of a synthetic weight's Normal rule (nhc_weights_synthetic;
// runtime/src/synthetic_weights.h has the same formula): h =
// splitmix64(key + i * 0x9e3779b97f4a7c15), the sum of h's four 16-bit
// fields minus 131070, times `step` (one exact conversion, one product).
func.func private @nhc_normal_sample(%i: index, %key: index, %step: f32) -> f32 {
  %golden = arith.constant 0x9e3779b97f4a7c15 : i64
  %m1 = arith.constant 0xbf58476d1ce4e5b9 : i64
  %m2 = arith.constant 0x94d049bb133111eb : i64
  %c16 = arith.constant 16 : i64
  %c27 = arith.constant 27 : i64
  %c30 = arith.constant 30 : i64
  %c31 = arith.constant 31 : i64
  %c32 = arith.constant 32 : i64
  %c48 = arith.constant 48 : i64
  %low16 = arith.constant 65535 : i64
  %mean = arith.constant 131070 : i64
  %i64 = arith.index_castui %i : index to i64
  %k64 = arith.index_castui %key : index to i64
  %stride = arith.muli %i64, %golden : i64
  %x0 = arith.addi %k64, %stride : i64
  %s1 = arith.shrui %x0, %c30 : i64
  %x1 = arith.xori %x0, %s1 : i64
  %x2 = arith.muli %x1, %m1 : i64
  %s2 = arith.shrui %x2, %c27 : i64
  %x3 = arith.xori %x2, %s2 : i64
  %x4 = arith.muli %x3, %m2 : i64
  %s3 = arith.shrui %x4, %c31 : i64
  %h = arith.xori %x4, %s3 : i64
  %f0 = arith.andi %h, %low16 : i64
  %h1 = arith.shrui %h, %c16 : i64
  %f1 = arith.andi %h1, %low16 : i64
  %h2 = arith.shrui %h, %c32 : i64
  %f2 = arith.andi %h2, %low16 : i64
  %f3 = arith.shrui %h, %c48 : i64
  %a = arith.addi %f0, %f1 : i64
  %b = arith.addi %f2, %f3 : i64
  %sum = arith.addi %a, %b : i64
  %centred = arith.subi %sum, %mean : i64
  %c32b = arith.trunci %centred : i64 to i32
  %v = arith.sitofp %c32b : i32 to f32
  %r = arith.mulf %v, %step : f32
  return %r : f32
}

// out[i] = element i of a synthetic weight's Normal rule for i < n (key and
// step: nhc_normal_sample), in f32; with round_bf16 = 1 rounded to bf16
// first (a BF16 weight the device keeps in f32). A device backend generates
// matrices so instead of uploading them.
func.func @nhc_fill_normal_f32(%out: memref<?xf32>, %n: index, %key: index,
                               %step: f32, %round_bf16: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %round = arith.cmpi ne, %round_bf16, %c0 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = func.call @nhc_normal_sample(%i, %key, %step)
        : (index, index, f32) -> f32
    %rounded = func.call @nhc_round_to_bf16(%v) : (f32) -> f32
    %r = arith.select %round, %rounded, %v : f32
    memref.store %r, %out[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// As nhc_fill_normal_f32, stored as bf16 bits (round to nearest even).
func.func @nhc_fill_normal_bf16(%out: memref<?xi16>, %n: index, %key: index,
                                %step: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = func.call @nhc_normal_sample(%i, %key, %step)
        : (index, index, f32) -> f32
    %bits = func.call @nhc_bf16_bits(%v) : (f32) -> i32
    %t16 = arith.trunci %bits : i32 to i16
    memref.store %t16, %out[%i] : memref<?xi16>
    scf.reduce
  }
  return
}
