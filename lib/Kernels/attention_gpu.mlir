// GPU form of attention.mlir's nhc_attention (nhc-select-kernel-variants),
// blocks of 256 threads, four launches:
//
// 1. Append: one thread per (request, column of the K/V row), 256 columns
//    per block, as the portable form.
// 2. Decode (one new token): one block per (query head, request, lane),
//    `splits` lanes, the query split over the KV length (flash-decoding):
//    positions 0 .. len-1 go in spans of
//    span = max(256, ceil(len / splits) rounded up to 64), one span per
//    lane; lanes past the last span return. A lane walks its span in tiles
//    of 64: K rows staged in workgroup memory 128 columns at a time
//    (consecutive threads load consecutive floats) beside the query's
//    columns, each score a dot product by 4 threads (each taking every 4th
//    column, then added in order), then m' = max(m, tile max of s),
//    p = exp(s - m'), l' = l exp(m - m') + tile sum of p,
//    o' = o exp(m - m') + sum p v (one thread per output column, V read
//    from global memory, coalesced), m, l and the rescale in workgroup
//    memory (`stats`). Each lane writes its unnormalized partial
//    (o[0 .. D-1], m, l) to `partials`.
// 3. Prefill (more new tokens): one block per (query head, request, lane);
//    a request's queries in tiles of 64, dealt to the lanes snake-wise.
//    Per tile of 64 positions (flash attention's forward pass):
//    S = Q Kᵀ as a 64 x 64 product over the head's columns 32 at a time,
//    Q and K chunks staged transposed in workgroup memory, each thread
//    accumulating a 4 x 4 block (tools/scripts/gen-gpu-tiles.py), partial
//    sums kept in Pᵀ; the scaled, causally masked scores go through the
//    online softmax (4 threads per query: m', p = exp(s - m') in place,
//    l', the rescale); then per 64 columns of the head V's tile is staged
//    and O = O exp(m - m') + P V, O's partial sums in its output rows (each
//    element always by the same thread), divided by l after the last tile.
//    Each query head reads K and V once per 64 queries (the former form
//    once per 4); Q's chunks are staged again for every tile of positions.
// 4. Combine (decode requests only), one block per (query head, request):
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

  // Phase 2: a decode request's query over its lane's span of the cache.
  gpu.launch blocks(%h, %r, %lane) in (%gx = %Hq, %gy = %R, %gz = %lanes)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%kt : memref<8448xf32, #gpu.address_space<workgroup>>,
                       %qt : memref<128xf32, #gpu.address_space<workgroup>>,
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
    // One query; a score is 4 threads' dots.
    %isDecode = arith.cmpi eq, %rq#1, %one : index
    %Qt = arith.constant 1 : index
    %parts = arith.constant 4 : index
    %qThreads = arith.divui %c256b, %Qt : index
    // K rows (128 + parts) floats apart: a warp's reads hit 32 banks.
    %kstride = arith.addi %c128, %parts : index
    %len = arith.addi %rq#2, %one : index
    %span = func.call @nhc_attention_span(%len, %lanes)
        : (index, index) -> index
    %spansM1 = arith.addi %len, %span : index
    %spans1 = arith.subi %spansM1, %one : index
    %spans = arith.divui %spans1, %span : index
    %items = arith.select %isDecode, %spans, %c0 : index
    %pRequest = arith.muli %r, %Hq : index
    %pHead = arith.addi %pRequest, %h : index
    %pLanes = arith.muli %pHead, %lanes : index
    %D2 = arith.addi %D, %c2 : index
    // This thread's score: query sq, position sp of the tile (the threads
    // of sq = 0 score the query; the others' scores are -inf).
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
    scf.for %w = %lane to %items step %lanes {
      %q0 = arith.constant 0 : index
      %nq = arith.constant 1 : index
      %lo = arith.muli %w, %span : index
      %spanHi = arith.addi %lo, %span : index
      %hi = arith.minui %spanHi, %len : index
      // The lane's o, m and l go to its partial.
      %pSlot = arith.addi %pLanes, %w : index
      %oBase = arith.muli %pSlot, %D2 : index
      %owns = arith.cmpi ult, %oq, %nq : index
      // One thread updates the query's m and l.
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
        scf.for %d = %od to %D step %qThreads {
          %oi = arith.addi %oBase, %d : index
          memref.store %zero, %partials[%oi] : memref<?xf32>
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
            memref.store %qv, %qt[%qix] : memref<128xf32, #gpu.address_space<workgroup>>
          }
          gpu.barrier
          %acc0 = memref.load %dots[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
          %acc = scf.for %col = %dp to %cw step %parts iter_args(%a = %acc0) -> (f32) {
            %qix = arith.addi %dqRow, %col : index
            %kix = arith.addi %dkRow, %col : index
            %qv = memref.load %qt[%qix] : memref<128xf32, #gpu.address_space<workgroup>>
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
          %oc = memref.load %stats[%ocorr] : memref<12xf32, #gpu.address_space<workgroup>>
          %pRow = arith.muli %oq, %c64 : index
          scf.for %d = %od to %D step %qThreads {
            %oi = arith.addi %oBase, %d : index
            %ov = memref.load %partials[%oi] : memref<?xf32>
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
            memref.store %o2, %partials[%oi] : memref<?xf32>
          }
        }
      }
      %isFirst = arith.cmpi eq, %tx, %c0 : index
      scf.if %isFirst {
        %m = memref.load %stats[%c0] : memref<12xf32, #gpu.address_space<workgroup>>
        %l = memref.load %stats[%c4] : memref<12xf32, #gpu.address_space<workgroup>>
        %mi = arith.addi %oBase, %D : index
        %li = arith.addi %mi, %one : index
        memref.store %m, %partials[%mi] : memref<?xf32>
        memref.store %l, %partials[%li] : memref<?xf32>
      }
      // Every thread read m, l and the rescale before the next item
      // resets them.
      gpu.barrier
    }
    gpu.terminator
  }

  // Phase 3: a prefill request's queries (more than one new token) in tiles
  // of 64, dealt to the lanes snake-wise (pass i: lanes in order when i is
  // even, reversed when odd, so causal tiles of growing cost even out).
  gpu.launch blocks(%h, %r, %lane) in (%gx = %Hq, %gy = %R, %gz = %lanes)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%stage : memref<4160xf32, #gpu.address_space<workgroup>>,
                       %pT : memref<4160xf32, #gpu.address_space<workgroup>>,
                       %qstats : memref<192xf32, #gpu.address_space<workgroup>>,
                       %parts : memref<512xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %c48 = arith.constant 48 : index
    %c63 = arith.constant 63 : index
    %c64 = arith.constant 64 : index
    %c65 = arith.constant 65 : index
    %c128 = arith.constant 128 : index
    %c2048 = arith.constant 2048 : index
    %c2080 = arith.constant 2080 : index
    %c4096 = arith.constant 4096 : index
    %c512 = arith.constant 512 : index
    %threads = arith.constant 256 : index
    %zero = arith.constant 0.0 : f32
    %ninf = arith.constant 0xFF800000 : f32
    %rq:4 = func.call @nhc_request(%req, %r)
        : (memref<?xi64>, index) -> (index, index, index, index)
    %isPrefill = arith.cmpi ugt, %rq#1, %one : index
    %n63 = arith.addi %rq#1, %c63 : index
    %allTiles = arith.divui %n63, %c64 : index
    %tiles = arith.select %isPrefill, %allTiles, %c0 : index
    // This lane's tiles: one per full pass, one more if the last (partial)
    // pass reaches it.
    %full = arith.divui %tiles, %lanes : index
    %rest = arith.remui %tiles, %lanes : index
    %lastLane = arith.subi %lanes, %one : index
    %reversed = arith.subi %lastLane, %lane : index
    %fullOdd = arith.remui %full, %c2 : index
    %lastPassReversed = arith.cmpi eq, %fullOdd, %one : index
    %lastPassPlace = arith.select %lastPassReversed, %reversed, %lane : index
    %inLastPass = arith.cmpi ult, %lastPassPlace, %rest : index
    %extra = arith.select %inLastPass, %one, %c0 : index
    %myTiles = arith.addi %full, %extra : index
    %slotElems = arith.muli %max_seq, %rowKV : index
    %slotBase = arith.muli %rq#3, %slotElems : index
    %group = arith.divui %Hq, %Hkv : index
    %kvh = arith.divui %h, %group : index
    %kvcol = arith.muli %kvh, %D : index
    %kvbase = arith.addi %slotBase, %kvcol : index
    %hD = arith.muli %h, %D : index
    %rowOut = arith.muli %Hq, %D : index
    %qcol = arith.addi %q_offset, %hD : index
    // This thread's 4 x 4 block of a 64 x 64 tile: rows (queries) row0..3,
    // columns (positions or head columns) col0..3, 16 apart.
    %ti = arith.divui %tx, %c16 : index
    %tj = arith.remui %tx, %c16 : index
    %row0 = arith.addi %ti, %c0 : index
    %row1 = arith.addi %ti, %c16 : index
    %row2 = arith.addi %ti, %c32 : index
    %row3 = arith.addi %ti, %c48 : index
    %col0 = arith.addi %tj, %c0 : index
    %col1 = arith.addi %tj, %c16 : index
    %col2 = arith.addi %tj, %c32 : index
    %col3 = arith.addi %tj, %c48 : index
    // K's staged chunk starts at 2080; Pᵀ rows are positions.
    %kcol0 = arith.addi %col0, %c2080 : index
    %kcol1 = arith.addi %col1, %c2080 : index
    %kcol2 = arith.addi %col2, %c2080 : index
    %kcol3 = arith.addi %col3, %c2080 : index
    %pcol0 = arith.muli %col0, %c65 : index
    %pcol1 = arith.muli %col1, %c65 : index
    %pcol2 = arith.muli %col2, %c65 : index
    %pcol3 = arith.muli %col3, %c65 : index
    // In the softmax: query sq, positions j0 .. j1 - 1 of the tile.
    %sq = arith.remui %tx, %c64 : index
    %quarter = arith.divui %tx, %c64 : index
    %j0 = arith.muli %quarter, %c16 : index
    %j1 = arith.addi %j0, %c16 : index
    %ownsRow = arith.cmpi ult, %tx, %c64 : index
    %statL = arith.addi %sq, %c64 : index
    %statCorr = arith.addi %sq, %c128 : index
    scf.for %pass = %c0 to %myTiles step %one {
      %passOdd = arith.remui %pass, %c2 : index
      %passReversed = arith.cmpi eq, %passOdd, %one : index
      %place = arith.select %passReversed, %reversed, %lane : index
      %passFirst = arith.muli %pass, %lanes : index
      %w = arith.addi %passFirst, %place : index
      %q0 = arith.muli %w, %c64 : index
      %left = arith.subi %rq#1, %q0 : index
      %nq = arith.minui %left, %c64 : index
      // Query row of the tile is token rq#0 + q0 + row, at position
      // causal0 + row; positions 0 .. hi - 1 are seen.
      %causal0 = arith.addi %rq#2, %q0 : index
      %hi = arith.addi %causal0, %nq : index
      %tok0 = arith.addi %rq#0, %q0 : index
      %oRow00 = arith.muli %tok0, %rowOut : index
      %oRow0 = arith.addi %oRow00, %hD : index
      // m = -inf, l = 0 per query (every thread read the last tile's
      // statistics before that tile's final barrier).
      scf.if %ownsRow {
        memref.store %ninf, %qstats[%tx] : memref<192xf32, #gpu.address_space<workgroup>>
        memref.store %zero, %qstats[%statL] : memref<192xf32, #gpu.address_space<workgroup>>
      }
      scf.for %p0 = %c0 to %hi step %c64 {
        %firstTile = arith.cmpi eq, %p0, %c0 : index
        %pNext = arith.addi %p0, %c64 : index
        %lastTile = arith.cmpi uge, %pNext, %hi : index
        // 1. S = Q Kᵀ over the head's columns 32 at a time: Q and K chunks
        //    staged transposed (column kk of query or position row at
        //    kk * 65 + row; 0 past the tile or the head).
        scf.for %k0 = %c0 to %D step %c32 {
          scf.for %e = %tx to %c2048 step %threads {
            %kk = arith.remui %e, %c32 : index
            %row = arith.divui %e, %c32 : index
            %k = arith.addi %k0, %kk : index
            %kIn = arith.cmpi ult, %k, %D : index
            %kSafe = arith.select %kIn, %k, %c0 : index
            %qIn = arith.cmpi ult, %row, %nq : index
            %qOk = arith.andi %kIn, %qIn : i1
            %qRowSafe = arith.select %qIn, %row, %c0 : index
            %qtok = arith.addi %tok0, %qRowSafe : index
            %qr = arith.muli %qtok, %qkv_stride : index
            %qb = arith.addi %qr, %qcol : index
            %qi = arith.addi %qb, %kSafe : index
            %qv = memref.load %qkv[%qi] : memref<?xf32>
            %qz = arith.select %qOk, %qv, %zero : f32
            %pos = arith.addi %p0, %row : index
            %pIn = arith.cmpi ult, %pos, %hi : index
            %kOk = arith.andi %kIn, %pIn : i1
            %posSafe = arith.select %pIn, %pos, %c0 : index
            %kr = arith.muli %posSafe, %rowKV : index
            %kb = arith.addi %kvbase, %kr : index
            %ki = arith.addi %kb, %kSafe : index
            %kv = memref.load %k_cache[%ki] : memref<?xf32>
            %kz = arith.select %kOk, %kv, %zero : f32
            %sr = arith.muli %kk, %c65 : index
            %qAt = arith.addi %sr, %row : index
            %kAt = arith.addi %qAt, %c2080 : index
            memref.store %qz, %stage[%qAt] : memref<4160xf32, #gpu.address_space<workgroup>>
            memref.store %kz, %stage[%kAt] : memref<4160xf32, #gpu.address_space<workgroup>>
          }
          gpu.barrier
          // BEGIN GENERATED scores: tools/scripts/gen-gpu-tiles.py
          %sFirst = arith.cmpi eq, %k0, %c0 : index
          %kNext = arith.addi %k0, %c32 : index
          %lastChunk = arith.cmpi uge, %kNext, %D : index
          %si00 = arith.addi %pcol0, %row0 : index
          %so00 = memref.load %pT[%si00] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s000 = arith.select %sFirst, %zero, %so00 : f32
          %si01 = arith.addi %pcol1, %row0 : index
          %so01 = memref.load %pT[%si01] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s001 = arith.select %sFirst, %zero, %so01 : f32
          %si02 = arith.addi %pcol2, %row0 : index
          %so02 = memref.load %pT[%si02] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s002 = arith.select %sFirst, %zero, %so02 : f32
          %si03 = arith.addi %pcol3, %row0 : index
          %so03 = memref.load %pT[%si03] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s003 = arith.select %sFirst, %zero, %so03 : f32
          %si10 = arith.addi %pcol0, %row1 : index
          %so10 = memref.load %pT[%si10] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s010 = arith.select %sFirst, %zero, %so10 : f32
          %si11 = arith.addi %pcol1, %row1 : index
          %so11 = memref.load %pT[%si11] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s011 = arith.select %sFirst, %zero, %so11 : f32
          %si12 = arith.addi %pcol2, %row1 : index
          %so12 = memref.load %pT[%si12] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s012 = arith.select %sFirst, %zero, %so12 : f32
          %si13 = arith.addi %pcol3, %row1 : index
          %so13 = memref.load %pT[%si13] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s013 = arith.select %sFirst, %zero, %so13 : f32
          %si20 = arith.addi %pcol0, %row2 : index
          %so20 = memref.load %pT[%si20] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s020 = arith.select %sFirst, %zero, %so20 : f32
          %si21 = arith.addi %pcol1, %row2 : index
          %so21 = memref.load %pT[%si21] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s021 = arith.select %sFirst, %zero, %so21 : f32
          %si22 = arith.addi %pcol2, %row2 : index
          %so22 = memref.load %pT[%si22] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s022 = arith.select %sFirst, %zero, %so22 : f32
          %si23 = arith.addi %pcol3, %row2 : index
          %so23 = memref.load %pT[%si23] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s023 = arith.select %sFirst, %zero, %so23 : f32
          %si30 = arith.addi %pcol0, %row3 : index
          %so30 = memref.load %pT[%si30] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s030 = arith.select %sFirst, %zero, %so30 : f32
          %si31 = arith.addi %pcol1, %row3 : index
          %so31 = memref.load %pT[%si31] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s031 = arith.select %sFirst, %zero, %so31 : f32
          %si32 = arith.addi %pcol2, %row3 : index
          %so32 = memref.load %pT[%si32] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s032 = arith.select %sFirst, %zero, %so32 : f32
          %si33 = arith.addi %pcol3, %row3 : index
          %so33 = memref.load %pT[%si33] : memref<4160xf32, #gpu.address_space<workgroup>>
          %s033 = arith.select %sFirst, %zero, %so33 : f32
          %sacc:16 = scf.for %kk = %c0 to %c32 step %one
              iter_args(%ss00 = %s000, %ss01 = %s001, %ss02 = %s002, %ss03 = %s003, %ss10 = %s010, %ss11 = %s011, %ss12 = %s012, %ss13 = %s013, %ss20 = %s020, %ss21 = %s021, %ss22 = %s022, %ss23 = %s023, %ss30 = %s030, %ss31 = %s031, %ss32 = %s032, %ss33 = %s033)
              -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
            %skr = arith.muli %kk, %c65 : index
            %sai0 = arith.addi %skr, %row0 : index
            %sav0 = memref.load %stage[%sai0] : memref<4160xf32, #gpu.address_space<workgroup>>
            %sai1 = arith.addi %skr, %row1 : index
            %sav1 = memref.load %stage[%sai1] : memref<4160xf32, #gpu.address_space<workgroup>>
            %sai2 = arith.addi %skr, %row2 : index
            %sav2 = memref.load %stage[%sai2] : memref<4160xf32, #gpu.address_space<workgroup>>
            %sai3 = arith.addi %skr, %row3 : index
            %sav3 = memref.load %stage[%sai3] : memref<4160xf32, #gpu.address_space<workgroup>>
            %sbi0 = arith.addi %skr, %kcol0 : index
            %sbv0 = memref.load %stage[%sbi0] : memref<4160xf32, #gpu.address_space<workgroup>>
            %sbi1 = arith.addi %skr, %kcol1 : index
            %sbv1 = memref.load %stage[%sbi1] : memref<4160xf32, #gpu.address_space<workgroup>>
            %sbi2 = arith.addi %skr, %kcol2 : index
            %sbv2 = memref.load %stage[%sbi2] : memref<4160xf32, #gpu.address_space<workgroup>>
            %sbi3 = arith.addi %skr, %kcol3 : index
            %sbv3 = memref.load %stage[%sbi3] : memref<4160xf32, #gpu.address_space<workgroup>>
            %sm00 = arith.mulf %sav0, %sbv0 : f32
            %sn00 = arith.addf %ss00, %sm00 : f32
            %sm01 = arith.mulf %sav0, %sbv1 : f32
            %sn01 = arith.addf %ss01, %sm01 : f32
            %sm02 = arith.mulf %sav0, %sbv2 : f32
            %sn02 = arith.addf %ss02, %sm02 : f32
            %sm03 = arith.mulf %sav0, %sbv3 : f32
            %sn03 = arith.addf %ss03, %sm03 : f32
            %sm10 = arith.mulf %sav1, %sbv0 : f32
            %sn10 = arith.addf %ss10, %sm10 : f32
            %sm11 = arith.mulf %sav1, %sbv1 : f32
            %sn11 = arith.addf %ss11, %sm11 : f32
            %sm12 = arith.mulf %sav1, %sbv2 : f32
            %sn12 = arith.addf %ss12, %sm12 : f32
            %sm13 = arith.mulf %sav1, %sbv3 : f32
            %sn13 = arith.addf %ss13, %sm13 : f32
            %sm20 = arith.mulf %sav2, %sbv0 : f32
            %sn20 = arith.addf %ss20, %sm20 : f32
            %sm21 = arith.mulf %sav2, %sbv1 : f32
            %sn21 = arith.addf %ss21, %sm21 : f32
            %sm22 = arith.mulf %sav2, %sbv2 : f32
            %sn22 = arith.addf %ss22, %sm22 : f32
            %sm23 = arith.mulf %sav2, %sbv3 : f32
            %sn23 = arith.addf %ss23, %sm23 : f32
            %sm30 = arith.mulf %sav3, %sbv0 : f32
            %sn30 = arith.addf %ss30, %sm30 : f32
            %sm31 = arith.mulf %sav3, %sbv1 : f32
            %sn31 = arith.addf %ss31, %sm31 : f32
            %sm32 = arith.mulf %sav3, %sbv2 : f32
            %sn32 = arith.addf %ss32, %sm32 : f32
            %sm33 = arith.mulf %sav3, %sbv3 : f32
            %sn33 = arith.addf %ss33, %sm33 : f32
            scf.yield %sn00, %sn01, %sn02, %sn03, %sn10, %sn11, %sn12, %sn13, %sn20, %sn21, %sn22, %sn23, %sn30, %sn31, %sn32, %sn33 : f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32
          }
          %sf00 = func.call @nhc_attention_score(%sacc#0, %lastChunk, %row0, %col0, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf00, %pT[%si00] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf01 = func.call @nhc_attention_score(%sacc#1, %lastChunk, %row0, %col1, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf01, %pT[%si01] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf02 = func.call @nhc_attention_score(%sacc#2, %lastChunk, %row0, %col2, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf02, %pT[%si02] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf03 = func.call @nhc_attention_score(%sacc#3, %lastChunk, %row0, %col3, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf03, %pT[%si03] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf10 = func.call @nhc_attention_score(%sacc#4, %lastChunk, %row1, %col0, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf10, %pT[%si10] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf11 = func.call @nhc_attention_score(%sacc#5, %lastChunk, %row1, %col1, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf11, %pT[%si11] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf12 = func.call @nhc_attention_score(%sacc#6, %lastChunk, %row1, %col2, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf12, %pT[%si12] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf13 = func.call @nhc_attention_score(%sacc#7, %lastChunk, %row1, %col3, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf13, %pT[%si13] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf20 = func.call @nhc_attention_score(%sacc#8, %lastChunk, %row2, %col0, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf20, %pT[%si20] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf21 = func.call @nhc_attention_score(%sacc#9, %lastChunk, %row2, %col1, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf21, %pT[%si21] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf22 = func.call @nhc_attention_score(%sacc#10, %lastChunk, %row2, %col2, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf22, %pT[%si22] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf23 = func.call @nhc_attention_score(%sacc#11, %lastChunk, %row2, %col3, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf23, %pT[%si23] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf30 = func.call @nhc_attention_score(%sacc#12, %lastChunk, %row3, %col0, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf30, %pT[%si30] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf31 = func.call @nhc_attention_score(%sacc#13, %lastChunk, %row3, %col1, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf31, %pT[%si31] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf32 = func.call @nhc_attention_score(%sacc#14, %lastChunk, %row3, %col2, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf32, %pT[%si32] : memref<4160xf32, #gpu.address_space<workgroup>>
          %sf33 = func.call @nhc_attention_score(%sacc#15, %lastChunk, %row3, %col3, %nq, %p0, %causal0, %scale)
              : (f32, i1, index, index, index, index, index, f32) -> f32
          memref.store %sf33, %pT[%si33] : memref<4160xf32, #gpu.address_space<workgroup>>
          // END GENERATED scores
          // Every thread is done with the chunks.
          gpu.barrier
        }
        // 2. Per query, by 4 threads (16 positions each, partial results
        //    in `parts`, combined in order): m' = max(m, row max of S),
        //    p = exp(s - m') into Pᵀ, l' = l exp(m - m') + row sum of p, the
        //    rescale exp(m - m') (0 for a query past the tile, whose row is
        //    all -inf).
        %smax = scf.for %j = %j0 to %j1 step %one iter_args(%a = %ninf) -> (f32) {
          %jr = arith.muli %j, %c65 : index
          %ji = arith.addi %jr, %sq : index
          %s = memref.load %pT[%ji] : memref<4160xf32, #gpu.address_space<workgroup>>
          %a2 = arith.maximumf %a, %s : f32
          scf.yield %a2 : f32
        }
        memref.store %smax, %parts[%tx] : memref<512xf32, #gpu.address_space<workgroup>>
        gpu.barrier
        %m = memref.load %qstats[%sq] : memref<192xf32, #gpu.address_space<workgroup>>
        %mNew = scf.for %z = %c0 to %threads step %c64 iter_args(%a = %m) -> (f32) {
          %zi = arith.addi %z, %sq : index
          %mz = memref.load %parts[%zi] : memref<512xf32, #gpu.address_space<workgroup>>
          %a2 = arith.maximumf %a, %mz : f32
          scf.yield %a2 : f32
        }
        %isQuery = arith.cmpi ult, %sq, %nq : index
        %mSafe = arith.select %isQuery, %mNew, %zero : f32
        %psum = scf.for %j = %j0 to %j1 step %one iter_args(%a = %zero) -> (f32) {
          %jr = arith.muli %j, %c65 : index
          %ji = arith.addi %jr, %sq : index
          %s = memref.load %pT[%ji] : memref<4160xf32, #gpu.address_space<workgroup>>
          %ds = arith.subf %s, %mSafe : f32
          %p = math.exp %ds : f32
          memref.store %p, %pT[%ji] : memref<4160xf32, #gpu.address_space<workgroup>>
          %a2 = arith.addf %a, %p : f32
          scf.yield %a2 : f32
        }
        %sumAt = arith.addi %tx, %threads : index
        memref.store %psum, %parts[%sumAt] : memref<512xf32, #gpu.address_space<workgroup>>
        gpu.barrier
        scf.if %ownsRow {
          %total = scf.for %z = %threads to %c512 step %c64 iter_args(%a = %zero) -> (f32) {
            %zi = arith.addi %z, %sq : index
            %part = memref.load %parts[%zi] : memref<512xf32, #gpu.address_space<workgroup>>
            %a2 = arith.addf %a, %part : f32
            scf.yield %a2 : f32
          }
          %l = memref.load %qstats[%statL] : memref<192xf32, #gpu.address_space<workgroup>>
          %dm = arith.subf %m, %mSafe : f32
          %corrQ = math.exp %dm : f32
          %corr = arith.select %isQuery, %corrQ, %zero : f32
          %lc = arith.mulf %l, %corr : f32
          %lNew = arith.addf %lc, %total : f32
          memref.store %mNew, %qstats[%sq] : memref<192xf32, #gpu.address_space<workgroup>>
          memref.store %lNew, %qstats[%statL] : memref<192xf32, #gpu.address_space<workgroup>>
          memref.store %corr, %qstats[%statCorr] : memref<192xf32, #gpu.address_space<workgroup>>
        }
        // 3. O = O exp(m - m') + P V per 64 columns of the head: V's 64 x 64
        //    tile staged (position row at row * 65; 0 past the tile or the
        //    head); on the last position tile O / l is the output. (V's
        //    barrier also publishes Pᵀ and the statistics: staging touches
        //    neither.)
        scf.for %d0 = %c0 to %D step %c64 {
          scf.for %e = %tx to %c4096 step %threads {
            %dd = arith.remui %e, %c64 : index
            %row = arith.divui %e, %c64 : index
            %d = arith.addi %d0, %dd : index
            %dIn = arith.cmpi ult, %d, %D : index
            %dSafe = arith.select %dIn, %d, %c0 : index
            %pos = arith.addi %p0, %row : index
            %pIn = arith.cmpi ult, %pos, %hi : index
            %vOk = arith.andi %dIn, %pIn : i1
            %posSafe = arith.select %pIn, %pos, %c0 : index
            %vr = arith.muli %posSafe, %rowKV : index
            %vb = arith.addi %kvbase, %vr : index
            %vi = arith.addi %vb, %dSafe : index
            %vv = memref.load %v_cache[%vi] : memref<?xf32>
            %vz = arith.select %vOk, %vv, %zero : f32
            %sr = arith.muli %row, %c65 : index
            %si = arith.addi %sr, %dd : index
            memref.store %vz, %stage[%si] : memref<4160xf32, #gpu.address_space<workgroup>>
          }
          gpu.barrier
          // BEGIN GENERATED values: tools/scripts/gen-gpu-tiles.py
          %ca0 = arith.addi %row0, %c128 : index
          %corr0 = memref.load %qstats[%ca0] : memref<192xf32, #gpu.address_space<workgroup>>
          %la0 = arith.addi %row0, %c64 : index
          %l0 = memref.load %qstats[%la0] : memref<192xf32, #gpu.address_space<workgroup>>
          %ca1 = arith.addi %row1, %c128 : index
          %corr1 = memref.load %qstats[%ca1] : memref<192xf32, #gpu.address_space<workgroup>>
          %la1 = arith.addi %row1, %c64 : index
          %l1 = memref.load %qstats[%la1] : memref<192xf32, #gpu.address_space<workgroup>>
          %ca2 = arith.addi %row2, %c128 : index
          %corr2 = memref.load %qstats[%ca2] : memref<192xf32, #gpu.address_space<workgroup>>
          %la2 = arith.addi %row2, %c64 : index
          %l2 = memref.load %qstats[%la2] : memref<192xf32, #gpu.address_space<workgroup>>
          %ca3 = arith.addi %row3, %c128 : index
          %corr3 = memref.load %qstats[%ca3] : memref<192xf32, #gpu.address_space<workgroup>>
          %la3 = arith.addi %row3, %c64 : index
          %l3 = memref.load %qstats[%la3] : memref<192xf32, #gpu.address_space<workgroup>>
          %oi00:2 = func.call @nhc_attention_out_slot(%row0, %col0, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op00 = func.call @nhc_tile_load_partial(%out, %oi00#0, %oi00#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o000 = arith.mulf %op00, %corr0 : f32
          %oi01:2 = func.call @nhc_attention_out_slot(%row0, %col1, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op01 = func.call @nhc_tile_load_partial(%out, %oi01#0, %oi01#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o001 = arith.mulf %op01, %corr0 : f32
          %oi02:2 = func.call @nhc_attention_out_slot(%row0, %col2, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op02 = func.call @nhc_tile_load_partial(%out, %oi02#0, %oi02#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o002 = arith.mulf %op02, %corr0 : f32
          %oi03:2 = func.call @nhc_attention_out_slot(%row0, %col3, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op03 = func.call @nhc_tile_load_partial(%out, %oi03#0, %oi03#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o003 = arith.mulf %op03, %corr0 : f32
          %oi10:2 = func.call @nhc_attention_out_slot(%row1, %col0, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op10 = func.call @nhc_tile_load_partial(%out, %oi10#0, %oi10#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o010 = arith.mulf %op10, %corr1 : f32
          %oi11:2 = func.call @nhc_attention_out_slot(%row1, %col1, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op11 = func.call @nhc_tile_load_partial(%out, %oi11#0, %oi11#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o011 = arith.mulf %op11, %corr1 : f32
          %oi12:2 = func.call @nhc_attention_out_slot(%row1, %col2, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op12 = func.call @nhc_tile_load_partial(%out, %oi12#0, %oi12#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o012 = arith.mulf %op12, %corr1 : f32
          %oi13:2 = func.call @nhc_attention_out_slot(%row1, %col3, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op13 = func.call @nhc_tile_load_partial(%out, %oi13#0, %oi13#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o013 = arith.mulf %op13, %corr1 : f32
          %oi20:2 = func.call @nhc_attention_out_slot(%row2, %col0, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op20 = func.call @nhc_tile_load_partial(%out, %oi20#0, %oi20#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o020 = arith.mulf %op20, %corr2 : f32
          %oi21:2 = func.call @nhc_attention_out_slot(%row2, %col1, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op21 = func.call @nhc_tile_load_partial(%out, %oi21#0, %oi21#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o021 = arith.mulf %op21, %corr2 : f32
          %oi22:2 = func.call @nhc_attention_out_slot(%row2, %col2, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op22 = func.call @nhc_tile_load_partial(%out, %oi22#0, %oi22#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o022 = arith.mulf %op22, %corr2 : f32
          %oi23:2 = func.call @nhc_attention_out_slot(%row2, %col3, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op23 = func.call @nhc_tile_load_partial(%out, %oi23#0, %oi23#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o023 = arith.mulf %op23, %corr2 : f32
          %oi30:2 = func.call @nhc_attention_out_slot(%row3, %col0, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op30 = func.call @nhc_tile_load_partial(%out, %oi30#0, %oi30#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o030 = arith.mulf %op30, %corr3 : f32
          %oi31:2 = func.call @nhc_attention_out_slot(%row3, %col1, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op31 = func.call @nhc_tile_load_partial(%out, %oi31#0, %oi31#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o031 = arith.mulf %op31, %corr3 : f32
          %oi32:2 = func.call @nhc_attention_out_slot(%row3, %col2, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op32 = func.call @nhc_tile_load_partial(%out, %oi32#0, %oi32#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o032 = arith.mulf %op32, %corr3 : f32
          %oi33:2 = func.call @nhc_attention_out_slot(%row3, %col3, %d0, %nq, %D, %oRow0, %rowOut)
              : (index, index, index, index, index, index, index) -> (index, i1)
          %op33 = func.call @nhc_tile_load_partial(%out, %oi33#0, %oi33#1, %firstTile)
              : (memref<?xf32>, index, i1, i1) -> f32
          %o033 = arith.mulf %op33, %corr3 : f32
          %oacc:16 = scf.for %kk = %c0 to %c64 step %one
              iter_args(%os00 = %o000, %os01 = %o001, %os02 = %o002, %os03 = %o003, %os10 = %o010, %os11 = %o011, %os12 = %o012, %os13 = %o013, %os20 = %o020, %os21 = %o021, %os22 = %o022, %os23 = %o023, %os30 = %o030, %os31 = %o031, %os32 = %o032, %os33 = %o033)
              -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
            %okr = arith.muli %kk, %c65 : index
            %oai0 = arith.addi %okr, %row0 : index
            %oav0 = memref.load %pT[%oai0] : memref<4160xf32, #gpu.address_space<workgroup>>
            %oai1 = arith.addi %okr, %row1 : index
            %oav1 = memref.load %pT[%oai1] : memref<4160xf32, #gpu.address_space<workgroup>>
            %oai2 = arith.addi %okr, %row2 : index
            %oav2 = memref.load %pT[%oai2] : memref<4160xf32, #gpu.address_space<workgroup>>
            %oai3 = arith.addi %okr, %row3 : index
            %oav3 = memref.load %pT[%oai3] : memref<4160xf32, #gpu.address_space<workgroup>>
            %obi0 = arith.addi %okr, %col0 : index
            %obv0 = memref.load %stage[%obi0] : memref<4160xf32, #gpu.address_space<workgroup>>
            %obi1 = arith.addi %okr, %col1 : index
            %obv1 = memref.load %stage[%obi1] : memref<4160xf32, #gpu.address_space<workgroup>>
            %obi2 = arith.addi %okr, %col2 : index
            %obv2 = memref.load %stage[%obi2] : memref<4160xf32, #gpu.address_space<workgroup>>
            %obi3 = arith.addi %okr, %col3 : index
            %obv3 = memref.load %stage[%obi3] : memref<4160xf32, #gpu.address_space<workgroup>>
            %om00 = arith.mulf %oav0, %obv0 : f32
            %on00 = arith.addf %os00, %om00 : f32
            %om01 = arith.mulf %oav0, %obv1 : f32
            %on01 = arith.addf %os01, %om01 : f32
            %om02 = arith.mulf %oav0, %obv2 : f32
            %on02 = arith.addf %os02, %om02 : f32
            %om03 = arith.mulf %oav0, %obv3 : f32
            %on03 = arith.addf %os03, %om03 : f32
            %om10 = arith.mulf %oav1, %obv0 : f32
            %on10 = arith.addf %os10, %om10 : f32
            %om11 = arith.mulf %oav1, %obv1 : f32
            %on11 = arith.addf %os11, %om11 : f32
            %om12 = arith.mulf %oav1, %obv2 : f32
            %on12 = arith.addf %os12, %om12 : f32
            %om13 = arith.mulf %oav1, %obv3 : f32
            %on13 = arith.addf %os13, %om13 : f32
            %om20 = arith.mulf %oav2, %obv0 : f32
            %on20 = arith.addf %os20, %om20 : f32
            %om21 = arith.mulf %oav2, %obv1 : f32
            %on21 = arith.addf %os21, %om21 : f32
            %om22 = arith.mulf %oav2, %obv2 : f32
            %on22 = arith.addf %os22, %om22 : f32
            %om23 = arith.mulf %oav2, %obv3 : f32
            %on23 = arith.addf %os23, %om23 : f32
            %om30 = arith.mulf %oav3, %obv0 : f32
            %on30 = arith.addf %os30, %om30 : f32
            %om31 = arith.mulf %oav3, %obv1 : f32
            %on31 = arith.addf %os31, %om31 : f32
            %om32 = arith.mulf %oav3, %obv2 : f32
            %on32 = arith.addf %os32, %om32 : f32
            %om33 = arith.mulf %oav3, %obv3 : f32
            %on33 = arith.addf %os33, %om33 : f32
            scf.yield %on00, %on01, %on02, %on03, %on10, %on11, %on12, %on13, %on20, %on21, %on22, %on23, %on30, %on31, %on32, %on33 : f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32
          }
          %ofin00 = arith.divf %oacc#0, %l0 : f32
          %of00 = arith.select %lastTile, %ofin00, %oacc#0 : f32
          func.call @nhc_tile_store_if(%out, %oi00#0, %oi00#1, %of00)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin01 = arith.divf %oacc#1, %l0 : f32
          %of01 = arith.select %lastTile, %ofin01, %oacc#1 : f32
          func.call @nhc_tile_store_if(%out, %oi01#0, %oi01#1, %of01)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin02 = arith.divf %oacc#2, %l0 : f32
          %of02 = arith.select %lastTile, %ofin02, %oacc#2 : f32
          func.call @nhc_tile_store_if(%out, %oi02#0, %oi02#1, %of02)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin03 = arith.divf %oacc#3, %l0 : f32
          %of03 = arith.select %lastTile, %ofin03, %oacc#3 : f32
          func.call @nhc_tile_store_if(%out, %oi03#0, %oi03#1, %of03)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin10 = arith.divf %oacc#4, %l1 : f32
          %of10 = arith.select %lastTile, %ofin10, %oacc#4 : f32
          func.call @nhc_tile_store_if(%out, %oi10#0, %oi10#1, %of10)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin11 = arith.divf %oacc#5, %l1 : f32
          %of11 = arith.select %lastTile, %ofin11, %oacc#5 : f32
          func.call @nhc_tile_store_if(%out, %oi11#0, %oi11#1, %of11)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin12 = arith.divf %oacc#6, %l1 : f32
          %of12 = arith.select %lastTile, %ofin12, %oacc#6 : f32
          func.call @nhc_tile_store_if(%out, %oi12#0, %oi12#1, %of12)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin13 = arith.divf %oacc#7, %l1 : f32
          %of13 = arith.select %lastTile, %ofin13, %oacc#7 : f32
          func.call @nhc_tile_store_if(%out, %oi13#0, %oi13#1, %of13)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin20 = arith.divf %oacc#8, %l2 : f32
          %of20 = arith.select %lastTile, %ofin20, %oacc#8 : f32
          func.call @nhc_tile_store_if(%out, %oi20#0, %oi20#1, %of20)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin21 = arith.divf %oacc#9, %l2 : f32
          %of21 = arith.select %lastTile, %ofin21, %oacc#9 : f32
          func.call @nhc_tile_store_if(%out, %oi21#0, %oi21#1, %of21)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin22 = arith.divf %oacc#10, %l2 : f32
          %of22 = arith.select %lastTile, %ofin22, %oacc#10 : f32
          func.call @nhc_tile_store_if(%out, %oi22#0, %oi22#1, %of22)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin23 = arith.divf %oacc#11, %l2 : f32
          %of23 = arith.select %lastTile, %ofin23, %oacc#11 : f32
          func.call @nhc_tile_store_if(%out, %oi23#0, %oi23#1, %of23)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin30 = arith.divf %oacc#12, %l3 : f32
          %of30 = arith.select %lastTile, %ofin30, %oacc#12 : f32
          func.call @nhc_tile_store_if(%out, %oi30#0, %oi30#1, %of30)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin31 = arith.divf %oacc#13, %l3 : f32
          %of31 = arith.select %lastTile, %ofin31, %oacc#13 : f32
          func.call @nhc_tile_store_if(%out, %oi31#0, %oi31#1, %of31)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin32 = arith.divf %oacc#14, %l3 : f32
          %of32 = arith.select %lastTile, %ofin32, %oacc#14 : f32
          func.call @nhc_tile_store_if(%out, %oi32#0, %oi32#1, %of32)
              : (memref<?xf32>, index, i1, f32) -> ()
          %ofin33 = arith.divf %oacc#15, %l3 : f32
          %of33 = arith.select %lastTile, %ofin33, %oacc#15 : f32
          func.call @nhc_tile_store_if(%out, %oi33#0, %oi33#1, %of33)
              : (memref<?xf32>, index, i1, f32) -> ()
          // END GENERATED values
          // Every thread is done with V's tile and the statistics.
          gpu.barrier
        }
      }
    }
    gpu.terminator
  }

  // Phase 4: a decode request's partials combined into its output row.
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

// A query tile's score S[row][col] (query row, position p0 + col) once its
// last column chunk is added: acc * scale where the query exists and the
// position is not after it (causal0 + row), else -inf; before that the
// partial sum as it is.
func.func private @nhc_attention_score(%acc: f32, %last: i1, %row: index,
                                       %col: index, %nq: index, %p0: index,
                                       %causal0: index, %scale: f32) -> f32 {
  %ninf = arith.constant 0xFF800000 : f32
  %isQuery = arith.cmpi ult, %row, %nq : index
  %pos = arith.addi %p0, %col : index
  %limit = arith.addi %causal0, %row : index
  %seen = arith.cmpi ule, %pos, %limit : index
  %valid = arith.andi %isQuery, %seen : i1
  %scaled = arith.mulf %acc, %scale : f32
  %masked = arith.select %valid, %scaled, %ninf : f32
  %v = arith.select %last, %masked, %acc : f32
  return %v : f32
}

// Where a query tile's output O[row][d0 + col] lives in `out` (the tile's
// first row at oRow0, rows rowOut apart) and whether it exists.
func.func private @nhc_attention_out_slot(%row: index, %col: index,
                                          %d0: index, %nq: index, %D: index,
                                          %oRow0: index, %rowOut: index)
    -> (index, i1) {
  %d = arith.addi %d0, %col : index
  %isQuery = arith.cmpi ult, %row, %nq : index
  %inHead = arith.cmpi ult, %d, %D : index
  %valid = arith.andi %isQuery, %inHead : i1
  %r = arith.muli %row, %rowOut : index
  %base = arith.addi %oRow0, %r : index
  %i = arith.addi %base, %d : index
  return %i, %valid : index, i1
}
