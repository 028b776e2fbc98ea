// GPU form of gemv.mlir's nhc_gemv_bf16 (nhc-select-kernel-variants): a
// decode gemm of a few rows of A on BF16 weights in one launch, A read as
// f32 and W widened exactly in registers (no pass rounding A to bf16 before
// a cuBLASLt product: the cuda backend's decode gemms, docs/runtime.md), f32
// products and sums.
//
// A block of 256 threads takes 4 rows j0 .. j0 + 3 of W and splits k over
// its threads (@nhc_gemv_bf16_share): when k % 8 == 0 and W is 16-byte
// aligned, thread x reads 16-byte chunks x, x + 256, ... of each of the 4
// rows (a warp 512 consecutive bytes of a row per load, 4 loads in flight
// per thread), and the same 8 elements of A once for all 4 rows (two
// 16-byte loads per row of A when A's rows are 16-byte aligned). The reuse
// of A across 4 rows of W keeps A's traffic through L1 at about the
// weights' own; one row of W per warp read A once per row. Else one weight
// at a time. Each weight is used for a pair of rows of A (or the last row
// alone, a constant per call so that the loops over rows unroll); past 2
// rows W is streamed once per pair, so the cuda backend uses this kernel
// for a step of at most 2 rows, where the weights' stream is the limit
// (docs/runtime.md, "Decode gemms"). The block's 8 partial sums per thread
// are added by a xor butterfly of warp shuffles and then, in workgroup
// memory, over the 8 warps in order (@nhc_gemv_block_store). `act` applies
// to A's elements as they are read: a copy of the loops each for none and
// relu² (the code a constant), and one for any other code of 0-6 taking a
// row of A at a time (codes 7-15 give NaN here: nhc_gemv_maybe_activate).
// Same products as the portable form; the sums run in another order.
func.func private @nhc_gemv_bf16_gpu(%a: memref<?xf32>, %w: memref<?xi8>,
                                     %c: memref<?xf32>, %m: index, %n: index,
                                     %k: index, %lda: index, %ldc: index,
                                     %accumulate: index, %act: index)
    attributes {nhc.gpu_variant_of = "nhc_gemv_bf16"} {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %n3 = arith.addi %n, %c3 : index
  %rowBlocks = arith.divui %n3, %c4 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %rowBlocks, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<64xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %two = arith.constant 2 : index
    %four = arith.constant 4 : index
    %j0 = arith.muli %bx, %four : index
    %add = arith.cmpi ne, %accumulate, %c0 : index
    %none = arith.constant -1 : index
    %activate = arith.cmpi sge, %act, %c0 : index
    %relu2 = arith.cmpi eq, %act, %c0 : index // nhc_conv_activate's code
    %other = arith.cmpi ugt, %act, %c0 : index
    %otherAct = arith.andi %activate, %other : i1
    // 16-byte loads where every row of W (k % 8 == 0) and of A (lda % 4 ==
    // 0) starts on a 16-byte boundary (the cuda backend's weights do; a
    // view into other memory need not).
    %wAddress = memref.extract_aligned_pointer_as_index %w : memref<?xi8> -> index
    %wRowBytes = arith.muli %k, %two : index
    %wChunks = func.call @nhc_rows_16_byte_aligned(%wAddress, %wRowBytes) : (index, index) -> i1
    %aAddress = memref.extract_aligned_pointer_as_index %a : memref<?xf32> -> index
    %aRowBytes = arith.muli %lda, %four : index
    %aVectors = func.call @nhc_rows_16_byte_aligned(%aAddress, %aRowBytes) : (index, index) -> i1
    scf.if %otherAct {
      // Any other activation: a row of A at a time (its code stays out of
      // the loops over rows).
      scf.for %t = %c0 to %m step %one {
        %s = func.call @nhc_gemv_bf16_share(%a, %w, %j0, %n, %k, %tx, %t, %m, %lda, %one, %act, %wChunks, %aVectors)
            : (memref<?xf32>, memref<?xi8>, index, index, index, index, index, index, index, index, index, i1, i1) -> vector<8xf32>
        func.call @nhc_gemv_block_store(%s, %one, %tx, %partial, %c, %t, %m, %j0, %n, %ldc, %add)
            : (vector<8xf32>, index, index, memref<64xf32, #gpu.address_space<workgroup>>, memref<?xf32>, index, index, index, index, index, i1) -> ()
      }
    } else {
      // None or relu²: pairs of rows, the code a constant in each copy.
      scf.for %t0 = %c0 to %m step %two {
        %left = arith.subi %m, %t0 : index
        %both = arith.cmpi uge, %left, %two : index
        %rows = arith.select %both, %two, %one : index
        %s = scf.if %relu2 -> (vector<8xf32>) {
          %sr = func.call @nhc_gemv_bf16_pair(%a, %w, %j0, %n, %k, %tx, %t0, %m, %lda, %c0, %wChunks, %aVectors)
              : (memref<?xf32>, memref<?xi8>, index, index, index, index, index, index, index, index, i1, i1) -> vector<8xf32>
          scf.yield %sr : vector<8xf32>
        } else {
          %sn = func.call @nhc_gemv_bf16_pair(%a, %w, %j0, %n, %k, %tx, %t0, %m, %lda, %none, %wChunks, %aVectors)
              : (memref<?xf32>, memref<?xi8>, index, index, index, index, index, index, index, index, i1, i1) -> vector<8xf32>
          scf.yield %sn : vector<8xf32>
        }
        func.call @nhc_gemv_block_store(%s, %rows, %tx, %partial, %c, %t0, %m, %j0, %n, %ldc, %add)
            : (vector<8xf32>, index, index, memref<64xf32, #gpu.address_space<workgroup>>, memref<?xf32>, index, index, index, index, index, i1) -> ()
      }
    }
    gpu.terminator
  }
  return
}

// Thread tx's share of rows j0 .. j0 + 3 of W (rows past n read row n - 1
// again) times the pair of rows t0, t0 + 1 of A (or t0 alone when it is
// the last).
func.func private @nhc_gemv_bf16_pair(%a: memref<?xf32>, %w: memref<?xi8>,
                                      %j0: index, %n: index, %k: index,
                                      %tx: index, %t0: index, %m: index,
                                      %lda: index, %act: index,
                                      %wChunks: i1, %aVectors: i1)
    -> vector<8xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %left = arith.subi %m, %t0 : index
  %both = arith.cmpi uge, %left, %c2 : index
  %sum = scf.if %both -> (vector<8xf32>) {
    %s2 = func.call @nhc_gemv_bf16_share(%a, %w, %j0, %n, %k, %tx, %t0, %m, %lda, %c2, %act, %wChunks, %aVectors)
        : (memref<?xf32>, memref<?xi8>, index, index, index, index, index, index, index, index, index, i1, i1) -> vector<8xf32>
    scf.yield %s2 : vector<8xf32>
  } else {
    %s1 = func.call @nhc_gemv_bf16_share(%a, %w, %j0, %n, %k, %tx, %t0, %m, %lda, %c1, %act, %wChunks, %aVectors)
        : (memref<?xf32>, memref<?xi8>, index, index, index, index, index, index, index, index, index, i1, i1) -> vector<8xf32>
    scf.yield %s1 : vector<8xf32>
  }
  return %sum : vector<8xf32>
}

// Row r of W's products with row s of A (`rows` of them, a constant at each
// call: 1 or 2, all before m) in element r * 2 + s: thread tx's share, k
// split over the block's 256 threads. With `wChunks` (W's rows 16-byte aligned)
// the 16-byte chunks tx, tx + 256, ... of the 4 rows, their 4 loads issued
// together, and each row of A's 8 elements read once for all 4 rows
// (@nhc_gemv_a8); else the weights tx, tx + 256, ... one at a time.
func.func private @nhc_gemv_bf16_share(%a: memref<?xf32>, %w: memref<?xi8>,
                                       %j0: index, %n: index, %k: index,
                                       %tx: index, %t0: index, %m: index,
                                       %lda: index, %rows: index,
                                       %act: index, %wChunks: i1,
                                       %aVectors: i1) -> vector<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c256 = arith.constant 256 : index
  %zeros = arith.constant dense<0.0> : vector<8xf32>
  %activate = arith.cmpi sge, %act, %c0 : index
  %nLast = arith.subi %n, %c1 : index
  %j1u = arith.addi %j0, %c1 : index
  %j2u = arith.addi %j0, %c2 : index
  %j3u = arith.addi %j0, %c3 : index
  %j0s = arith.minui %j0, %nLast : index
  %j1 = arith.minui %j1u, %nLast : index
  %j2 = arith.minui %j2u, %nLast : index
  %j3 = arith.minui %j3u, %nLast : index
  %bytes = memref.dim %w, %c0 : memref<?xi8>
  %sum = scf.if %wChunks -> (vector<8xf32>) {
    %wordCount = arith.divui %bytes, %c4 : index
    %w32 = memref.view %w[%c0][%wordCount] : memref<?xi8> to memref<?xi32>
    %rowWords = arith.divui %k, %c2 : index
    %chunks = arith.divui %k, %c8 : index
    %r0 = arith.muli %j0s, %rowWords : index
    %r1 = arith.muli %j1, %rowWords : index
    %r2 = arith.muli %j2, %rowWords : index
    %r3 = arith.muli %j3, %rowWords : index
    %s = scf.for %ch = %tx to %chunks step %c256
        iter_args(%acc = %zeros) -> (vector<8xf32>) {
      %q = arith.muli %ch, %c4 : index
      %q0 = arith.addi %r0, %q : index
      %q1 = arith.addi %r1, %q : index
      %q2 = arith.addi %r2, %q : index
      %q3 = arith.addi %r3, %q : index
      %w0 = vector.load %w32[%q0] {alignment = 16} : memref<?xi32>, vector<4xi32>
      %w1 = vector.load %w32[%q1] {alignment = 16} : memref<?xi32>, vector<4xi32>
      %w2 = vector.load %w32[%q2] {alignment = 16} : memref<?xi32>, vector<4xi32>
      %w3 = vector.load %w32[%q3] {alignment = 16} : memref<?xi32>, vector<4xi32>
      %i = arith.muli %ch, %c8 : index
      %next = scf.for %r = %c0 to %rows step %c1
          iter_args(%x = %acc) -> (vector<8xf32>) {
        %t = arith.addi %t0, %r : index
        %av = func.call @nhc_gemv_a8(%a, %t, %lda, %i, %aVectors, %activate, %act)
            : (memref<?xf32>, index, index, index, i1, i1, index) -> vector<8xf32>
        %x0 = func.call @nhc_gemv_fma8(%x, %r, %w0, %av)
            : (vector<8xf32>, index, vector<4xi32>, vector<8xf32>) -> vector<8xf32>
        %r2s = arith.addi %r, %c2 : index
        %x1 = func.call @nhc_gemv_fma8(%x0, %r2s, %w1, %av)
            : (vector<8xf32>, index, vector<4xi32>, vector<8xf32>) -> vector<8xf32>
        %r4s = arith.addi %r, %c4 : index
        %x2 = func.call @nhc_gemv_fma8(%x1, %r4s, %w2, %av)
            : (vector<8xf32>, index, vector<4xi32>, vector<8xf32>) -> vector<8xf32>
        %r6s = arith.addi %r4s, %c2 : index
        %x3 = func.call @nhc_gemv_fma8(%x2, %r6s, %w3, %av)
            : (vector<8xf32>, index, vector<4xi32>, vector<8xf32>) -> vector<8xf32>
        scf.yield %x3 : vector<8xf32>
      }
      scf.yield %next : vector<8xf32>
    }
    scf.yield %s : vector<8xf32>
  } else {
    %halfCount = arith.divui %bytes, %c2 : index
    %w16 = memref.view %w[%c0][%halfCount] : memref<?xi8> to memref<?xi16>
    %r0 = arith.muli %j0s, %k : index
    %r1 = arith.muli %j1, %k : index
    %r2 = arith.muli %j2, %k : index
    %r3 = arith.muli %j3, %k : index
    %s = scf.for %i = %tx to %k step %c256
        iter_args(%acc = %zeros) -> (vector<8xf32>) {
      %v0 = func.call @nhc_gemv_bf16_at(%w16, %r0, %i) : (memref<?xi16>, index, index) -> f32
      %v1 = func.call @nhc_gemv_bf16_at(%w16, %r1, %i) : (memref<?xi16>, index, index) -> f32
      %v2 = func.call @nhc_gemv_bf16_at(%w16, %r2, %i) : (memref<?xi16>, index, index) -> f32
      %v3 = func.call @nhc_gemv_bf16_at(%w16, %r3, %i) : (memref<?xi16>, index, index) -> f32
      %wv = vector.from_elements %v0, %v1, %v2, %v3 : vector<4xf32>
      %next = scf.for %r = %c0 to %rows step %c1
          iter_args(%x = %acc) -> (vector<8xf32>) {
        %t = arith.addi %t0, %r : index
        %row = arith.muli %t, %lda : index
        %ai = arith.addi %row, %i : index
        %ar = memref.load %a[%ai] : memref<?xf32>
        %av = func.call @nhc_gemv_maybe_activate(%ar, %activate, %act) : (f32, i1, index) -> f32
        %y = scf.for %jr = %c0 to %c4 step %c1
            iter_args(%z = %x) -> (vector<8xf32>) {
          %wj = vector.extract %wv[%jr] : f32 from vector<4xf32>
          %pos0 = arith.muli %jr, %c2 : index
          %pos = arith.addi %pos0, %r : index
          %old = vector.extract %z[%pos] : f32 from vector<8xf32>
          %fma = math.fma %av, %wj, %old : f32
          %z2 = vector.insert %fma, %z[%pos] : f32 into vector<8xf32>
          scf.yield %z2 : vector<8xf32>
        }
        scf.yield %y : vector<8xf32>
      }
      scf.yield %next : vector<8xf32>
    }
    scf.yield %s : vector<8xf32>
  }
  return %sum : vector<8xf32>
}

// The weight at element `i` of the row starting at element `row`, widened
// exactly.
func.func private @nhc_gemv_bf16_at(%w16: memref<?xi16>, %row: index,
                                    %i: index) -> f32 {
  %at = arith.addi %row, %i : index
  %bits = memref.load %w16[%at] : memref<?xi16>
  %v = func.call @nhc_widen_bf16(%bits) : (i16) -> f32
  return %v : f32
}

// act(A[t, i .. i + 7]) (i a multiple of 8): two 16-byte loads when
// `vectors` (A's rows 16-byte aligned), else eight.
func.func private @nhc_gemv_a8(%a: memref<?xf32>, %t: index, %lda: index,
                               %i: index, %vectors: i1, %activate: i1,
                               %act: index) -> vector<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %zeros = arith.constant dense<0.0> : vector<8xf32>
  %row = arith.muli %t, %lda : index
  %at = arith.addi %row, %i : index
  %loaded = scf.if %vectors -> (vector<8xf32>) {
    %at4 = arith.addi %at, %c4 : index
    %lo = vector.load %a[%at] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %hi = vector.load %a[%at4] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %both = vector.shuffle %lo, %hi [0, 1, 2, 3, 4, 5, 6, 7] : vector<4xf32>, vector<4xf32>
    scf.yield %both : vector<8xf32>
  } else {
    %each = scf.for %e = %c0 to %c8 step %c1
        iter_args(%v = %zeros) -> (vector<8xf32>) {
      %ae = arith.addi %at, %e : index
      %x = memref.load %a[%ae] : memref<?xf32>
      %v2 = vector.insert %x, %v[%e] : f32 into vector<8xf32>
      scf.yield %v2 : vector<8xf32>
    }
    scf.yield %each : vector<8xf32>
  }
  // One call per element, the positions constants: a loop around a code
  // that is not a constant stays a loop and takes the vector to memory.
  %v1 = func.call @nhc_gemv_activate_at(%loaded, %c0, %activate, %act)
      : (vector<8xf32>, index, i1, index) -> vector<8xf32>
  %v2 = func.call @nhc_gemv_activate_at(%v1, %c1, %activate, %act)
      : (vector<8xf32>, index, i1, index) -> vector<8xf32>
  %v3 = func.call @nhc_gemv_activate_at(%v2, %c2, %activate, %act)
      : (vector<8xf32>, index, i1, index) -> vector<8xf32>
  %v4 = func.call @nhc_gemv_activate_at(%v3, %c3, %activate, %act)
      : (vector<8xf32>, index, i1, index) -> vector<8xf32>
  %v5 = func.call @nhc_gemv_activate_at(%v4, %c4, %activate, %act)
      : (vector<8xf32>, index, i1, index) -> vector<8xf32>
  %v6 = func.call @nhc_gemv_activate_at(%v5, %c5, %activate, %act)
      : (vector<8xf32>, index, i1, index) -> vector<8xf32>
  %v7 = func.call @nhc_gemv_activate_at(%v6, %c6, %activate, %act)
      : (vector<8xf32>, index, i1, index) -> vector<8xf32>
  %v8 = func.call @nhc_gemv_activate_at(%v7, %c7, %activate, %act)
      : (vector<8xf32>, index, i1, index) -> vector<8xf32>
  return %v8 : vector<8xf32>
}

// v with element e replaced by act(v[e]) when `activate`.
func.func private @nhc_gemv_activate_at(%v: vector<8xf32>, %e: index,
                                        %activate: i1, %act: index)
    -> vector<8xf32> {
  %x = vector.extract %v[%e] : f32 from vector<8xf32>
  %y = func.call @nhc_gemv_maybe_activate(%x, %activate, %act) : (f32, i1, index) -> f32
  %out = vector.insert %y, %v[%e] : f32 into vector<8xf32>
  return %out : vector<8xf32>
}

// act(v) if `activate`, for codes 0-6 only (nhc_activate_common; NaN for
// the rarer ones): their formulas cost this kernel registers (sm_80 spilled
// with every code), and the cuda backend gives it relu² or none.
func.func private @nhc_gemv_maybe_activate(%v: f32, %activate: i1, %act: index)
    -> f32 {
  %r = scf.if %activate -> (f32) {
    %a = func.call @nhc_activate_common(%v, %act) : (f32, index) -> f32
    scf.yield %a : f32
  } else {
    scf.yield %v : f32
  }
  return %r : f32
}

// acc[at] plus the products of a chunk's 8 weights (`chunk`: 4 words, each
// the low half first, little-endian) with av's 8 elements, in order.
func.func private @nhc_gemv_fma8(%acc: vector<8xf32>, %at: index,
                                 %chunk: vector<4xi32>, %av: vector<8xf32>)
    -> vector<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %start = vector.extract %acc[%at] : f32 from vector<8xf32>
  %sum = scf.for %q = %c0 to %c4 step %c1 iter_args(%s = %start) -> (f32) {
    %word = vector.extract %chunk[%q] : i32 from vector<4xi32>
    %lo = func.call @nhc_gemv_bf16_low(%word) : (i32) -> f32
    %hi = func.call @nhc_gemv_bf16_high(%word) : (i32) -> f32
    %e0 = arith.muli %q, %c2 : index
    %e1 = arith.addi %e0, %c1 : index
    %a0 = vector.extract %av[%e0] : f32 from vector<8xf32>
    %a1 = vector.extract %av[%e1] : f32 from vector<8xf32>
    %s1 = math.fma %a0, %lo, %s : f32
    %s2 = math.fma %a1, %hi, %s1 : f32
    scf.yield %s2 : f32
  }
  %out = vector.insert %sum, %acc[%at] : f32 into vector<8xf32>
  return %out : vector<8xf32>
}

// Adds the block's shares (element r * 2 + s: row j0 + r of W times row
// t0 + s of A, for s < rows) and stores C[t0 + s, j0 + r] for the rows
// before m and n (plus the old value when `add`). Each warp's lanes by a
// xor butterfly (nhc_warp_sum), its lane 0 putting the 8 sums in
// partial[warp * 8 ..]; behind a barrier thread e < 8 adds element e over
// the 8 warps in order (nhc_sum_over_warps). Every thread meets the same
// two barriers; the second lets the next call reuse `partial` at once.
func.func private @nhc_gemv_block_store(
    %acc: vector<8xf32>, %rows: index, %tx: index,
    %partial: memref<64xf32, #gpu.address_space<workgroup>>,
    %c: memref<?xf32>, %t0: index, %m: index, %j0: index, %n: index,
    %ldc: index, %add: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %summed = scf.for %e = %c0 to %c8 step %c1
      iter_args(%v = %acc) -> (vector<8xf32>) {
    %s = arith.remui %e, %c2 : index
    %live = arith.cmpi ult, %s, %rows : index
    %next = scf.if %live -> (vector<8xf32>) {
      %x = vector.extract %v[%e] : f32 from vector<8xf32>
      %y = func.call @nhc_warp_sum(%x) : (f32) -> f32
      %v2 = vector.insert %y, %v[%e] : f32 into vector<8xf32>
      scf.yield %v2 : vector<8xf32>
    } else {
      scf.yield %v : vector<8xf32>
    }
    scf.yield %next : vector<8xf32>
  }
  %warp = arith.divui %tx, %c32 : index
  %lane = arith.remui %tx, %c32 : index
  %lead = arith.cmpi eq, %lane, %c0 : index
  scf.if %lead {
    %first = arith.muli %warp, %c8 : index
    scf.for %e = %c0 to %c8 step %c1 {
      %x = vector.extract %summed[%e] : f32 from vector<8xf32>
      %at = arith.addi %first, %e : index
      memref.store %x, %partial[%at] : memref<64xf32, #gpu.address_space<workgroup>>
    }
  }
  gpu.barrier
  %writer = arith.cmpi ult, %tx, %c8 : index
  scf.if %writer {
    %s = arith.remui %tx, %c2 : index
    %r = arith.divui %tx, %c2 : index
    %t = arith.addi %t0, %s : index
    %j = arith.addi %j0, %r : index
    %partials = memref.cast %partial : memref<64xf32, #gpu.address_space<workgroup>>
        to memref<?xf32, #gpu.address_space<workgroup>>
    %total = func.call @nhc_sum_over_warps(%partials, %tx, %c8)
        : (memref<?xf32, #gpu.address_space<workgroup>>, index, index) -> f32
    %rowLive = arith.cmpi ult, %s, %rows : index
    %inA = arith.cmpi ult, %t, %m : index
    %inW = arith.cmpi ult, %j, %n : index
    %live0 = arith.andi %rowLive, %inA : i1
    %live = arith.andi %live0, %inW : i1
    scf.if %live {
      func.call @nhc_gemv_store(%c, %total, %t, %j, %ldc, %add)
          : (memref<?xf32>, f32, index, index, index, i1) -> ()
    }
  }
  gpu.barrier
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
