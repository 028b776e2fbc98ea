// Greedy decoding on the device: each logits row's argmax, so that a decode
// step returns token ids instead of its [R, vocab] logits. Named in
// nhc/format/library_kernels.h; not called by plans. GPU form:
// argmax_gpu.mlir.

// out[r] = argmax_j logits[r * V + j] for r < R: the first index of the
// largest value (the serving sampler's argmax, nhc/serving/sampler.h), or
// -1 - j for the first NaN j of a row that holds NaN: such logits come from
// weights or inputs holding NaN and have no token to pick (the sampler's
// callers refuse them too, naming j). The GPU form reads each row as
// max(S, 1) slices, a block each, and keeps each slice's best in
// `partials` (f32 scratch, at least 2 R max(S, 1) elements: its value and
// its index's bits) for a second launch to pick from; the host form reads
// neither.
func.func @nhc_argmax_rows(%logits: memref<?xf32>, %out: memref<?xi32>,
                           %R: index, %V: index, %partials: memref<?xf32>,
                           %S: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%r) = (%c0) to (%R) step (%c1) {
    %row = arith.muli %r, %V : index
    %first = memref.load %logits[%row] : memref<?xf32>
    %best:2 = scf.for %j = %c1 to %V step %c1
        iter_args(%bv = %first, %bi = %c0) -> (f32, index) {
      %at = arith.addi %row, %j : index
      %v = memref.load %logits[%at] : memref<?xf32>
      %r2:2 = func.call @nhc_argmax_better(%v, %j, %bv, %bi)
          : (f32, index, f32, index) -> (f32, index)
      scf.yield %r2#0, %r2#1 : f32, index
    }
    %id = func.call @nhc_argmax_id(%best#0, %best#1) : (f32, index) -> i32
    memref.store %id, %out[%r] : memref<?xi32>
    scf.reduce
  }
  return
}

// The better of two (value, index) candidates in argmax order: NaN before
// numbers; among NaN the smaller index; among numbers the larger value,
// then the smaller index. A total order, so any grouping of a row's
// candidates picks the same one.
func.func private @nhc_argmax_better(%a: f32, %ia: index, %b: f32,
                                     %ib: index) -> (f32, index) {
  %aNan = arith.cmpf uno, %a, %a : f32
  %bNan = arith.cmpf uno, %b, %b : f32
  %greater = arith.cmpf ogt, %a, %b : f32
  %equal = arith.cmpf oeq, %a, %b : f32
  %before = arith.cmpi ult, %ia, %ib : index
  %tieFirst = arith.andi %equal, %before : i1
  %numberWins = arith.ori %greater, %tieFirst : i1
  // a a number: it wins over a number b by value, never over NaN b.
  %false = arith.constant false
  %aNumberWins = arith.select %bNan, %false, %numberWins : i1
  // a NaN: it wins over a number b, and over NaN b with a larger index.
  %true = arith.constant true
  %nanWins = arith.select %bNan, %before, %true : i1
  %aWins = arith.select %aNan, %nanWins, %aNumberWins : i1
  %v = arith.select %aWins, %a, %b : f32
  %i = arith.select %aWins, %ia, %ib : index
  return %v, %i : f32, index
}

// The id a row's best candidate gives: its index, or -1 - index if it is
// NaN (the row's first NaN: nhc_argmax_better puts NaN first).
func.func private @nhc_argmax_id(%v: f32, %i: index) -> i32 {
  %isNan = arith.cmpf uno, %v, %v : f32
  %i32 = arith.index_cast %i : index to i32
  %minusOne = arith.constant -1 : i32
  %nanId = arith.subi %minusOne, %i32 : i32
  %id = arith.select %isNan, %nanId, %i32 : i32
  return %id : i32
}
