// Logit edits on the device: each edit (nhc/runtime/logit_edits.h) applied
// to its token of its row in place, so that a step whose requests have
// biases, banned ids or penalties picks its tokens there instead of
// copying its [R, vocab] logits out. Named in nhc/format/library_kernels.h
// (kEditLogits); not called by plans. An edit is one (row, id), so the
// edits of a step touch distinct logits: one parallel iteration each, no
// order among them. GPU body: its parallel loop mapped to blocks.

// logits[edit.row * V + edit.id] = the edit applied (the order of
// nhc_logit_edit_t: += bias, banned -> -inf but NaN stays NaN, the
// repetition penalty, -= frequency, -= presence). `edits` holds E edits of kLogitEditWords i32
// each, nhc_logit_edit_t's layout (floats as their bits).
func.func @nhc_edit_logits(%logits: memref<?xf32>, %edits: memref<?xi32>,
                           %E: index, %V: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c7 = arith.constant 7 : index
  %k0 = arith.constant 0 : i32
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  scf.parallel (%e) = (%c0) to (%E) step (%c1) {
    %base = arith.muli %e, %c7 : index
    %a1 = arith.addi %base, %c1 : index
    %a2 = arith.addi %base, %c2 : index
    %a3 = arith.addi %base, %c3 : index
    %a4 = arith.addi %base, %c4 : index
    %a5 = arith.addi %base, %c5 : index
    %a6 = arith.addi %base, %c6 : index
    %row32 = memref.load %edits[%base] : memref<?xi32>
    %id32 = memref.load %edits[%a1] : memref<?xi32>
    %biasBits = memref.load %edits[%a2] : memref<?xi32>
    %banned = memref.load %edits[%a3] : memref<?xi32>
    %repBits = memref.load %edits[%a4] : memref<?xi32>
    %freqBits = memref.load %edits[%a5] : memref<?xi32>
    %presBits = memref.load %edits[%a6] : memref<?xi32>
    %row = arith.index_castui %row32 : i32 to index
    %id = arith.index_castui %id32 : i32 to index
    %rowStart = arith.muli %row, %V : index
    %at = arith.addi %rowStart, %id : index
    %bias = arith.bitcast %biasBits : i32 to f32
    %rep = arith.bitcast %repBits : i32 to f32
    %freq = arith.bitcast %freqBits : i32 to f32
    %pres = arith.bitcast %presBits : i32 to f32
    %l = memref.load %logits[%at] : memref<?xf32>
    %biased = arith.addf %l, %bias : f32
    // A ban keeps NaN (a row holding NaN has no token, edited or not).
    %isBanned = arith.cmpi ne, %banned, %k0 : i32
    %isNumber = arith.cmpf ord, %biased, %biased : f32
    %bans = arith.andi %isBanned, %isNumber : i1
    %l1 = arith.select %bans, %ninf, %biased : f32
    %positive = arith.cmpf ogt, %l1, %zero : f32
    %divided = arith.divf %l1, %rep : f32
    %multiplied = arith.mulf %l1, %rep : f32
    %penalized = arith.select %positive, %divided, %multiplied : f32
    %noRep = arith.cmpf oeq, %rep, %one : f32
    %l2 = arith.select %noRep, %l1, %penalized : f32
    %l3 = arith.subf %l2, %freq : f32
    %l4 = arith.subf %l3, %pres : f32
    memref.store %l4, %logits[%at] : memref<?xf32>
    scf.reduce
  }
  return
}
