// Causal GQA attention over a per-slot KV cache (no positional embedding).
//
// Phase 1 appends each request's new K/V rows at positions start_pos.. of its
// slot. Phase 2 (a separate parallel loop, so on the GPU a separate kernel
// that sees all of phase 1) runs per (request, KV head) and for each new
// token in order, for the query heads of the KV head's group together, an
// online softmax over positions 0 .. start_pos + i in blocks of kBlock = 32:
//   s_j = (q . k_j) * scale for the block, m' = max(m, max_j s_j),
//   p_j = exp(s_j - m'), l' = l * exp(m - m') + sum_j p_j,
//   o' = o * exp(m - m') + sum_j p_j v_j,   out = o / l
// The group's heads share each block of K/V rows while it is in cache (32
// positions: the block's K and V, 32 KiB at D = 128, stay in Zen 5's 48 KiB
// L1 for the group's later heads; blocks of 64 measured 15-20 % slower at
// 8k context), and a block's scores, exponentials and updates are
// independent loops (one exp per position, vectorizable) instead of one
// serial chain per position. The
// accumulator o lives in `out` itself; m and l of up to kHeads = 64 heads at
// a time in small buffers (larger groups run in chunks of 64 heads). The
// group's first head prefetches the K and V rows one block ahead in its
// scores and p·V loops while those rows precede the step's own (a hint):
// without it a decode waited on the cache's loads (about 20 % more
// attention time at 8k context); over rows a prefill's append had just
// written it cost time (docs/benchmarks.md).
// A request @nhc_attention_prefill_fits accepts (8 or more new tokens)
// takes the prefill path of attention_prefill.mlir instead (the same online
// softmax in another loop order, its scores summed over D without a lane
// reduction per position).
// Cache layout per slot: [max_seq, Hkv, D]; kv head of query head h is
// h / (Hq / Hkv). `partials` and `splits` are the GPU form's split of a
// decode over the KV length (attention_gpu.mlir), `gemm_precision` (the
// session's nhc_gemm_precision_t) its prefill products' passes, and `T`
// (the step's tokens) tells it a step of one token per request (T == R)
// has no prefill to launch; this form needs none of them.
// nhc_attention_bf16_kv (nhc-add-bf16-state-kernels) is this kernel, GPU
// form included, with both caches as bf16 bits (memref<?xi16>): appends
// round K and V to bf16, reads widen them; half the cache's bytes.
func.func @nhc_attention(%qkv: memref<?xf32>, %qkv_stride: index,
                         %q_offset: index, %k_offset: index, %v_offset: index,
                         %k_cache: memref<?xf32> {nhc.bf16_state},
                         %v_cache: memref<?xf32> {nhc.bf16_state},
                         %out: memref<?xf32>, %partials: memref<?xf32>,
                         %req: memref<?xi64>, %R: index,
                         %Hq: index, %Hkv: index, %D: index, %max_seq: index,
                         %splits: index, %scale: f32,
                         %gemm_precision: index, %T: index)
    attributes {nhc.bf16_state_form = "nhc_attention_bf16_kv"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %rowKV = arith.muli %Hkv, %D : index
  %slotElems = arith.muli %max_seq, %rowKV : index
  %rowOut = arith.muli %Hq, %D : index
  %group = arith.divui %Hq, %Hkv : index

  // Phase 1: append K and V.
  scf.parallel (%r, %j) = (%c0, %c0) to (%R, %rowKV) step (%c1, %c1) {
    %off, %n, %start, %slot = func.call @nhc_request(%req, %r)
        : (memref<?xi64>, index) -> (index, index, index, index)
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

  // Phase 2: attention of every new query over its request's cache (the
  // 64-float score buffers hold a block).
  %kBlock = arith.constant 32 : index
  %kHeads = arith.constant 64 : index
  %true = arith.constant true
  %false = arith.constant false
  // The prefetches' distance: one block of positions.
  %aheadKV = arith.muli %kBlock, %rowKV : index
  scf.parallel (%r, %kvh) = (%c0, %c0) to (%R, %Hkv) step (%c1, %c1) {
    %off, %n, %start, %slot = func.call @nhc_request(%req, %r)
        : (memref<?xi64>, index) -> (index, index, index, index)
    %slotBase = arith.muli %slot, %slotElems : index
    %kvcol = arith.muli %kvh, %D : index
    %kvbase = arith.addi %slotBase, %kvcol : index
    %hFirst = arith.muli %kvh, %group : index
    %tiled = func.call @nhc_attention_prefill_fits(%n, %D)
        : (index, index) -> i1
    scf.if %tiled {
      func.call @nhc_attention_prefill_tiles(%qkv, %qkv_stride, %q_offset, %k_cache, %v_cache, %out, %kvbase, %rowKV, %rowOut, %off, %n, %start, %hFirst, %group, %D, %scale)
          : (memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, index, index, index, index, index, index, index, f32) -> ()
    } else {
      %sbuf = memref.alloca() : memref<64xf32>
      %mbuf = memref.alloca() : memref<64xf32>
      %lbuf = memref.alloca() : memref<64xf32>
      %mDyn = memref.cast %mbuf : memref<64xf32> to memref<?xf32>
      %lDyn = memref.cast %lbuf : memref<64xf32> to memref<?xf32>
      scf.for %i = %c0 to %n step %c1 {
        %tok = arith.addi %off, %i : index
        %qrow = arith.muli %tok, %qkv_stride : index
        %orow = arith.muli %tok, %rowOut : index
        %last = arith.addi %start, %i : index
        %len = arith.addi %last, %c1 : index
        scf.for %g0 = %c0 to %group step %kHeads {
          %gEnd0 = arith.addi %g0, %kHeads : index
          %gEnd = arith.minui %gEnd0, %group : index
          %gn = arith.subi %gEnd, %g0 : index
          %h0 = arith.addi %hFirst, %g0 : index
          scf.for %g = %c0 to %gn step %c1 {
            memref.store %ninf, %mbuf[%g] : memref<64xf32>
            memref.store %zero, %lbuf[%g] : memref<64xf32>
            %h = arith.addi %h0, %g : index
            %hD = arith.muli %h, %D : index
            %obase = arith.addi %orow, %hD : index
            scf.for %dd = %c0 to %D step %c1 {
              %oi = arith.addi %obase, %dd : index
              memref.store %zero, %out[%oi] : memref<?xf32>
            }
          }
          scf.for %b0 = %c0 to %len step %kBlock {
            %bEnd0 = arith.addi %b0, %kBlock : index
            %bEnd = arith.minui %bEnd0, %len : index
            %bn = arith.subi %bEnd, %b0 : index
            scf.for %g = %c0 to %gn step %c1 {
              %h = arith.addi %h0, %g : index
              %hD = arith.muli %h, %D : index
              %qcol = arith.addi %q_offset, %hD : index
              %qbase = arith.addi %qrow, %qcol : index
              %obase = arith.addi %orow, %hD : index
              // The group's first head fetches the next block's rows when
              // they precede this step's (which its append just wrote).
              %firstHead = arith.cmpi eq, %g, %c0 : index
              %olderRows = arith.cmpi ult, %bEnd, %start : index
              %prefetch = arith.andi %firstHead, %olderRows : i1
              // Scores of the block and their maximum (a copy of the loop
              // for each value of %prefetch, so the plain one has no branch).
              %bmax = scf.if %prefetch -> (f32) {
                %x = func.call @nhc_attention_scores(%qkv, %qbase, %k_cache, %kvbase, %rowKV, %b0, %bn, %D, %scale, %sbuf, %true, %aheadKV)
                    : (memref<?xf32>, index, memref<?xf32>, index, index, index, index, index, f32, memref<64xf32>, i1, index) -> f32
                scf.yield %x : f32
              } else {
                %x = func.call @nhc_attention_scores(%qkv, %qbase, %k_cache, %kvbase, %rowKV, %b0, %bn, %D, %scale, %sbuf, %false, %aheadKV)
                    : (memref<?xf32>, index, memref<?xf32>, index, index, index, index, index, f32, memref<64xf32>, i1, index) -> f32
                scf.yield %x : f32
              }
              %vfirst = arith.muli %b0, %rowKV : index
              %vbase = arith.addi %kvbase, %vfirst : index
              scf.if %prefetch {
                func.call @nhc_attention_softmax_pv(%sbuf, %bn, %bmax, %mDyn, %lDyn, %g, %out, %obase, %v_cache, %vbase, %rowKV, %D, %true, %aheadKV)
                    : (memref<64xf32>, index, f32, memref<?xf32>, memref<?xf32>, index, memref<?xf32>, index, memref<?xf32>, index, index, index, i1, index) -> ()
              } else {
                func.call @nhc_attention_softmax_pv(%sbuf, %bn, %bmax, %mDyn, %lDyn, %g, %out, %obase, %v_cache, %vbase, %rowKV, %D, %false, %aheadKV)
                    : (memref<64xf32>, index, f32, memref<?xf32>, memref<?xf32>, index, memref<?xf32>, index, memref<?xf32>, index, index, index, i1, index) -> ()
              }
            }
          }
          scf.for %g = %c0 to %gn step %c1 {
            %l = memref.load %lbuf[%g] : memref<64xf32>
            %h = arith.addi %h0, %g : index
            %hD = arith.muli %h, %D : index
            %obase = arith.addi %orow, %hD : index
            scf.for %dd = %c0 to %D step %c1 {
              %oi = arith.addi %obase, %dd : index
              %ov = memref.load %out[%oi] : memref<?xf32>
              %o2 = arith.divf %ov, %l : f32
              memref.store %o2, %out[%oi] : memref<?xf32>
            }
          }
        }
      }
    }
    scf.reduce
  }
  return
}

// One block's online-softmax update of a (query, head) pair: its m and l at
// m[mi], l[mi], its o in out[obase, +D), the block's scores s[0, bn) with
// maximum bmax (turned into probabilities in place), V's block rows from
// vbase. m' = max(m, bmax), p_j = exp(s_j - m'), l' = l exp(m - m') +
// sum_j p_j, o' = o exp(m - m') + sum_j p_j v_j (@nhc_attention_pv, which
// prefetches `ahead` elements on with `prefetch`).
func.func private @nhc_attention_softmax_pv(%s: memref<64xf32>, %bn: index,
                                            %bmax: f32, %m: memref<?xf32>,
                                            %l: memref<?xf32>, %mi: index,
                                            %out: memref<?xf32>, %obase: index,
                                            %v_cache: memref<?xf32>,
                                            %vbase: index, %rowKV: index,
                                            %D: index, %prefetch: i1,
                                            %ahead: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %mOld = memref.load %m[%mi] : memref<?xf32>
  %m2 = arith.maximumf %mOld, %bmax : f32
  %dm = arith.subf %mOld, %m2 : f32
  %corr = math.exp %dm : f32
  %psum = scf.for %j = %c0 to %bn step %c1 iter_args(%acc = %zero) -> (f32) {
    %sc = memref.load %s[%j] : memref<64xf32>
    %ds = arith.subf %sc, %m2 : f32
    %pexp = math.exp %ds : f32
    memref.store %pexp, %s[%j] : memref<64xf32>
    %acc2 = arith.addf %acc, %pexp fastmath<reassoc> : f32
    scf.yield %acc2 : f32
  }
  %lOld = memref.load %l[%mi] : memref<?xf32>
  %lc = arith.mulf %lOld, %corr : f32
  %l2 = arith.addf %lc, %psum : f32
  memref.store %l2, %l[%mi] : memref<?xf32>
  memref.store %m2, %m[%mi] : memref<?xf32>
  func.call @nhc_attention_pv(%out, %obase, %corr, %v_cache, %vbase, %rowKV, %s, %bn, %D, %prefetch, %ahead)
      : (memref<?xf32>, index, f32, memref<?xf32>, index, index, memref<64xf32>, index, index, i1, index) -> ()
  return
}

// s_j = (q . k_j) * scale into p[j] for the block's bn positions from b0
// (K rows `rowKV` apart from kvbase, q at qbase), returning their maximum.
// With `prefetch`, the K elements `ahead` on (the next block's row) are
// prefetched.
func.func private @nhc_attention_scores(%qkv: memref<?xf32>, %qbase: index,
                                        %k_cache: memref<?xf32>,
                                        %kvbase: index, %rowKV: index,
                                        %b0: index, %bn: index, %D: index,
                                        %scale: f32, %p: memref<64xf32>,
                                        %prefetch: i1, %ahead: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %bmax = scf.for %j = %c0 to %bn step %c1 iter_args(%mx = %ninf) -> (f32) {
    %pos = arith.addi %b0, %j : index
    %prow = arith.muli %pos, %rowKV : index
    %pbase = arith.addi %kvbase, %prow : index
    scf.if %prefetch {
      %pnext = arith.addi %pbase, %ahead : index
      scf.for %dd = %c0 to %D step %c16 {
        %ki = arith.addi %pnext, %dd : index
        memref.prefetch %k_cache[%ki], read, locality<3>, data : memref<?xf32>
      }
    }
    %dot = scf.for %dd = %c0 to %D step %c1 iter_args(%a = %zero) -> (f32) {
      %qi = arith.addi %qbase, %dd : index
      %ki = arith.addi %pbase, %dd : index
      %qv = memref.load %qkv[%qi] : memref<?xf32>
      %kv = memref.load %k_cache[%ki] : memref<?xf32>
      %prod = arith.mulf %qv, %kv : f32
      %a2 = arith.addf %a, %prod fastmath<reassoc> : f32
      scf.yield %a2 : f32
    }
    %sc = arith.mulf %dot, %scale : f32
    memref.store %sc, %p[%j] : memref<64xf32>
    %mx2 = arith.maximumf %mx, %sc : f32
    scf.yield %mx2 : f32
  }
  return %bmax : f32
}

// out[obase + d] = out[obase + d] corr + sum_j p[j] V[vbase + j rowKV + d]
// for d < D, the sum over the block's bn positions in order (as a product
// then a sum each, the arithmetic the loop nest had), the output columns
// kept in registers over the block (each V element loaded once, the output
// row not reloaded per position): 64 columns (four 16-lane sums) at a time,
// then 16, the last D % 16 one at a time. With `prefetch`, the V elements
// `ahead` on (the next block's row) are prefetched.
func.func private @nhc_attention_pv(%out: memref<?xf32>, %obase: index,
                                    %corr: f32, %v_cache: memref<?xf32>,
                                    %vbase: index, %rowKV: index,
                                    %p: memref<64xf32>, %bn: index,
                                    %D: index, %prefetch: i1,
                                    %ahead: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %blocks = arith.divui %D, %c16 : index
  %dFull = arith.muli %blocks, %c16 : index
  %corrv = vector.broadcast %corr : f32 to vector<16xf32>
  %c32 = arith.constant 32 : index
  %c48 = arith.constant 48 : index
  %c64 = arith.constant 64 : index
  %quads = arith.divui %D, %c64 : index
  %dQuads = arith.muli %quads, %c64 : index
  // 64 columns at a time: four independent sums per position (one sum's
  // chain of dependent adds was the loop's bound).
  scf.for %d = %c0 to %dQuads step %c64 {
    %oi0 = arith.addi %obase, %d : index
    %oi1 = arith.addi %oi0, %c16 : index
    %oi2 = arith.addi %oi0, %c32 : index
    %oi3 = arith.addi %oi0, %c48 : index
    %ov0 = vector.load %out[%oi0] : memref<?xf32>, vector<16xf32>
    %ov1 = vector.load %out[%oi1] : memref<?xf32>, vector<16xf32>
    %ov2 = vector.load %out[%oi2] : memref<?xf32>, vector<16xf32>
    %ov3 = vector.load %out[%oi3] : memref<?xf32>, vector<16xf32>
    %start0 = arith.mulf %ov0, %corrv : vector<16xf32>
    %start1 = arith.mulf %ov1, %corrv : vector<16xf32>
    %start2 = arith.mulf %ov2, %corrv : vector<16xf32>
    %start3 = arith.mulf %ov3, %corrv : vector<16xf32>
    %vcol = arith.addi %vbase, %d : index
    %acc:4 = scf.for %j = %c0 to %bn step %c1
        iter_args(%a0 = %start0, %a1 = %start1, %a2 = %start2, %a3 = %start3)
        -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
      %pj = memref.load %p[%j] : memref<64xf32>
      %pv = vector.broadcast %pj : f32 to vector<16xf32>
      %jrow = arith.muli %j, %rowKV : index
      %vi0 = arith.addi %vcol, %jrow : index
      %vi1 = arith.addi %vi0, %c16 : index
      %vi2 = arith.addi %vi0, %c32 : index
      %vi3 = arith.addi %vi0, %c48 : index
      scf.if %prefetch {
        %next0 = arith.addi %vi0, %ahead : index
        %next1 = arith.addi %vi1, %ahead : index
        %next2 = arith.addi %vi2, %ahead : index
        %next3 = arith.addi %vi3, %ahead : index
        memref.prefetch %v_cache[%next0], read, locality<3>, data : memref<?xf32>
        memref.prefetch %v_cache[%next1], read, locality<3>, data : memref<?xf32>
        memref.prefetch %v_cache[%next2], read, locality<3>, data : memref<?xf32>
        memref.prefetch %v_cache[%next3], read, locality<3>, data : memref<?xf32>
      }
      %v0 = vector.load %v_cache[%vi0] : memref<?xf32>, vector<16xf32>
      %v1 = vector.load %v_cache[%vi1] : memref<?xf32>, vector<16xf32>
      %v2 = vector.load %v_cache[%vi2] : memref<?xf32>, vector<16xf32>
      %v3 = vector.load %v_cache[%vi3] : memref<?xf32>, vector<16xf32>
      %p0 = arith.mulf %pv, %v0 : vector<16xf32>
      %p1 = arith.mulf %pv, %v1 : vector<16xf32>
      %p2 = arith.mulf %pv, %v2 : vector<16xf32>
      %p3 = arith.mulf %pv, %v3 : vector<16xf32>
      %n0 = arith.addf %a0, %p0 : vector<16xf32>
      %n1 = arith.addf %a1, %p1 : vector<16xf32>
      %n2 = arith.addf %a2, %p2 : vector<16xf32>
      %n3 = arith.addf %a3, %p3 : vector<16xf32>
      scf.yield %n0, %n1, %n2, %n3
          : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
    }
    vector.store %acc#0, %out[%oi0] : memref<?xf32>, vector<16xf32>
    vector.store %acc#1, %out[%oi1] : memref<?xf32>, vector<16xf32>
    vector.store %acc#2, %out[%oi2] : memref<?xf32>, vector<16xf32>
    vector.store %acc#3, %out[%oi3] : memref<?xf32>, vector<16xf32>
  }
  scf.for %d = %dQuads to %dFull step %c16 {
    %oi = arith.addi %obase, %d : index
    %ov = vector.load %out[%oi] : memref<?xf32>, vector<16xf32>
    %start = arith.mulf %ov, %corrv : vector<16xf32>
    %vcol = arith.addi %vbase, %d : index
    %acc = scf.for %j = %c0 to %bn step %c1 iter_args(%a = %start)
        -> (vector<16xf32>) {
      %pj = memref.load %p[%j] : memref<64xf32>
      %pv = vector.broadcast %pj : f32 to vector<16xf32>
      %jrow = arith.muli %j, %rowKV : index
      %vi = arith.addi %vcol, %jrow : index
      scf.if %prefetch {
        %vnext = arith.addi %vi, %ahead : index
        memref.prefetch %v_cache[%vnext], read, locality<3>, data : memref<?xf32>
      }
      %vv = vector.load %v_cache[%vi] : memref<?xf32>, vector<16xf32>
      %prod = arith.mulf %pv, %vv : vector<16xf32>
      %a2 = arith.addf %a, %prod : vector<16xf32>
      scf.yield %a2 : vector<16xf32>
    }
    vector.store %acc, %out[%oi] : memref<?xf32>, vector<16xf32>
  }
  scf.for %d = %dFull to %D step %c1 {
    %oi = arith.addi %obase, %d : index
    %ov = memref.load %out[%oi] : memref<?xf32>
    %start = arith.mulf %ov, %corr : f32
    %vcol = arith.addi %vbase, %d : index
    %acc = scf.for %j = %c0 to %bn step %c1 iter_args(%a = %start) -> (f32) {
      %pj = memref.load %p[%j] : memref<64xf32>
      %jrow = arith.muli %j, %rowKV : index
      %vi = arith.addi %vcol, %jrow : index
      %vv = memref.load %v_cache[%vi] : memref<?xf32>
      %prod = arith.mulf %pj, %vv : f32
      %a2 = arith.addf %a, %prod : f32
      scf.yield %a2 : f32
    }
    memref.store %acc, %out[%oi] : memref<?xf32>
  }
  return
}
