// Log probabilities on the device: each logits row's log_softmax at its
// picked token and its most likely tokens (nhc/runtime/logprobs.h), so that
// a decode step reporting logprobs returns them and the ids instead of its
// [R, vocab] logits. Named in nhc/format/library_kernels.h
// (kLogprobRows); not called by plans. GPU form: logprob_gpu.mlir.
//
// log_softmax(l)_i = l_i - top - log(sum_j exp(l_j - top)), exps and sum in
// f64 as the host's (nhc_logprobs_logits), rounded to f32 at the end. The
// most likely N are sample.mlir's top-k boundary in count mode (the N-th
// ranked candidate: logit descending, equal logits by lower id), then the
// candidates up to it sorted.

// out holds R rows of 1 + N entries, each (id, the f32 bits of its
// logprob) as two i32 (nhc_token_logprob_t): entry 0 the picked token's
// (picked[r]; -inf for an id outside [0, V)), then the N most likely in
// rank order, {-1, -inf} past the vocabulary. A row holding NaN gives NaN
// logprobs (ids: picked[r], -1 - its first NaN's index, then -1).
func.func @nhc_logprob_rows(%logits: memref<?xf32>, %picked: memref<?xi32>,
                            %out: memref<?xi32>, %R: index, %V: index,
                            %N: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %one = arith.constant 1.0 : f32
  %false = arith.constant false
  %true = arith.constant true
  %ninf = arith.constant 0xFF800000 : f32
  %entries = arith.addi %N, %c1 : index
  scf.parallel (%r) = (%c0) to (%R) step (%c1) {
    %row = arith.muli %r, %V : index
    %base = arith.muli %r, %entries : index
    %first = memref.load %logits[%row] : memref<?xf32>
    %best:2 = scf.for %j = %c1 to %V step %c1
        iter_args(%bv = %first, %bi = %c0) -> (f32, index) {
      %at = arith.addi %row, %j : index
      %v = memref.load %logits[%at] : memref<?xf32>
      %n:2 = func.call @nhc_argmax_better(%v, %j, %bv, %bi)
          : (f32, index, f32, index) -> (f32, index)
      scf.yield %n#0, %n#1 : f32, index
    }
    %nan = arith.cmpf uno, %best#0, %best#0 : f32
    scf.if %nan {
      func.call @nhc_logprob_nan_row(%picked, %out, %r, %base, %N, %best#1)
          : (memref<?xi32>, memref<?xi32>, index, index, index, index) -> ()
    } else {
      %sum = scf.for %j = %c0 to %V step %c1 iter_args(%s = %zero) -> (f64) {
        %at = arith.addi %row, %j : index
        %l = memref.load %logits[%at] : memref<?xf32>
        %t = func.call @nhc_logprob_term(%l, %best#0) : (f32, f32) -> f64
        %ns = arith.addf %s, %t : f64
        scf.yield %ns : f64
      }
      %logSum = func.call @nhc_logprob_log_sum(%best#0, %sum) : (f32, f64) -> f64
      func.call @nhc_logprob_write_picked(%logits, %row, %V, %picked, %r,
          %out, %base, %best#0, %logSum)
          : (memref<?xf32>, index, index, memref<?xi32>, index, memref<?xi32>,
             index, f32, f64) -> ()
      %some = arith.cmpi ugt, %N, %c0 : index
      scf.if %some {
        %Nf = func.call @nhc_sample_index_f64(%N) : (index) -> f64
        %all = func.call @nhc_sample_key(%ninf) : (f32) -> i32
        %b:4 = func.call @nhc_sample_select_serial(%logits, %row, %V, %all,
            %V, %best#0, %one, %Nf, %false, %true)
            : (memref<?xf32>, index, index, i32, index, f32, f32, f64, i1, i1)
            -> (i32, index, f64, i1)
        %bKey = arith.select %b#3, %b#0, %all : i32
        %bId = arith.select %b#3, %b#1, %V : index
        // The prefix through the boundary, in id order, into the entries.
        %M = scf.for %j = %c0 to %V step %c1 iter_args(%m = %c0) -> (index) {
          %at = arith.addi %row, %j : index
          %l = memref.load %logits[%at] : memref<?xf32>
          %key = func.call @nhc_sample_key(%l) : (f32) -> i32
          %in = func.call @nhc_sample_in_prefix(%key, %j, %bKey, %bId)
              : (i32, index, i32, index) -> i1
          %m1 = arith.addi %m, %c1 : index
          %room = arith.cmpi ule, %m1, %N : index
          %store = arith.andi %in, %room : i1
          scf.if %store {
            %e = arith.addi %base, %m1 : index
            func.call @nhc_logprob_store_id(%out, %e, %j)
                : (memref<?xi32>, index, index) -> ()
          }
          %nm = arith.select %store, %m1, %m : index
          scf.yield %nm : index
        }
        func.call @nhc_logprob_finish(%logits, %row, %out, %base, %M, %N,
            %best#0, %logSum)
            : (memref<?xf32>, index, memref<?xi32>, index, index, index, f32,
               f64) -> ()
      }
    }
    scf.reduce
  }
  return
}

// A logit's term of the softmax's sum (no NaN row): exp(l - top) in f64
// for a finite top; with a top of +inf, 1 for each +inf logit (they share
// the mass); with a top of -inf (every logit -inf), none.
func.func private @nhc_logprob_term(%l: f32, %top: f32) -> f64 {
  %inf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %one = arith.constant 1.0 : f64
  %zero = arith.constant 0.0 : f64
  %l64 = arith.extf %l : f32 to f64
  %top64 = arith.extf %top : f32 to f64
  %d = arith.subf %l64, %top64 : f64
  %e = math.exp %d : f64
  %topInf = arith.cmpf oeq, %top, %inf : f32
  %topNinf = arith.cmpf oeq, %top, %ninf : f32
  %isInf = arith.cmpf oeq, %l, %inf : f32
  %share = arith.select %isInf, %one, %zero : f64
  %t0 = arith.select %topInf, %share, %e : f64
  %t = arith.select %topNinf, %zero, %t0 : f64
  return %t : f64
}

// log of the sum of the terms (the count of +inf logits for a top of
// +inf); 0 for a top of -inf (every logprob is -inf then).
func.func private @nhc_logprob_log_sum(%top: f32, %sum: f64) -> f64 {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f64
  %topNinf = arith.cmpf oeq, %top, %ninf : f32
  %log = math.log %sum : f64
  %r = arith.select %topNinf, %zero, %log : f64
  return %r : f64
}

// A logit's log probability: l - top - logSum in f64, as f32; with a top
// of +inf, -logSum for +inf logits and -inf else; with a top of -inf, -inf.
func.func private @nhc_logprob_of(%l: f32, %top: f32, %logSum: f64) -> f32 {
  %inf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %l64 = arith.extf %l : f32 to f64
  %top64 = arith.extf %top : f32 to f64
  %d = arith.subf %l64, %top64 : f64
  %v64 = arith.subf %d, %logSum : f64
  %v = arith.truncf %v64 : f64 to f32
  %neg64 = arith.negf %logSum : f64
  %neg = arith.truncf %neg64 : f64 to f32
  %isInf = arith.cmpf oeq, %l, %inf : f32
  %share = arith.select %isInf, %neg, %ninf : f32
  %topInf = arith.cmpf oeq, %top, %inf : f32
  %topNinf = arith.cmpf oeq, %top, %ninf : f32
  %r0 = arith.select %topInf, %share, %v : f32
  %r = arith.select %topNinf, %ninf, %r0 : f32
  return %r : f32
}

// Entry `e`'s id (the logprob's bits follow it).
func.func private @nhc_logprob_store_id(%out: memref<?xi32>, %e: index,
                                        %id: index) {
  %c2 = arith.constant 2 : index
  %at = arith.muli %e, %c2 : index
  %id32 = arith.index_cast %id : index to i32
  memref.store %id32, %out[%at] : memref<?xi32>
  return
}

// Entry `e` = (id, logprob).
func.func private @nhc_logprob_store(%out: memref<?xi32>, %e: index,
                                     %id: i32, %lp: f32) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %at = arith.muli %e, %c2 : index
  %at1 = arith.addi %at, %c1 : index
  %bits = arith.bitcast %lp : f32 to i32
  memref.store %id, %out[%at] : memref<?xi32>
  memref.store %bits, %out[%at1] : memref<?xi32>
  return
}

// Row r's entry 0: its picked id and logprob (-inf outside [0, V)).
func.func private @nhc_logprob_write_picked(%logits: memref<?xf32>,
    %row: index, %V: index, %picked: memref<?xi32>, %r: index,
    %out: memref<?xi32>, %base: index, %top: f32, %logSum: f64) {
  %k0 = arith.constant 0 : i32
  %ninf = arith.constant 0xFF800000 : f32
  %p = memref.load %picked[%r] : memref<?xi32>
  %V64 = arith.index_cast %V : index to i64
  %p64 = arith.extsi %p : i32 to i64
  %nonNeg = arith.cmpi sge, %p, %k0 : i32
  %below = arith.cmpi slt, %p64, %V64 : i64
  %inside = arith.andi %nonNeg, %below : i1
  %lp = scf.if %inside -> (f32) {
    %pi = arith.index_cast %p : i32 to index
    %at = arith.addi %row, %pi : index
    %l = memref.load %logits[%at] : memref<?xf32>
    %v = func.call @nhc_logprob_of(%l, %top, %logSum) : (f32, f32, f64) -> f32
    scf.yield %v : f32
  } else {
    scf.yield %ninf : f32
  }
  func.call @nhc_logprob_store(%out, %base, %p, %lp)
      : (memref<?xi32>, index, i32, f32) -> ()
  return
}

// A row holding NaN, the first at `firstNan`: entry 0 (picked[r], NaN),
// entry 1 (-1 - firstNan, NaN: nhc_argmax_id's code), the rest (-1, NaN).
func.func private @nhc_logprob_nan_row(%picked: memref<?xi32>,
    %out: memref<?xi32>, %r: index, %base: index, %N: index,
    %firstNan: index) {
  %c1 = arith.constant 1 : index
  %none = arith.constant -1 : i32
  %nan = arith.constant 0x7FC00000 : f32
  %p = memref.load %picked[%r] : memref<?xi32>
  func.call @nhc_logprob_store(%out, %base, %p, %nan)
      : (memref<?xi32>, index, i32, f32) -> ()
  %code = func.call @nhc_argmax_id(%nan, %firstNan) : (f32, index) -> i32
  %end = arith.addi %N, %c1 : index
  scf.for %e = %c1 to %end step %c1 {
    %at = arith.addi %base, %e : index
    %first = arith.cmpi eq, %e, %c1 : index
    %id = arith.select %first, %code, %none : i32
    func.call @nhc_logprob_store(%out, %at, %id, %nan)
        : (memref<?xi32>, index, i32, f32) -> ()
  }
  return
}

// Entries 1 .. M of row `base` hold the M most likely ids in any order:
// sorts them by rank (nhc_argmax_better's order: logit descending, then
// lower id; a selection sort, M <= NHC_MAX_TOP_LOGPROBS), writes their
// logprobs, and fills entries M + 1 .. N with (-1, -inf).
func.func private @nhc_logprob_finish(%logits: memref<?xf32>, %row: index,
    %out: memref<?xi32>, %base: index, %M: index, %N: index, %top: f32,
    %logSum: f64) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %none = arith.constant -1 : i32
  %ninf = arith.constant 0xFF800000 : f32
  %end = arith.addi %M, %c1 : index
  scf.for %e = %c1 to %end step %c1 {
    %here = arith.addi %base, %e : index
    %hereAt = arith.muli %here, %c2 : index
    %hid = memref.load %out[%hereAt] : memref<?xi32>
    %hidx = arith.index_cast %hid : i32 to index
    %hl = func.call @nhc_logprob_logit(%logits, %row, %hidx)
        : (memref<?xf32>, index, index) -> f32
    %next = arith.addi %e, %c1 : index
    %pick:3 = scf.for %f = %next to %end step %c1
        iter_args(%bv = %hl, %bi = %hidx, %bf = %e) -> (f32, index, index) {
      %at = arith.addi %base, %f : index
      %fAt = arith.muli %at, %c2 : index
      %fid = memref.load %out[%fAt] : memref<?xi32>
      %fidx = arith.index_cast %fid : i32 to index
      %fl = func.call @nhc_logprob_logit(%logits, %row, %fidx)
          : (memref<?xf32>, index, index) -> f32
      %w:2 = func.call @nhc_argmax_better(%fl, %fidx, %bv, %bi)
          : (f32, index, f32, index) -> (f32, index)
      %moved = arith.cmpi ne, %w#1, %bi : index
      %nf = arith.select %moved, %f, %bf : index
      scf.yield %w#0, %w#1, %nf : f32, index, index
    }
    // Swap the best into place: its slot takes this entry's id.
    %from = arith.addi %base, %pick#2 : index
    func.call @nhc_logprob_store_id(%out, %from, %hidx)
        : (memref<?xi32>, index, index) -> ()
    %id = arith.index_cast %pick#1 : index to i32
    %lp = func.call @nhc_logprob_of(%pick#0, %top, %logSum)
        : (f32, f32, f64) -> f32
    func.call @nhc_logprob_store(%out, %here, %id, %lp)
        : (memref<?xi32>, index, i32, f32) -> ()
  }
  %stop = arith.addi %N, %c1 : index
  scf.for %e = %end to %stop step %c1 {
    %at = arith.addi %base, %e : index
    func.call @nhc_logprob_store(%out, %at, %none, %ninf)
        : (memref<?xi32>, index, i32, f32) -> ()
  }
  return
}

func.func private @nhc_logprob_logit(%logits: memref<?xf32>, %row: index,
                                     %id: index) -> f32 {
  %at = arith.addi %row, %id : index
  %l = memref.load %logits[%at] : memref<?xf32>
  return %l : f32
}
