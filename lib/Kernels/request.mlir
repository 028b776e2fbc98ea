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
