// Sampled decoding on the device: each logits row's token by its rule
// (nhc/runtime/sampling.h), so that a sampled decode step returns token ids
// instead of its [R, vocab] logits. Named in nhc/format/library_kernels.h
// (kSampleRows); not called by plans. GPU form: sample_gpu.mlir.
//
// The rule, without sorting: candidates are ranked by logit, ties by lower
// id. A logit's rank key is its f32 bits made unsigned-ordered
// (@nhc_sample_key), so "the candidates ranked above one" is "key above
// its key, or the same key and a lower id". Each truncation finds the
// candidate at which the ranked prefix's measure (its count for top-k, its
// mass of exp((logit - top) / T) for top-p and the draw) first reaches a
// target (@nhc_sample_crosses): the largest key whose "key at least"
// measure still reaches it, then the right one of the candidates with that
// key, in id order. Kept candidates are the prefix up to a boundary (key,
// id): min-p's floor (its smallest kept key, every id), then top-k's k-th,
// then top-p's; the draw's candidate is the token. This form finds each
// key by halving the key range (32 passes over the row per search); the
// GPU form by a 256-bin histogram per byte of the key (4 passes). Weights
// are f32 exps (of the host's f64 arguments) summed in f64 in another
// order than the host sampler's (nhc_sample_logits: double exps summed in
// order), so a draw within rounding (about 1e-7 of the mass) of a boundary
// may pick a neighbour.

// out[r] = the token rule r picks from logits[r * V .. r * V + V): greedy
// (temperature 0 or top_k 1) the first of the largest; sampled by the rule;
// for a row holding NaN -1 - the index of its first NaN, greedy or not (as
// nhc_argmax_rows). `params` holds kSampleParams f64 (as their bits) per row in
// SampleParam order: temperature, top_k (0 = all), top_p, ln(min_p) (-inf: off), the
// draw in [0, 1).
func.func @nhc_sample_rows(%logits: memref<?xf32>, %out: memref<?xi32>,
                           %R: index, %V: index, %params: memref<?xi64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%r) = (%c0) to (%R) step (%c1) {
    %row = arith.muli %r, %V : index
    %first = memref.load %logits[%row] : memref<?xf32>
    %best:2 = scf.for %j = %c1 to %V step %c1
        iter_args(%bv = %first, %bi = %c0) -> (f32, index) {
      %at = arith.addi %row, %j : index
      %v = memref.load %logits[%at] : memref<?xf32>
      %n:2 = func.call @nhc_argmax_better(%v, %j, %bv, %bi)
          : (f32, index, f32, index) -> (f32, index)
      scf.yield %n#0, %n#1 : f32, index
    }
    %rule:5 = func.call @nhc_sample_rule(%params, %r)
        : (memref<?xi64>, index) -> (f64, f64, f64, f64, f64)
    %argmax = func.call @nhc_sample_takes_argmax(%best#0, %rule#0, %rule#1)
        : (f32, f64, f64) -> i1
    %id = scf.if %argmax -> (i32) {
      %g = func.call @nhc_argmax_id(%best#0, %best#1) : (f32, index) -> i32
      scf.yield %g : i32
    } else {
      %s = func.call @nhc_sample_row_serial(%logits, %row, %V, %best#0,
          %rule#0, %rule#1, %rule#2, %rule#3, %rule#4)
          : (memref<?xf32>, index, index, f32, f64, f64, f64, f64, f64) -> i32
      scf.yield %s : i32
    }
    memref.store %id, %out[%r] : memref<?xi32>
    scf.reduce
  }
  return
}

// One row, sampled (its top is a number or +inf; no NaN): min-p's floor,
// top-k, top-p, then the draw.
func.func private @nhc_sample_row_serial(%logits: memref<?xf32>, %row: index,
    %V: index, %top: f32, %T: f64, %k: f64, %p: f64, %lnMinP: f64, %u: f64)
    -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f64
  %T32 = arith.truncf %T : f64 to f32
  %floorKey = func.call @nhc_sample_floor_key(%top, %T, %lnMinP)
      : (f32, f64, f64) -> i32
  %final:4 = scf.for %phase = %c0 to %c3 step %c1
      iter_args(%bKey = %floorKey, %bId = %V, %mass = %zero, %token = %c0)
      -> (i32, index, f64, index) {
    %how:4 = func.call @nhc_sample_phase(%phase, %k, %p, %u, %mass)
        : (index, f64, f64, f64, f64) -> (i1, f64, i1, i1)
    %s:4 = scf.if %how#0 -> (i32, index, f64, i1) {
      %r:4 = func.call @nhc_sample_select_serial(%logits, %row, %V, %bKey,
          %bId, %top, %T32, %how#1, %how#2, %how#3)
          : (memref<?xf32>, index, index, i32, index, f32, f32, f64, i1, i1)
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

// Step `phase` of a sampled row: whether it searches, its target, whether
// strict, whether in count mode. 0: top-k, the k-th by count (+inf without
// top-k: only the kept mass); 1: top-p, where the mass reaches p of the
// kept mass (skipped when p is 1); 2: the draw, where the mass passes u of
// the nucleus's.
func.func private @nhc_sample_phase(%phase: index, %k: f64, %p: f64, %u: f64,
                                    %mass: f64) -> (i1, f64, i1, i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %one = arith.constant 1.0 : f64
  %true = arith.constant true
  %kTarget = func.call @nhc_sample_top_k_target(%k) : (f64) -> f64
  %isK = arith.cmpi eq, %phase, %c0 : index
  %isP = arith.cmpi eq, %phase, %c1 : index
  %isDraw = arith.cmpi eq, %phase, %c2 : index
  %whole = arith.cmpf oge, %p, %one : f64
  %pSkipped = arith.andi %isP, %whole : i1
  %runs = arith.xori %pSkipped, %true : i1
  %pTarget = arith.mulf %p, %mass : f64
  %uTarget = arith.mulf %u, %mass : f64
  %t0 = arith.select %isP, %pTarget, %uTarget : f64
  %target = arith.select %isK, %kTarget, %t0 : f64
  return %runs, %target, %isDraw, %isK : i1, f64, i1, i1
}

// The bound after a step's search (key, id, mass through it, found): the
// found candidate, or (top-k that cut nothing) the bound before; the mass
// and the candidate's id (the token, after the draw's step).
func.func private @nhc_sample_bound(%key: i32, %id: index, %mass: f64,
    %found: i1, %bKey: i32, %bId: index) -> (i32, index, f64, index) {
  %nk = arith.select %found, %key, %bKey : i32
  %ni = arith.select %found, %id, %bId : index
  return %nk, %ni, %mass, %id : i32, index, f64, index
}

// The ranked candidate of the prefix bounded by (bKey, bId) at which the
// measure (the count if `countMode`, else the mass) first reaches `target`
// (passes it if `strict`): its key, its id, the prefix's mass through it,
// and true. When nothing reaches it: in count mode the bound unchanged,
// the prefix's whole mass and false; in mass mode (rounding) the last
// candidate with weight, its mass through it and true.
func.func private @nhc_sample_select_serial(%logits: memref<?xf32>,
    %row: index, %V: index, %bKey: i32, %bId: index, %top: f32, %T: f32,
    %target: f64, %strict: i1, %countMode: i1) -> (i32, index, f64, i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f64
  %k0 = arith.constant 0 : i32
  %k1 = arith.constant 1 : i32
  %kMax = arith.constant -1 : i32
  %i0 = arith.constant 0 : i64
  %i1 = arith.constant 1 : i64
  %span = arith.constant 4294967296 : i64
  %false = arith.constant false
  %true = arith.constant true
  %all:3 = func.call @nhc_sample_at_least(%logits, %row, %V, %k0, %bKey,
      %bId, %top, %T, %countMode)
      : (memref<?xf32>, index, index, i32, i32, index, f32, f32, i1)
      -> (f64, f64, index)
  %reaches = func.call @nhc_sample_crosses(%zero, %all#0, %target, %strict)
      : (f64, f64, f64, i1) -> i1
  %result:4 = scf.if %reaches -> (i32, index, f64, i1) {
    // The largest key whose "at least" measure reaches the target.
    %lohi:2 = scf.for %step = %c0 to %c32 step %c1
        iter_args(%lo = %i0, %hi = %span) -> (i64, i64) {
      %sum = arith.addi %lo, %hi : i64
      %mid = arith.shrui %sum, %i1 : i64
      %midKey = arith.trunci %mid : i64 to i32
      %g:3 = func.call @nhc_sample_at_least(%logits, %row, %V, %midKey,
          %bKey, %bId, %top, %T, %countMode)
          : (memref<?xf32>, index, index, i32, i32, index, f32, f32, i1)
          -> (f64, f64, index)
      %c = func.call @nhc_sample_crosses(%zero, %g#0, %target, %strict)
          : (f64, f64, f64, i1) -> i1
      %nlo = arith.select %c, %mid, %lo : i64
      %nhi = arith.select %c, %hi, %mid : i64
      scf.yield %nlo, %nhi : i64, i64
    }
    %key = arith.trunci %lohi#0 : i64 to i32
    %isMax = arith.cmpi eq, %key, %kMax : i32
    %above:3 = scf.if %isMax -> (f64, f64, index) {
      scf.yield %zero, %zero, %c0 : f64, f64, index
    } else {
      %next = arith.addi %key, %k1 : i32
      %a:3 = func.call @nhc_sample_at_least(%logits, %row, %V, %next, %bKey,
          %bId, %top, %T, %countMode)
          : (memref<?xf32>, index, index, i32, i32, index, f32, f32, i1)
          -> (f64, f64, index)
      scf.yield %a#0, %a#1, %a#2 : f64, f64, index
    }
    %at:3 = func.call @nhc_sample_at_least(%logits, %row, %V, %key, %bKey,
        %bId, %top, %T, %countMode)
        : (memref<?xf32>, index, index, i32, i32, index, f32, f32, i1)
        -> (f64, f64, index)
    %ties = arith.subi %at#2, %above#2 : index
    %logit = func.call @nhc_sample_key_value(%key) : (i32) -> f32
    %w = func.call @nhc_sample_weight(%logit, %top, %T) : (f32, f32, f32) -> f64
    %j = func.call @nhc_sample_tie_rank(%target, %above#0, %w, %strict,
        %countMode, %ties) : (f64, f64, f64, i1, i1, index) -> index
    %id = func.call @nhc_sample_nth_serial(%logits, %row, %V, %key, %bKey,
        %bId, %j) : (memref<?xf32>, index, index, i32, i32, index, index) -> index
    %jf = func.call @nhc_sample_index_f64(%j) : (index) -> f64
    %jw = arith.mulf %jf, %w : f64
    %through = arith.addf %above#1, %jw : f64
    scf.yield %key, %id, %through, %true : i32, index, f64, i1
  } else {
    %r:4 = scf.if %countMode -> (i32, index, f64, i1) {
      scf.yield %bKey, %bId, %all#1, %false : i32, index, f64, i1
    } else {
      %last:2 = func.call @nhc_sample_last_weighted_serial(%logits, %row, %V,
          %bKey, %bId, %top, %T)
          : (memref<?xf32>, index, index, i32, index, f32, f32) -> (i32, index)
      scf.yield %last#0, %last#1, %all#1, %true : i32, index, f64, i1
    }
    scf.yield %r#0, %r#1, %r#2, %r#3 : i32, index, f64, i1
  }
  return %result#0, %result#1, %result#2, %result#3 : i32, index, f64, i1
}

// Over the prefix's candidates whose key is at least `x`: their measure
// (count or mass), mass and count.
func.func private @nhc_sample_at_least(%logits: memref<?xf32>, %row: index,
    %V: index, %x: i32, %bKey: i32, %bId: index, %top: f32, %T: f32,
    %countMode: i1) -> (f64, f64, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %r:2 = scf.for %j = %c0 to %V step %c1 iter_args(%mass = %zero, %n = %c0)
      -> (f64, index) {
    %at = arith.addi %row, %j : index
    %l = memref.load %logits[%at] : memref<?xf32>
    %key = func.call @nhc_sample_key(%l) : (f32) -> i32
    %in = func.call @nhc_sample_in_prefix(%key, %j, %bKey, %bId)
        : (i32, index, i32, index) -> i1
    %high = arith.cmpi uge, %key, %x : i32
    %counted = arith.andi %in, %high : i1
    %w = func.call @nhc_sample_weight(%l, %top, %T) : (f32, f32, f32) -> f64
    %plus = arith.addf %mass, %w : f64
    %m = arith.select %counted, %plus, %mass : f64
    %n1 = arith.addi %n, %c1 : index
    %nn = arith.select %counted, %n1, %n : index
    scf.yield %m, %nn : f64, index
  }
  %count = func.call @nhc_sample_index_f64(%r#1) : (index) -> f64
  %measure = arith.select %countMode, %count, %r#0 : f64
  return %measure, %r#0, %r#1 : f64, f64, index
}

// The id of the `j`-th (from 1, in id order) prefix candidate with key
// `key`.
func.func private @nhc_sample_nth_serial(%logits: memref<?xf32>, %row: index,
    %V: index, %key: i32, %bKey: i32, %bId: index, %j: index) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r:2 = scf.for %i = %c0 to %V step %c1 iter_args(%seen = %c0, %id = %c0)
      -> (index, index) {
    %at = arith.addi %row, %i : index
    %l = memref.load %logits[%at] : memref<?xf32>
    %k = func.call @nhc_sample_key(%l) : (f32) -> i32
    %in = func.call @nhc_sample_in_prefix(%k, %i, %bKey, %bId)
        : (i32, index, i32, index) -> i1
    %same = arith.cmpi eq, %k, %key : i32
    %match = arith.andi %in, %same : i1
    %s1 = arith.addi %seen, %c1 : index
    %ns = arith.select %match, %s1, %seen : index
    %hit = arith.cmpi eq, %s1, %j : index
    %now = arith.andi %match, %hit : i1
    %nid = arith.select %now, %i, %id : index
    scf.yield %ns, %nid : index, index
  }
  return %r#1 : index
}

// The last ranked prefix candidate with a weight above 0: the smallest
// such key, the largest id with it.
func.func private @nhc_sample_last_weighted_serial(%logits: memref<?xf32>,
    %row: index, %V: index, %bKey: i32, %bId: index, %top: f32, %T: f32)
    -> (i32, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %none = arith.constant -1 : i32
  %r:2 = scf.for %i = %c0 to %V step %c1 iter_args(%lk = %none, %li = %c0)
      -> (i32, index) {
    %at = arith.addi %row, %i : index
    %l = memref.load %logits[%at] : memref<?xf32>
    %k = func.call @nhc_sample_key(%l) : (f32) -> i32
    %in = func.call @nhc_sample_in_prefix(%k, %i, %bKey, %bId)
        : (i32, index, i32, index) -> i1
    %w = func.call @nhc_sample_weight(%l, %top, %T) : (f32, f32, f32) -> f64
    %weighted = arith.cmpf ogt, %w, %zero : f64
    %both = arith.andi %in, %weighted : i1
    %lower = arith.cmpi ule, %k, %lk : i32
    %take = arith.andi %both, %lower : i1
    %nk = arith.select %take, %k, %lk : i32
    %ni = arith.select %take, %i, %li : index
    scf.yield %nk, %ni : i32, index
  }
  return %r#0, %r#1 : i32, index
}

// Row r's rule: temperature, top_k, top_p, ln(min_p), draw
// (nhc::format::kernel::SampleParam order), each an f64's bits (the
// kernels' arguments are integer or f32 buffers).
func.func private @nhc_sample_rule(%params: memref<?xi64>, %r: index)
    -> (f64, f64, f64, f64, f64) {
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %at0 = arith.muli %r, %c5 : index
  %at1 = arith.addi %at0, %c1 : index
  %at2 = arith.addi %at1, %c1 : index
  %at3 = arith.addi %at2, %c1 : index
  %at4 = arith.addi %at3, %c1 : index
  %Tb = memref.load %params[%at0] : memref<?xi64>
  %kb = memref.load %params[%at1] : memref<?xi64>
  %pb = memref.load %params[%at2] : memref<?xi64>
  %lnMinPb = memref.load %params[%at3] : memref<?xi64>
  %ub = memref.load %params[%at4] : memref<?xi64>
  %T = arith.bitcast %Tb : i64 to f64
  %k = arith.bitcast %kb : i64 to f64
  %p = arith.bitcast %pb : i64 to f64
  %lnMinP = arith.bitcast %lnMinPb : i64 to f64
  %u = arith.bitcast %ub : i64 to f64
  return %T, %k, %p, %lnMinP, %u : f64, f64, f64, f64, f64
}

// Whether the row's token is its argmax id (nhc_argmax_id): its best is
// NaN (-1 - the first NaN), the rule is greedy (temperature not above 0,
// or top_k 1), or every logit is -inf (id 0, the first).
func.func private @nhc_sample_takes_argmax(%best: f32, %T: f64, %k: f64)
    -> i1 {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant 1.0 : f64
  %ninf = arith.constant 0xFF800000 : f32
  %nan = arith.cmpf uno, %best, %best : f32
  %true = arith.constant true
  %hot = arith.cmpf ogt, %T, %zero : f64
  %cold = arith.xori %hot, %true : i1
  %k1 = arith.cmpf oeq, %k, %one : f64
  %allNinf = arith.cmpf oeq, %best, %ninf : f32
  %a = arith.ori %nan, %cold : i1
  %b = arith.ori %k1, %allNinf : i1
  %r = arith.ori %a, %b : i1
  return %r : i1
}

// Top-k's count target: k, or +inf for 0 (all: nothing reaches it).
func.func private @nhc_sample_top_k_target(%k: f64) -> f64 {
  %zero = arith.constant 0.0 : f64
  %inf = arith.constant 0x7FF0000000000000 : f64
  %all = arith.cmpf oeq, %k, %zero : f64
  %t = arith.select %all, %inf, %k : f64
  return %t : f64
}

// A logit's rank key: its f32 bits, flipped so that unsigned order is the
// logits' order (negatives' bits inverted, positives' sign bit set), -0 as
// +0 (equal logits, equal keys). Not for NaN.
func.func private @nhc_sample_key(%l: f32) -> i32 {
  %pz = arith.constant 0.0 : f32
  %signBit = arith.constant -2147483648 : i32
  %k0 = arith.constant 0 : i32
  %all = arith.constant -1 : i32
  %canonical = arith.addf %l, %pz : f32 // -0 + 0 = +0
  %bits = arith.bitcast %canonical : f32 to i32
  %negative = arith.cmpi slt, %bits, %k0 : i32
  %inverted = arith.xori %bits, %all : i32
  %marked = arith.ori %bits, %signBit : i32
  %key = arith.select %negative, %inverted, %marked : i32
  return %key : i32
}

// The logit of rank key `key` (@nhc_sample_key's inverse).
func.func private @nhc_sample_key_value(%key: i32) -> f32 {
  %signBit = arith.constant -2147483648 : i32
  %rest = arith.constant 2147483647 : i32
  %k0 = arith.constant 0 : i32
  %all = arith.constant -1 : i32
  %positive = arith.cmpi slt, %key, %k0 : i32 // sign bit set
  %cleared = arith.andi %key, %rest : i32
  %inverted = arith.xori %key, %all : i32
  %bits = arith.select %positive, %cleared, %inverted : i32
  %l = arith.bitcast %bits : i32 to f32
  return %l : f32
}

// Whether a candidate (key, id) is in the prefix bounded by (bKey, bId):
// ranked at or above the bound.
func.func private @nhc_sample_in_prefix(%key: i32, %id: index, %bKey: i32,
                                        %bId: index) -> i1 {
  %above = arith.cmpi ugt, %key, %bKey : i32
  %same = arith.cmpi eq, %key, %bKey : i32
  %before = arith.cmpi ule, %id, %bId : index
  %tie = arith.andi %same, %before : i1
  %in = arith.ori %above, %tie : i1
  return %in : i1
}

// A logit's weight, exp((logit - top) / T) (the softmax's numerator): the
// argument in f64 as the host computes it (in f32 a difference of logits
// past FLT_MAX overflowed to -inf: weight 0), its exp in f32 (f64 exps
// would cost more than the rest of a pass), as f64; with a top of +inf, 1
// for +inf logits and 0 else.
func.func private @nhc_sample_weight(%l: f32, %top: f32, %T: f32) -> f64 {
  %inf = arith.constant 0x7F800000 : f32
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %topInf = arith.cmpf oeq, %top, %inf : f32
  %l64 = arith.extf %l : f32 to f64
  %top64 = arith.extf %top : f32 to f64
  %T64 = arith.extf %T : f32 to f64
  %d = arith.subf %l64, %top64 : f64
  %s64 = arith.divf %d, %T64 : f64
  %s = arith.truncf %s64 : f64 to f32
  %e = math.exp %s : f32
  %isInf = arith.cmpf oeq, %l, %inf : f32
  %share = arith.select %isInf, %one, %zero : f32
  %w = arith.select %topInf, %share, %e : f32
  %w64 = arith.extf %w : f32 to f64
  return %w64 : f64
}

// Min-p's floor as a rank key: the smallest kept logit's key. The floor is
// top + T ln(min_p) in f64 (the host's), -inf without min-p, +inf with a
// top of +inf; a logit is kept when at least the floor, so the key is the
// floor's f32 rounded up.
func.func private @nhc_sample_floor_key(%top: f32, %T: f64, %lnMinP: f64)
    -> i32 {
  %ninf64 = arith.constant 0xFFF0000000000000 : f64
  %ninf = arith.constant 0xFF800000 : f32
  %inf = arith.constant 0x7F800000 : f32
  %k1 = arith.constant 1 : i32
  %off = arith.cmpf oeq, %lnMinP, %ninf64 : f64
  %topInf = arith.cmpf oeq, %top, %inf : f32
  %top64 = arith.extf %top : f32 to f64
  %scaled = arith.mulf %T, %lnMinP : f64
  %floor = arith.addf %top64, %scaled : f64
  %f = arith.truncf %floor : f64 to f32
  %back = arith.extf %f : f32 to f64
  %below = arith.cmpf olt, %back, %floor : f64
  %key = func.call @nhc_sample_key(%f) : (f32) -> i32
  %up = arith.addi %key, %k1 : i32
  %rounded = arith.select %below, %up, %key : i32
  %infKey = func.call @nhc_sample_key(%inf) : (f32) -> i32
  %withTop = arith.select %topInf, %infKey, %rounded : i32
  %ninfKey = func.call @nhc_sample_key(%ninf) : (f32) -> i32
  %result = arith.select %off, %ninfKey, %withTop : i32
  return %result : i32
}

// Whether a measure of `above` before a group and `measure` in it reaches
// `target` within the group (passes it if `strict`).
func.func private @nhc_sample_crosses(%above: f64, %measure: f64,
                                      %target: f64, %strict: i1) -> i1 {
  %through = arith.addf %above, %measure : f64
  %passes = arith.cmpf ogt, %through, %target : f64
  %reaches = arith.cmpf oge, %through, %target : f64
  %c = arith.select %strict, %passes, %reaches : i1
  return %c : i1
}

// Which of `ties` candidates of one key (from 1, in id order) the measure
// reaches `target` at, `above` before them and each weighing `w` (1 in
// count mode): ceil((target - above) / unit), or floor(..) + 1 if `strict`,
// within [1, ties].
func.func private @nhc_sample_tie_rank(%target: f64, %above: f64, %w: f64,
    %strict: i1, %countMode: i1, %ties: index) -> index {
  %one = arith.constant 1.0 : f64
  %unit = arith.select %countMode, %one, %w : f64
  %gap = arith.subf %target, %above : f64
  %ratio = arith.divf %gap, %unit : f64
  %fl = math.floor %ratio : f64
  %next = arith.addf %fl, %one : f64
  %ce = math.ceil %ratio : f64
  %j0 = arith.select %strict, %next, %ce : f64
  %tiesF = func.call @nhc_sample_index_f64(%ties) : (index) -> f64
  %low = arith.cmpf oge, %j0, %one : f64 // false for NaN
  %j1 = arith.select %low, %j0, %one : f64
  %high = arith.cmpf ogt, %j1, %tiesF : f64
  %j2 = arith.select %high, %tiesF, %j1 : f64
  %j64 = arith.fptoui %j2 : f64 to i64
  %j = arith.index_cast %j64 : i64 to index
  return %j : index
}

func.func private @nhc_sample_index_f64(%i: index) -> f64 {
  %i64 = arith.index_cast %i : index to i64
  %f = arith.uitofp %i64 : i64 to f64
  return %f : f64
}
