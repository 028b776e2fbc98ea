// Causal GQA attention over a per-slot KV cache (no positional embedding).
//
// Phase 1 appends each request's new K/V rows at positions start_pos.. of its
// slot. Phase 2 (a separate parallel loop, so on the GPU a separate kernel
// that sees all of phase 1) runs, per (request, query head) and for each new
// token in order, an online softmax over positions 0 .. start_pos + i:
//   m' = max(m, s), l' = l * exp(m - m') + exp(s - m'),
//   o' = o * exp(m - m') + exp(s - m') * v,   out = o / l
// with s = (q . k) * scale. The accumulator o lives in `out` itself.
// Cache layout per slot: [max_seq, Hkv, D]; kv head of query head h is
// h / (Hq / Hkv).
func.func @nhc_attention(%qkv: memref<?xf32>, %qkv_stride: index,
                         %q_offset: index, %k_offset: index, %v_offset: index,
                         %k_cache: memref<?xf32>, %v_cache: memref<?xf32>,
                         %out: memref<?xf32>, %req: memref<?xi64>, %R: index,
                         %Hq: index, %Hkv: index, %D: index, %max_seq: index,
                         %scale: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %rowKV = arith.muli %Hkv, %D : index
  %slotElems = arith.muli %max_seq, %rowKV : index
  %rowOut = arith.muli %Hq, %D : index
  %group = arith.divui %Hq, %Hkv : index

  // Phase 1: append K and V.
  scf.parallel (%r, %j) = (%c0, %c0) to (%R, %rowKV) step (%c1, %c1) {
    %r4 = arith.muli %r, %c4 : index
    %off64 = memref.load %req[%r4] : memref<?xi64>
    %r4n = arith.addi %r4, %c1 : index
    %n64 = memref.load %req[%r4n] : memref<?xi64>
    %r4p = arith.addi %r4, %c2 : index
    %start64 = memref.load %req[%r4p] : memref<?xi64>
    %r4s = arith.addi %r4, %c3 : index
    %slot64 = memref.load %req[%r4s] : memref<?xi64>
    %off = arith.index_cast %off64 : i64 to index
    %n = arith.index_cast %n64 : i64 to index
    %start = arith.index_cast %start64 : i64 to index
    %slot = arith.index_cast %slot64 : i64 to index
    %slotBase = arith.muli %slot, %slotElems : index
    %kcol = arith.addi %k_offset, %j : index
    %vcol = arith.addi %v_offset, %j : index
    scf.for %i = %c0 to %n step %c1 {
      %tok = arith.addi %off, %i : index
      %row = arith.muli %tok, %qkv_stride : index
      %ki = arith.addi %row, %kcol : index
      %vi = arith.addi %row, %vcol : index
      %kv = memref.load %qkv[%ki] : memref<?xf32>
      %vv = memref.load %qkv[%vi] : memref<?xf32>
      %pos = arith.addi %start, %i : index
      %prow = arith.muli %pos, %rowKV : index
      %pbase = arith.addi %slotBase, %prow : index
      %ci = arith.addi %pbase, %j : index
      memref.store %kv, %k_cache[%ci] : memref<?xf32>
      memref.store %vv, %v_cache[%ci] : memref<?xf32>
    }
    scf.reduce
  }

  // Phase 2: attention of every new query over its request's cache.
  scf.parallel (%r, %h) = (%c0, %c0) to (%R, %Hq) step (%c1, %c1) {
    %r4 = arith.muli %r, %c4 : index
    %off64 = memref.load %req[%r4] : memref<?xi64>
    %r4n = arith.addi %r4, %c1 : index
    %n64 = memref.load %req[%r4n] : memref<?xi64>
    %r4p = arith.addi %r4, %c2 : index
    %start64 = memref.load %req[%r4p] : memref<?xi64>
    %r4s = arith.addi %r4, %c3 : index
    %slot64 = memref.load %req[%r4s] : memref<?xi64>
    %off = arith.index_cast %off64 : i64 to index
    %n = arith.index_cast %n64 : i64 to index
    %start = arith.index_cast %start64 : i64 to index
    %slot = arith.index_cast %slot64 : i64 to index
    %slotBase = arith.muli %slot, %slotElems : index
    %kvh = arith.divui %h, %group : index
    %kvcol = arith.muli %kvh, %D : index
    %kvbase = arith.addi %slotBase, %kvcol : index
    %hD = arith.muli %h, %D : index
    %qcol = arith.addi %q_offset, %hD : index
    scf.for %i = %c0 to %n step %c1 {
      %tok = arith.addi %off, %i : index
      %qrow = arith.muli %tok, %qkv_stride : index
      %qbase = arith.addi %qrow, %qcol : index
      %orow = arith.muli %tok, %rowOut : index
      %obase = arith.addi %orow, %hD : index
      scf.for %dd = %c0 to %D step %c1 {
        %oi = arith.addi %obase, %dd : index
        memref.store %zero, %out[%oi] : memref<?xf32>
      }
      %last = arith.addi %start, %i : index
      %len = arith.addi %last, %c1 : index
      %ml:2 = scf.for %pos = %c0 to %len step %c1
          iter_args(%m = %ninf, %l = %zero) -> (f32, f32) {
        %prow = arith.muli %pos, %rowKV : index
        %pbase = arith.addi %kvbase, %prow : index
        %dot = scf.for %dd = %c0 to %D step %c1 iter_args(%a = %zero) -> (f32) {
          %qi = arith.addi %qbase, %dd : index
          %ki = arith.addi %pbase, %dd : index
          %qv = memref.load %qkv[%qi] : memref<?xf32>
          %kv = memref.load %k_cache[%ki] : memref<?xf32>
          %p = arith.mulf %qv, %kv : f32
          %a2 = arith.addf %a, %p fastmath<reassoc> : f32
          scf.yield %a2 : f32
        }
        %s = arith.mulf %dot, %scale : f32
        %m2 = arith.maximumf %m, %s : f32
        %dm = arith.subf %m, %m2 : f32
        %corr = math.exp %dm : f32
        %ds = arith.subf %s, %m2 : f32
        %pexp = math.exp %ds : f32
        %lc = arith.mulf %l, %corr : f32
        %l2 = arith.addf %lc, %pexp : f32
        scf.for %dd = %c0 to %D step %c1 {
          %oi = arith.addi %obase, %dd : index
          %vi = arith.addi %pbase, %dd : index
          %ov = memref.load %out[%oi] : memref<?xf32>
          %vv = memref.load %v_cache[%vi] : memref<?xf32>
          %oc = arith.mulf %ov, %corr : f32
          %pv = arith.mulf %pexp, %vv : f32
          %o2 = arith.addf %oc, %pv : f32
          memref.store %o2, %out[%oi] : memref<?xf32>
        }
        scf.yield %m2, %l2 : f32, f32
      }
      scf.for %dd = %c0 to %D step %c1 {
        %oi = arith.addi %obase, %dd : index
        %ov = memref.load %out[%oi] : memref<?xf32>
        %o2 = arith.divf %ov, %ml#1 : f32
        memref.store %o2, %out[%oi] : memref<?xf32>
      }
    }
    scf.reduce
  }
  return
}
