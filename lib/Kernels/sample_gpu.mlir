// GPU form of sample.mlir (nhc-select-kernel-variants): a block of 1024
// threads per row. The block finds the row's argmax (greedy rows, NaN,
// the top), then each truncation's candidate by a radix select on the rank
// key: four passes over the row, one per byte from the top, each a
// 256-bin histogram (count, mass in f64, lowest and highest id) of the
// prefix's candidates that match the bytes chosen so far, built with
// workgroup atomics; thread 0 walks the bins from the highest to the
// byte where the measure reaches the target. A thread adds its run of
// candidates in one bin at once (a row's logits share a few exponents, so
// the first byte's bins are few and a warp's atomics on one bin would
// queue). The chosen key's candidates are ordered by id: the lowest and
// highest come from the last histogram, any other (equal logits across a
// boundary) from a pass over the row in contiguous stretches per thread
// with a block-wide prefix count. A sampled row costs 4 passes per
// truncation (top-k, top-p; their measure alone when a rule has neither)
// and 4 for the draw, after the argmax's one; not measured on a GPU. Ids
// and the id-ordered pass's counts (f32) need V < 2^24 (the cuda backend
// samples larger vocabularies on the host).
func.func private @nhc_sample_rows_gpu(%logits: memref<?xf32>,
                                       %out: memref<?xi32>, %R: index,
                                       %V: index, %params: memref<?xi64>)
    attributes {nhc.gpu_variant_of = "nhc_sample_rows"} {
  %c1 = arith.constant 1 : index
  %c1024 = arith.constant 1024 : index
  gpu.launch blocks(%r, %by, %bz) in (%gx = %R, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1024, %sy = %c1, %sz = %c1)
             workgroup(%bestV : memref<32xf32, #gpu.address_space<workgroup>>,
                       %bestI : memref<32xi32, #gpu.address_space<workgroup>>,
                       %hCount : memref<256xi32, #gpu.address_space<workgroup>>,
                       %hMass : memref<256xf64, #gpu.address_space<workgroup>>,
                       %hMin : memref<256xi32, #gpu.address_space<workgroup>>,
                       %hMax : memref<256xi32, #gpu.address_space<workgroup>>,
                       %pick : memref<8xi32, #gpu.address_space<workgroup>>,
                       %pickF : memref<4xf64, #gpu.address_space<workgroup>>,
                       %warpN : memref<32xf32, #gpu.address_space<workgroup>>) {
    %zero = arith.constant 0 : index
    %step = arith.constant 1024 : index
    %none = arith.constant 0xFF800000 : f32
    %row = arith.muli %r, %V : index
    %mine:2 = scf.for %j = %tx to %V step %step
        iter_args(%bv = %none, %bi = %V) -> (f32, index) {
      %at = arith.addi %row, %j : index
      %v = memref.load %logits[%at] : memref<?xf32>
      %n:2 = func.call @nhc_argmax_better(%v, %j, %bv, %bi)
          : (f32, index, f32, index) -> (f32, index)
      scf.yield %n#0, %n#1 : f32, index
    }
    %best:2 = func.call @nhc_sample_block_best(%mine#0, %mine#1, %tx, %V,
        %bestV, %bestI)
        : (f32, index, index, index,
           memref<32xf32, #gpu.address_space<workgroup>>,
           memref<32xi32, #gpu.address_space<workgroup>>) -> (f32, index)
    %rule:5 = func.call @nhc_sample_rule(%params, %r)
        : (memref<?xi64>, index) -> (f64, f64, f64, f64, f64)
    %argmax = func.call @nhc_sample_takes_argmax(%best#0, %rule#0, %rule#1)
        : (f32, f64, f64) -> i1
    %id = scf.if %argmax -> (i32) {
      %g = func.call @nhc_argmax_id(%best#0, %best#1) : (f32, index) -> i32
      scf.yield %g : i32
    } else {
      %s = func.call @nhc_sample_row_block(%logits, %row, %V, %tx, %best#0,
          %rule#0, %rule#1, %rule#2, %rule#3, %rule#4, %hCount, %hMass,
          %hMin, %hMax, %pick, %pickF, %warpN)
          : (memref<?xf32>, index, index, index, f32, f64, f64, f64, f64, f64,
             memref<256xi32, #gpu.address_space<workgroup>>,
             memref<256xf64, #gpu.address_space<workgroup>>,
             memref<256xi32, #gpu.address_space<workgroup>>,
             memref<256xi32, #gpu.address_space<workgroup>>,
             memref<8xi32, #gpu.address_space<workgroup>>,
             memref<4xf64, #gpu.address_space<workgroup>>,
             memref<32xf32, #gpu.address_space<workgroup>>) -> i32
      scf.yield %s : i32
    }
    %leader = arith.cmpi eq, %tx, %zero : index
    scf.if %leader {
      memref.store %id, %out[%r] : memref<?xi32>
    }
    gpu.terminator
  }
  return
}

// The best (value, index) in argmax order of the block's 1024 candidates,
// one per thread, in every thread: each warp's by shuffles, then the 32
// warps' through workgroup memory in warp order (buffers used once).
func.func private @nhc_sample_block_best(%v: f32, %i: index, %tx: index,
    %V: index, %values: memref<32xf32, #gpu.address_space<workgroup>>,
    %indices: memref<32xi32, #gpu.address_space<workgroup>>)
    -> (f32, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %none = arith.constant 0xFF800000 : f32
  %warpBest:2 = func.call @nhc_argmax_warp_best(%v, %i)
      : (f32, index) -> (f32, index)
  %lane = arith.remui %tx, %c32 : index
  %warp = arith.divui %tx, %c32 : index
  %warpLeader = arith.cmpi eq, %lane, %c0 : index
  scf.if %warpLeader {
    %wi32 = arith.index_cast %warpBest#1 : index to i32
    memref.store %warpBest#0, %values[%warp] : memref<32xf32, #gpu.address_space<workgroup>>
    memref.store %wi32, %indices[%warp] : memref<32xi32, #gpu.address_space<workgroup>>
  }
  gpu.barrier
  %all:2 = scf.for %w = %c0 to %c32 step %c1
      iter_args(%av = %none, %ai = %V) -> (f32, index) {
    %wv = memref.load %values[%w] : memref<32xf32, #gpu.address_space<workgroup>>
    %wi = memref.load %indices[%w] : memref<32xi32, #gpu.address_space<workgroup>>
    %wx = arith.index_castui %wi : i32 to index
    %n:2 = func.call @nhc_argmax_better(%wv, %wx, %av, %ai)
        : (f32, index, f32, index) -> (f32, index)
    scf.yield %n#0, %n#1 : f32, index
  }
  return %all#0, %all#1 : f32, index
}

// One sampled row (@nhc_sample_row_serial's steps), the whole block.
func.func private @nhc_sample_row_block(%logits: memref<?xf32>, %row: index,
    %V: index, %tx: index, %top: f32, %T: f64, %k: f64, %p: f64,
    %lnMinP: f64, %u: f64,
    %hCount: memref<256xi32, #gpu.address_space<workgroup>>,
    %hMass: memref<256xf64, #gpu.address_space<workgroup>>,
    %hMin: memref<256xi32, #gpu.address_space<workgroup>>,
    %hMax: memref<256xi32, #gpu.address_space<workgroup>>,
    %pick: memref<8xi32, #gpu.address_space<workgroup>>,
    %pickF: memref<4xf64, #gpu.address_space<workgroup>>,
    %warpN: memref<32xf32, #gpu.address_space<workgroup>>) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f64
  %T32 = arith.truncf %T : f64 to f32
  %floorKey = func.call @nhc_sample_floor_key(%top, %T, %lnMinP)
      : (f32, f64, f64) -> i32
  // One search per step (top-k, top-p, the draw) in a loop: one copy of
  // the search's code.
  %final:4 = scf.for %phase = %c0 to %c3 step %c1
      iter_args(%bKey = %floorKey, %bId = %V, %mass = %zero, %token = %c0)
      -> (i32, index, f64, index) {
    %how:4 = func.call @nhc_sample_phase(%phase, %k, %p, %u, %mass)
        : (index, f64, f64, f64, f64) -> (i1, f64, i1, i1)
    %s:4 = scf.if %how#0 -> (i32, index, f64, i1) {
      %r:4 = func.call @nhc_sample_select_block(%logits, %row, %V, %tx, %bKey,
          %bId, %top, %T32, %how#1, %how#2, %how#3, %hCount, %hMass, %hMin,
          %hMax, %pick, %pickF, %warpN)
          : (memref<?xf32>, index, index, index, i32, index, f32, f32, f64, i1,
             i1, memref<256xi32, #gpu.address_space<workgroup>>,
             memref<256xf64, #gpu.address_space<workgroup>>,
             memref<256xi32, #gpu.address_space<workgroup>>,
             memref<256xi32, #gpu.address_space<workgroup>>,
             memref<8xi32, #gpu.address_space<workgroup>>,
             memref<4xf64, #gpu.address_space<workgroup>>,
             memref<32xf32, #gpu.address_space<workgroup>>)
          -> (i32, index, f64, i1)
      scf.yield %r#0, %r#1, %r#2, %r#3 : i32, index, f64, i1
    } else {
      %true = arith.constant true
      scf.yield %bKey, %bId, %mass, %true : i32, index, f64, i1
    }
    %next:4 = func.call @nhc_sample_bound(%s#0, %s#1, %s#2, %s#3, %bKey, %bId)
        : (i32, index, f64, i1, i32, index) -> (i32, index, f64, index)
    scf.yield %next#0, %next#1, %next#2, %next#3 : i32, index, f64, index
  }
  %id = arith.index_cast %final#3 : index to i32
  return %id : i32
}

// @nhc_sample_select_serial's answer by the block: a radix select over
// the key's four bytes, then the chosen key's candidate in id order.
func.func private @nhc_sample_select_block(%logits: memref<?xf32>,
    %row: index, %V: index, %tx: index, %bKey: i32, %bId: index, %top: f32,
    %T: f32, %target: f64, %strict: i1, %countMode: i1,
    %hCount: memref<256xi32, #gpu.address_space<workgroup>>,
    %hMass: memref<256xf64, #gpu.address_space<workgroup>>,
    %hMin: memref<256xi32, #gpu.address_space<workgroup>>,
    %hMax: memref<256xi32, #gpu.address_space<workgroup>>,
    %pick: memref<8xi32, #gpu.address_space<workgroup>>,
    %pickF: memref<4xf64, #gpu.address_space<workgroup>>,
    %warpN: memref<32xf32, #gpu.address_space<workgroup>>)
    -> (i32, index, f64, i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %step = arith.constant 1024 : index
  %k0 = arith.constant 0 : i32
  %k1 = arith.constant 1 : i32
  %kNone = arith.constant -1 : i32
  %kBig = arith.constant 2147483647 : i32
  %k8 = arith.constant 8 : i32
  %k24 = arith.constant 24 : i32
  %k255 = arith.constant 255 : i32
  %allOnes = arith.constant -1 : i64
  %zero = arith.constant 0.0 : f64
  %true = arith.constant true
  %false = arith.constant false
  %lead = arith.cmpi eq, %tx, %c0 : index
  %small = arith.cmpi ult, %tx, %c256 : index
  %levels:7 = scf.for %level = %c0 to %c4 step %c1
      iter_args(%found = %true, %high = %k0, %measAbove = %zero,
                %massAbove = %zero, %ties = %k0, %minId = %k0, %maxId = %k0)
      -> (i1, i32, f64, f64, i32, i32, i32) {
    %res:7 = scf.if %found -> (i1, i32, f64, f64, i32, i32, i32) {
      %level32 = arith.index_cast %level : index to i32
      %l8 = arith.muli %level32, %k8 : i32
      %shift = arith.subi %k24, %l8 : i32
      // The bytes above this one must match those chosen: a mask of them
      // (none at the first byte; i64 so that a shift by 32 is defined).
      %above32 = arith.addi %shift, %k8 : i32
      %above64 = arith.extui %above32 : i32 to i64
      %mask64 = arith.shli %allOnes, %above64 : i64
      %mask = arith.trunci %mask64 : i64 to i32
      scf.if %small {
        memref.store %k0, %hCount[%tx] : memref<256xi32, #gpu.address_space<workgroup>>
        memref.store %zero, %hMass[%tx] : memref<256xf64, #gpu.address_space<workgroup>>
        memref.store %kBig, %hMin[%tx] : memref<256xi32, #gpu.address_space<workgroup>>
        memref.store %kNone, %hMax[%tx] : memref<256xi32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      %run:5 = scf.for %j = %tx to %V step %step
          iter_args(%rd = %kNone, %rc = %k0, %rm = %zero, %rmin = %k0,
                    %rmax = %k0) -> (i32, i32, f64, i32, i32) {
        %at = arith.addi %row, %j : index
        %l = memref.load %logits[%at] : memref<?xf32>
        %key = func.call @nhc_sample_key(%l) : (f32) -> i32
        %in = func.call @nhc_sample_in_prefix(%key, %j, %bKey, %bId)
            : (i32, index, i32, index) -> i1
        %differs = arith.xori %key, %high : i32
        %outside = arith.andi %differs, %mask : i32
        %matches = arith.cmpi eq, %outside, %k0 : i32
        %take = arith.andi %in, %matches : i1
        %next:5 = scf.if %take -> (i32, i32, f64, i32, i32) {
          %shifted = arith.shrui %key, %shift : i32
          %d = arith.andi %shifted, %k255 : i32
          %w = func.call @nhc_sample_weight(%l, %top, %T) : (f32, f32, f32) -> f64
          %j32 = arith.index_cast %j : index to i32
          %same = arith.cmpi eq, %d, %rd : i32
          %n:5 = scf.if %same -> (i32, i32, f64, i32, i32) {
            %c = arith.addi %rc, %k1 : i32
            %m = arith.addf %rm, %w : f64
            scf.yield %rd, %c, %m, %rmin, %j32 : i32, i32, f64, i32, i32
          } else {
            func.call @nhc_sample_flush(%rd, %rc, %rm, %rmin, %rmax, %hCount,
                %hMass, %hMin, %hMax)
                : (i32, i32, f64, i32, i32,
                   memref<256xi32, #gpu.address_space<workgroup>>,
                   memref<256xf64, #gpu.address_space<workgroup>>,
                   memref<256xi32, #gpu.address_space<workgroup>>,
                   memref<256xi32, #gpu.address_space<workgroup>>) -> ()
            scf.yield %d, %k1, %w, %j32, %j32 : i32, i32, f64, i32, i32
          }
          scf.yield %n#0, %n#1, %n#2, %n#3, %n#4 : i32, i32, f64, i32, i32
        } else {
          scf.yield %rd, %rc, %rm, %rmin, %rmax : i32, i32, f64, i32, i32
        }
        scf.yield %next#0, %next#1, %next#2, %next#3, %next#4
            : i32, i32, f64, i32, i32
      }
      func.call @nhc_sample_flush(%run#0, %run#1, %run#2, %run#3, %run#4,
          %hCount, %hMass, %hMin, %hMax)
          : (i32, i32, f64, i32, i32,
             memref<256xi32, #gpu.address_space<workgroup>>,
             memref<256xf64, #gpu.address_space<workgroup>>,
             memref<256xi32, #gpu.address_space<workgroup>>,
             memref<256xi32, #gpu.address_space<workgroup>>) -> ()
      gpu.barrier
      scf.if %lead {
        func.call @nhc_sample_scan_bins(%measAbove, %massAbove, %target,
            %strict, %countMode, %hCount, %hMass, %hMin, %hMax, %pick, %pickF)
            : (f64, f64, f64, i1, i1,
               memref<256xi32, #gpu.address_space<workgroup>>,
               memref<256xf64, #gpu.address_space<workgroup>>,
               memref<256xi32, #gpu.address_space<workgroup>>,
               memref<256xi32, #gpu.address_space<workgroup>>,
               memref<8xi32, #gpu.address_space<workgroup>>,
               memref<4xf64, #gpu.address_space<workgroup>>) -> ()
      }
      gpu.barrier
      %digit = memref.load %pick[%c0] : memref<8xi32, #gpu.address_space<workgroup>>
      %foundHere = memref.load %pick[%c1] : memref<8xi32, #gpu.address_space<workgroup>>
      %t = memref.load %pick[%c2] : memref<8xi32, #gpu.address_space<workgroup>>
      %mn = memref.load %pick[%c3] : memref<8xi32, #gpu.address_space<workgroup>>
      %mx = memref.load %pick[%c4] : memref<8xi32, #gpu.address_space<workgroup>>
      %ma = memref.load %pickF[%c0] : memref<4xf64, #gpu.address_space<workgroup>>
      %sa = memref.load %pickF[%c1] : memref<4xf64, #gpu.address_space<workgroup>>
      %f = arith.cmpi ne, %foundHere, %k0 : i32
      %placed = arith.shli %digit, %shift : i32
      %h = arith.ori %high, %placed : i32
      gpu.barrier // every thread has read them before they change
      scf.yield %f, %h, %ma, %sa, %t, %mn, %mx : i1, i32, f64, f64, i32, i32, i32
    } else {
      scf.yield %found, %high, %measAbove, %massAbove, %ties, %minId, %maxId
          : i1, i32, f64, f64, i32, i32, i32
    }
    scf.yield %res#0, %res#1, %res#2, %res#3, %res#4, %res#5, %res#6
        : i1, i32, f64, f64, i32, i32, i32
  }
  %result:4 = scf.if %levels#0 -> (i32, index, f64, i1) {
    %ties = arith.index_castui %levels#4 : i32 to index
    %logit = func.call @nhc_sample_key_value(%levels#1) : (i32) -> f32
    %w = func.call @nhc_sample_weight(%logit, %top, %T) : (f32, f32, f32) -> f64
    %j = func.call @nhc_sample_tie_rank(%target, %levels#2, %w, %strict,
        %countMode, %ties) : (f64, f64, f64, i1, i1, index) -> index
    %first = arith.cmpi eq, %j, %c1 : index
    %last = arith.cmpi eq, %j, %ties : index
    %ends = arith.ori %first, %last : i1
    %id = scf.if %ends -> (index) {
      %e = arith.select %first, %levels#5, %levels#6 : i32
      %ei = arith.index_castui %e : i32 to index
      scf.yield %ei : index
    } else {
      %n = func.call @nhc_sample_nth_block(%logits, %row, %V, %tx, %levels#1,
          %bKey, %bId, %j, %pick, %warpN)
          : (memref<?xf32>, index, index, index, i32, i32, index, index,
             memref<8xi32, #gpu.address_space<workgroup>>,
             memref<32xf32, #gpu.address_space<workgroup>>) -> index
      scf.yield %n : index
    }
    %jf = func.call @nhc_sample_index_f64(%j) : (index) -> f64
    %jw = arith.mulf %jf, %w : f64
    %through = arith.addf %levels#3, %jw : f64
    scf.yield %levels#1, %id, %through, %true : i32, index, f64, i1
  } else {
    scf.yield %bKey, %bId, %levels#3, %false : i32, index, f64, i1
  }
  return %result#0, %result#1, %result#2, %result#3 : i32, index, f64, i1
}

// Adds a thread's run of candidates in bin `d` (none if d < 0): its count,
// mass and id range.
func.func private @nhc_sample_flush(%d: i32, %c: i32, %m: f64, %mn: i32,
    %mx: i32, %hCount: memref<256xi32, #gpu.address_space<workgroup>>,
    %hMass: memref<256xf64, #gpu.address_space<workgroup>>,
    %hMin: memref<256xi32, #gpu.address_space<workgroup>>,
    %hMax: memref<256xi32, #gpu.address_space<workgroup>>) {
  %k0 = arith.constant 0 : i32
  %some = arith.cmpi sge, %d, %k0 : i32
  scf.if %some {
    %b = arith.index_castui %d : i32 to index
    %o1 = memref.atomic_rmw addi %c, %hCount[%b] : (i32, memref<256xi32, #gpu.address_space<workgroup>>) -> i32
    %o2 = memref.atomic_rmw addf %m, %hMass[%b] : (f64, memref<256xf64, #gpu.address_space<workgroup>>) -> f64
    %o3 = memref.atomic_rmw mins %mn, %hMin[%b] : (i32, memref<256xi32, #gpu.address_space<workgroup>>) -> i32
    %o4 = memref.atomic_rmw maxs %mx, %hMax[%b] : (i32, memref<256xi32, #gpu.address_space<workgroup>>) -> i32
  }
  return
}

// Thread 0's walk over one histogram, from the highest bin: the first bin
// at which the measure (above + the bins so far) reaches the target
// (@nhc_sample_crosses). pick = (bin, found, its count, lowest id, highest
// id), pickF = (measure, mass) above it. No bin reaching it: in count mode
// not found, with the whole mass; in mass mode (rounding) the last bin
// with weight.
func.func private @nhc_sample_scan_bins(%measAbove: f64, %massAbove: f64,
    %target: f64, %strict: i1, %countMode: i1,
    %hCount: memref<256xi32, #gpu.address_space<workgroup>>,
    %hMass: memref<256xf64, #gpu.address_space<workgroup>>,
    %hMin: memref<256xi32, #gpu.address_space<workgroup>>,
    %hMax: memref<256xi32, #gpu.address_space<workgroup>>,
    %pick: memref<8xi32, #gpu.address_space<workgroup>>,
    %pickF: memref<4xf64, #gpu.address_space<workgroup>>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c255 = arith.constant 255 : index
  %c256 = arith.constant 256 : index
  %k0 = arith.constant 0 : i32
  %k1 = arith.constant 1 : i32
  %kNone = arith.constant -1 : i32
  %zero = arith.constant 0.0 : f64
  %false = arith.constant false
  %true = arith.constant true
  %s:7 = scf.for %b = %c0 to %c256 step %c1
      iter_args(%done = %false, %digit = %k0, %ma = %measAbove,
                %sa = %massAbove, %lastD = %kNone, %lastMa = %measAbove,
                %lastSa = %massAbove)
      -> (i1, i32, f64, f64, i32, f64, f64) {
    %bin = arith.subi %c255, %b : index
    %c = memref.load %hCount[%bin] : memref<256xi32, #gpu.address_space<workgroup>>
    %m = memref.load %hMass[%bin] : memref<256xf64, #gpu.address_space<workgroup>>
    %cf = arith.uitofp %c : i32 to f64
    %meas = arith.select %countMode, %cf, %m : f64
    %has = arith.cmpi ne, %c, %k0 : i32
    %crosses = func.call @nhc_sample_crosses(%ma, %meas, %target, %strict)
        : (f64, f64, f64, i1) -> i1
    %open = arith.xori %done, %true : i1
    %hit0 = arith.andi %has, %crosses : i1
    %hit = arith.andi %hit0, %open : i1
    %miss = arith.xori %hit, %true : i1
    %acc = arith.andi %open, %miss : i1
    %weighted0 = arith.cmpf ogt, %m, %zero : f64
    %weighted1 = arith.andi %has, %weighted0 : i1
    %weighted = arith.andi %weighted1, %acc : i1
    %nd = arith.ori %done, %hit : i1
    %bin32 = arith.index_cast %bin : index to i32
    %ndigit = arith.select %hit, %bin32, %digit : i32
    %ma1 = arith.addf %ma, %meas : f64
    %sa1 = arith.addf %sa, %m : f64
    %nma = arith.select %acc, %ma1, %ma : f64
    %nsa = arith.select %acc, %sa1, %sa : f64
    %nlastD = arith.select %weighted, %bin32, %lastD : i32
    %nlastMa = arith.select %weighted, %ma, %lastMa : f64
    %nlastSa = arith.select %weighted, %sa, %lastSa : f64
    scf.yield %nd, %ndigit, %nma, %nsa, %nlastD, %nlastMa, %nlastSa
        : i1, i32, f64, f64, i32, f64, f64
  }
  // Not reached: count mode reports it; mass mode takes the last bin with
  // weight (bin 0 if none, which a prefix holding its top never is).
  %fallback = arith.ori %s#0, %countMode : i1
  %someLast = arith.cmpi sge, %s#4, %k0 : i32
  %lastBin = arith.select %someLast, %s#4, %k0 : i32
  %digit = arith.select %fallback, %s#1, %lastBin : i32
  %ma = arith.select %fallback, %s#2, %s#5 : f64
  %sa = arith.select %fallback, %s#3, %s#6 : f64
  %foundBool = arith.select %countMode, %s#0, %true : i1
  %found = arith.extui %foundBool : i1 to i32
  %d = arith.index_castui %digit : i32 to index
  %count = memref.load %hCount[%d] : memref<256xi32, #gpu.address_space<workgroup>>
  %mn = memref.load %hMin[%d] : memref<256xi32, #gpu.address_space<workgroup>>
  %mx = memref.load %hMax[%d] : memref<256xi32, #gpu.address_space<workgroup>>
  memref.store %digit, %pick[%c0] : memref<8xi32, #gpu.address_space<workgroup>>
  memref.store %found, %pick[%c1] : memref<8xi32, #gpu.address_space<workgroup>>
  memref.store %count, %pick[%c2] : memref<8xi32, #gpu.address_space<workgroup>>
  memref.store %mn, %pick[%c3] : memref<8xi32, #gpu.address_space<workgroup>>
  memref.store %mx, %pick[%c4] : memref<8xi32, #gpu.address_space<workgroup>>
  memref.store %ma, %pickF[%c0] : memref<4xf64, #gpu.address_space<workgroup>>
  memref.store %sa, %pickF[%c1] : memref<4xf64, #gpu.address_space<workgroup>>
  return
}

// The id of the `j`-th (from 1, in id order) prefix candidate with key
// `key`, by the block: thread t counts them in its stretch of
// ceil(V / 1024) ids, a prefix count over the threads (warp scans, then
// the warps' totals) finds the stretch holding the j-th, and its thread
// reports it through pick[5]. Counts are exact in f32 (V < 2^24).
func.func private @nhc_sample_nth_block(%logits: memref<?xf32>, %row: index,
    %V: index, %tx: index, %key: i32, %bKey: i32, %bId: index, %j: index,
    %pick: memref<8xi32, #gpu.address_space<workgroup>>,
    %warpN: memref<32xf32, #gpu.address_space<workgroup>>) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c31 = arith.constant 31 : index
  %c32 = arith.constant 32 : index
  %c1024 = arith.constant 1024 : index
  %f0 = arith.constant 0.0 : f32
  %f1 = arith.constant 1.0 : f32
  %chunk = arith.ceildivui %V, %c1024 : index
  %begin0 = arith.muli %tx, %chunk : index
  %begin = arith.minui %begin0, %V : index
  %end0 = arith.addi %begin, %chunk : index
  %end = arith.minui %end0, %V : index
  %own = scf.for %i = %begin to %end step %c1 iter_args(%n = %f0) -> (f32) {
    %match = func.call @nhc_sample_is_nth_candidate(%logits, %row, %i, %key,
        %bKey, %bId) : (memref<?xf32>, index, index, i32, i32, index) -> i1
    %n1 = arith.addf %n, %f1 : f32
    %nn = arith.select %match, %n1, %n : f32
    scf.yield %nn : f32
  }
  %incl = func.call @nhc_warp_inclusive_sum(%own) : (f32) -> f32
  %lane = arith.remui %tx, %c32 : index
  %warp = arith.divui %tx, %c32 : index
  %lastLane = arith.cmpi eq, %lane, %c31 : index
  scf.if %lastLane {
    memref.store %incl, %warpN[%warp] : memref<32xf32, #gpu.address_space<workgroup>>
  }
  gpu.barrier
  %offset = scf.for %w = %c0 to %warp step %c1 iter_args(%o = %f0) -> (f32) {
    %t = memref.load %warpN[%w] : memref<32xf32, #gpu.address_space<workgroup>>
    %o1 = arith.addf %o, %t : f32
    scf.yield %o1 : f32
  }
  %inclAll = arith.addf %offset, %incl : f32
  %excl = arith.subf %inclAll, %own : f32
  %j64 = arith.index_cast %j : index to i64
  %jf = arith.uitofp %j64 : i64 to f32
  %after = arith.cmpf olt, %excl, %jf : f32
  %within = arith.cmpf ole, %jf, %inclAll : f32
  %mine = arith.andi %after, %within : i1
  scf.if %mine {
    %want = arith.subf %jf, %excl : f32
    %found:2 = scf.for %i = %begin to %end step %c1
        iter_args(%n = %f0, %id = %begin) -> (f32, index) {
      %match = func.call @nhc_sample_is_nth_candidate(%logits, %row, %i, %key,
          %bKey, %bId) : (memref<?xf32>, index, index, i32, i32, index) -> i1
      %n1 = arith.addf %n, %f1 : f32
      %nn = arith.select %match, %n1, %n : f32
      %hit0 = arith.cmpf oeq, %n1, %want : f32
      %hit = arith.andi %match, %hit0 : i1
      %nid = arith.select %hit, %i, %id : index
      scf.yield %nn, %nid : f32, index
    }
    %id32 = arith.index_cast %found#1 : index to i32
    memref.store %id32, %pick[%c5] : memref<8xi32, #gpu.address_space<workgroup>>
  }
  gpu.barrier
  %id = memref.load %pick[%c5] : memref<8xi32, #gpu.address_space<workgroup>>
  %idx = arith.index_castui %id : i32 to index
  gpu.barrier // read by every thread before a later search writes it
  return %idx : index
}

// Whether element `i` of the row is a prefix candidate with key `key`.
func.func private @nhc_sample_is_nth_candidate(%logits: memref<?xf32>,
    %row: index, %i: index, %key: i32, %bKey: i32, %bId: index) -> i1 {
  %at = arith.addi %row, %i : index
  %l = memref.load %logits[%at] : memref<?xf32>
  %k = func.call @nhc_sample_key(%l) : (f32) -> i32
  %in = func.call @nhc_sample_in_prefix(%k, %i, %bKey, %bId)
      : (i32, index, i32, index) -> i1
  %same = arith.cmpi eq, %k, %key : i32
  %match = arith.andi %in, %same : i1
  return %match : i1
}
