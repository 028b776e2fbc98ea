// The request table (docs/execution-model.md): one row of four i64 per
// request of the step.

// Request r's (token_offset, num_tokens, start_pos, slot).
func.func private @nhc_request(%req: memref<?xi64>, %r: index)
    -> (index, index, index, index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %r4 = arith.muli %r, %c4 : index
  %off64 = memref.load %req[%r4] : memref<?xi64>
  %i1 = arith.addi %r4, %c1 : index
  %n64 = memref.load %req[%i1] : memref<?xi64>
  %i2 = arith.addi %r4, %c2 : index
  %start64 = memref.load %req[%i2] : memref<?xi64>
  %i3 = arith.addi %r4, %c3 : index
  %slot64 = memref.load %req[%i3] : memref<?xi64>
  %off = arith.index_cast %off64 : i64 to index
  %n = arith.index_cast %n64 : i64 to index
  %start = arith.index_cast %start64 : i64 to index
  %slot = arith.index_cast %slot64 : i64 to index
  return %off, %n, %start, %slot : index, index, index, index
}

// The request that flat token %tok belongs to: the last r < R whose
// token_offset is at most %tok (requests' tokens are concatenated in batch
// order, so the offsets ascend), by halving [0, R). A GPU form's block over
// the step's flat tokens finds its request so; the caller still checks
// %tok < token_offset + num_tokens. Needs R >= 1.
func.func private @nhc_request_of_token(%req: memref<?xi64>, %R: index,
                                        %tok: index) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %tok64 = arith.index_cast %tok : index to i64
  %range:2 = scf.while (%lo = %c0, %hi = %R) : (index, index)
      -> (index, index) {
    %width = arith.subi %hi, %lo : index
    %open = arith.cmpi ugt, %width, %c1 : index
    scf.condition(%open) %lo, %hi : index, index
  } do {
  ^bb0(%lo: index, %hi: index):
    %sum = arith.addi %lo, %hi : index
    %mid = arith.divui %sum, %c2 : index
    %at = arith.muli %mid, %c4 : index
    %start = memref.load %req[%at] : memref<?xi64>
    %atOrBefore = arith.cmpi sle, %start, %tok64 : i64
    %lo2 = arith.select %atOrBefore, %mid, %lo : index
    %hi2 = arith.select %atOrBefore, %hi, %mid : index
    scf.yield %lo2, %hi2 : index, index
  }
  return %range#0 : index
}
