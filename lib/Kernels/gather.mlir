// Row gathers: the last token of each request.

// out[r, :] = x[token_offset_r + num_tokens_r - 1, :]
func.func @nhc_gather_last(%x: memref<?xf32>, %req: memref<?xi64>,
                           %out: memref<?xf32>, %R: index, %H: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.parallel (%r, %j) = (%c0, %c0) to (%R, %H) step (%c1, %c1) {
    %r4 = arith.muli %r, %c4 : index
    %off64 = memref.load %req[%r4] : memref<?xi64>
    %r4n = arith.addi %r4, %c1 : index
    %n64 = memref.load %req[%r4n] : memref<?xi64>
    %off = arith.index_cast %off64 : i64 to index
    %n = arith.index_cast %n64 : i64 to index
    %end = arith.addi %off, %n : index
    %last = arith.subi %end, %c1 : index
    %rowIn = arith.muli %last, %H : index
    %src = arith.addi %rowIn, %j : index
    %v = memref.load %x[%src] : memref<?xf32>
    %rowOut = arith.muli %r, %H : index
    %dst = arith.addi %rowOut, %j : index
    memref.store %v, %out[%dst] : memref<?xf32>
    scf.reduce
  }
  return
}
