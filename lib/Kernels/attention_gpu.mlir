// GPU form of attention.mlir's nhc_attention (nhc-select-kernel-variants),
// blocks of 256 threads, three launches:
//
// 1. Append: one thread per (request, column of the K/V row), 256 columns
//    per block, as the portable form.
// 2. Attend: one block per (query head, request, lane), `splits` lanes.
//    - A decode request (one new token) is split over the KV length
//      (flash-decoding): positions 0 .. len-1 go in spans of
//      span = max(256, ceil(len / splits) rounded up to 64), one span per
//      lane; lanes past the last span return. Each lane writes its
//      unnormalized partial (o[0 .. D-1], m, l) to `partials`.
//    - A prefill request's new tokens go in query tiles of 4, dealt to the
//      lanes in turn (tile w to lane w mod splits); a tile's block writes
//      its 4 outputs to `out`.
//    Either way a block walks its positions in tiles of 64. K rows are
//    staged in workgroup memory 128 columns at a time (consecutive threads
//    load consecutive floats), with the queries' columns beside them; each
//    score is a dot product over workgroup memory (a decode query's by 4
//    threads, each taking every 4th column, then added in order), then per
//    query: m' = max(m, tile max of s), p = exp(s - m'),
//    l' = l exp(m - m') + tile sum of p, o' = o exp(m - m') + sum p v
//    (one thread per output column, V read from global memory, coalesced).
//    m, l and the rescale live in workgroup memory (`stats`), o in its
//    output row (prefill) or its lane's partial (decode).
// 3. Combine (decode requests only), one block per (query head, request):
//    M = max m_z, L = sum exp(m_z - M) l_z, out = sum exp(m_z - M) o_z / L.
//
// The split depends on the request's own length only, never on the batch,
// so a request's result does not depend on the others in its step. Same
// math as the portable form in another order (tiles of 64 positions, tree
// reductions, the split). `partials` needs splits * Hq * (D + 2) floats per
// request; request r's lane z of head h starts at
// ((r * Hq + h) * splits + z) * (D + 2).
func.func private @nhc_attention_gpu(%qkv: memref<?xf32>, %qkv_stride: index,
                                     %q_offset: index, %k_offset: index,
                                     %v_offset: index,
                                     %k_cache: memref<?xf32>,
                                     %v_cache: memref<?xf32>,
                                     %out: memref<?xf32>,
                                     %partials: memref<?xf32>,
                                     %req: memref<?xi64>,
                                     %R: index, %Hq: index, %Hkv: index,
                                     %D: index, %max_seq: index,
                                     %splits: index, %scale: f32)
    attributes {nhc.gpu_variant_of = "nhc_attention"} {
  %c1 = arith.constant 1 : index
  %c255 = arith.constant 255 : index
  %c256 = arith.constant 256 : index
  %rowKV = arith.muli %Hkv, %D : index
  %rowKV255 = arith.addi %rowKV, %c255 : index
  %columnBlocks = arith.divui %rowKV255, %c256 : index
  %lanes = arith.maxui %splits, %c1 : index

  // Phase 1: append K and V.
  gpu.launch blocks(%bx, %r, %bz) in (%gx = %columnBlocks, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %step = arith.constant 256 : index
    %first = arith.muli %bx, %step : index
    %j = arith.addi %first, %tx : index
    %inRow = arith.cmpi ult, %j, %rowKV : index
    scf.if %inRow {
      %rq:4 = func.call @nhc_request(%req, %r)
          : (memref<?xi64>, index) -> (index, index, index, index)
      %slotElems = arith.muli %max_seq, %rowKV : index
      %slotBase = arith.muli %rq#3, %slotElems : index
      %kcol = arith.addi %k_offset, %j : index
      %vcol = arith.addi %v_offset, %j : index
      scf.for %i = %c0 to %rq#1 step %one {
        %tok = arith.addi %rq#0, %i : index
        %row = arith.muli %tok, %qkv_stride : index
        %ki = arith.addi %row, %kcol : index
        %vi = arith.addi %row, %vcol : index
        %kv = memref.load %qkv[%ki] : memref<?xf32>
        %vv = memref.load %qkv[%vi] : memref<?xf32>
        %pos = arith.addi %rq#2, %i : index
        %prow = arith.muli %pos, %rowKV : index
        %pbase = arith.addi %slotBase, %prow : index
        %ci = arith.addi %pbase, %j : index
        memref.store %kv, %k_cache[%ci] : memref<?xf32>
        memref.store %vv, %v_cache[%ci] : memref<?xf32>
      }
    }
    gpu.terminator
  }

  // Phase 2: every new query over its request's cache (decode: one span).
  gpu.launch blocks(%h, %r, %lane) in (%gx = %Hq, %gy = %R, %gz = %lanes)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%kt : memref<8448xf32, #gpu.address_space<workgroup>>,
                       %qt : memref<512xf32, #gpu.address_space<workgroup>>,
                       %dots : memref<256xf32, #gpu.address_space<workgroup>>,
                       %partial : memref<256xf32, #gpu.address_space<workgroup>>,
                       %probs : memref<256xf32, #gpu.address_space<workgroup>>,
                       %stats : memref<12xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %c64 = arith.constant 64 : index
    %c128 = arith.constant 128 : index
    %c256b = arith.constant 256 : index
    %zero = arith.constant 0.0 : f32
    %ninf = arith.constant 0xFF800000 : f32
    %true = arith.constant true
    %false = arith.constant false
    %rq:4 = func.call @nhc_request(%req, %r)
        : (memref<?xi64>, index) -> (index, index, index, index)
    %slotElems = arith.muli %max_seq, %rowKV : index
    %slotBase = arith.muli %rq#3, %slotElems : index
    %group = arith.divui %Hq, %Hkv : index
    %kvh = arith.divui %h, %group : index
    %kvcol = arith.muli %kvh, %D : index
    %kvbase = arith.addi %slotBase, %kvcol : index
    %hD = arith.muli %h, %D : index
    %rowOut = arith.muli %Hq, %D : index
    // Decode: 1 query, a score is 4 threads' dots; prefill: 4 queries.
    %isDecode = arith.cmpi eq, %rq#1, %one : index
    %Qt = arith.select %isDecode, %one, %c4 : index
    %parts = arith.select %isDecode, %c4, %one : index
    %qThreads = arith.divui %c256b, %Qt : index
    // K rows (128 + parts) floats apart: a warp's reads hit 32 banks.
    %kstride = arith.addi %c128, %parts : index
    %len = arith.addi %rq#2, %one : index
    %span = func.call @nhc_attention_span(%len, %lanes)
        : (index, index) -> index
    %spansM1 = arith.addi %len, %span : index
    %spans1 = arith.subi %spansM1, %one : index
    %spans = arith.divui %spans1, %span : index
    %n3 = arith.addi %rq#1, %c3 : index
    %queryTiles = arith.divui %n3, %c4 : index
    %items = arith.select %isDecode, %spans, %queryTiles : index
    %outRow = arith.muli %rq#0, %rowOut : index
    %pRequest = arith.muli %r, %Hq : index
    %pHead = arith.addi %pRequest, %h : index
    %pLanes = arith.muli %pHead, %lanes : index
    %D2 = arith.addi %D, %c2 : index
    // This thread's score: query sq, position sp of the tile (sq < Qt).
    %sq = arith.divui %tx, %c64 : index
    %sp = arith.remui %tx, %c64 : index
    %sqc = arith.minui %sq, %c3 : index
    %isLeader = arith.cmpi eq, %sp, %c0 : index
    // Its partial dot: part dp of position dpos of query dq.
    %dp = arith.remui %tx, %parts : index
    %dtp = arith.divui %tx, %parts : index
    %dpos = arith.remui %dtp, %c64 : index
    %qparts = arith.muli %c64, %parts : index
    %dq = arith.divui %tx, %qparts : index
    %dqRow = arith.muli %dq, %c128 : index
    %dkRow = arith.muli %dpos, %kstride : index
    // Its output columns: query oq, columns od, od + qThreads, ...
    %oq = arith.divui %tx, %qThreads : index
    %od = arith.remui %tx, %qThreads : index
    %oqc = arith.minui %oq, %c3 : index
    %ocorr = arith.addi %c8, %oqc : index
    %ol = arith.addi %c4, %oqc : index
    scf.for %w = %lane to %items step %lanes {
      %q0a = arith.muli %w, %c4 : index
      %q0 = arith.select %isDecode, %c0, %q0a : index
      %left = arith.subi %rq#1, %q0 : index
      %nq = arith.minui %left, %Qt : index
      %spanLo = arith.muli %w, %span : index
      %spanHi0 = arith.addi %spanLo, %span : index
      %spanHi = arith.minui %spanHi0, %len : index
      %lastTok = arith.addi %q0, %nq : index
      %prefillHi = arith.addi %rq#2, %lastTok : index
      %lo = arith.select %isDecode, %spanLo, %c0 : index
      %hi = arith.select %isDecode, %spanHi, %prefillHi : index
      // Where query oq's o lives: its partial (decode) or its output row.
      %pSlot = arith.addi %pLanes, %w : index
      %pBase = arith.muli %pSlot, %D2 : index
      %oTok = arith.addi %q0, %oq : index
      %oRow0 = arith.muli %oTok, %rowOut : index
      %oRow1 = arith.addi %outRow, %oRow0 : index
      %oRow = arith.addi %oRow1, %hD : index
      %oBase = arith.select %isDecode, %pBase, %oRow : index
      %owns = arith.cmpi ult, %oq, %nq : index
      // One thread per query of the item updates its m and l.
      %scoresQuery = arith.cmpi ult, %sq, %nq : index
      %leads = arith.andi %isLeader, %scoresQuery : i1
      %queryRow0 = arith.addi %rq#0, %q0 : index
      %resets = arith.cmpi ult, %tx, %Qt : index
      scf.if %resets {
        %li = arith.addi %tx, %c4 : index
        memref.store %ninf, %stats[%tx] : memref<12xf32, #gpu.address_space<workgroup>>
        memref.store %zero, %stats[%li] : memref<12xf32, #gpu.address_space<workgroup>>
      }
      scf.if %owns {
        // (Chosen where used: the emulation keeps no memref across a barrier.)
        %obuf = arith.select %isDecode, %partials, %out : memref<?xf32>
        scf.for %d = %od to %D step %qThreads {
          %oi = arith.addi %oBase, %d : index
          memref.store %zero, %obuf[%oi] : memref<?xf32>
        }
      }
      gpu.barrier
      scf.for %p0 = %lo to %hi step %c64 {
        %rest = arith.subi %hi, %p0 : index
        %tileN = arith.minui %rest, %c64 : index
        memref.store %zero, %dots[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
        scf.for %c0s = %c0 to %D step %c128 {
          %restD = arith.subi %D, %c0s : index
          %cw = arith.minui %restD, %c128 : index
          %kElems = arith.muli %c64, %cw : index
          scf.for %e = %tx to %kElems step %c256b {
            %pos = arith.divui %e, %cw : index
            %col = arith.remui %e, %cw : index
            %inTile = arith.cmpi ult, %pos, %tileN : index
            %kv = scf.if %inTile -> (f32) {
              %gp = arith.addi %p0, %pos : index
              %gr = arith.muli %gp, %rowKV : index
              %gb = arith.addi %kvbase, %gr : index
              %gc = arith.addi %gb, %c0s : index
              %gi = arith.addi %gc, %col : index
              %x = memref.load %k_cache[%gi] : memref<?xf32>
              scf.yield %x : f32
            } else {
              scf.yield %zero : f32
            }
            %kr = arith.muli %pos, %kstride : index
            %ki = arith.addi %kr, %col : index
            memref.store %kv, %kt[%ki] : memref<8448xf32, #gpu.address_space<workgroup>>
          }
          %qElems = arith.muli %Qt, %cw : index
          scf.for %e = %tx to %qElems step %c256b {
            %qi = arith.divui %e, %cw : index
            %col = arith.remui %e, %cw : index
            %isQuery = arith.cmpi ult, %qi, %nq : index
            %qv = scf.if %isQuery -> (f32) {
              %tok = arith.addi %queryRow0, %qi : index
              %gr = arith.muli %tok, %qkv_stride : index
              %gq = arith.addi %gr, %q_offset : index
              %gh = arith.addi %gq, %hD : index
              %gc = arith.addi %gh, %c0s : index
              %gi = arith.addi %gc, %col : index
              %x = memref.load %qkv[%gi] : memref<?xf32>
              scf.yield %x : f32
            } else {
              scf.yield %zero : f32
            }
            %qr = arith.muli %qi, %c128 : index
            %qix = arith.addi %qr, %col : index
            memref.store %qv, %qt[%qix] : memref<512xf32, #gpu.address_space<workgroup>>
          }
          gpu.barrier
          %acc0 = memref.load %dots[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
          %acc = scf.for %col = %dp to %cw step %parts iter_args(%a = %acc0) -> (f32) {
            %qix = arith.addi %dqRow, %col : index
            %kix = arith.addi %dkRow, %col : index
            %qv = memref.load %qt[%qix] : memref<512xf32, #gpu.address_space<workgroup>>
            %kv = memref.load %kt[%kix] : memref<8448xf32, #gpu.address_space<workgroup>>
            %pr = arith.mulf %qv, %kv : f32
            %a2 = arith.addf %a, %pr fastmath<reassoc> : f32
            scf.yield %a2 : f32
          }
          memref.store %acc, %dots[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
          // Every thread is done with kt and qt (and its dots slot is
          // published).
          gpu.barrier
        }
        // The score of (sq, sp): its parts' dots added in order.
        %sBase0 = arith.muli %sq, %c64 : index
        %sBase1 = arith.addi %sBase0, %sp : index
        %sBase = arith.muli %sBase1, %parts : index
        %sEnd = arith.addi %sBase, %parts : index
        %gpos = arith.addi %p0, %sp : index
        %sTok = arith.addi %q0, %sq : index
        %causal = arith.addi %rq#2, %sTok : index
        %isQuery = arith.cmpi ult, %sq, %nq : index
        %inTile = arith.cmpi ult, %sp, %tileN : index
        %notAhead = arith.cmpi ule, %gpos, %causal : index
        %v0 = arith.andi %isQuery, %inTile : i1
        %valid = arith.andi %v0, %notAhead : i1
        %sc = scf.if %valid -> (f32) {
          %dot = scf.for %k = %sBase to %sEnd step %one iter_args(%a = %zero) -> (f32) {
            %x = memref.load %dots[%k] : memref<256xf32, #gpu.address_space<workgroup>>
            %a2 = arith.addf %a, %x : f32
            scf.yield %a2 : f32
          }
          %s = arith.mulf %dot, %scale : f32
          scf.yield %s : f32
        } else {
          scf.yield %ninf : f32
        }
        %bmax = func.call @nhc_segment_reduce_256(%sc, %tx, %partial, %true, %c64)
            : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1, index) -> f32
        %m = memref.load %stats[%sqc] : memref<12xf32, #gpu.address_space<workgroup>>
        %m2 = arith.maximumf %m, %bmax : f32
        %dm = arith.subf %m, %m2 : f32
        %corr = math.exp %dm : f32
        %p = scf.if %valid -> (f32) {
          %ds = arith.subf %sc, %m2 : f32
          %x = math.exp %ds : f32
          scf.yield %x : f32
        } else {
          scf.yield %zero : f32
        }
        memref.store %p, %probs[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
        // Its barriers also publish `probs`; every thread read m before.
        %psum = func.call @nhc_segment_reduce_256(%p, %tx, %partial, %false, %c64)
            : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1, index) -> f32
        scf.if %leads {
          %li = arith.addi %sqc, %c4 : index
          %ci = arith.addi %sqc, %c8 : index
          %l = memref.load %stats[%li] : memref<12xf32, #gpu.address_space<workgroup>>
          %lc = arith.mulf %l, %corr : f32
          %l2 = arith.addf %lc, %psum : f32
          memref.store %m2, %stats[%sqc] : memref<12xf32, #gpu.address_space<workgroup>>
          memref.store %l2, %stats[%li] : memref<12xf32, #gpu.address_space<workgroup>>
          memref.store %corr, %stats[%ci] : memref<12xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
        scf.if %owns {
          %obuf = arith.select %isDecode, %partials, %out : memref<?xf32>
          %oc = memref.load %stats[%ocorr] : memref<12xf32, #gpu.address_space<workgroup>>
          %pRow = arith.muli %oq, %c64 : index
          scf.for %d = %od to %D step %qThreads {
            %oi = arith.addi %oBase, %d : index
            %ov = memref.load %obuf[%oi] : memref<?xf32>
            %os = arith.mulf %ov, %oc : f32
            %o2 = scf.for %jj = %c0 to %tileN step %one iter_args(%a = %os) -> (f32) {
              %pix = arith.addi %pRow, %jj : index
              %pj = memref.load %probs[%pix] : memref<256xf32, #gpu.address_space<workgroup>>
              %vpos = arith.addi %p0, %jj : index
              %vrow = arith.muli %vpos, %rowKV : index
              %vbase = arith.addi %kvbase, %vrow : index
              %vi = arith.addi %vbase, %d : index
              %vv = memref.load %v_cache[%vi] : memref<?xf32>
              %pv = arith.mulf %pj, %vv : f32
              %a2 = arith.addf %a, %pv : f32
              scf.yield %a2 : f32
            }
            memref.store %o2, %obuf[%oi] : memref<?xf32>
          }
        }
      }
      scf.if %isDecode {
        %isFirst = arith.cmpi eq, %tx, %c0 : index
        scf.if %isFirst {
          %m = memref.load %stats[%c0] : memref<12xf32, #gpu.address_space<workgroup>>
          %l = memref.load %stats[%c4] : memref<12xf32, #gpu.address_space<workgroup>>
          %mi = arith.addi %pBase, %D : index
          %li = arith.addi %mi, %one : index
          memref.store %m, %partials[%mi] : memref<?xf32>
          memref.store %l, %partials[%li] : memref<?xf32>
        }
      } else {
        scf.if %owns {
          %lsum = memref.load %stats[%ol] : memref<12xf32, #gpu.address_space<workgroup>>
          scf.for %d = %od to %D step %qThreads {
            %oi = arith.addi %oBase, %d : index
            %ov = memref.load %out[%oi] : memref<?xf32>
            %o2 = arith.divf %ov, %lsum : f32
            memref.store %o2, %out[%oi] : memref<?xf32>
          }
        }
      }
      // Every thread read m, l and the rescale before the next item
      // resets them.
      gpu.barrier
    }
    gpu.terminator
  }

  // Phase 3: a decode request's partials combined into its output row.
  gpu.launch blocks(%h, %r, %bz) in (%gx = %Hq, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %step = arith.constant 256 : index
    %zero = arith.constant 0.0 : f32
    %ninf = arith.constant 0xFF800000 : f32
    %rq:4 = func.call @nhc_request(%req, %r)
        : (memref<?xi64>, index) -> (index, index, index, index)
    %isDecode = arith.cmpi eq, %rq#1, %one : index
    scf.if %isDecode {
      %len = arith.addi %rq#2, %one : index
      %span = func.call @nhc_attention_span(%len, %lanes)
          : (index, index) -> index
      %spansM1 = arith.addi %len, %span : index
      %spans1 = arith.subi %spansM1, %one : index
      %spans = arith.divui %spans1, %span : index
      %D2 = arith.addi %D, %c2 : index
      %pRequest = arith.muli %r, %Hq : index
      %pHead = arith.addi %pRequest, %h : index
      %pLanes = arith.muli %pHead, %lanes : index
      %pFirst = arith.muli %pLanes, %D2 : index
      %M = scf.for %z = %c0 to %spans step %one iter_args(%a = %ninf) -> (f32) {
        %zb = arith.muli %z, %D2 : index
        %b = arith.addi %pFirst, %zb : index
        %mi = arith.addi %b, %D : index
        %mz = memref.load %partials[%mi] : memref<?xf32>
        %a2 = arith.maximumf %a, %mz : f32
        scf.yield %a2 : f32
      }
      %L = scf.for %z = %c0 to %spans step %one iter_args(%a = %zero) -> (f32) {
        %zb = arith.muli %z, %D2 : index
        %b = arith.addi %pFirst, %zb : index
        %mi = arith.addi %b, %D : index
        %li = arith.addi %mi, %one : index
        %mz = memref.load %partials[%mi] : memref<?xf32>
        %lz = memref.load %partials[%li] : memref<?xf32>
        %dz = arith.subf %mz, %M : f32
        %wz = math.exp %dz : f32
        %t = arith.mulf %wz, %lz : f32
        %a2 = arith.addf %a, %t : f32
        scf.yield %a2 : f32
      }
      %rowOut = arith.muli %Hq, %D : index
      %orow = arith.muli %rq#0, %rowOut : index
      %hD = arith.muli %h, %D : index
      %obase = arith.addi %orow, %hD : index
      scf.for %d = %tx to %D step %step {
        %o = scf.for %z = %c0 to %spans step %one iter_args(%a = %zero) -> (f32) {
          %zb = arith.muli %z, %D2 : index
          %b = arith.addi %pFirst, %zb : index
          %mi = arith.addi %b, %D : index
          %oi = arith.addi %b, %d : index
          %mz = memref.load %partials[%mi] : memref<?xf32>
          %oz = memref.load %partials[%oi] : memref<?xf32>
          %dz = arith.subf %mz, %M : f32
          %wz = math.exp %dz : f32
          %t = arith.mulf %wz, %oz : f32
          %a2 = arith.addf %a, %t : f32
          scf.yield %a2 : f32
        }
        %y = arith.divf %o, %L : f32
        %oi = arith.addi %obase, %d : index
        memref.store %y, %out[%oi] : memref<?xf32>
      }
    }
    gpu.terminator
  }
  return
}

// The KV span of one decode lane: ceil(len / lanes) rounded up to a tile
// of 64 positions, at least 256 (a shorter span saves less than a block's
// fixed cost).
func.func private @nhc_attention_span(%len: index, %lanes: index) -> index {
  %c1 = arith.constant 1 : index
  %c63 = arith.constant 63 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %a = arith.addi %len, %lanes : index
  %b = arith.subi %a, %c1 : index
  %per = arith.divui %b, %lanes : index
  %c = arith.addi %per, %c63 : index
  %tiles = arith.divui %c, %c64 : index
  %rounded = arith.muli %tiles, %c64 : index
  %span = arith.maxui %rounded, %c256 : index
  return %span : index
}
