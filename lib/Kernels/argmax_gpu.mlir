// GPU form of argmax.mlir (nhc-select-kernel-variants), two launches. The
// first splits each row into S slices (at least one; the caller's choice:
// the cuda backend's is nhc::format::kernel::argmaxSlices), a block of 256
// threads per (slice,
// row), so that a decode step's few rows of 131072 logits are read by
// tens of SMs at once (one block per row read a row as 128 loads per
// thread in 16 rounds, each waiting for its loads; not measured on a GPU).
// Where the rows are 16-byte aligned (V % 4 == 0, an aligned buffer)
// thread t takes its slice's 16-byte chunks t, t + 256, ..., eight a round
// (a chunk past the slice reads its last one again: the same candidates,
// the same winner), each chunk's best, then a tree over the 8: independent
// chains, so ptxas issues the round's loads together. Else elements t,
// t + 256, ... of the slice one at a time. A block's candidates meet by
// xor shuffles within each warp, then over the 8 warps in warp order
// (@nhc_argmax_block_best); its best goes to partials[2 (r S + s)] (the
// value) and the element after it (the index's bits). The second launch, a
// block per row, picks the row's best of its S candidates the same way and
// writes the id. nhc_argmax_better is a total order, so the result is the
// portable form's exactly.
func.func private @nhc_argmax_rows_gpu(%logits: memref<?xf32>,
                                       %out: memref<?xi32>, %R: index,
                                       %V: index, %partials: memref<?xf32>,
                                       %slices: index)
    attributes {nhc.gpu_variant_of = "nhc_argmax_rows"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %S = arith.maxui %slices, %c1 : index
  gpu.launch blocks(%s, %r, %bz) in (%gx = %S, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%values : memref<8xf32, #gpu.address_space<workgroup>>,
                       %indices : memref<8xi32, #gpu.address_space<workgroup>>) {
    %zero = arith.constant 0 : index
    %one = arith.constant 1 : index
    %two = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %step = arith.constant 256 : index
    %row = arith.muli %r, %V : index
    // A thread past its slice's end holds -inf at index V, which every
    // candidate beats (a real -inf by its smaller index).
    %none = arith.constant 0xFF800000 : f32
    %address = memref.extract_aligned_pointer_as_index %logits : memref<?xf32> -> index
    %rowBytes = arith.muli %V, %c4 : index
    %chunked = func.call @nhc_rows_16_byte_aligned(%address, %rowBytes) : (index, index) -> i1
    %best:2 = scf.if %chunked -> (f32, index) {
      %chunks = arith.divui %V, %c4 : index
      %slice:2 = func.call @nhc_argmax_slice(%chunks, %S, %s) : (index, index, index) -> (index, index)
      // Unused when the slice is empty (no round runs).
      %lastChunk = arith.subi %slice#1, %one : index
      %round = arith.constant 2048 : index // 8 chunks of 256 threads
      %from = arith.addi %slice#0, %tx : index
      %b:2 = scf.for %first = %from to %slice#1 step %round
          iter_args(%bv = %none, %bi = %V) -> (f32, index) {
        %at:8 = func.call @nhc_argmax_chunks8(%first, %lastChunk)
            : (index, index) -> (index, index, index, index, index, index, index, index)
        %v0 = func.call @nhc_argmax_load4(%logits, %row, %at#0) : (memref<?xf32>, index, index) -> vector<4xf32>
        %v1 = func.call @nhc_argmax_load4(%logits, %row, %at#1) : (memref<?xf32>, index, index) -> vector<4xf32>
        %v2 = func.call @nhc_argmax_load4(%logits, %row, %at#2) : (memref<?xf32>, index, index) -> vector<4xf32>
        %v3 = func.call @nhc_argmax_load4(%logits, %row, %at#3) : (memref<?xf32>, index, index) -> vector<4xf32>
        %v4 = func.call @nhc_argmax_load4(%logits, %row, %at#4) : (memref<?xf32>, index, index) -> vector<4xf32>
        %v5 = func.call @nhc_argmax_load4(%logits, %row, %at#5) : (memref<?xf32>, index, index) -> vector<4xf32>
        %v6 = func.call @nhc_argmax_load4(%logits, %row, %at#6) : (memref<?xf32>, index, index) -> vector<4xf32>
        %v7 = func.call @nhc_argmax_load4(%logits, %row, %at#7) : (memref<?xf32>, index, index) -> vector<4xf32>
        // Each chunk's best, then a tree over the 8 (independent chains, so
        // the 8 loads are all needed at once and issued together).
        %c0b:2 = func.call @nhc_argmax_best4(%v0, %at#0) : (vector<4xf32>, index) -> (f32, index)
        %c1b:2 = func.call @nhc_argmax_best4(%v1, %at#1) : (vector<4xf32>, index) -> (f32, index)
        %c2b:2 = func.call @nhc_argmax_best4(%v2, %at#2) : (vector<4xf32>, index) -> (f32, index)
        %c3b:2 = func.call @nhc_argmax_best4(%v3, %at#3) : (vector<4xf32>, index) -> (f32, index)
        %c4b:2 = func.call @nhc_argmax_best4(%v4, %at#4) : (vector<4xf32>, index) -> (f32, index)
        %c5b:2 = func.call @nhc_argmax_best4(%v5, %at#5) : (vector<4xf32>, index) -> (f32, index)
        %c6b:2 = func.call @nhc_argmax_best4(%v6, %at#6) : (vector<4xf32>, index) -> (f32, index)
        %c7b:2 = func.call @nhc_argmax_best4(%v7, %at#7) : (vector<4xf32>, index) -> (f32, index)
        %p01:2 = func.call @nhc_argmax_better(%c1b#0, %c1b#1, %c0b#0, %c0b#1) : (f32, index, f32, index) -> (f32, index)
        %p23:2 = func.call @nhc_argmax_better(%c3b#0, %c3b#1, %c2b#0, %c2b#1) : (f32, index, f32, index) -> (f32, index)
        %p45:2 = func.call @nhc_argmax_better(%c5b#0, %c5b#1, %c4b#0, %c4b#1) : (f32, index, f32, index) -> (f32, index)
        %p67:2 = func.call @nhc_argmax_better(%c7b#0, %c7b#1, %c6b#0, %c6b#1) : (f32, index, f32, index) -> (f32, index)
        %q03:2 = func.call @nhc_argmax_better(%p23#0, %p23#1, %p01#0, %p01#1) : (f32, index, f32, index) -> (f32, index)
        %q47:2 = func.call @nhc_argmax_better(%p67#0, %p67#1, %p45#0, %p45#1) : (f32, index, f32, index) -> (f32, index)
        %r07:2 = func.call @nhc_argmax_better(%q47#0, %q47#1, %q03#0, %q03#1) : (f32, index, f32, index) -> (f32, index)
        %n:2 = func.call @nhc_argmax_better(%r07#0, %r07#1, %bv, %bi) : (f32, index, f32, index) -> (f32, index)
        scf.yield %n#0, %n#1 : f32, index
      }
      scf.yield %b#0, %b#1 : f32, index
    } else {
      %slice:2 = func.call @nhc_argmax_slice(%V, %S, %s) : (index, index, index) -> (index, index)
      %from = arith.addi %slice#0, %tx : index
      %b:2 = scf.for %j = %from to %slice#1 step %step
          iter_args(%bv = %none, %bi = %V) -> (f32, index) {
        %at = arith.addi %row, %j : index
        %v = memref.load %logits[%at] : memref<?xf32>
        %n:2 = func.call @nhc_argmax_better(%v, %j, %bv, %bi)
            : (f32, index, f32, index) -> (f32, index)
        scf.yield %n#0, %n#1 : f32, index
      }
      scf.yield %b#0, %b#1 : f32, index
    }
    %block:2 = func.call @nhc_argmax_block_best(%best#0, %best#1, %tx, %V, %values, %indices)
        : (f32, index, index, index, memref<8xf32, #gpu.address_space<workgroup>>, memref<8xi32, #gpu.address_space<workgroup>>) -> (f32, index)
    %leader = arith.cmpi eq, %tx, %zero : index
    scf.if %leader {
      %rs = arith.muli %r, %S : index
      %slot = arith.addi %rs, %s : index
      %at = arith.muli %slot, %two : index
      %atIndex = arith.addi %at, %one : index
      %i32 = arith.index_cast %block#1 : index to i32
      %bits = arith.bitcast %i32 : i32 to f32
      memref.store %block#0, %partials[%at] : memref<?xf32>
      memref.store %bits, %partials[%atIndex] : memref<?xf32>
    }
    gpu.terminator
  }
  // The row's S candidates: thread t those t, t + 256, ...
  gpu.launch blocks(%r, %by, %bz) in (%gx = %R, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%values : memref<8xf32, #gpu.address_space<workgroup>>,
                       %indices : memref<8xi32, #gpu.address_space<workgroup>>) {
    %zero = arith.constant 0 : index
    %one = arith.constant 1 : index
    %two = arith.constant 2 : index
    %step = arith.constant 256 : index
    %none = arith.constant 0xFF800000 : f32
    %rs = arith.muli %r, %S : index
    %best:2 = scf.for %j = %tx to %S step %step
        iter_args(%bv = %none, %bi = %V) -> (f32, index) {
      %slot = arith.addi %rs, %j : index
      %at = arith.muli %slot, %two : index
      %atIndex = arith.addi %at, %one : index
      %v = memref.load %partials[%at] : memref<?xf32>
      %bits = memref.load %partials[%atIndex] : memref<?xf32>
      %i32 = arith.bitcast %bits : f32 to i32
      %i = arith.index_castui %i32 : i32 to index
      %n:2 = func.call @nhc_argmax_better(%v, %i, %bv, %bi)
          : (f32, index, f32, index) -> (f32, index)
      scf.yield %n#0, %n#1 : f32, index
    }
    %block:2 = func.call @nhc_argmax_block_best(%best#0, %best#1, %tx, %V, %values, %indices)
        : (f32, index, index, index, memref<8xf32, #gpu.address_space<workgroup>>, memref<8xi32, #gpu.address_space<workgroup>>) -> (f32, index)
    %leader = arith.cmpi eq, %tx, %zero : index
    scf.if %leader {
      %id = func.call @nhc_argmax_id(%block#0, %block#1) : (f32, index) -> i32
      memref.store %id, %out[%r] : memref<?xi32>
    }
    gpu.terminator
  }
  return
}

// Slice `s` of S of `count` items (chunks or elements): [begin, end), the
// first slices ceil(count / S) long, later ones shorter or empty.
func.func private @nhc_argmax_slice(%count: index, %S: index, %s: index)
    -> (index, index) {
  %per = arith.ceildivui %count, %S : index
  %begin0 = arith.muli %s, %per : index
  %begin = arith.minui %begin0, %count : index
  %end0 = arith.addi %begin, %per : index
  %end = arith.minui %end0, %count : index
  return %begin, %end : index, index
}

// The best of the block's 256 candidates (v, i), one per thread, in every
// thread: each warp's by xor shuffles, then the 8 warps' in warp order
// through workgroup memory (one barrier; the buffers are used once).
func.func private @nhc_argmax_block_best(%v: f32, %i: index, %tx: index,
    %V: index, %values: memref<8xf32, #gpu.address_space<workgroup>>,
    %indices: memref<8xi32, #gpu.address_space<workgroup>>) -> (f32, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %none = arith.constant 0xFF800000 : f32
  %warpBest:2 = func.call @nhc_argmax_warp_best(%v, %i)
      : (f32, index) -> (f32, index)
  %lane = arith.remui %tx, %c32 : index
  %warp = arith.divui %tx, %c32 : index
  %warpLeader = arith.cmpi eq, %lane, %c0 : index
  scf.if %warpLeader {
    %wi32 = arith.index_cast %warpBest#1 : index to i32
    memref.store %warpBest#0, %values[%warp] : memref<8xf32, #gpu.address_space<workgroup>>
    memref.store %wi32, %indices[%warp] : memref<8xi32, #gpu.address_space<workgroup>>
  }
  gpu.barrier
  %all:2 = scf.for %w = %c0 to %c8 step %c1
      iter_args(%av = %none, %ai = %V) -> (f32, index) {
    %wv = memref.load %values[%w] : memref<8xf32, #gpu.address_space<workgroup>>
    %wi = memref.load %indices[%w] : memref<8xi32, #gpu.address_space<workgroup>>
    %wx = arith.index_castui %wi : i32 to index
    %n:2 = func.call @nhc_argmax_better(%wv, %wx, %av, %ai)
        : (f32, index, f32, index) -> (f32, index)
    scf.yield %n#0, %n#1 : f32, index
  }
  return %all#0, %all#1 : f32, index
}

// The 8 chunks a thread reads in one round from chunk `first`: first,
// first + 256, ..., each at most `last` (a chunk past the row reads the
// last one again).
func.func private @nhc_argmax_chunks8(%first: index, %last: index)
    -> (index, index, index, index, index, index, index, index) {
  %c256 = arith.constant 256 : index
  %c512 = arith.constant 512 : index
  %c768 = arith.constant 768 : index
  %c1024 = arith.constant 1024 : index
  %c1280 = arith.constant 1280 : index
  %c1536 = arith.constant 1536 : index
  %c1792 = arith.constant 1792 : index
  %a1 = arith.addi %first, %c256 : index
  %a2 = arith.addi %first, %c512 : index
  %a3 = arith.addi %first, %c768 : index
  %a4 = arith.addi %first, %c1024 : index
  %a5 = arith.addi %first, %c1280 : index
  %a6 = arith.addi %first, %c1536 : index
  %a7 = arith.addi %first, %c1792 : index
  %b0 = arith.minui %first, %last : index
  %b1 = arith.minui %a1, %last : index
  %b2 = arith.minui %a2, %last : index
  %b3 = arith.minui %a3, %last : index
  %b4 = arith.minui %a4, %last : index
  %b5 = arith.minui %a5, %last : index
  %b6 = arith.minui %a6, %last : index
  %b7 = arith.minui %a7, %last : index
  return %b0, %b1, %b2, %b3, %b4, %b5, %b6, %b7
      : index, index, index, index, index, index, index, index
}

// Chunk `chunk` (4 elements, 16-byte aligned) of the row at `row`.
func.func private @nhc_argmax_load4(%logits: memref<?xf32>, %row: index,
                                    %chunk: index) -> vector<4xf32> {
  %c4 = arith.constant 4 : index
  %c4x = arith.muli %chunk, %c4 : index
  %at = arith.addi %row, %c4x : index
  %v = vector.load %logits[%at] {alignment = 16} : memref<?xf32>, vector<4xf32>
  return %v : vector<4xf32>
}

// The best of chunk `chunk`'s 4 elements (indices 4 chunk ..).
func.func private @nhc_argmax_best4(%v: vector<4xf32>, %chunk: index)
    -> (f32, index) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %i0 = arith.muli %chunk, %c4 : index
  %i1 = arith.addi %i0, %c1 : index
  %i2 = arith.addi %i1, %c1 : index
  %i3 = arith.addi %i2, %c1 : index
  %e0 = vector.extract %v[0] : f32 from vector<4xf32>
  %e1 = vector.extract %v[1] : f32 from vector<4xf32>
  %e2 = vector.extract %v[2] : f32 from vector<4xf32>
  %e3 = vector.extract %v[3] : f32 from vector<4xf32>
  %n01:2 = func.call @nhc_argmax_better(%e1, %i1, %e0, %i0) : (f32, index, f32, index) -> (f32, index)
  %n23:2 = func.call @nhc_argmax_better(%e3, %i3, %e2, %i2) : (f32, index, f32, index) -> (f32, index)
  %n:2 = func.call @nhc_argmax_better(%n23#0, %n23#1, %n01#0, %n01#1) : (f32, index, f32, index) -> (f32, index)
  return %n#0, %n#1 : f32, index
}

// The best candidate of a warp's 32 lanes, in every lane: a xor butterfly
// of shuffles (nhc_argmax_better is a total order, so any pairing gives
// the same winner). Indices fit in i32 (the ids the kernel writes).
func.func private @nhc_argmax_warp_best(%v: f32, %i: index) -> (f32, index) {
  %width = arith.constant 32 : i32
  %s16 = arith.constant 16 : i32
  %s8 = arith.constant 8 : i32
  %s4 = arith.constant 4 : i32
  %s2 = arith.constant 2 : i32
  %s1 = arith.constant 1 : i32
  %i32 = arith.index_cast %i : index to i32
  %ov16, %ok16 = gpu.shuffle xor %v, %s16, %width : f32
  %oi16, %okI16 = gpu.shuffle xor %i32, %s16, %width : i32
  %ox16 = arith.index_cast %oi16 : i32 to index
  %n16:2 = func.call @nhc_argmax_better(%ov16, %ox16, %v, %i) : (f32, index, f32, index) -> (f32, index)
  %m16 = arith.index_cast %n16#1 : index to i32
  %ov8, %ok8 = gpu.shuffle xor %n16#0, %s8, %width : f32
  %oi8, %okI8 = gpu.shuffle xor %m16, %s8, %width : i32
  %ox8 = arith.index_cast %oi8 : i32 to index
  %n8:2 = func.call @nhc_argmax_better(%ov8, %ox8, %n16#0, %n16#1) : (f32, index, f32, index) -> (f32, index)
  %m8 = arith.index_cast %n8#1 : index to i32
  %ov4, %ok4 = gpu.shuffle xor %n8#0, %s4, %width : f32
  %oi4, %okI4 = gpu.shuffle xor %m8, %s4, %width : i32
  %ox4 = arith.index_cast %oi4 : i32 to index
  %n4:2 = func.call @nhc_argmax_better(%ov4, %ox4, %n8#0, %n8#1) : (f32, index, f32, index) -> (f32, index)
  %m4 = arith.index_cast %n4#1 : index to i32
  %ov2, %ok2 = gpu.shuffle xor %n4#0, %s2, %width : f32
  %oi2, %okI2 = gpu.shuffle xor %m4, %s2, %width : i32
  %ox2 = arith.index_cast %oi2 : i32 to index
  %n2:2 = func.call @nhc_argmax_better(%ov2, %ox2, %n4#0, %n4#1) : (f32, index, f32, index) -> (f32, index)
  %m2 = arith.index_cast %n2#1 : index to i32
  %ov1, %ok1 = gpu.shuffle xor %n2#0, %s1, %width : f32
  %oi1, %okI1 = gpu.shuffle xor %m2, %s1, %width : i32
  %ox1 = arith.index_cast %oi1 : i32 to index
  %n1:2 = func.call @nhc_argmax_better(%ov1, %ox1, %n2#0, %n2#1) : (f32, index, f32, index) -> (f32, index)
  return %n1#0, %n1#1 : f32, index
}
