// Decode gemms on narrow weights, the microkernels behind the runtime's
// `gemm` and `moe_experts` library operations for a few rows (docs/runtime.md,
// "Library operations"): C[t, j] (+)= sum_i A[t, i] * W[j, i] for t < m and
// j < n, with W [n, k] read in its stored form and widened exactly in
// registers, f32 products and sums. Each row of W is read from memory once
// and used for all m rows of A, so a decode step streams the weights at
// memory bandwidth; pairs of rows of W are the parallel loop (a slice of
// pairs per host thread). A rows are `lda` apart, C rows `ldc` apart; C is
// overwritten unless `accumulate` is nonzero. `act` is an activation applied
// to A's elements as they are read (an nhc_conv_activate code; negative:
// none): the cuda backend's down projection takes the MLP's relu² this way
// (docs/runtime.md, "Decode gemms"); the host applies it in the producing
// gemm's epilogue and passes none. W is passed as its bytes; one public
// kernel per storage dtype, each the shared body with its widening (the dtype
// is a constant there, so the switch folds away after inlining).
//
// Register tiles: two rows of W by four rows of A, eight accumulators of 16
// lanes (one AVX-512 register each, two AVX2 ones), so each 16-weight block
// of W is widened once for four rows of A and each block of A is read once
// for two rows of W; rows of A left over (m % 4) take a tile of two rows of W
// by one of A. Each block prefetches its rows' weights 2 KiB ahead
// (@prefetch_weights). The sums run along k in 16-lane blocks, the last k % 16
// weights of a row one at a time. The tile's two rows of W are j and
// j + ceil(n / 2) (see @gemv_pair); with n odd the last pair has one row.
// nhc_gemv_bf16 has a GPU form (gemv_gpu.mlir: a block per 4 weight rows),
// the cuda backend's decode gemms on BF16 weights; the f16 and e4m3 ones are
// host only (`nhc.host_only`: a thread per pair of weight rows is not a GPU
// shape; cuBLASLt serves there).

// bf16 bits -> f32: the bits are the high half of the f32.
func.func private @widen_bf16(%bits: vector<16xi16>) -> vector<16xf32> {
  %c16 = arith.constant dense<16> : vector<16xi32>
  %wide = arith.extui %bits : vector<16xi16> to vector<16xi32>
  %shifted = arith.shli %wide, %c16 : vector<16xi32>
  %f = arith.bitcast %shifted : vector<16xi32> to vector<16xf32>
  return %f : vector<16xf32>
}

// f16 bits -> f32, exactly: normal values rebias the exponent (15 -> 127),
// subnormals are mantissa * 2^-24, infinities and NaNs keep their mantissa.
func.func private @widen_f16(%bits: vector<16xi16>) -> vector<16xf32> {
  %c10 = arith.constant dense<10> : vector<16xi32>
  %c13 = arith.constant dense<13> : vector<16xi32>
  %c16 = arith.constant dense<16> : vector<16xi32>
  %c23 = arith.constant dense<23> : vector<16xi32>
  %cExpMask = arith.constant dense<31> : vector<16xi32>
  %cMantMask = arith.constant dense<1023> : vector<16xi32>
  %cSignMask = arith.constant dense<32768> : vector<16xi32>
  %cRebias = arith.constant dense<112> : vector<16xi32>
  %cInf = arith.constant dense<2139095040> : vector<16xi32> // 0x7f800000
  %c0 = arith.constant dense<0> : vector<16xi32>
  %cSubScale = arith.constant dense<5.9604644775390625E-8> : vector<16xf32> // 2^-24
  %h = arith.extui %bits : vector<16xi16> to vector<16xi32>
  %sign16 = arith.andi %h, %cSignMask : vector<16xi32>
  %sign = arith.shli %sign16, %c16 : vector<16xi32>
  %eShifted = arith.shrui %h, %c10 : vector<16xi32>
  %e = arith.andi %eShifted, %cExpMask : vector<16xi32>
  %mant = arith.andi %h, %cMantMask : vector<16xi32>
  %mant23 = arith.shli %mant, %c13 : vector<16xi32>
  %eBiased = arith.addi %e, %cRebias : vector<16xi32>
  %eBits = arith.shli %eBiased, %c23 : vector<16xi32>
  %normal = arith.ori %eBits, %mant23 : vector<16xi32>
  %special = arith.ori %cInf, %mant23 : vector<16xi32>
  %mantF = arith.uitofp %mant : vector<16xi32> to vector<16xf32>
  %subF = arith.mulf %mantF, %cSubScale : vector<16xf32>
  %sub = arith.bitcast %subF : vector<16xf32> to vector<16xi32>
  %isSub = arith.cmpi eq, %e, %c0 : vector<16xi32>
  %isSpecial = arith.cmpi eq, %e, %cExpMask : vector<16xi32>
  %notSub = arith.select %isSpecial, %special, %normal : vector<16xi1>, vector<16xi32>
  %magnitude = arith.select %isSub, %sub, %notSub : vector<16xi1>, vector<16xi32>
  %signed = arith.ori %magnitude, %sign : vector<16xi32>
  %f = arith.bitcast %signed : vector<16xi32> to vector<16xf32>
  return %f : vector<16xf32>
}

// e4m3fn bits -> f32, exactly: exponent bias 7 -> 127, subnormals are
// mantissa * 2^-9, S.1111.111 is NaN (the format has no infinities).
func.func private @nhc_widen_e4m3x16(%bits: vector<16xi8>) -> vector<16xf32> {
  %c3 = arith.constant dense<3> : vector<16xi32>
  %c20 = arith.constant dense<20> : vector<16xi32>
  %c23 = arith.constant dense<23> : vector<16xi32>
  %c24 = arith.constant dense<24> : vector<16xi32>
  %cExpMask = arith.constant dense<15> : vector<16xi32>
  %cMantMask = arith.constant dense<7> : vector<16xi32>
  %cSignMask = arith.constant dense<128> : vector<16xi32>
  %cNanBits = arith.constant dense<127> : vector<16xi32>
  %cRebias = arith.constant dense<120> : vector<16xi32>
  %cNan = arith.constant dense<2143289344> : vector<16xi32> // 0x7fc00000
  %c0 = arith.constant dense<0> : vector<16xi32>
  %cSubScale = arith.constant dense<0.001953125> : vector<16xf32> // 2^-9
  %b = arith.extui %bits : vector<16xi8> to vector<16xi32>
  %sign8 = arith.andi %b, %cSignMask : vector<16xi32>
  %sign = arith.shli %sign8, %c24 : vector<16xi32>
  %eShifted = arith.shrui %b, %c3 : vector<16xi32>
  %e = arith.andi %eShifted, %cExpMask : vector<16xi32>
  %mant = arith.andi %b, %cMantMask : vector<16xi32>
  %mant23 = arith.shli %mant, %c20 : vector<16xi32>
  %eBiased = arith.addi %e, %cRebias : vector<16xi32>
  %eBits = arith.shli %eBiased, %c23 : vector<16xi32>
  %normal = arith.ori %eBits, %mant23 : vector<16xi32>
  %mantF = arith.uitofp %mant : vector<16xi32> to vector<16xf32>
  %subF = arith.mulf %mantF, %cSubScale : vector<16xf32>
  %sub = arith.bitcast %subF : vector<16xf32> to vector<16xi32>
  %isSub = arith.cmpi eq, %e, %c0 : vector<16xi32>
  %low7 = arith.andi %b, %cNanBits : vector<16xi32>
  %isNan = arith.cmpi eq, %low7, %cNanBits : vector<16xi32>
  %finite = arith.select %isSub, %sub, %normal : vector<16xi1>, vector<16xi32>
  %magnitude = arith.select %isNan, %cNan, %finite : vector<16xi1>, vector<16xi32>
  %signed = arith.ori %magnitude, %sign : vector<16xi32>
  %f = arith.bitcast %signed : vector<16xi32> to vector<16xf32>
  return %f : vector<16xf32>
}

// Storage dtypes of W, for @gemv_rows.
// 0: bf16, 1: f16, 2: e4m3fn.

// 16 consecutive weights from element `i` of W's bytes, widened.
func.func private @load_weights(%w: memref<?xi8>, %i: index, %dtype: index)
    -> vector<16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %f = scf.index_switch %dtype -> vector<16xf32>
  case 2 {
    %b = vector.load %w[%i] : memref<?xi8>, vector<16xi8>
    %v = func.call @nhc_widen_e4m3x16(%b) : (vector<16xi8>) -> vector<16xf32>
    scf.yield %v : vector<16xf32>
  }
  default {
    %at = arith.muli %i, %c2 : index
    %b = vector.load %w[%at] : memref<?xi8>, vector<32xi8>
    %h = vector.bitcast %b : vector<32xi8> to vector<16xi16>
    %isF16 = arith.cmpi eq, %dtype, %c1 : index
    %v = scf.if %isF16 -> (vector<16xf32>) {
      %x = func.call @widen_f16(%h) : (vector<16xi16>) -> vector<16xf32>
      scf.yield %x : vector<16xf32>
    } else {
      %x = func.call @widen_bf16(%h) : (vector<16xi16>) -> vector<16xf32>
      scf.yield %x : vector<16xf32>
    }
    scf.yield %v : vector<16xf32>
  }
  return %f : vector<16xf32>
}

// Asks for the cache line 2 KiB ahead of element `i` in its row's stream to
// be brought into L1. Without it the tiles stalled on the weight loads
// (perf, Zen 5, B = 8: a quarter of the decode step's samples on the two
// loads); 2 KiB beat 0.5, 1 and 4 KiB (docs/benchmarks.md). A prefetch past
// the end of W is a hint that touches nothing.
func.func private @prefetch_weights(%w: memref<?xi8>, %i: index,
                                    %dtype: index) {
  %c2 = arith.constant 2 : index
  %ahead = arith.constant 2048 : index
  %isE4m3 = arith.cmpi eq, %dtype, %c2 : index
  %twice = arith.muli %i, %c2 : index
  %at = arith.select %isE4m3, %i, %twice : index
  %p = arith.addi %at, %ahead : index
  memref.prefetch %w[%p], read, locality<3>, data : memref<?xi8>
  return
}

// The one weight at element `i`, widened by the same code (lane 0 of a
// broadcast): for the last k % 16 weights of a row, with no masked loads,
// which the SSE2 build would turn into a branch per byte.
func.func private @weight_at(%w: memref<?xi8>, %i: index, %dtype: index)
    -> f32 {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : i16
  %f = scf.index_switch %dtype -> f32
  case 2 {
    %b = memref.load %w[%i] : memref<?xi8>
    %v = vector.broadcast %b : i8 to vector<16xi8>
    %x = func.call @nhc_widen_e4m3x16(%v) : (vector<16xi8>) -> vector<16xf32>
    %e = vector.extract %x[0] : f32 from vector<16xf32>
    scf.yield %e : f32
  }
  default {
    %at = arith.muli %i, %c2 : index
    %at1 = arith.addi %at, %c1 : index
    %lo = memref.load %w[%at] : memref<?xi8>
    %hi = memref.load %w[%at1] : memref<?xi8>
    %lo16 = arith.extui %lo : i8 to i16
    %hi16 = arith.extui %hi : i8 to i16
    %hiShifted = arith.shli %hi16, %c8 : i16
    %bits = arith.ori %hiShifted, %lo16 : i16 // little-endian
    %v = vector.broadcast %bits : i16 to vector<16xi16>
    %isF16 = arith.cmpi eq, %dtype, %c1 : index
    %x = scf.if %isF16 -> (vector<16xf32>) {
      %y = func.call @widen_f16(%v) : (vector<16xi16>) -> vector<16xf32>
      scf.yield %y : vector<16xf32>
    } else {
      %y = func.call @widen_bf16(%v) : (vector<16xi16>) -> vector<16xf32>
      scf.yield %y : vector<16xf32>
    }
    %e = vector.extract %x[0] : f32 from vector<16xf32>
    scf.yield %e : f32
  }
  return %f : f32
}

// c[ci] (+)= the lanes of `acc` summed, plus the row's tail (elements
// kFull..k of A's row at aRow and W's row at wRow); nothing when not `keep`
// (the repeated row of a lone last row of W).
func.func private @store_row(%c: memref<?xf32>, %ci: index,
                             %acc: vector<16xf32>, %a: memref<?xf32>,
                             %aRow: index, %w: memref<?xi8>, %wRow: index,
                             %kFull: index, %k: index, %dtype: index,
                             %add: i1, %act: index, %keep: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zf = arith.constant 0.0 : f32
  scf.if %keep {
    %activate = arith.cmpi sge, %act, %c0 : index
    %lanes = vector.reduction <add>, %acc fastmath<reassoc> : vector<16xf32> into f32
    %sum = scf.for %i = %kFull to %k step %c1 iter_args(%s = %lanes) -> (f32) {
      %wi = arith.addi %wRow, %i : index
      %wv = func.call @weight_at(%w, %wi, %dtype) : (memref<?xi8>, index, index) -> f32
      %ai = arith.addi %aRow, %i : index
      %ar = memref.load %a[%ai] : memref<?xf32>
      %av = func.call @nhc_maybe_activate(%ar, %activate, %act) : (f32, i1, index) -> f32
      %p = arith.mulf %av, %wv : f32
      %next = arith.addf %s, %p : f32
      scf.yield %next : f32
    }
    %old = scf.if %add -> (f32) {
      %v = memref.load %c[%ci] : memref<?xf32>
      scf.yield %v : f32
    } else {
      scf.yield %zf : f32
    }
    %new = arith.addf %old, %sum : f32
    memref.store %new, %c[%ci] : memref<?xf32>
  }
  return
}

// act(A[at, +16)), each block of A read once for both rows of W.
func.func private @load_a(%a: memref<?xf32>, %at: index, %act: index)
    -> vector<16xf32> {
  %loaded = vector.load %a[%at] : memref<?xf32>, vector<16xf32>
  %av = func.call @activate_lanes(%loaded, %act) : (vector<16xf32>, index) -> vector<16xf32>
  return %av : vector<16xf32>
}

// act(v) lane by lane (nhc_conv_activate, the one copy of the formulas), or
// v when `act` is negative. The host passes none (@gemv_rows calls
// @gemv_pair with the constant -1 then, so this folds away); the lane loop
// serves the kernel's other callers.
func.func private @activate_lanes(%v: vector<16xf32>, %act: index)
    -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %none = arith.cmpi slt, %act, %c0 : index
  %r = scf.if %none -> (vector<16xf32>) {
    scf.yield %v : vector<16xf32>
  } else {
    %x = scf.for %l = %c0 to %c16 step %c1 iter_args(%s = %v) -> (vector<16xf32>) {
      %e = vector.extract %s[%l] : f32 from vector<16xf32>
      %y = func.call @nhc_conv_activate(%e, %act) : (f32, index) -> f32
      %s2 = vector.insert %y, %s[%l] : f32 into vector<16xf32>
      scf.yield %s2 : vector<16xf32>
    }
    scf.yield %x : vector<16xf32>
  }
  return %r : vector<16xf32>
}

// Pairs of rows of W (j and j + ceil(n / 2)) in parallel, @gemv_pair each; `act` a constant there
// when it is none, so that the plain product has no activation code at all.
func.func private @gemv_rows(%a: memref<?xf32>, %w: memref<?xi8>,
                             %c: memref<?xf32>, %m: index, %n: index,
                             %k: index, %lda: index, %ldc: index,
                             %accumulate: index, %act: index, %dtype: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %none = arith.constant -1 : index
  %activate = arith.cmpi sge, %act, %c0 : index
  %pairs = arith.ceildivui %n, %c2 : index
  scf.parallel (%p) = (%c0) to (%pairs) step (%c1) {
    scf.if %activate {
      func.call @gemv_pair(%a, %w, %c, %m, %n, %k, %lda, %ldc, %accumulate, %act, %dtype, %p, %pairs)
          : (memref<?xf32>, memref<?xi8>, memref<?xf32>, index, index, index,
             index, index, index, index, index, index, index) -> ()
    } else {
      func.call @gemv_pair(%a, %w, %c, %m, %n, %k, %lda, %ldc, %accumulate, %none, %dtype, %p, %pairs)
          : (memref<?xf32>, memref<?xi8>, memref<?xf32>, index, index, index,
             index, index, index, index, index, index, index) -> ()
    }
    scf.reduce
  }
  return
}

// C[t, j] and C[t, j + pairs] (+)= sum_i act(A[t, i]) * W[j (+ pairs), i]
// for t < m: rows of A four at a time, then one at a time. The pair's rows
// lie half the matrix apart: two neighbouring rows read in step (addresses
// k elements apart within a page) halved the DRAM rate of a single row of A
// (the hardware prefetcher's streams; measured, docs/benchmarks.md). A lone
// last row (j + pairs == n) is read as both rows, the second one's sums not
// stored.
func.func private @gemv_pair(%a: memref<?xf32>, %w: memref<?xi8>,
                             %c: memref<?xf32>, %m: index, %n: index,
                             %k: index, %lda: index, %ldc: index,
                             %accumulate: index, %act: index, %dtype: index,
                             %j: index, %pairs: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %add = arith.cmpi ne, %accumulate, %c0 : index
  %next = arith.addi %j, %pairs : index
  %keep1 = arith.cmpi ult, %next, %n : index
  %j1 = arith.select %keep1, %next, %j : index
  %kBlocks = arith.divui %k, %c16 : index
  %kFull = arith.muli %kBlocks, %c16 : index
  %wRow0 = arith.muli %j, %k : index
  %wRow1 = arith.muli %j1, %k : index
  %mQuads = arith.divui %m, %c4 : index
  %mFull = arith.muli %mQuads, %c4 : index
  scf.for %t = %c0 to %mFull step %c4 {
    func.call @gemv_tile_2x4(%a, %w, %c, %k, %kFull, %lda, %ldc, %add, %act, %dtype, %j, %j1, %wRow0, %wRow1, %keep1, %t)
        : (memref<?xf32>, memref<?xi8>, memref<?xf32>, index, index, index, index, i1, index, index, index, index, index, index, i1, index) -> ()
  }
  scf.for %t = %mFull to %m step %c1 {
    func.call @gemv_tile_2x1(%a, %w, %c, %k, %kFull, %lda, %ldc, %add, %act, %dtype, %j, %j1, %wRow0, %wRow1, %keep1, %t)
        : (memref<?xf32>, memref<?xi8>, memref<?xf32>, index, index, index, index, i1, index, index, index, index, index, index, i1, index) -> ()
  }
  return
}

// Rows t..t+3 of C, columns j and j1 (W's rows at wRow0 and wRow1).
func.func private @gemv_tile_2x4(%a: memref<?xf32>, %w: memref<?xi8>,
                                 %c: memref<?xf32>, %k: index, %kFull: index,
                                 %lda: index, %ldc: index, %add: i1,
                                 %act: index, %dtype: index, %j: index,
                                 %j1: index, %wRow0: index, %wRow1: index,
                                 %keep1: i1, %t: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c16 = arith.constant 16 : index
  %true = arith.constant true
  %zero = arith.constant dense<0.0> : vector<16xf32>
  %t1 = arith.addi %t, %c1 : index
  %t2 = arith.addi %t, %c2 : index
  %t3 = arith.addi %t, %c3 : index
  %r0 = arith.muli %t, %lda : index
  %r1 = arith.muli %t1, %lda : index
  %r2 = arith.muli %t2, %lda : index
  %r3 = arith.muli %t3, %lda : index
  %acc:8 = scf.for %i = %c0 to %kFull step %c16
      iter_args(%s00 = %zero, %s01 = %zero, %s02 = %zero, %s03 = %zero,
                %s10 = %zero, %s11 = %zero, %s12 = %zero, %s13 = %zero)
      -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>,
          vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
    %wi0 = arith.addi %wRow0, %i : index
    %wi1 = arith.addi %wRow1, %i : index
    func.call @prefetch_weights(%w, %wi0, %dtype) : (memref<?xi8>, index, index) -> ()
    func.call @prefetch_weights(%w, %wi1, %dtype) : (memref<?xi8>, index, index) -> ()
    %w0 = func.call @load_weights(%w, %wi0, %dtype) : (memref<?xi8>, index, index) -> vector<16xf32>
    %w1 = func.call @load_weights(%w, %wi1, %dtype) : (memref<?xi8>, index, index) -> vector<16xf32>
    %ai0 = arith.addi %r0, %i : index
    %ai1 = arith.addi %r1, %i : index
    %ai2 = arith.addi %r2, %i : index
    %ai3 = arith.addi %r3, %i : index
    %a0 = func.call @load_a(%a, %ai0, %act) : (memref<?xf32>, index, index) -> vector<16xf32>
    %a1 = func.call @load_a(%a, %ai1, %act) : (memref<?xf32>, index, index) -> vector<16xf32>
    %a2 = func.call @load_a(%a, %ai2, %act) : (memref<?xf32>, index, index) -> vector<16xf32>
    %a3 = func.call @load_a(%a, %ai3, %act) : (memref<?xf32>, index, index) -> vector<16xf32>
    %n00 = vector.fma %a0, %w0, %s00 : vector<16xf32>
    %n01 = vector.fma %a1, %w0, %s01 : vector<16xf32>
    %n02 = vector.fma %a2, %w0, %s02 : vector<16xf32>
    %n03 = vector.fma %a3, %w0, %s03 : vector<16xf32>
    %n10 = vector.fma %a0, %w1, %s10 : vector<16xf32>
    %n11 = vector.fma %a1, %w1, %s11 : vector<16xf32>
    %n12 = vector.fma %a2, %w1, %s12 : vector<16xf32>
    %n13 = vector.fma %a3, %w1, %s13 : vector<16xf32>
    scf.yield %n00, %n01, %n02, %n03, %n10, %n11, %n12, %n13
        : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>,
          vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
  }
  %q0 = arith.muli %t, %ldc : index
  %q1 = arith.muli %t1, %ldc : index
  %q2 = arith.muli %t2, %ldc : index
  %q3 = arith.muli %t3, %ldc : index
  %c00 = arith.addi %q0, %j : index
  %c01 = arith.addi %q1, %j : index
  %c02 = arith.addi %q2, %j : index
  %c03 = arith.addi %q3, %j : index
  %c10 = arith.addi %q0, %j1 : index
  %c11 = arith.addi %q1, %j1 : index
  %c12 = arith.addi %q2, %j1 : index
  %c13 = arith.addi %q3, %j1 : index
  func.call @store_row(%c, %c00, %acc#0, %a, %r0, %w, %wRow0, %kFull, %k, %dtype, %add, %act, %true) : (memref<?xf32>, index, vector<16xf32>, memref<?xf32>, index, memref<?xi8>, index, index, index, index, i1, index, i1) -> ()
  func.call @store_row(%c, %c01, %acc#1, %a, %r1, %w, %wRow0, %kFull, %k, %dtype, %add, %act, %true) : (memref<?xf32>, index, vector<16xf32>, memref<?xf32>, index, memref<?xi8>, index, index, index, index, i1, index, i1) -> ()
  func.call @store_row(%c, %c02, %acc#2, %a, %r2, %w, %wRow0, %kFull, %k, %dtype, %add, %act, %true) : (memref<?xf32>, index, vector<16xf32>, memref<?xf32>, index, memref<?xi8>, index, index, index, index, i1, index, i1) -> ()
  func.call @store_row(%c, %c03, %acc#3, %a, %r3, %w, %wRow0, %kFull, %k, %dtype, %add, %act, %true) : (memref<?xf32>, index, vector<16xf32>, memref<?xf32>, index, memref<?xi8>, index, index, index, index, i1, index, i1) -> ()
  func.call @store_row(%c, %c10, %acc#4, %a, %r0, %w, %wRow1, %kFull, %k, %dtype, %add, %act, %keep1) : (memref<?xf32>, index, vector<16xf32>, memref<?xf32>, index, memref<?xi8>, index, index, index, index, i1, index, i1) -> ()
  func.call @store_row(%c, %c11, %acc#5, %a, %r1, %w, %wRow1, %kFull, %k, %dtype, %add, %act, %keep1) : (memref<?xf32>, index, vector<16xf32>, memref<?xf32>, index, memref<?xi8>, index, index, index, index, i1, index, i1) -> ()
  func.call @store_row(%c, %c12, %acc#6, %a, %r2, %w, %wRow1, %kFull, %k, %dtype, %add, %act, %keep1) : (memref<?xf32>, index, vector<16xf32>, memref<?xf32>, index, memref<?xi8>, index, index, index, index, i1, index, i1) -> ()
  func.call @store_row(%c, %c13, %acc#7, %a, %r3, %w, %wRow1, %kFull, %k, %dtype, %add, %act, %keep1) : (memref<?xf32>, index, vector<16xf32>, memref<?xf32>, index, memref<?xi8>, index, index, index, index, i1, index, i1) -> ()
  return
}

// Row t of C, columns j and j1.
func.func private @gemv_tile_2x1(%a: memref<?xf32>, %w: memref<?xi8>,
                                 %c: memref<?xf32>, %k: index, %kFull: index,
                                 %lda: index, %ldc: index, %add: i1,
                                 %act: index, %dtype: index, %j: index,
                                 %j1: index, %wRow0: index, %wRow1: index,
                                 %keep1: i1, %t: index) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %true = arith.constant true
  %zero = arith.constant dense<0.0> : vector<16xf32>
  %r = arith.muli %t, %lda : index
  %acc:2 = scf.for %i = %c0 to %kFull step %c16
      iter_args(%s0 = %zero, %s1 = %zero) -> (vector<16xf32>, vector<16xf32>) {
    %wi0 = arith.addi %wRow0, %i : index
    %wi1 = arith.addi %wRow1, %i : index
    func.call @prefetch_weights(%w, %wi0, %dtype) : (memref<?xi8>, index, index) -> ()
    func.call @prefetch_weights(%w, %wi1, %dtype) : (memref<?xi8>, index, index) -> ()
    %w0 = func.call @load_weights(%w, %wi0, %dtype) : (memref<?xi8>, index, index) -> vector<16xf32>
    %w1 = func.call @load_weights(%w, %wi1, %dtype) : (memref<?xi8>, index, index) -> vector<16xf32>
    %ai = arith.addi %r, %i : index
    %av = func.call @load_a(%a, %ai, %act) : (memref<?xf32>, index, index) -> vector<16xf32>
    %n0 = vector.fma %av, %w0, %s0 : vector<16xf32>
    %n1 = vector.fma %av, %w1, %s1 : vector<16xf32>
    scf.yield %n0, %n1 : vector<16xf32>, vector<16xf32>
  }
  %q = arith.muli %t, %ldc : index
  %ci0 = arith.addi %q, %j : index
  %ci1 = arith.addi %q, %j1 : index
  func.call @store_row(%c, %ci0, %acc#0, %a, %r, %w, %wRow0, %kFull, %k, %dtype, %add, %act, %true) : (memref<?xf32>, index, vector<16xf32>, memref<?xf32>, index, memref<?xi8>, index, index, index, index, i1, index, i1) -> ()
  func.call @store_row(%c, %ci1, %acc#1, %a, %r, %w, %wRow1, %kFull, %k, %dtype, %add, %act, %keep1) : (memref<?xf32>, index, vector<16xf32>, memref<?xf32>, index, memref<?xi8>, index, index, index, index, i1, index, i1) -> ()
  return
}

func.func @nhc_gemv_bf16(%a: memref<?xf32>, %w: memref<?xi8>,
                         %c: memref<?xf32>, %m: index, %n: index, %k: index,
                         %lda: index, %ldc: index, %accumulate: index,
                         %act: index) {
  %bf16 = arith.constant 0 : index
  func.call @gemv_rows(%a, %w, %c, %m, %n, %k, %lda, %ldc, %accumulate, %act, %bf16)
      : (memref<?xf32>, memref<?xi8>, memref<?xf32>, index, index, index,
         index, index, index, index, index) -> ()
  return
}

func.func @nhc_gemv_f16(%a: memref<?xf32>, %w: memref<?xi8>,
                        %c: memref<?xf32>, %m: index, %n: index, %k: index,
                        %lda: index, %ldc: index, %accumulate: index,
                        %act: index)
    attributes {nhc.host_only} {
  %f16 = arith.constant 1 : index
  func.call @gemv_rows(%a, %w, %c, %m, %n, %k, %lda, %ldc, %accumulate, %act, %f16)
      : (memref<?xf32>, memref<?xi8>, memref<?xf32>, index, index, index,
         index, index, index, index, index) -> ()
  return
}

func.func @nhc_gemv_e4m3(%a: memref<?xf32>, %w: memref<?xi8>,
                         %c: memref<?xf32>, %m: index, %n: index, %k: index,
                         %lda: index, %ldc: index, %accumulate: index,
                        %act: index)
    attributes {nhc.host_only} {
  %e4m3 = arith.constant 2 : index
  func.call @gemv_rows(%a, %w, %c, %m, %n, %k, %lda, %ldc, %accumulate, %act, %e4m3)
      : (memref<?xf32>, memref<?xi8>, memref<?xf32>, index, index, index,
         index, index, index, index, index) -> ()
  return
}
