// GPU form of gemv.mlir's nhc_gemv_bf16 (nhc-select-kernel-variants): a
// decode gemm of a few rows of A on BF16 weights in one launch, A read as
// f32 and W widened exactly in registers (no pass rounding A to bf16 before
// a cuBLASLt product: the cuda backend's decode gemms, docs/runtime.md), f32
// products and sums. Blocks of 256 threads, one warp per row j of W (8 rows
// a block), each lane a share of the row (@nhc_gemv_bf16_dot), each weight
// used for a pair of rows of A (or the last one alone, a constant per call
// so that the loops over rows unroll). Then per live row the warp's 32
// partial sums are added by a xor butterfly of warp shuffles (strides 16,
// 8, 4, 2, 1: every lane gets the same sum, lane 0's order that of a
// halving tree; no workgroup memory, no barrier) and lane r writes
// C[t0 + r, j] (plus the old value when `accumulate`). Pairs keep the
// registers few (48 on sm_90, 51 on sm_80, where groups of up to 8 rows
// took 80 to 128), so that more warps, and more loads, are in flight per
// SM (5 blocks rather than 2 or 3); past 2 rows W
// is streamed once per pair, so the cuda backend uses this kernel for a
// step of at most 2 rows, where the weights' stream is the limit
// (docs/runtime.md, "Decode gemms"). `act` applies to A's elements as they
// are read, again per row of W: a copy of the loops each for none and relu²
// (the code a constant), and one for any other code taking a row of A at a
// time. Same products as the portable form; the sums run in another order.
func.func private @nhc_gemv_bf16_gpu(%a: memref<?xf32>, %w: memref<?xi8>,
                                     %c: memref<?xf32>, %m: index, %n: index,
                                     %k: index, %lda: index, %ldc: index,
                                     %accumulate: index, %act: index)
    attributes {nhc.gpu_variant_of = "nhc_gemv_bf16"} {
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %c256 = arith.constant 256 : index
  %n7 = arith.addi %n, %c7 : index
  %rowBlocks = arith.divui %n7, %c8 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %rowBlocks, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %two = arith.constant 2 : index
    %eight = arith.constant 8 : index
    %c32 = arith.constant 32 : index
    %warp = arith.divui %tx, %c32 : index
    %lane = arith.remui %tx, %c32 : index
    %rowBase = arith.muli %bx, %eight : index
    %j = arith.addi %rowBase, %warp : index
    // Warps past the last row compute row n - 1 again and store nothing:
    // every lane takes part in its warp's shuffles (the emulation runs
    // shuffles only where the whole block reaches them).
    %hasRow = arith.cmpi ult, %j, %n : index
    %nLast = arith.subi %n, %one : index
    %jSafe = arith.select %hasRow, %j, %nLast : index
    %add = arith.cmpi ne, %accumulate, %c0 : index
    %none = arith.constant -1 : index
    %activate = arith.cmpi sge, %act, %c0 : index
    %relu2 = arith.cmpi eq, %act, %c0 : index // nhc_conv_activate's code
    %other = arith.cmpi ugt, %act, %c0 : index
    %otherAct = arith.andi %activate, %other : i1
    scf.if %otherAct {
      // Any other activation: a row of A at a time (its code stays out of
      // the loops over rows).
      scf.for %t = %c0 to %m step %one {
        %d = func.call @nhc_gemv_bf16_dot(%a, %w, %jSafe, %k, %lane, %t, %m, %lda, %one, %act)
            : (memref<?xf32>, memref<?xi8>, index, index, index, index, index, index, index, index) -> vector<2xf32>
        %sums = func.call @nhc_gemv_warp_sums(%d, %one) : (vector<2xf32>, index) -> vector<2xf32>
        %dot = vector.extract %sums[0] : f32 from vector<2xf32>
        %lead = arith.cmpi eq, %lane, %c0 : index
        %writes = arith.andi %lead, %hasRow : i1
        scf.if %writes {
          func.call @nhc_gemv_store(%c, %dot, %t, %j, %ldc, %add)
              : (memref<?xf32>, f32, index, index, index, i1) -> ()
        }
      }
    } else {
      // None or relu²: pairs of rows, the code a constant in each copy.
      scf.for %t0 = %c0 to %m step %two {
        %acc = scf.if %relu2 -> (vector<2xf32>) {
          %dr = func.call @nhc_gemv_bf16_pair(%a, %w, %jSafe, %k, %lane, %t0, %m, %lda, %c0)
              : (memref<?xf32>, memref<?xi8>, index, index, index, index, index, index, index) -> vector<2xf32>
          scf.yield %dr : vector<2xf32>
        } else {
          %dn = func.call @nhc_gemv_bf16_pair(%a, %w, %jSafe, %k, %lane, %t0, %m, %lda, %none)
              : (memref<?xf32>, memref<?xi8>, index, index, index, index, index, index, index) -> vector<2xf32>
          scf.yield %dn : vector<2xf32>
        }
        // Lane r of the warp writes row t0 + r of its column j, its sum
        // chosen by a select (a position depending on the lane would put
        // the sums in local memory).
        %s0 = vector.extract %acc[0] : f32 from vector<2xf32>
        %s1 = vector.extract %acc[1] : f32 from vector<2xf32>
        %second = arith.cmpi eq, %lane, %one : index
        %mine = arith.select %second, %s1, %s0 : f32
        %t = arith.addi %t0, %lane : index
        %isRowLane = arith.cmpi ult, %lane, %two : index
        %inA = arith.cmpi ult, %t, %m : index
        %writes0 = arith.andi %isRowLane, %inA : i1
        %writes = arith.andi %writes0, %hasRow : i1
        scf.if %writes {
          func.call @nhc_gemv_store(%c, %mine, %t, %j, %ldc, %add)
              : (memref<?xf32>, f32, index, index, index, i1) -> ()
        }
      }
    }
    gpu.terminator
  }
  return
}

// C[t, j] = dot, plus the old value when `add`.
func.func private @nhc_gemv_store(%c: memref<?xf32>, %dot: f32, %t: index,
                                  %j: index, %ldc: index, %add: i1) {
  %zf = arith.constant 0.0 : f32
  %ct = arith.muli %t, %ldc : index
  %ci = arith.addi %ct, %j : index
  %old = scf.if %add -> (f32) {
    %prev = memref.load %c[%ci] : memref<?xf32>
    scf.yield %prev : f32
  } else {
    scf.yield %zf : f32
  }
  %out = arith.addf %old, %dot : f32
  memref.store %out, %c[%ci] : memref<?xf32>
  return
}

// Row j of W times rows t0 and t0 + 1 of A (or t0 alone when it is the
// last), the warp's sums in every lane.
func.func private @nhc_gemv_bf16_pair(%a: memref<?xf32>, %w: memref<?xi8>,
                                      %jSafe: index, %k: index, %lane: index,
                                      %t0: index, %m: index, %lda: index,
                                      %act: index) -> vector<2xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %left = arith.subi %m, %t0 : index
  %both = arith.cmpi uge, %left, %c2 : index
  %sum = scf.if %both -> (vector<2xf32>) {
    %d2p = func.call @nhc_gemv_bf16_dot(%a, %w, %jSafe, %k, %lane, %t0, %m, %lda, %c2, %act)
        : (memref<?xf32>, memref<?xi8>, index, index, index, index, index, index, index, index) -> vector<2xf32>
    %d2 = func.call @nhc_gemv_warp_sums(%d2p, %c2) : (vector<2xf32>, index) -> vector<2xf32>
    scf.yield %d2 : vector<2xf32>
  } else {
    %d1p = func.call @nhc_gemv_bf16_dot(%a, %w, %jSafe, %k, %lane, %t0, %m, %lda, %c1, %act)
        : (memref<?xf32>, memref<?xi8>, index, index, index, index, index, index, index, index) -> vector<2xf32>
    %d1 = func.call @nhc_gemv_warp_sums(%d1p, %c1) : (vector<2xf32>, index) -> vector<2xf32>
    scf.yield %d1 : vector<2xf32>
  }
  return %sum : vector<2xf32>
}

// acc[r] summed over the warp's lanes into every lane, for r < rows (a
// constant at each call; nhc_warp_sum, block_reduce_gpu.mlir).
func.func private @nhc_gemv_warp_sums(%acc: vector<2xf32>, %rows: index)
    -> vector<2xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %sums = scf.for %r = %c0 to %rows step %c1 iter_args(%s = %acc) -> (vector<2xf32>) {
    %x = vector.extract %s[%r] : f32 from vector<2xf32>
    %x5 = func.call @nhc_warp_sum(%x) : (f32) -> f32
    %next = vector.insert %x5, %s[%r] : f32 into vector<2xf32>
    scf.yield %next : vector<2xf32>
  }
  return %sums : vector<2xf32>
}

// The bf16 in the low 16 bits of `word`, widened exactly.
func.func private @nhc_gemv_bf16_low(%word: i32) -> f32 {
  %c16 = arith.constant 16 : i32
  %shifted = arith.shli %word, %c16 : i32
  %f = arith.bitcast %shifted : i32 to f32
  return %f : f32
}

// The bf16 in the high 16 bits of `word`, widened exactly.
func.func private @nhc_gemv_bf16_high(%word: i32) -> f32 {
  %mask = arith.constant -65536 : i32 // 0xffff0000
  %high = arith.andi %word, %mask : i32
  %f = arith.bitcast %high : i32 to f32
  return %f : f32
}

// One thread's share of row j of W times rows t0 .. t0 + rows - 1 of A
// (`rows` a constant at each call: 1 or 2; rows past m add nothing),
// in lanes 0 .. rows - 1 of the result. When k is even the lane reads
// 32-bit words (two weights) lane, lane + 32, ... of the row: 128
// consecutive bytes per warp and load, four such loads per step, so that a
// warp has 512 bytes in flight, and the lanes' elements of A are 8 bytes
// apart (two cache lines per load of A). Else one weight at a time.
func.func private @nhc_gemv_bf16_dot(%a: memref<?xf32>, %w: memref<?xi8>,
                                     %j: index, %k: index, %lane: index,
                                     %t0: index, %m: index, %lda: index,
                                     %rows: index, %act: index) -> vector<2xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c96 = arith.constant 96 : index
  %c128 = arith.constant 128 : index
  %zeros = arith.constant dense<0.0> : vector<2xf32>
  %bytes = memref.dim %w, %c0 : memref<?xi8>
  %kRem = arith.remui %k, %c2 : index
  %wordsFit = arith.cmpi eq, %kRem, %c0 : index
  %sum = scf.if %wordsFit -> (vector<2xf32>) {
    %wordCount = arith.divui %bytes, %c4 : index
    %w32 = memref.view %w[%c0][%wordCount] : memref<?xi8> to memref<?xi32>
    %half = arith.divui %k, %c2 : index
    %rowWord = arith.muli %j, %half : index
    %steps = arith.divui %half, %c128 : index
    %fullEnd = arith.muli %steps, %c128 : index
    %rowLane = arith.addi %rowWord, %lane : index
    %full = scf.for %base = %c0 to %fullEnd step %c128
        iter_args(%acc = %zeros) -> (vector<2xf32>) {
      // Four independent loads first, then their products.
      %at0 = arith.addi %rowLane, %base : index
      %at1 = arith.addi %at0, %c32 : index
      %at2 = arith.addi %at0, %c64 : index
      %at3 = arith.addi %at0, %c96 : index
      %word0 = memref.load %w32[%at0] : memref<?xi32>
      %word1 = memref.load %w32[%at1] : memref<?xi32>
      %word2 = memref.load %w32[%at2] : memref<?xi32>
      %word3 = memref.load %w32[%at3] : memref<?xi32>
      %q0 = arith.addi %base, %lane : index
      %i0 = arith.muli %q0, %c2 : index
      %i1 = arith.addi %i0, %c64 : index
      %i2 = arith.addi %i1, %c64 : index
      %i3 = arith.addi %i2, %c64 : index
      %s1 = func.call @nhc_gemv_bf16_word(%a, %word0, %i0, %t0, %m, %lda, %rows, %acc, %act)
          : (memref<?xf32>, i32, index, index, index, index, index, vector<2xf32>, index) -> vector<2xf32>
      %s2 = func.call @nhc_gemv_bf16_word(%a, %word1, %i1, %t0, %m, %lda, %rows, %s1, %act)
          : (memref<?xf32>, i32, index, index, index, index, index, vector<2xf32>, index) -> vector<2xf32>
      %s3 = func.call @nhc_gemv_bf16_word(%a, %word2, %i2, %t0, %m, %lda, %rows, %s2, %act)
          : (memref<?xf32>, i32, index, index, index, index, index, vector<2xf32>, index) -> vector<2xf32>
      %s4 = func.call @nhc_gemv_bf16_word(%a, %word3, %i3, %t0, %m, %lda, %rows, %s3, %act)
          : (memref<?xf32>, i32, index, index, index, index, index, vector<2xf32>, index) -> vector<2xf32>
      scf.yield %s4 : vector<2xf32>
    }
    // The row's last half % 128 words, one per lane at a time.
    %first = arith.addi %fullEnd, %lane : index
    %s = scf.for %q = %first to %half step %c32
        iter_args(%acc = %full) -> (vector<2xf32>) {
      %at = arith.addi %rowWord, %q : index
      %word = memref.load %w32[%at] : memref<?xi32>
      %i = arith.muli %q, %c2 : index
      %next = func.call @nhc_gemv_bf16_word(%a, %word, %i, %t0, %m, %lda, %rows, %acc, %act)
          : (memref<?xf32>, i32, index, index, index, index, index, vector<2xf32>, index) -> vector<2xf32>
      scf.yield %next : vector<2xf32>
    }
    scf.yield %s : vector<2xf32>
  } else {
    %halfCount = arith.divui %bytes, %c2 : index
    %w16 = memref.view %w[%c0][%halfCount] : memref<?xi8> to memref<?xi16>
    %rowHalf = arith.muli %j, %k : index
    %s = scf.for %i = %lane to %k step %c32
        iter_args(%acc = %zeros) -> (vector<2xf32>) {
      %wi = arith.addi %rowHalf, %i : index
      %bits = memref.load %w16[%wi] : memref<?xi16>
      %wide = arith.extui %bits : i16 to i32
      %v = func.call @nhc_gemv_bf16_low(%wide) : (i32) -> f32
      %s1 = func.call @nhc_gemv_fma_rows(%a, %i, %v, %t0, %m, %lda, %rows, %acc, %act)
          : (memref<?xf32>, index, f32, index, index, index, index, vector<2xf32>, index) -> vector<2xf32>
      scf.yield %s1 : vector<2xf32>
    }
    scf.yield %s : vector<2xf32>
  }
  return %sum : vector<2xf32>
}

// The two weights of `word` (elements i and i + 1 of the row: the low half
// first, little-endian) times rows t0 .. t0 + rows - 1 of A, added to acc.
func.func private @nhc_gemv_bf16_word(%a: memref<?xf32>, %word: i32,
                                      %i: index, %t0: index, %m: index,
                                      %lda: index, %rows: index,
                                      %acc: vector<2xf32>, %act: index)
    -> vector<2xf32> {
  %c1 = arith.constant 1 : index
  %lo = func.call @nhc_gemv_bf16_low(%word) : (i32) -> f32
  %hi = func.call @nhc_gemv_bf16_high(%word) : (i32) -> f32
  %s1 = func.call @nhc_gemv_fma_rows(%a, %i, %lo, %t0, %m, %lda, %rows, %acc, %act)
      : (memref<?xf32>, index, f32, index, index, index, index, vector<2xf32>, index) -> vector<2xf32>
  %i1 = arith.addi %i, %c1 : index
  %s2 = func.call @nhc_gemv_fma_rows(%a, %i1, %hi, %t0, %m, %lda, %rows, %s1, %act)
      : (memref<?xf32>, index, f32, index, index, index, index, vector<2xf32>, index) -> vector<2xf32>
  return %s2 : vector<2xf32>
}

// acc[r] + act(A[t0 + r, i]) * wv (one fma) for r < rows; rows past m add
// nothing (they read row m - 1's element, which exists).
func.func private @nhc_gemv_fma_rows(%a: memref<?xf32>, %i: index, %wv: f32,
                                     %t0: index, %m: index, %lda: index,
                                     %rows: index, %acc: vector<2xf32>,
                                     %act: index) -> vector<2xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %mLast = arith.subi %m, %c1 : index
  %activate = arith.cmpi sge, %act, %c0 : index
  %next = scf.for %r = %c0 to %rows step %c1 iter_args(%s = %acc) -> (vector<2xf32>) {
    %t = arith.addi %t0, %r : index
    %inA = arith.cmpi ult, %t, %m : index
    %tSafe = arith.select %inA, %t, %mLast : index
    %row = arith.muli %tSafe, %lda : index
    %ai = arith.addi %row, %i : index
    %ar = memref.load %a[%ai] : memref<?xf32>
    %av = func.call @nhc_maybe_activate(%ar, %activate, %act) : (f32, i1, index) -> f32
    %old = vector.extract %s[%r] : f32 from vector<2xf32>
    %fma = math.fma %av, %wv, %old : f32
    %sum = arith.select %inA, %fma, %old : f32
    %s2 = vector.insert %sum, %s[%r] : f32 into vector<2xf32>
    scf.yield %s2 : vector<2xf32>
  }
  return %next : vector<2xf32>
}
