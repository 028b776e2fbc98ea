// GPU form of attention.mlir's nhc_attention (nhc-select-kernel-variants),
// blocks of 256 threads, four phases (the prefill in two launches):
//
// 1. Append: one thread per (token of the step, column of the K/V row),
//    256 columns per block; each block finds its token's request
//    (@nhc_request_of_token).
// 2. Decode (one new token): one block per (KV head, request, lane), its
//    GQA group's query heads 8 at a time (a pass), so each K and V tile is
//    read once for 8 query heads; `splits` lanes, the query split over the
//    KV length (flash-decoding): positions 0 .. len-1 go in spans of
//    span = ceil(len / splits) rounded up to 64, one span per lane; lanes
//    past the last span return. A lane walks its span in tiles of 64: K
//    rows staged in workgroup memory 128 columns at a time (rows 129 floats
//    apart), in 16-byte chunks each thread loads all of before it stores
//    any (one round trip a tile; element by element where D % 4 != 0 or a
//    cache is not 16-byte aligned), beside the pass's query columns
//    (staged once per pass where D <= 128), each thread scoring two (head,
//    position) slots, then per head (a segment of 64 threads)
//    m' = max(m, tile max of s), p = exp(s - m'),
//    l' = l exp(m - m') + tile sum of p; then V's tile staged the same way
//    and o' = o exp(m - m') + sum p v, the pass's (head, column) outputs
//    dealt to the threads (each thread's up to 4 partials loaded at
//    once); m, l and the rescale in workgroup memory
//    (`stats`). Each lane writes each head's unnormalized partial
//    (o[0 .. D-1], m, l) to `partials`.
// 3. Prefill (more new tokens): one block per (query head, request, lane);
//    a request's queries in tiles of 64, dealt to the lanes snake-wise.
//    Per tile of 64 positions (flash attention's forward pass):
//    S = Q Kᵀ as a 64 x 64 product over the head's columns 32 at a time,
//    Q and K chunks staged transposed in workgroup memory (rows 72 floats
//    apart: a fragment's loads hit 32 banks), on tensor cores: each warp a
//    16 x 32 part as four m16n8k8 tf32 mmas per 8 columns, in 3xTF32 (each
//    operand split into two tf32 parts, three mmas: about f32's accuracy),
//    or, when `gemm_precision` is bf16 (the session's numerics are bf16's),
//    in one tf32 mma (the operands rounded to tf32, which holds more of
//    their bits than bf16): two kernels, one launched with an empty grid,
//    written by tools/scripts/gen-gpu-tiles.py;
//    partial sums kept in Pᵀ;
//    the scaled, causally masked scores go through the online softmax (4
//    threads per query: m', p = exp(s - m') in place, l', the rescale);
//    then per 64 columns of the head V's tile is staged and
//    O = O exp(m - m') + P V the same way, O's partial sums in its output
//    rows (each element always by the same lane), divided by l in the last
//    tile.
//    Each query head reads K and V once per 64 queries (the former form
//    once per 4); Q's chunks are staged again for every tile of positions.
// 4. Combine (decode requests only), one block per (query head, request):
//    M = max m_z, L = sum exp(m_z - M) l_z, out = sum exp(m_z - M) o_z / L,
//    the spans four at a time (their m, l, o loaded at once) into a running
//    M, L and O rescaled as M grows.
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
                                     %splits: index, %scale: f32,
                                     %gemm_precision: index, %T: index)
    attributes {nhc.gpu_variant_of = "nhc_attention"} {
  %c1 = arith.constant 1 : index
  %c255 = arith.constant 255 : index
  %c256 = arith.constant 256 : index
  %rowKV = arith.muli %Hkv, %D : index
  %rowKV255 = arith.addi %rowKV, %c255 : index
  %columnBlocks = arith.divui %rowKV255, %c256 : index
  %lanes = arith.maxui %splits, %c1 : index

  // Phase 1: append K and V, a block per (token of the step, 256 columns of
  // its K and V rows): a prefill's rows all at once (a block per request
  // and 256 columns, tokens in turn, left a long prompt on a few SMs).
  %anyRequest = arith.cmpi uge, %R, %c1 : index
  %noTokens = arith.constant 0 : index
  %appendTokens = arith.select %anyRequest, %T, %noTokens : index
  %appendBlocks = arith.muli %columnBlocks, %appendTokens : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %appendBlocks, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %step = arith.constant 256 : index
    %tok = arith.divui %bx, %columnBlocks : index
    %cb = arith.remui %bx, %columnBlocks : index
    %first = arith.muli %cb, %step : index
    %j = arith.addi %first, %tx : index
    %inRow = arith.cmpi ult, %j, %rowKV : index
    scf.if %inRow {
      %r = func.call @nhc_request_of_token(%req, %R, %tok)
          : (memref<?xi64>, index, index) -> index
      %rq:4 = func.call @nhc_request(%req, %r)
          : (memref<?xi64>, index) -> (index, index, index, index)
      %i = arith.subi %tok, %rq#0 : index
      %ofRequest = arith.cmpi ult, %i, %rq#1 : index
      scf.if %ofRequest {
        %slotElems = arith.muli %max_seq, %rowKV : index
        %slotBase = arith.muli %rq#3, %slotElems : index
        %row = arith.muli %tok, %qkv_stride : index
        %kcol = arith.addi %k_offset, %j : index
        %vcol = arith.addi %v_offset, %j : index
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

  // Phase 2: a decode request's query heads of one KV head (its GQA group, 8
  // at a time) over the lane's span of the cache: each K and V tile is read
  // once for the 8 heads.
  gpu.launch blocks(%kvh, %r, %lane) in (%gx = %Hkv, %gy = %R, %gz = %lanes)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%kvt : memref<8256xf32, #gpu.address_space<workgroup>>,
                       %qt : memref<1024xf32, #gpu.address_space<workgroup>>,
                       %dots : memref<512xf32, #gpu.address_space<workgroup>>,
                       %partial : memref<256xf32, #gpu.address_space<workgroup>>,
                       %probs : memref<512xf32, #gpu.address_space<workgroup>>,
                       %stats : memref<24xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %c16 = arith.constant 16 : index
    %c64 = arith.constant 64 : index
    %c128 = arith.constant 128 : index
    %c129 = arith.constant 129 : index
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
    %kvcol = arith.muli %kvh, %D : index
    %kvbase = arith.addi %slotBase, %kvcol : index
    %groupHead = arith.muli %kvh, %group : index
    %isDecode = arith.cmpi eq, %rq#1, %one : index
    // The query's columns in qkv: head h's at qHeads + h D.
    %qRow = arith.muli %rq#0, %qkv_stride : index
    %qHeads = arith.addi %qRow, %q_offset : index
    %len = arith.addi %rq#2, %one : index
    %span = func.call @nhc_attention_span(%len, %lanes)
        : (index, index) -> index
    %spansM1 = arith.addi %len, %span : index
    %spans1 = arith.subi %spansM1, %one : index
    %spans = arith.divui %spans1, %span : index
    %items = arith.select %isDecode, %spans, %c0 : index
    %pRequest = arith.muli %r, %Hq : index
    %D2 = arith.addi %D, %c2 : index
    // Thread tx scores two slots of the tile: tx and tx + 256, slot s being
    // the pass's query head s / 64 at position s % 64 (K and V rows 129
    // floats apart in kvt: a warp's 32 positions hit 32 banks); a segment's
    // first thread keeps its heads' m, l and rescale in stats
    // (nhc_attention_decode_stat_slots).
    %hl0 = arith.divui %tx, %c64 : index
    %hl1 = arith.addi %hl0, %c4 : index
    %pos = arith.remui %tx, %c64 : index
    %slot1 = arith.addi %tx, %c256b : index
    %kRow = arith.muli %pos, %c129 : index
    %qRow0 = arith.muli %hl0, %c128 : index
    %qRow1 = arith.muli %hl1, %c128 : index
    %leads = arith.cmpi eq, %pos, %c0 : index
    // 16-byte loads of K and V rows where the head's columns and every
    // cache row start on a 16-byte boundary (D % 4 == 0, aligned caches).
    %dRem = arith.remui %D, %c4 : index
    %dWhole = arith.cmpi eq, %dRem, %c0 : index
    %rowKVBytes = arith.muli %rowKV, %c4 : index
    %kAddress = memref.extract_aligned_pointer_as_index %k_cache : memref<?xf32> -> index
    %vAddress = memref.extract_aligned_pointer_as_index %v_cache : memref<?xf32> -> index
    %kAligned = func.call @nhc_rows_16_byte_aligned(%kAddress, %rowKVBytes) : (index, index) -> i1
    %vAligned = func.call @nhc_rows_16_byte_aligned(%vAddress, %rowKVBytes) : (index, index) -> i1
    %kvAligned = arith.andi %kAligned, %vAligned : i1
    %kvChunked = arith.andi %kvAligned, %dWhole : i1
    %qPerPass = arith.cmpi ule, %D, %c128 : index
    %qPerChunk = arith.cmpi ugt, %D, %c128 : index
    scf.for %w = %lane to %items step %lanes {
      %lo = arith.muli %w, %span : index
      %spanHi = arith.addi %lo, %span : index
      %hi = arith.minui %spanHi, %len : index
      scf.for %hp0 = %c0 to %group step %c8 {
        %restH = arith.subi %group, %hp0 : index
        %gc = arith.minui %restH, %c8 : index
        %passHead = arith.addi %groupHead, %hp0 : index
        %h0In = arith.cmpi ult, %hl0, %gc : index
        %h1In = arith.cmpi ult, %hl1, %gc : index
        %twoSlots = arith.cmpi ugt, %gc, %c4 : index
        // The pass's partials: query head passHead + hl's o at
        // oBase(hl) .. + D - 1, then m and l.
        %resets = arith.cmpi ult, %tx, %gc : index
        scf.if %resets {
          %at:3 = func.call @nhc_attention_decode_stat_slots(%tx)
              : (index) -> (index, index, index)
          memref.store %ninf, %stats[%at#0] : memref<24xf32, #gpu.address_space<workgroup>>
          memref.store %zero, %stats[%at#1] : memref<24xf32, #gpu.address_space<workgroup>>
        }
        %oElems = arith.muli %gc, %D : index
        scf.for %e = %tx to %oElems step %c256b {
          %hl = arith.divui %e, %D : index
          %d = arith.remui %e, %D : index
          %oBase = func.call @nhc_attention_partial_base(%pRequest, %passHead, %hl, %lanes, %w, %D2)
              : (index, index, index, index, index, index) -> index
          %oi = arith.addi %oBase, %d : index
          memref.store %zero, %partials[%oi] : memref<?xf32>
        }
        // (The first tile's barriers publish the reset, and a query staged
        // here, before any thread reads them.)
        scf.if %qPerPass {
          func.call @nhc_attention_stage_query(%qkv, %qt, %qHeads, %passHead, %D, %c0, %D, %gc, %tx)
              : (memref<?xf32>, memref<1024xf32, #gpu.address_space<workgroup>>, index, index, index, index, index, index, index) -> ()
        }
        scf.for %p0 = %lo to %hi step %c64 {
          %rest = arith.subi %hi, %p0 : index
          %tileN = arith.minui %rest, %c64 : index
          memref.store %zero, %dots[%tx] : memref<512xf32, #gpu.address_space<workgroup>>
          memref.store %zero, %dots[%slot1] : memref<512xf32, #gpu.address_space<workgroup>>
          scf.for %c0s = %c0 to %D step %c128 {
            %restD = arith.subi %D, %c0s : index
            %cw = arith.minui %restD, %c128 : index
            %kTile0 = arith.muli %p0, %rowKV : index
            %kTile1 = arith.addi %kvbase, %kTile0 : index
            %kTile = arith.addi %kTile1, %c0s : index
            scf.if %kvChunked {
              func.call @nhc_attention_stage_kv_chunks(%k_cache, %kvt, %kTile, %rowKV, %tileN, %cw, %tx)
                  : (memref<?xf32>, memref<8256xf32, #gpu.address_space<workgroup>>, index, index, index, index, index) -> ()
            } else {
            %kElems = arith.muli %c64, %cw : index
            scf.for %e = %tx to %kElems step %c256b {
              %kp = arith.divui %e, %cw : index
              %col = arith.remui %e, %cw : index
              %inTile = arith.cmpi ult, %kp, %tileN : index
              %kv = scf.if %inTile -> (f32) {
                %gp = arith.addi %p0, %kp : index
                %gr = arith.muli %gp, %rowKV : index
                %gb = arith.addi %kvbase, %gr : index
                %gc0 = arith.addi %gb, %c0s : index
                %gi = arith.addi %gc0, %col : index
                %x = memref.load %k_cache[%gi] : memref<?xf32>
                scf.yield %x : f32
              } else {
                scf.yield %zero : f32
              }
              %kr = arith.muli %kp, %c129 : index
              %ki = arith.addi %kr, %col : index
              memref.store %kv, %kvt[%ki] : memref<8256xf32, #gpu.address_space<workgroup>>
            }
            }
            // A head of at most 128 columns has its query staged once per
            // pass (below); wider heads a chunk per round.
            scf.if %qPerChunk {
              func.call @nhc_attention_stage_query(%qkv, %qt, %qHeads, %passHead, %D, %c0s, %cw, %gc, %tx)
                  : (memref<?xf32>, memref<1024xf32, #gpu.address_space<workgroup>>, index, index, index, index, index, index, index) -> ()
            }
            gpu.barrier
            // (A slot of a head past the pass reads stale qt; its score is
            // dropped below.)
            %acc0 = memref.load %dots[%tx] : memref<512xf32, #gpu.address_space<workgroup>>
            %acc1 = memref.load %dots[%slot1] : memref<512xf32, #gpu.address_space<workgroup>>
            // A pass of at most 4 heads (groups of 4, the last pass of
            // most others) has no second slots to score.
            %acc:2 = scf.if %twoSlots -> (f32, f32) {
              %both:2 = scf.for %col = %c0 to %cw step %one
                  iter_args(%a0 = %acc0, %a1 = %acc1) -> (f32, f32) {
                %kix = arith.addi %kRow, %col : index
                %kv = memref.load %kvt[%kix] : memref<8256xf32, #gpu.address_space<workgroup>>
                %q0i = arith.addi %qRow0, %col : index
                %q1i = arith.addi %qRow1, %col : index
                %q0 = memref.load %qt[%q0i] : memref<1024xf32, #gpu.address_space<workgroup>>
                %q1 = memref.load %qt[%q1i] : memref<1024xf32, #gpu.address_space<workgroup>>
                %pr0 = arith.mulf %q0, %kv : f32
                %pr1 = arith.mulf %q1, %kv : f32
                %b0 = arith.addf %a0, %pr0 fastmath<reassoc> : f32
                %b1 = arith.addf %a1, %pr1 fastmath<reassoc> : f32
                scf.yield %b0, %b1 : f32, f32
              }
              scf.yield %both#0, %both#1 : f32, f32
            } else {
              %single = scf.for %col = %c0 to %cw step %one
                  iter_args(%a0 = %acc0) -> (f32) {
                %kix = arith.addi %kRow, %col : index
                %kv = memref.load %kvt[%kix] : memref<8256xf32, #gpu.address_space<workgroup>>
                %q0i = arith.addi %qRow0, %col : index
                %q0 = memref.load %qt[%q0i] : memref<1024xf32, #gpu.address_space<workgroup>>
                %pr0 = arith.mulf %q0, %kv : f32
                %b0 = arith.addf %a0, %pr0 fastmath<reassoc> : f32
                scf.yield %b0 : f32
              }
              scf.yield %single, %acc1 : f32, f32
            }
            memref.store %acc#0, %dots[%tx] : memref<512xf32, #gpu.address_space<workgroup>>
            memref.store %acc#1, %dots[%slot1] : memref<512xf32, #gpu.address_space<workgroup>>
            // Every thread is done with kvt and qt (and its dots slots are
            // its own).
            gpu.barrier
          }
          // Each slot's score, the online softmax per head: a segment of 64
          // threads is a head's tile (every position of the span is at or
          // before the query's).
          %inTile = arith.cmpi ult, %pos, %tileN : index
          %valid0 = arith.andi %inTile, %h0In : i1
          %valid1 = arith.andi %inTile, %h1In : i1
          %dot0 = memref.load %dots[%tx] : memref<512xf32, #gpu.address_space<workgroup>>
          %dot1 = memref.load %dots[%slot1] : memref<512xf32, #gpu.address_space<workgroup>>
          %s0 = arith.mulf %dot0, %scale : f32
          %s1 = arith.mulf %dot1, %scale : f32
          %sc0 = arith.select %valid0, %s0, %ninf : f32
          %sc1 = arith.select %valid1, %s1, %ninf : f32
          %bmax0 = func.call @nhc_segment_reduce_256(%sc0, %tx, %partial, %true, %c64)
              : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1, index) -> f32
          %bmax1 = func.call @nhc_segment_reduce_256(%sc1, %tx, %partial, %true, %c64)
              : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1, index) -> f32
          %at0:3 = func.call @nhc_attention_decode_stat_slots(%hl0)
              : (index) -> (index, index, index)
          %at1:3 = func.call @nhc_attention_decode_stat_slots(%hl1)
              : (index) -> (index, index, index)
          %m0 = memref.load %stats[%at0#0] : memref<24xf32, #gpu.address_space<workgroup>>
          %m1 = memref.load %stats[%at1#0] : memref<24xf32, #gpu.address_space<workgroup>>
          %mNew0 = arith.maximumf %m0, %bmax0 : f32
          %mNew1 = arith.maximumf %m1, %bmax1 : f32
          %p0v = scf.if %valid0 -> (f32) {
            %ds = arith.subf %sc0, %mNew0 : f32
            %x = math.exp %ds : f32
            scf.yield %x : f32
          } else {
            scf.yield %zero : f32
          }
          %p1v = scf.if %valid1 -> (f32) {
            %ds = arith.subf %sc1, %mNew1 : f32
            %x = math.exp %ds : f32
            scf.yield %x : f32
          } else {
            scf.yield %zero : f32
          }
          memref.store %p0v, %probs[%tx] : memref<512xf32, #gpu.address_space<workgroup>>
          memref.store %p1v, %probs[%slot1] : memref<512xf32, #gpu.address_space<workgroup>>
          // Their barriers also publish `probs`; every thread read m before.
          %psum0 = func.call @nhc_segment_reduce_256(%p0v, %tx, %partial, %false, %c64)
              : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1, index) -> f32
          %psum1 = func.call @nhc_segment_reduce_256(%p1v, %tx, %partial, %false, %c64)
              : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1, index) -> f32
          %leads0 = arith.andi %leads, %h0In : i1
          %leads1 = arith.andi %leads, %h1In : i1
          func.call @nhc_attention_decode_stats(%stats, %leads0, %hl0, %m0, %mNew0, %psum0)
              : (memref<24xf32, #gpu.address_space<workgroup>>, i1, index, f32, f32, f32) -> ()
          func.call @nhc_attention_decode_stats(%stats, %leads1, %hl1, %m1, %mNew1, %psum1)
              : (memref<24xf32, #gpu.address_space<workgroup>>, i1, index, f32, f32, f32) -> ()
          // O = O exp(m - m') + P V, per 128 columns of the head: V's tile
          // staged in kvt (this barrier also publishes the statistics).
          scf.for %d0 = %c0 to %D step %c128 {
            %restD = arith.subi %D, %d0 : index
            %cw = arith.minui %restD, %c128 : index
            %vTile0 = arith.muli %p0, %rowKV : index
            %vTile1 = arith.addi %kvbase, %vTile0 : index
            %vTile = arith.addi %vTile1, %d0 : index
            scf.if %kvChunked {
              func.call @nhc_attention_stage_kv_chunks(%v_cache, %kvt, %vTile, %rowKV, %tileN, %cw, %tx)
                  : (memref<?xf32>, memref<8256xf32, #gpu.address_space<workgroup>>, index, index, index, index, index) -> ()
            } else {
            %vElems = arith.muli %c64, %cw : index
            scf.for %e = %tx to %vElems step %c256b {
              %vp = arith.divui %e, %cw : index
              %col = arith.remui %e, %cw : index
              %inTileV = arith.cmpi ult, %vp, %tileN : index
              %vv = scf.if %inTileV -> (f32) {
                %gp = arith.addi %p0, %vp : index
                %gr = arith.muli %gp, %rowKV : index
                %gb = arith.addi %kvbase, %gr : index
                %gd = arith.addi %gb, %d0 : index
                %gi = arith.addi %gd, %col : index
                %x = memref.load %v_cache[%gi] : memref<?xf32>
                scf.yield %x : f32
              } else {
                scf.yield %zero : f32
              }
              %vr = arith.muli %vp, %c129 : index
              %vi = arith.addi %vr, %col : index
              memref.store %vv, %kvt[%vi] : memref<8256xf32, #gpu.address_space<workgroup>>
            }
            }
            gpu.barrier
            %pvElems = arith.muli %gc, %cw : index
            func.call @nhc_attention_decode_pv(%partials, %stats, %probs, %kvt, %pvElems, %cw, %tileN, %pRequest, %passHead, %lanes, %w, %D2, %d0, %tx)
                : (memref<?xf32>, memref<24xf32, #gpu.address_space<workgroup>>, memref<512xf32, #gpu.address_space<workgroup>>, memref<8256xf32, #gpu.address_space<workgroup>>, index, index, index, index, index, index, index, index, index, index) -> ()
            // Every thread is done with V's tile.
            gpu.barrier
          }
        }
        scf.if %resets {
          %at:3 = func.call @nhc_attention_decode_stat_slots(%tx)
              : (index) -> (index, index, index)
          %m = memref.load %stats[%at#0] : memref<24xf32, #gpu.address_space<workgroup>>
          %l = memref.load %stats[%at#1] : memref<24xf32, #gpu.address_space<workgroup>>
          %oBase = func.call @nhc_attention_partial_base(%pRequest, %passHead, %tx, %lanes, %w, %D2)
              : (index, index, index, index, index, index) -> index
          %mi = arith.addi %oBase, %D : index
          %lj = arith.addi %mi, %one : index
          memref.store %m, %partials[%mi] : memref<?xf32>
          memref.store %l, %partials[%lj] : memref<?xf32>
        }
        // (Each m and l is read here and reset by the next pass by the
        // same thread; the other threads read them before the last tile's
        // barriers.)
      }
    }
    gpu.terminator
  }

  // Phase 3: a prefill request's queries (more than one new token) in tiles
  // of 64, dealt to the lanes snake-wise (pass i: lanes in order when i is
  // even, reversed when odd, so causal tiles of growing cost even out).
  // Two launches, one of them empty: S = Q Kᵀ and P V in 3xTF32, or in
  // one tf32 mma each where the session's gemm precision is bf16 (1). A
  // step of one token per request (T == R: every decode step and its
  // recorded graph) has no prefill: both are empty and dropped.
  %noBlocks = arith.constant 0 : index
  %anyPrefill = arith.cmpi ugt, %T, %R : index
  %prefillHeads = arith.select %anyPrefill, %Hq, %noBlocks : index
  %bf16 = arith.cmpi eq, %gemm_precision, %c1 : index
  %headsAllTerms = arith.select %bf16, %noBlocks, %prefillHeads : index
  %headsOneTerm = arith.select %bf16, %prefillHeads, %noBlocks : index
  gpu.launch blocks(%h, %r, %lane) in (%gx = %headsAllTerms, %gy = %R, %gz = %lanes)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%stage : memref<4608xf32, #gpu.address_space<workgroup>>,
                       %pT : memref<4608xf32, #gpu.address_space<workgroup>>,
                       %qstats : memref<192xf32, #gpu.address_space<workgroup>>,
                       %parts : memref<512xf32, #gpu.address_space<workgroup>>) {
    %allTerms = arith.constant true
    func.call @nhc_attention_prefill_block(%qkv, %qkv_stride, %q_offset,
        %k_offset, %v_offset, %k_cache, %v_cache, %out, %req, %Hq, %Hkv, %D,
        %max_seq, %scale, %lanes, %h, %r, %lane, %tx, %allTerms, %stage, %pT,
        %qstats, %parts)
        : (memref<?xf32>, index, index, index, index, memref<?xf32>,
           memref<?xf32>, memref<?xf32>, memref<?xi64>, index, index, index,
           index, f32, index, index, index, index, index, i1,
           memref<4608xf32, #gpu.address_space<workgroup>>, memref<4608xf32, #gpu.address_space<workgroup>>,
           memref<192xf32, #gpu.address_space<workgroup>>, memref<512xf32, #gpu.address_space<workgroup>>) -> ()
    gpu.terminator
  }

  gpu.launch blocks(%h, %r, %lane) in (%gx = %headsOneTerm, %gy = %R, %gz = %lanes)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%stage : memref<4608xf32, #gpu.address_space<workgroup>>,
                       %pT : memref<4608xf32, #gpu.address_space<workgroup>>,
                       %qstats : memref<192xf32, #gpu.address_space<workgroup>>,
                       %parts : memref<512xf32, #gpu.address_space<workgroup>>) {
    %allTerms = arith.constant false
    func.call @nhc_attention_prefill_block(%qkv, %qkv_stride, %q_offset,
        %k_offset, %v_offset, %k_cache, %v_cache, %out, %req, %Hq, %Hkv, %D,
        %max_seq, %scale, %lanes, %h, %r, %lane, %tx, %allTerms, %stage, %pT,
        %qstats, %parts)
        : (memref<?xf32>, index, index, index, index, memref<?xf32>,
           memref<?xf32>, memref<?xf32>, memref<?xi64>, index, index, index,
           index, f32, index, index, index, index, index, i1,
           memref<4608xf32, #gpu.address_space<workgroup>>, memref<4608xf32, #gpu.address_space<workgroup>>,
           memref<192xf32, #gpu.address_space<workgroup>>, memref<512xf32, #gpu.address_space<workgroup>>) -> ()
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
      %rowOut = arith.muli %Hq, %D : index
      %orow = arith.muli %rq#0, %rowOut : index
      %hD = arith.muli %h, %D : index
      %obase = arith.addi %orow, %hD : index
      %c4 = arith.constant 4 : index
      // The spans four at a time, each four's m, l and o loaded at once
      // (one round trip per four spans, not three per span), merged into
      // the running M, L and O with the online softmax's rescale.
      scf.for %d = %tx to %D step %step {
        %mlo:3 = scf.for %z0 = %c0 to %spans step %c4
            iter_args(%M = %ninf, %L = %zero, %O = %zero) -> (f32, f32, f32) {
          %s0:3 = func.call @nhc_attention_combine_span(%partials, %pFirst, %z0, %c0, %spans, %D2, %D, %d)
              : (memref<?xf32>, index, index, index, index, index, index, index) -> (f32, f32, f32)
          %s1:3 = func.call @nhc_attention_combine_span(%partials, %pFirst, %z0, %one, %spans, %D2, %D, %d)
              : (memref<?xf32>, index, index, index, index, index, index, index) -> (f32, f32, f32)
          %s2:3 = func.call @nhc_attention_combine_span(%partials, %pFirst, %z0, %c2, %spans, %D2, %D, %d)
              : (memref<?xf32>, index, index, index, index, index, index, index) -> (f32, f32, f32)
          %c3 = arith.constant 3 : index
          %s3:3 = func.call @nhc_attention_combine_span(%partials, %pFirst, %z0, %c3, %spans, %D2, %D, %d)
              : (memref<?xf32>, index, index, index, index, index, index, index) -> (f32, f32, f32)
          %m01 = arith.maximumf %s0#0, %s1#0 : f32
          %m23 = arith.maximumf %s2#0, %s3#0 : f32
          %m03 = arith.maximumf %m01, %m23 : f32
          %Mn = arith.maximumf %M, %m03 : f32
          %run:2 = func.call @nhc_attention_combine_rescale(%M, %Mn, %L, %O)
              : (f32, f32, f32, f32) -> (f32, f32)
          %a0:2 = func.call @nhc_attention_combine_rescale(%s0#0, %Mn, %s0#1, %s0#2)
              : (f32, f32, f32, f32) -> (f32, f32)
          %a1:2 = func.call @nhc_attention_combine_rescale(%s1#0, %Mn, %s1#1, %s1#2)
              : (f32, f32, f32, f32) -> (f32, f32)
          %a2:2 = func.call @nhc_attention_combine_rescale(%s2#0, %Mn, %s2#1, %s2#2)
              : (f32, f32, f32, f32) -> (f32, f32)
          %a3:2 = func.call @nhc_attention_combine_rescale(%s3#0, %Mn, %s3#1, %s3#2)
              : (f32, f32, f32, f32) -> (f32, f32)
          %L0 = arith.addf %run#0, %a0#0 : f32
          %L1 = arith.addf %L0, %a1#0 : f32
          %L2 = arith.addf %L1, %a2#0 : f32
          %Ln = arith.addf %L2, %a3#0 : f32
          %O0 = arith.addf %run#1, %a0#1 : f32
          %O1 = arith.addf %O0, %a1#1 : f32
          %O2 = arith.addf %O1, %a2#1 : f32
          %On = arith.addf %O2, %a3#1 : f32
          scf.yield %Mn, %Ln, %On : f32, f32, f32
        }
        %y = arith.divf %mlo#2, %mlo#1 : f32
        %oi = arith.addi %obase, %d : index
        memref.store %y, %out[%oi] : memref<?xf32>
      }
    }
    gpu.terminator
  }
  return
}

// One block of the attention prefill (phase 3 of @nhc_attention_gpu): query
// head %h of request %r, lane %lane of %lanes, thread %tx; its products in
// 3xTF32 when %allTerms, else in one tf32 mma each (a constant at each
// call, so each launch's kernel has one of the two).
func.func private @nhc_attention_prefill_block(%qkv: memref<?xf32>,
    %qkv_stride: index, %q_offset: index, %k_offset: index,
    %v_offset: index, %k_cache: memref<?xf32>, %v_cache: memref<?xf32>,
    %out: memref<?xf32>, %req: memref<?xi64>, %Hq: index, %Hkv: index,
    %D: index, %max_seq: index, %scale: f32, %lanes: index, %h: index,
    %r: index, %lane: index, %tx: index, %allTerms: i1,
    %stage: memref<4608xf32, #gpu.address_space<workgroup>>,
    %pT: memref<4608xf32, #gpu.address_space<workgroup>>,
    %qstats: memref<192xf32, #gpu.address_space<workgroup>>,
    %parts: memref<512xf32, #gpu.address_space<workgroup>>) {
  %rowKV = arith.muli %Hkv, %D : index
  %c0 = arith.constant 0 : index
  %one = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c48 = arith.constant 48 : index
  %c63 = arith.constant 63 : index
  %c64 = arith.constant 64 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c24 = arith.constant 24 : index
  %c72 = arith.constant 72 : index
  %c128 = arith.constant 128 : index
  %c2048 = arith.constant 2048 : index
  %c2304 = arith.constant 2304 : index
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
  // This lane's places in its warp's 16 x 32 part of a 64 x 64 tile.
  // BEGIN GENERATED lanes: tools/scripts/gen-gpu-tiles.py
  %laneId = arith.remui %tx, %c32 : index
  %warpId = arith.divui %tx, %c32 : index
  %g = arith.divui %laneId, %c4 : index
  %t = arith.remui %laneId, %c4 : index
  %wm = arith.remui %warpId, %c4 : index
  %wn = arith.divui %warpId, %c4 : index
  %mBase = arith.muli %wm, %c16 : index
  %nBase = arith.muli %wn, %c32 : index
  %rowA = arith.addi %mBase, %g : index
  %rowB = arith.addi %rowA, %c8 : index
  %t2 = arith.muli %t, %c2 : index
  %t4 = arith.addi %t, %c4 : index
  %tk0 = arith.muli %t, %c72 : index
  %tk4 = arith.muli %t4, %c72 : index
  %nj0 = arith.addi %nBase, %c0 : index
  %bn0 = arith.addi %nj0, %g : index
  %cj00 = arith.addi %nj0, %t2 : index
  %cj01 = arith.addi %cj00, %one : index
  %pc00 = arith.muli %cj00, %c72 : index
  %pc01 = arith.muli %cj01, %c72 : index
  %nj1 = arith.addi %nBase, %c8 : index
  %bn1 = arith.addi %nj1, %g : index
  %cj10 = arith.addi %nj1, %t2 : index
  %cj11 = arith.addi %cj10, %one : index
  %pc10 = arith.muli %cj10, %c72 : index
  %pc11 = arith.muli %cj11, %c72 : index
  %nj2 = arith.addi %nBase, %c16 : index
  %bn2 = arith.addi %nj2, %g : index
  %cj20 = arith.addi %nj2, %t2 : index
  %cj21 = arith.addi %cj20, %one : index
  %pc20 = arith.muli %cj20, %c72 : index
  %pc21 = arith.muli %cj21, %c72 : index
  %nj3 = arith.addi %nBase, %c24 : index
  %bn3 = arith.addi %nj3, %g : index
  %cj30 = arith.addi %nj3, %t2 : index
  %cj31 = arith.addi %cj30, %one : index
  %pc30 = arith.muli %cj30, %c72 : index
  %pc31 = arith.muli %cj31, %c72 : index
  // END GENERATED lanes
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
      //    kk * 72 + row, K's from 2304; 0 past the tile or the head). A
      //    warp stages 4 columns of 8 rows: banks 8 kk + row, all 32.
      scf.for %k0 = %c0 to %D step %c32 {
        scf.for %e = %tx to %c2048 step %threads {
          %rowLow = arith.remui %e, %c8 : index
          %e8 = arith.divui %e, %c8 : index
          %kkLow = arith.remui %e8, %c4 : index
          %e32 = arith.divui %e, %c32 : index
          %kkHigh = arith.remui %e32, %c8 : index
          %rowHigh = arith.divui %e32, %c8 : index
          %kk4 = arith.muli %kkHigh, %c4 : index
          %kk = arith.addi %kk4, %kkLow : index
          %row8 = arith.muli %rowHigh, %c8 : index
          %row = arith.addi %row8, %rowLow : index
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
          %sr = arith.muli %kk, %c72 : index
          %qAt = arith.addi %sr, %row : index
          %kAt = arith.addi %qAt, %c2304 : index
          memref.store %qz, %stage[%qAt] : memref<4608xf32, #gpu.address_space<workgroup>>
          memref.store %kz, %stage[%kAt] : memref<4608xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
        // BEGIN GENERATED scores: tools/scripts/gen-gpu-tiles.py
        %sFirst = arith.cmpi eq, %k0, %c0 : index
        %kNext = arith.addi %k0, %c32 : index
        %lastChunk = arith.cmpi uge, %kNext, %D : index
        %si00 = arith.addi %pc00, %rowA : index
        %so00 = memref.load %pT[%si00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s000 = arith.select %sFirst, %zero, %so00 : f32
        %si01 = arith.addi %pc01, %rowA : index
        %so01 = memref.load %pT[%si01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s001 = arith.select %sFirst, %zero, %so01 : f32
        %si02 = arith.addi %pc00, %rowB : index
        %so02 = memref.load %pT[%si02] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s002 = arith.select %sFirst, %zero, %so02 : f32
        %si03 = arith.addi %pc01, %rowB : index
        %so03 = memref.load %pT[%si03] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s003 = arith.select %sFirst, %zero, %so03 : f32
        %sc0 = vector.from_elements %s000, %s001, %s002, %s003 : vector<2x2xf32>
        %si10 = arith.addi %pc10, %rowA : index
        %so10 = memref.load %pT[%si10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s010 = arith.select %sFirst, %zero, %so10 : f32
        %si11 = arith.addi %pc11, %rowA : index
        %so11 = memref.load %pT[%si11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s011 = arith.select %sFirst, %zero, %so11 : f32
        %si12 = arith.addi %pc10, %rowB : index
        %so12 = memref.load %pT[%si12] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s012 = arith.select %sFirst, %zero, %so12 : f32
        %si13 = arith.addi %pc11, %rowB : index
        %so13 = memref.load %pT[%si13] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s013 = arith.select %sFirst, %zero, %so13 : f32
        %sc1 = vector.from_elements %s010, %s011, %s012, %s013 : vector<2x2xf32>
        %si20 = arith.addi %pc20, %rowA : index
        %so20 = memref.load %pT[%si20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s020 = arith.select %sFirst, %zero, %so20 : f32
        %si21 = arith.addi %pc21, %rowA : index
        %so21 = memref.load %pT[%si21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s021 = arith.select %sFirst, %zero, %so21 : f32
        %si22 = arith.addi %pc20, %rowB : index
        %so22 = memref.load %pT[%si22] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s022 = arith.select %sFirst, %zero, %so22 : f32
        %si23 = arith.addi %pc21, %rowB : index
        %so23 = memref.load %pT[%si23] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s023 = arith.select %sFirst, %zero, %so23 : f32
        %sc2 = vector.from_elements %s020, %s021, %s022, %s023 : vector<2x2xf32>
        %si30 = arith.addi %pc30, %rowA : index
        %so30 = memref.load %pT[%si30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s030 = arith.select %sFirst, %zero, %so30 : f32
        %si31 = arith.addi %pc31, %rowA : index
        %so31 = memref.load %pT[%si31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s031 = arith.select %sFirst, %zero, %so31 : f32
        %si32 = arith.addi %pc30, %rowB : index
        %so32 = memref.load %pT[%si32] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s032 = arith.select %sFirst, %zero, %so32 : f32
        %si33 = arith.addi %pc31, %rowB : index
        %so33 = memref.load %pT[%si33] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s033 = arith.select %sFirst, %zero, %so33 : f32
        %sc3 = vector.from_elements %s030, %s031, %s032, %s033 : vector<2x2xf32>
        %s0k = arith.constant 0 : index
        %s0kb = arith.constant 2304 : index
        %s0ao0 = arith.addi %s0k, %tk0 : index
        %s0ai0 = arith.addi %s0ao0, %rowA : index
        %s0a0 = memref.load %stage[%s0ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0ao1 = arith.addi %s0k, %tk0 : index
        %s0ai1 = arith.addi %s0ao1, %rowB : index
        %s0a1 = memref.load %stage[%s0ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0ao2 = arith.addi %s0k, %tk4 : index
        %s0ai2 = arith.addi %s0ao2, %rowA : index
        %s0a2 = memref.load %stage[%s0ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0ao3 = arith.addi %s0k, %tk4 : index
        %s0ai3 = arith.addi %s0ao3, %rowB : index
        %s0a3 = memref.load %stage[%s0ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0A:2 = func.call @nhc_tf32_split4(%s0a0, %s0a1, %s0a2, %s0a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %s0bo00 = arith.addi %s0kb, %tk0 : index
        %s0bi00 = arith.addi %s0bo00, %bn0 : index
        %s0b00 = memref.load %stage[%s0bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0bo01 = arith.addi %s0kb, %tk4 : index
        %s0bi01 = arith.addi %s0bo01, %bn0 : index
        %s0b01 = memref.load %stage[%s0bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0B0:2 = func.call @nhc_tf32_split2(%s0b00, %s0b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s0bo10 = arith.addi %s0kb, %tk0 : index
        %s0bi10 = arith.addi %s0bo10, %bn1 : index
        %s0b10 = memref.load %stage[%s0bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0bo11 = arith.addi %s0kb, %tk4 : index
        %s0bi11 = arith.addi %s0bo11, %bn1 : index
        %s0b11 = memref.load %stage[%s0bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0B1:2 = func.call @nhc_tf32_split2(%s0b10, %s0b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s0bo20 = arith.addi %s0kb, %tk0 : index
        %s0bi20 = arith.addi %s0bo20, %bn2 : index
        %s0b20 = memref.load %stage[%s0bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0bo21 = arith.addi %s0kb, %tk4 : index
        %s0bi21 = arith.addi %s0bo21, %bn2 : index
        %s0b21 = memref.load %stage[%s0bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0B2:2 = func.call @nhc_tf32_split2(%s0b20, %s0b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s0bo30 = arith.addi %s0kb, %tk0 : index
        %s0bi30 = arith.addi %s0bo30, %bn3 : index
        %s0b30 = memref.load %stage[%s0bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0bo31 = arith.addi %s0kb, %tk4 : index
        %s0bi31 = arith.addi %s0bo31, %bn3 : index
        %s0b31 = memref.load %stage[%s0bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s0B3:2 = func.call @nhc_tf32_split2(%s0b30, %s0b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s0s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %s0m00 = nvgpu.mma.sync (%s0A#0, %s0B0#1, %sc0) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s0m10 = nvgpu.mma.sync (%s0A#0, %s0B1#1, %sc1) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s0m20 = nvgpu.mma.sync (%s0A#0, %s0B2#1, %sc2) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s0m30 = nvgpu.mma.sync (%s0A#0, %s0B3#1, %sc3) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s0m01 = nvgpu.mma.sync (%s0A#1, %s0B0#0, %s0m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s0m11 = nvgpu.mma.sync (%s0A#1, %s0B1#0, %s0m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s0m21 = nvgpu.mma.sync (%s0A#1, %s0B2#0, %s0m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s0m31 = nvgpu.mma.sync (%s0A#1, %s0B3#0, %s0m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %s0m01, %s0m11, %s0m21, %s0m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %sc0, %sc1, %sc2, %sc3 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %s0m02 = nvgpu.mma.sync (%s0A#0, %s0B0#0, %s0s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s0m12 = nvgpu.mma.sync (%s0A#0, %s0B1#0, %s0s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s0m22 = nvgpu.mma.sync (%s0A#0, %s0B2#0, %s0s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s0m32 = nvgpu.mma.sync (%s0A#0, %s0B3#0, %s0s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s1k = arith.constant 576 : index
        %s1kb = arith.constant 2880 : index
        %s1ao0 = arith.addi %s1k, %tk0 : index
        %s1ai0 = arith.addi %s1ao0, %rowA : index
        %s1a0 = memref.load %stage[%s1ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1ao1 = arith.addi %s1k, %tk0 : index
        %s1ai1 = arith.addi %s1ao1, %rowB : index
        %s1a1 = memref.load %stage[%s1ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1ao2 = arith.addi %s1k, %tk4 : index
        %s1ai2 = arith.addi %s1ao2, %rowA : index
        %s1a2 = memref.load %stage[%s1ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1ao3 = arith.addi %s1k, %tk4 : index
        %s1ai3 = arith.addi %s1ao3, %rowB : index
        %s1a3 = memref.load %stage[%s1ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1A:2 = func.call @nhc_tf32_split4(%s1a0, %s1a1, %s1a2, %s1a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %s1bo00 = arith.addi %s1kb, %tk0 : index
        %s1bi00 = arith.addi %s1bo00, %bn0 : index
        %s1b00 = memref.load %stage[%s1bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1bo01 = arith.addi %s1kb, %tk4 : index
        %s1bi01 = arith.addi %s1bo01, %bn0 : index
        %s1b01 = memref.load %stage[%s1bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1B0:2 = func.call @nhc_tf32_split2(%s1b00, %s1b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s1bo10 = arith.addi %s1kb, %tk0 : index
        %s1bi10 = arith.addi %s1bo10, %bn1 : index
        %s1b10 = memref.load %stage[%s1bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1bo11 = arith.addi %s1kb, %tk4 : index
        %s1bi11 = arith.addi %s1bo11, %bn1 : index
        %s1b11 = memref.load %stage[%s1bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1B1:2 = func.call @nhc_tf32_split2(%s1b10, %s1b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s1bo20 = arith.addi %s1kb, %tk0 : index
        %s1bi20 = arith.addi %s1bo20, %bn2 : index
        %s1b20 = memref.load %stage[%s1bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1bo21 = arith.addi %s1kb, %tk4 : index
        %s1bi21 = arith.addi %s1bo21, %bn2 : index
        %s1b21 = memref.load %stage[%s1bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1B2:2 = func.call @nhc_tf32_split2(%s1b20, %s1b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s1bo30 = arith.addi %s1kb, %tk0 : index
        %s1bi30 = arith.addi %s1bo30, %bn3 : index
        %s1b30 = memref.load %stage[%s1bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1bo31 = arith.addi %s1kb, %tk4 : index
        %s1bi31 = arith.addi %s1bo31, %bn3 : index
        %s1b31 = memref.load %stage[%s1bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s1B3:2 = func.call @nhc_tf32_split2(%s1b30, %s1b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s1s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %s1m00 = nvgpu.mma.sync (%s1A#0, %s1B0#1, %s0m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s1m10 = nvgpu.mma.sync (%s1A#0, %s1B1#1, %s0m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s1m20 = nvgpu.mma.sync (%s1A#0, %s1B2#1, %s0m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s1m30 = nvgpu.mma.sync (%s1A#0, %s1B3#1, %s0m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s1m01 = nvgpu.mma.sync (%s1A#1, %s1B0#0, %s1m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s1m11 = nvgpu.mma.sync (%s1A#1, %s1B1#0, %s1m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s1m21 = nvgpu.mma.sync (%s1A#1, %s1B2#0, %s1m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s1m31 = nvgpu.mma.sync (%s1A#1, %s1B3#0, %s1m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %s1m01, %s1m11, %s1m21, %s1m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %s0m02, %s0m12, %s0m22, %s0m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %s1m02 = nvgpu.mma.sync (%s1A#0, %s1B0#0, %s1s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s1m12 = nvgpu.mma.sync (%s1A#0, %s1B1#0, %s1s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s1m22 = nvgpu.mma.sync (%s1A#0, %s1B2#0, %s1s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s1m32 = nvgpu.mma.sync (%s1A#0, %s1B3#0, %s1s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s2k = arith.constant 1152 : index
        %s2kb = arith.constant 3456 : index
        %s2ao0 = arith.addi %s2k, %tk0 : index
        %s2ai0 = arith.addi %s2ao0, %rowA : index
        %s2a0 = memref.load %stage[%s2ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2ao1 = arith.addi %s2k, %tk0 : index
        %s2ai1 = arith.addi %s2ao1, %rowB : index
        %s2a1 = memref.load %stage[%s2ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2ao2 = arith.addi %s2k, %tk4 : index
        %s2ai2 = arith.addi %s2ao2, %rowA : index
        %s2a2 = memref.load %stage[%s2ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2ao3 = arith.addi %s2k, %tk4 : index
        %s2ai3 = arith.addi %s2ao3, %rowB : index
        %s2a3 = memref.load %stage[%s2ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2A:2 = func.call @nhc_tf32_split4(%s2a0, %s2a1, %s2a2, %s2a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %s2bo00 = arith.addi %s2kb, %tk0 : index
        %s2bi00 = arith.addi %s2bo00, %bn0 : index
        %s2b00 = memref.load %stage[%s2bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2bo01 = arith.addi %s2kb, %tk4 : index
        %s2bi01 = arith.addi %s2bo01, %bn0 : index
        %s2b01 = memref.load %stage[%s2bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2B0:2 = func.call @nhc_tf32_split2(%s2b00, %s2b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s2bo10 = arith.addi %s2kb, %tk0 : index
        %s2bi10 = arith.addi %s2bo10, %bn1 : index
        %s2b10 = memref.load %stage[%s2bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2bo11 = arith.addi %s2kb, %tk4 : index
        %s2bi11 = arith.addi %s2bo11, %bn1 : index
        %s2b11 = memref.load %stage[%s2bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2B1:2 = func.call @nhc_tf32_split2(%s2b10, %s2b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s2bo20 = arith.addi %s2kb, %tk0 : index
        %s2bi20 = arith.addi %s2bo20, %bn2 : index
        %s2b20 = memref.load %stage[%s2bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2bo21 = arith.addi %s2kb, %tk4 : index
        %s2bi21 = arith.addi %s2bo21, %bn2 : index
        %s2b21 = memref.load %stage[%s2bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2B2:2 = func.call @nhc_tf32_split2(%s2b20, %s2b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s2bo30 = arith.addi %s2kb, %tk0 : index
        %s2bi30 = arith.addi %s2bo30, %bn3 : index
        %s2b30 = memref.load %stage[%s2bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2bo31 = arith.addi %s2kb, %tk4 : index
        %s2bi31 = arith.addi %s2bo31, %bn3 : index
        %s2b31 = memref.load %stage[%s2bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s2B3:2 = func.call @nhc_tf32_split2(%s2b30, %s2b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s2s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %s2m00 = nvgpu.mma.sync (%s2A#0, %s2B0#1, %s1m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s2m10 = nvgpu.mma.sync (%s2A#0, %s2B1#1, %s1m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s2m20 = nvgpu.mma.sync (%s2A#0, %s2B2#1, %s1m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s2m30 = nvgpu.mma.sync (%s2A#0, %s2B3#1, %s1m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s2m01 = nvgpu.mma.sync (%s2A#1, %s2B0#0, %s2m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s2m11 = nvgpu.mma.sync (%s2A#1, %s2B1#0, %s2m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s2m21 = nvgpu.mma.sync (%s2A#1, %s2B2#0, %s2m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s2m31 = nvgpu.mma.sync (%s2A#1, %s2B3#0, %s2m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %s2m01, %s2m11, %s2m21, %s2m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %s1m02, %s1m12, %s1m22, %s1m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %s2m02 = nvgpu.mma.sync (%s2A#0, %s2B0#0, %s2s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s2m12 = nvgpu.mma.sync (%s2A#0, %s2B1#0, %s2s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s2m22 = nvgpu.mma.sync (%s2A#0, %s2B2#0, %s2s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s2m32 = nvgpu.mma.sync (%s2A#0, %s2B3#0, %s2s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s3k = arith.constant 1728 : index
        %s3kb = arith.constant 4032 : index
        %s3ao0 = arith.addi %s3k, %tk0 : index
        %s3ai0 = arith.addi %s3ao0, %rowA : index
        %s3a0 = memref.load %stage[%s3ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3ao1 = arith.addi %s3k, %tk0 : index
        %s3ai1 = arith.addi %s3ao1, %rowB : index
        %s3a1 = memref.load %stage[%s3ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3ao2 = arith.addi %s3k, %tk4 : index
        %s3ai2 = arith.addi %s3ao2, %rowA : index
        %s3a2 = memref.load %stage[%s3ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3ao3 = arith.addi %s3k, %tk4 : index
        %s3ai3 = arith.addi %s3ao3, %rowB : index
        %s3a3 = memref.load %stage[%s3ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3A:2 = func.call @nhc_tf32_split4(%s3a0, %s3a1, %s3a2, %s3a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %s3bo00 = arith.addi %s3kb, %tk0 : index
        %s3bi00 = arith.addi %s3bo00, %bn0 : index
        %s3b00 = memref.load %stage[%s3bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3bo01 = arith.addi %s3kb, %tk4 : index
        %s3bi01 = arith.addi %s3bo01, %bn0 : index
        %s3b01 = memref.load %stage[%s3bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3B0:2 = func.call @nhc_tf32_split2(%s3b00, %s3b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s3bo10 = arith.addi %s3kb, %tk0 : index
        %s3bi10 = arith.addi %s3bo10, %bn1 : index
        %s3b10 = memref.load %stage[%s3bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3bo11 = arith.addi %s3kb, %tk4 : index
        %s3bi11 = arith.addi %s3bo11, %bn1 : index
        %s3b11 = memref.load %stage[%s3bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3B1:2 = func.call @nhc_tf32_split2(%s3b10, %s3b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s3bo20 = arith.addi %s3kb, %tk0 : index
        %s3bi20 = arith.addi %s3bo20, %bn2 : index
        %s3b20 = memref.load %stage[%s3bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3bo21 = arith.addi %s3kb, %tk4 : index
        %s3bi21 = arith.addi %s3bo21, %bn2 : index
        %s3b21 = memref.load %stage[%s3bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3B2:2 = func.call @nhc_tf32_split2(%s3b20, %s3b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s3bo30 = arith.addi %s3kb, %tk0 : index
        %s3bi30 = arith.addi %s3bo30, %bn3 : index
        %s3b30 = memref.load %stage[%s3bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3bo31 = arith.addi %s3kb, %tk4 : index
        %s3bi31 = arith.addi %s3bo31, %bn3 : index
        %s3b31 = memref.load %stage[%s3bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %s3B3:2 = func.call @nhc_tf32_split2(%s3b30, %s3b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %s3s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %s3m00 = nvgpu.mma.sync (%s3A#0, %s3B0#1, %s2m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s3m10 = nvgpu.mma.sync (%s3A#0, %s3B1#1, %s2m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s3m20 = nvgpu.mma.sync (%s3A#0, %s3B2#1, %s2m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s3m30 = nvgpu.mma.sync (%s3A#0, %s3B3#1, %s2m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s3m01 = nvgpu.mma.sync (%s3A#1, %s3B0#0, %s3m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s3m11 = nvgpu.mma.sync (%s3A#1, %s3B1#0, %s3m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s3m21 = nvgpu.mma.sync (%s3A#1, %s3B2#0, %s3m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %s3m31 = nvgpu.mma.sync (%s3A#1, %s3B3#0, %s3m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %s3m01, %s3m11, %s3m21, %s3m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %s2m02, %s2m12, %s2m22, %s2m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %s3m02 = nvgpu.mma.sync (%s3A#0, %s3B0#0, %s3s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s3m12 = nvgpu.mma.sync (%s3A#0, %s3B1#0, %s3s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s3m22 = nvgpu.mma.sync (%s3A#0, %s3B2#0, %s3s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %s3m32 = nvgpu.mma.sync (%s3A#0, %s3B3#0, %s3s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %sv00 = vector.extract %s3m02[0, 0] : f32 from vector<2x2xf32>
        %sf00 = func.call @nhc_attention_score(%sv00, %lastChunk, %rowA, %cj00, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf00, %pT[%si00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv01 = vector.extract %s3m02[0, 1] : f32 from vector<2x2xf32>
        %sf01 = func.call @nhc_attention_score(%sv01, %lastChunk, %rowA, %cj01, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf01, %pT[%si01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv02 = vector.extract %s3m02[1, 0] : f32 from vector<2x2xf32>
        %sf02 = func.call @nhc_attention_score(%sv02, %lastChunk, %rowB, %cj00, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf02, %pT[%si02] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv03 = vector.extract %s3m02[1, 1] : f32 from vector<2x2xf32>
        %sf03 = func.call @nhc_attention_score(%sv03, %lastChunk, %rowB, %cj01, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf03, %pT[%si03] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv10 = vector.extract %s3m12[0, 0] : f32 from vector<2x2xf32>
        %sf10 = func.call @nhc_attention_score(%sv10, %lastChunk, %rowA, %cj10, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf10, %pT[%si10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv11 = vector.extract %s3m12[0, 1] : f32 from vector<2x2xf32>
        %sf11 = func.call @nhc_attention_score(%sv11, %lastChunk, %rowA, %cj11, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf11, %pT[%si11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv12 = vector.extract %s3m12[1, 0] : f32 from vector<2x2xf32>
        %sf12 = func.call @nhc_attention_score(%sv12, %lastChunk, %rowB, %cj10, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf12, %pT[%si12] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv13 = vector.extract %s3m12[1, 1] : f32 from vector<2x2xf32>
        %sf13 = func.call @nhc_attention_score(%sv13, %lastChunk, %rowB, %cj11, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf13, %pT[%si13] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv20 = vector.extract %s3m22[0, 0] : f32 from vector<2x2xf32>
        %sf20 = func.call @nhc_attention_score(%sv20, %lastChunk, %rowA, %cj20, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf20, %pT[%si20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv21 = vector.extract %s3m22[0, 1] : f32 from vector<2x2xf32>
        %sf21 = func.call @nhc_attention_score(%sv21, %lastChunk, %rowA, %cj21, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf21, %pT[%si21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv22 = vector.extract %s3m22[1, 0] : f32 from vector<2x2xf32>
        %sf22 = func.call @nhc_attention_score(%sv22, %lastChunk, %rowB, %cj20, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf22, %pT[%si22] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv23 = vector.extract %s3m22[1, 1] : f32 from vector<2x2xf32>
        %sf23 = func.call @nhc_attention_score(%sv23, %lastChunk, %rowB, %cj21, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf23, %pT[%si23] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv30 = vector.extract %s3m32[0, 0] : f32 from vector<2x2xf32>
        %sf30 = func.call @nhc_attention_score(%sv30, %lastChunk, %rowA, %cj30, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf30, %pT[%si30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv31 = vector.extract %s3m32[0, 1] : f32 from vector<2x2xf32>
        %sf31 = func.call @nhc_attention_score(%sv31, %lastChunk, %rowA, %cj31, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf31, %pT[%si31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv32 = vector.extract %s3m32[1, 0] : f32 from vector<2x2xf32>
        %sf32 = func.call @nhc_attention_score(%sv32, %lastChunk, %rowB, %cj30, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf32, %pT[%si32] : memref<4608xf32, #gpu.address_space<workgroup>>
        %sv33 = vector.extract %s3m32[1, 1] : f32 from vector<2x2xf32>
        %sf33 = func.call @nhc_attention_score(%sv33, %lastChunk, %rowB, %cj31, %nq, %p0, %causal0, %scale)
            : (f32, i1, index, index, index, index, index, f32) -> f32
        memref.store %sf33, %pT[%si33] : memref<4608xf32, #gpu.address_space<workgroup>>
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
        %jr = arith.muli %j, %c72 : index
        %ji = arith.addi %jr, %sq : index
        %s = memref.load %pT[%ji] : memref<4608xf32, #gpu.address_space<workgroup>>
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
        %jr = arith.muli %j, %c72 : index
        %ji = arith.addi %jr, %sq : index
        %s = memref.load %pT[%ji] : memref<4608xf32, #gpu.address_space<workgroup>>
        %ds = arith.subf %s, %mSafe : f32
        %p = math.exp %ds : f32
        memref.store %p, %pT[%ji] : memref<4608xf32, #gpu.address_space<workgroup>>
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
      //    tile staged (position row at row * 72; 0 past the tile or the
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
          %sr = arith.muli %row, %c72 : index
          %si = arith.addi %sr, %dd : index
          memref.store %vz, %stage[%si] : memref<4608xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
        // BEGIN GENERATED values: tools/scripts/gen-gpu-tiles.py
        %corrAtA = arith.addi %rowA, %c128 : index
        %corrA = memref.load %qstats[%corrAtA] : memref<192xf32, #gpu.address_space<workgroup>>
        %lAtA = arith.addi %rowA, %c64 : index
        %lA = memref.load %qstats[%lAtA] : memref<192xf32, #gpu.address_space<workgroup>>
        %corrAtB = arith.addi %rowB, %c128 : index
        %corrB = memref.load %qstats[%corrAtB] : memref<192xf32, #gpu.address_space<workgroup>>
        %lAtB = arith.addi %rowB, %c64 : index
        %lB = memref.load %qstats[%lAtB] : memref<192xf32, #gpu.address_space<workgroup>>
        %oi00:2 = func.call @nhc_attention_out_slot(%rowA, %cj00, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op00 = func.call @nhc_tile_load_partial(%out, %oi00#0, %oi00#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o000 = arith.mulf %op00, %corrA : f32
        %oi01:2 = func.call @nhc_attention_out_slot(%rowA, %cj01, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op01 = func.call @nhc_tile_load_partial(%out, %oi01#0, %oi01#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o001 = arith.mulf %op01, %corrA : f32
        %oi02:2 = func.call @nhc_attention_out_slot(%rowB, %cj00, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op02 = func.call @nhc_tile_load_partial(%out, %oi02#0, %oi02#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o002 = arith.mulf %op02, %corrB : f32
        %oi03:2 = func.call @nhc_attention_out_slot(%rowB, %cj01, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op03 = func.call @nhc_tile_load_partial(%out, %oi03#0, %oi03#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o003 = arith.mulf %op03, %corrB : f32
        %oc0 = vector.from_elements %o000, %o001, %o002, %o003 : vector<2x2xf32>
        %oi10:2 = func.call @nhc_attention_out_slot(%rowA, %cj10, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op10 = func.call @nhc_tile_load_partial(%out, %oi10#0, %oi10#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o010 = arith.mulf %op10, %corrA : f32
        %oi11:2 = func.call @nhc_attention_out_slot(%rowA, %cj11, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op11 = func.call @nhc_tile_load_partial(%out, %oi11#0, %oi11#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o011 = arith.mulf %op11, %corrA : f32
        %oi12:2 = func.call @nhc_attention_out_slot(%rowB, %cj10, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op12 = func.call @nhc_tile_load_partial(%out, %oi12#0, %oi12#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o012 = arith.mulf %op12, %corrB : f32
        %oi13:2 = func.call @nhc_attention_out_slot(%rowB, %cj11, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op13 = func.call @nhc_tile_load_partial(%out, %oi13#0, %oi13#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o013 = arith.mulf %op13, %corrB : f32
        %oc1 = vector.from_elements %o010, %o011, %o012, %o013 : vector<2x2xf32>
        %oi20:2 = func.call @nhc_attention_out_slot(%rowA, %cj20, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op20 = func.call @nhc_tile_load_partial(%out, %oi20#0, %oi20#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o020 = arith.mulf %op20, %corrA : f32
        %oi21:2 = func.call @nhc_attention_out_slot(%rowA, %cj21, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op21 = func.call @nhc_tile_load_partial(%out, %oi21#0, %oi21#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o021 = arith.mulf %op21, %corrA : f32
        %oi22:2 = func.call @nhc_attention_out_slot(%rowB, %cj20, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op22 = func.call @nhc_tile_load_partial(%out, %oi22#0, %oi22#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o022 = arith.mulf %op22, %corrB : f32
        %oi23:2 = func.call @nhc_attention_out_slot(%rowB, %cj21, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op23 = func.call @nhc_tile_load_partial(%out, %oi23#0, %oi23#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o023 = arith.mulf %op23, %corrB : f32
        %oc2 = vector.from_elements %o020, %o021, %o022, %o023 : vector<2x2xf32>
        %oi30:2 = func.call @nhc_attention_out_slot(%rowA, %cj30, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op30 = func.call @nhc_tile_load_partial(%out, %oi30#0, %oi30#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o030 = arith.mulf %op30, %corrA : f32
        %oi31:2 = func.call @nhc_attention_out_slot(%rowA, %cj31, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op31 = func.call @nhc_tile_load_partial(%out, %oi31#0, %oi31#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o031 = arith.mulf %op31, %corrA : f32
        %oi32:2 = func.call @nhc_attention_out_slot(%rowB, %cj30, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op32 = func.call @nhc_tile_load_partial(%out, %oi32#0, %oi32#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o032 = arith.mulf %op32, %corrB : f32
        %oi33:2 = func.call @nhc_attention_out_slot(%rowB, %cj31, %d0, %nq, %D, %oRow0, %rowOut)
            : (index, index, index, index, index, index, index) -> (index, i1)
        %op33 = func.call @nhc_tile_load_partial(%out, %oi33#0, %oi33#1, %firstTile)
            : (memref<?xf32>, index, i1, i1) -> f32
        %o033 = arith.mulf %op33, %corrB : f32
        %oc3 = vector.from_elements %o030, %o031, %o032, %o033 : vector<2x2xf32>
        %o0k = arith.constant 0 : index
        %o0ao0 = arith.addi %o0k, %tk0 : index
        %o0ai0 = arith.addi %o0ao0, %rowA : index
        %o0a0 = memref.load %pT[%o0ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0ao1 = arith.addi %o0k, %tk0 : index
        %o0ai1 = arith.addi %o0ao1, %rowB : index
        %o0a1 = memref.load %pT[%o0ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0ao2 = arith.addi %o0k, %tk4 : index
        %o0ai2 = arith.addi %o0ao2, %rowA : index
        %o0a2 = memref.load %pT[%o0ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0ao3 = arith.addi %o0k, %tk4 : index
        %o0ai3 = arith.addi %o0ao3, %rowB : index
        %o0a3 = memref.load %pT[%o0ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0A:2 = func.call @nhc_tf32_split4(%o0a0, %o0a1, %o0a2, %o0a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %o0bo00 = arith.addi %o0k, %tk0 : index
        %o0bi00 = arith.addi %o0bo00, %bn0 : index
        %o0b00 = memref.load %stage[%o0bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0bo01 = arith.addi %o0k, %tk4 : index
        %o0bi01 = arith.addi %o0bo01, %bn0 : index
        %o0b01 = memref.load %stage[%o0bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0B0:2 = func.call @nhc_tf32_split2(%o0b00, %o0b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o0bo10 = arith.addi %o0k, %tk0 : index
        %o0bi10 = arith.addi %o0bo10, %bn1 : index
        %o0b10 = memref.load %stage[%o0bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0bo11 = arith.addi %o0k, %tk4 : index
        %o0bi11 = arith.addi %o0bo11, %bn1 : index
        %o0b11 = memref.load %stage[%o0bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0B1:2 = func.call @nhc_tf32_split2(%o0b10, %o0b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o0bo20 = arith.addi %o0k, %tk0 : index
        %o0bi20 = arith.addi %o0bo20, %bn2 : index
        %o0b20 = memref.load %stage[%o0bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0bo21 = arith.addi %o0k, %tk4 : index
        %o0bi21 = arith.addi %o0bo21, %bn2 : index
        %o0b21 = memref.load %stage[%o0bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0B2:2 = func.call @nhc_tf32_split2(%o0b20, %o0b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o0bo30 = arith.addi %o0k, %tk0 : index
        %o0bi30 = arith.addi %o0bo30, %bn3 : index
        %o0b30 = memref.load %stage[%o0bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0bo31 = arith.addi %o0k, %tk4 : index
        %o0bi31 = arith.addi %o0bo31, %bn3 : index
        %o0b31 = memref.load %stage[%o0bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o0B3:2 = func.call @nhc_tf32_split2(%o0b30, %o0b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o0s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %o0m00 = nvgpu.mma.sync (%o0A#0, %o0B0#1, %oc0) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o0m10 = nvgpu.mma.sync (%o0A#0, %o0B1#1, %oc1) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o0m20 = nvgpu.mma.sync (%o0A#0, %o0B2#1, %oc2) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o0m30 = nvgpu.mma.sync (%o0A#0, %o0B3#1, %oc3) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o0m01 = nvgpu.mma.sync (%o0A#1, %o0B0#0, %o0m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o0m11 = nvgpu.mma.sync (%o0A#1, %o0B1#0, %o0m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o0m21 = nvgpu.mma.sync (%o0A#1, %o0B2#0, %o0m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o0m31 = nvgpu.mma.sync (%o0A#1, %o0B3#0, %o0m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %o0m01, %o0m11, %o0m21, %o0m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %oc0, %oc1, %oc2, %oc3 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %o0m02 = nvgpu.mma.sync (%o0A#0, %o0B0#0, %o0s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o0m12 = nvgpu.mma.sync (%o0A#0, %o0B1#0, %o0s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o0m22 = nvgpu.mma.sync (%o0A#0, %o0B2#0, %o0s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o0m32 = nvgpu.mma.sync (%o0A#0, %o0B3#0, %o0s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o1k = arith.constant 576 : index
        %o1ao0 = arith.addi %o1k, %tk0 : index
        %o1ai0 = arith.addi %o1ao0, %rowA : index
        %o1a0 = memref.load %pT[%o1ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1ao1 = arith.addi %o1k, %tk0 : index
        %o1ai1 = arith.addi %o1ao1, %rowB : index
        %o1a1 = memref.load %pT[%o1ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1ao2 = arith.addi %o1k, %tk4 : index
        %o1ai2 = arith.addi %o1ao2, %rowA : index
        %o1a2 = memref.load %pT[%o1ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1ao3 = arith.addi %o1k, %tk4 : index
        %o1ai3 = arith.addi %o1ao3, %rowB : index
        %o1a3 = memref.load %pT[%o1ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1A:2 = func.call @nhc_tf32_split4(%o1a0, %o1a1, %o1a2, %o1a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %o1bo00 = arith.addi %o1k, %tk0 : index
        %o1bi00 = arith.addi %o1bo00, %bn0 : index
        %o1b00 = memref.load %stage[%o1bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1bo01 = arith.addi %o1k, %tk4 : index
        %o1bi01 = arith.addi %o1bo01, %bn0 : index
        %o1b01 = memref.load %stage[%o1bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1B0:2 = func.call @nhc_tf32_split2(%o1b00, %o1b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o1bo10 = arith.addi %o1k, %tk0 : index
        %o1bi10 = arith.addi %o1bo10, %bn1 : index
        %o1b10 = memref.load %stage[%o1bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1bo11 = arith.addi %o1k, %tk4 : index
        %o1bi11 = arith.addi %o1bo11, %bn1 : index
        %o1b11 = memref.load %stage[%o1bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1B1:2 = func.call @nhc_tf32_split2(%o1b10, %o1b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o1bo20 = arith.addi %o1k, %tk0 : index
        %o1bi20 = arith.addi %o1bo20, %bn2 : index
        %o1b20 = memref.load %stage[%o1bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1bo21 = arith.addi %o1k, %tk4 : index
        %o1bi21 = arith.addi %o1bo21, %bn2 : index
        %o1b21 = memref.load %stage[%o1bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1B2:2 = func.call @nhc_tf32_split2(%o1b20, %o1b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o1bo30 = arith.addi %o1k, %tk0 : index
        %o1bi30 = arith.addi %o1bo30, %bn3 : index
        %o1b30 = memref.load %stage[%o1bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1bo31 = arith.addi %o1k, %tk4 : index
        %o1bi31 = arith.addi %o1bo31, %bn3 : index
        %o1b31 = memref.load %stage[%o1bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o1B3:2 = func.call @nhc_tf32_split2(%o1b30, %o1b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o1s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %o1m00 = nvgpu.mma.sync (%o1A#0, %o1B0#1, %o0m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o1m10 = nvgpu.mma.sync (%o1A#0, %o1B1#1, %o0m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o1m20 = nvgpu.mma.sync (%o1A#0, %o1B2#1, %o0m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o1m30 = nvgpu.mma.sync (%o1A#0, %o1B3#1, %o0m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o1m01 = nvgpu.mma.sync (%o1A#1, %o1B0#0, %o1m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o1m11 = nvgpu.mma.sync (%o1A#1, %o1B1#0, %o1m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o1m21 = nvgpu.mma.sync (%o1A#1, %o1B2#0, %o1m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o1m31 = nvgpu.mma.sync (%o1A#1, %o1B3#0, %o1m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %o1m01, %o1m11, %o1m21, %o1m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %o0m02, %o0m12, %o0m22, %o0m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %o1m02 = nvgpu.mma.sync (%o1A#0, %o1B0#0, %o1s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o1m12 = nvgpu.mma.sync (%o1A#0, %o1B1#0, %o1s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o1m22 = nvgpu.mma.sync (%o1A#0, %o1B2#0, %o1s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o1m32 = nvgpu.mma.sync (%o1A#0, %o1B3#0, %o1s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o2k = arith.constant 1152 : index
        %o2ao0 = arith.addi %o2k, %tk0 : index
        %o2ai0 = arith.addi %o2ao0, %rowA : index
        %o2a0 = memref.load %pT[%o2ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2ao1 = arith.addi %o2k, %tk0 : index
        %o2ai1 = arith.addi %o2ao1, %rowB : index
        %o2a1 = memref.load %pT[%o2ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2ao2 = arith.addi %o2k, %tk4 : index
        %o2ai2 = arith.addi %o2ao2, %rowA : index
        %o2a2 = memref.load %pT[%o2ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2ao3 = arith.addi %o2k, %tk4 : index
        %o2ai3 = arith.addi %o2ao3, %rowB : index
        %o2a3 = memref.load %pT[%o2ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2A:2 = func.call @nhc_tf32_split4(%o2a0, %o2a1, %o2a2, %o2a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %o2bo00 = arith.addi %o2k, %tk0 : index
        %o2bi00 = arith.addi %o2bo00, %bn0 : index
        %o2b00 = memref.load %stage[%o2bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2bo01 = arith.addi %o2k, %tk4 : index
        %o2bi01 = arith.addi %o2bo01, %bn0 : index
        %o2b01 = memref.load %stage[%o2bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2B0:2 = func.call @nhc_tf32_split2(%o2b00, %o2b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o2bo10 = arith.addi %o2k, %tk0 : index
        %o2bi10 = arith.addi %o2bo10, %bn1 : index
        %o2b10 = memref.load %stage[%o2bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2bo11 = arith.addi %o2k, %tk4 : index
        %o2bi11 = arith.addi %o2bo11, %bn1 : index
        %o2b11 = memref.load %stage[%o2bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2B1:2 = func.call @nhc_tf32_split2(%o2b10, %o2b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o2bo20 = arith.addi %o2k, %tk0 : index
        %o2bi20 = arith.addi %o2bo20, %bn2 : index
        %o2b20 = memref.load %stage[%o2bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2bo21 = arith.addi %o2k, %tk4 : index
        %o2bi21 = arith.addi %o2bo21, %bn2 : index
        %o2b21 = memref.load %stage[%o2bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2B2:2 = func.call @nhc_tf32_split2(%o2b20, %o2b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o2bo30 = arith.addi %o2k, %tk0 : index
        %o2bi30 = arith.addi %o2bo30, %bn3 : index
        %o2b30 = memref.load %stage[%o2bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2bo31 = arith.addi %o2k, %tk4 : index
        %o2bi31 = arith.addi %o2bo31, %bn3 : index
        %o2b31 = memref.load %stage[%o2bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o2B3:2 = func.call @nhc_tf32_split2(%o2b30, %o2b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o2s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %o2m00 = nvgpu.mma.sync (%o2A#0, %o2B0#1, %o1m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o2m10 = nvgpu.mma.sync (%o2A#0, %o2B1#1, %o1m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o2m20 = nvgpu.mma.sync (%o2A#0, %o2B2#1, %o1m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o2m30 = nvgpu.mma.sync (%o2A#0, %o2B3#1, %o1m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o2m01 = nvgpu.mma.sync (%o2A#1, %o2B0#0, %o2m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o2m11 = nvgpu.mma.sync (%o2A#1, %o2B1#0, %o2m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o2m21 = nvgpu.mma.sync (%o2A#1, %o2B2#0, %o2m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o2m31 = nvgpu.mma.sync (%o2A#1, %o2B3#0, %o2m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %o2m01, %o2m11, %o2m21, %o2m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %o1m02, %o1m12, %o1m22, %o1m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %o2m02 = nvgpu.mma.sync (%o2A#0, %o2B0#0, %o2s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o2m12 = nvgpu.mma.sync (%o2A#0, %o2B1#0, %o2s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o2m22 = nvgpu.mma.sync (%o2A#0, %o2B2#0, %o2s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o2m32 = nvgpu.mma.sync (%o2A#0, %o2B3#0, %o2s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o3k = arith.constant 1728 : index
        %o3ao0 = arith.addi %o3k, %tk0 : index
        %o3ai0 = arith.addi %o3ao0, %rowA : index
        %o3a0 = memref.load %pT[%o3ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3ao1 = arith.addi %o3k, %tk0 : index
        %o3ai1 = arith.addi %o3ao1, %rowB : index
        %o3a1 = memref.load %pT[%o3ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3ao2 = arith.addi %o3k, %tk4 : index
        %o3ai2 = arith.addi %o3ao2, %rowA : index
        %o3a2 = memref.load %pT[%o3ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3ao3 = arith.addi %o3k, %tk4 : index
        %o3ai3 = arith.addi %o3ao3, %rowB : index
        %o3a3 = memref.load %pT[%o3ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3A:2 = func.call @nhc_tf32_split4(%o3a0, %o3a1, %o3a2, %o3a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %o3bo00 = arith.addi %o3k, %tk0 : index
        %o3bi00 = arith.addi %o3bo00, %bn0 : index
        %o3b00 = memref.load %stage[%o3bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3bo01 = arith.addi %o3k, %tk4 : index
        %o3bi01 = arith.addi %o3bo01, %bn0 : index
        %o3b01 = memref.load %stage[%o3bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3B0:2 = func.call @nhc_tf32_split2(%o3b00, %o3b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o3bo10 = arith.addi %o3k, %tk0 : index
        %o3bi10 = arith.addi %o3bo10, %bn1 : index
        %o3b10 = memref.load %stage[%o3bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3bo11 = arith.addi %o3k, %tk4 : index
        %o3bi11 = arith.addi %o3bo11, %bn1 : index
        %o3b11 = memref.load %stage[%o3bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3B1:2 = func.call @nhc_tf32_split2(%o3b10, %o3b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o3bo20 = arith.addi %o3k, %tk0 : index
        %o3bi20 = arith.addi %o3bo20, %bn2 : index
        %o3b20 = memref.load %stage[%o3bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3bo21 = arith.addi %o3k, %tk4 : index
        %o3bi21 = arith.addi %o3bo21, %bn2 : index
        %o3b21 = memref.load %stage[%o3bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3B2:2 = func.call @nhc_tf32_split2(%o3b20, %o3b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o3bo30 = arith.addi %o3k, %tk0 : index
        %o3bi30 = arith.addi %o3bo30, %bn3 : index
        %o3b30 = memref.load %stage[%o3bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3bo31 = arith.addi %o3k, %tk4 : index
        %o3bi31 = arith.addi %o3bo31, %bn3 : index
        %o3b31 = memref.load %stage[%o3bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o3B3:2 = func.call @nhc_tf32_split2(%o3b30, %o3b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o3s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %o3m00 = nvgpu.mma.sync (%o3A#0, %o3B0#1, %o2m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o3m10 = nvgpu.mma.sync (%o3A#0, %o3B1#1, %o2m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o3m20 = nvgpu.mma.sync (%o3A#0, %o3B2#1, %o2m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o3m30 = nvgpu.mma.sync (%o3A#0, %o3B3#1, %o2m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o3m01 = nvgpu.mma.sync (%o3A#1, %o3B0#0, %o3m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o3m11 = nvgpu.mma.sync (%o3A#1, %o3B1#0, %o3m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o3m21 = nvgpu.mma.sync (%o3A#1, %o3B2#0, %o3m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o3m31 = nvgpu.mma.sync (%o3A#1, %o3B3#0, %o3m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %o3m01, %o3m11, %o3m21, %o3m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %o2m02, %o2m12, %o2m22, %o2m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %o3m02 = nvgpu.mma.sync (%o3A#0, %o3B0#0, %o3s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o3m12 = nvgpu.mma.sync (%o3A#0, %o3B1#0, %o3s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o3m22 = nvgpu.mma.sync (%o3A#0, %o3B2#0, %o3s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o3m32 = nvgpu.mma.sync (%o3A#0, %o3B3#0, %o3s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o4k = arith.constant 2304 : index
        %o4ao0 = arith.addi %o4k, %tk0 : index
        %o4ai0 = arith.addi %o4ao0, %rowA : index
        %o4a0 = memref.load %pT[%o4ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4ao1 = arith.addi %o4k, %tk0 : index
        %o4ai1 = arith.addi %o4ao1, %rowB : index
        %o4a1 = memref.load %pT[%o4ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4ao2 = arith.addi %o4k, %tk4 : index
        %o4ai2 = arith.addi %o4ao2, %rowA : index
        %o4a2 = memref.load %pT[%o4ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4ao3 = arith.addi %o4k, %tk4 : index
        %o4ai3 = arith.addi %o4ao3, %rowB : index
        %o4a3 = memref.load %pT[%o4ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4A:2 = func.call @nhc_tf32_split4(%o4a0, %o4a1, %o4a2, %o4a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %o4bo00 = arith.addi %o4k, %tk0 : index
        %o4bi00 = arith.addi %o4bo00, %bn0 : index
        %o4b00 = memref.load %stage[%o4bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4bo01 = arith.addi %o4k, %tk4 : index
        %o4bi01 = arith.addi %o4bo01, %bn0 : index
        %o4b01 = memref.load %stage[%o4bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4B0:2 = func.call @nhc_tf32_split2(%o4b00, %o4b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o4bo10 = arith.addi %o4k, %tk0 : index
        %o4bi10 = arith.addi %o4bo10, %bn1 : index
        %o4b10 = memref.load %stage[%o4bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4bo11 = arith.addi %o4k, %tk4 : index
        %o4bi11 = arith.addi %o4bo11, %bn1 : index
        %o4b11 = memref.load %stage[%o4bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4B1:2 = func.call @nhc_tf32_split2(%o4b10, %o4b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o4bo20 = arith.addi %o4k, %tk0 : index
        %o4bi20 = arith.addi %o4bo20, %bn2 : index
        %o4b20 = memref.load %stage[%o4bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4bo21 = arith.addi %o4k, %tk4 : index
        %o4bi21 = arith.addi %o4bo21, %bn2 : index
        %o4b21 = memref.load %stage[%o4bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4B2:2 = func.call @nhc_tf32_split2(%o4b20, %o4b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o4bo30 = arith.addi %o4k, %tk0 : index
        %o4bi30 = arith.addi %o4bo30, %bn3 : index
        %o4b30 = memref.load %stage[%o4bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4bo31 = arith.addi %o4k, %tk4 : index
        %o4bi31 = arith.addi %o4bo31, %bn3 : index
        %o4b31 = memref.load %stage[%o4bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o4B3:2 = func.call @nhc_tf32_split2(%o4b30, %o4b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o4s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %o4m00 = nvgpu.mma.sync (%o4A#0, %o4B0#1, %o3m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o4m10 = nvgpu.mma.sync (%o4A#0, %o4B1#1, %o3m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o4m20 = nvgpu.mma.sync (%o4A#0, %o4B2#1, %o3m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o4m30 = nvgpu.mma.sync (%o4A#0, %o4B3#1, %o3m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o4m01 = nvgpu.mma.sync (%o4A#1, %o4B0#0, %o4m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o4m11 = nvgpu.mma.sync (%o4A#1, %o4B1#0, %o4m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o4m21 = nvgpu.mma.sync (%o4A#1, %o4B2#0, %o4m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o4m31 = nvgpu.mma.sync (%o4A#1, %o4B3#0, %o4m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %o4m01, %o4m11, %o4m21, %o4m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %o3m02, %o3m12, %o3m22, %o3m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %o4m02 = nvgpu.mma.sync (%o4A#0, %o4B0#0, %o4s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o4m12 = nvgpu.mma.sync (%o4A#0, %o4B1#0, %o4s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o4m22 = nvgpu.mma.sync (%o4A#0, %o4B2#0, %o4s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o4m32 = nvgpu.mma.sync (%o4A#0, %o4B3#0, %o4s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o5k = arith.constant 2880 : index
        %o5ao0 = arith.addi %o5k, %tk0 : index
        %o5ai0 = arith.addi %o5ao0, %rowA : index
        %o5a0 = memref.load %pT[%o5ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5ao1 = arith.addi %o5k, %tk0 : index
        %o5ai1 = arith.addi %o5ao1, %rowB : index
        %o5a1 = memref.load %pT[%o5ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5ao2 = arith.addi %o5k, %tk4 : index
        %o5ai2 = arith.addi %o5ao2, %rowA : index
        %o5a2 = memref.load %pT[%o5ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5ao3 = arith.addi %o5k, %tk4 : index
        %o5ai3 = arith.addi %o5ao3, %rowB : index
        %o5a3 = memref.load %pT[%o5ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5A:2 = func.call @nhc_tf32_split4(%o5a0, %o5a1, %o5a2, %o5a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %o5bo00 = arith.addi %o5k, %tk0 : index
        %o5bi00 = arith.addi %o5bo00, %bn0 : index
        %o5b00 = memref.load %stage[%o5bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5bo01 = arith.addi %o5k, %tk4 : index
        %o5bi01 = arith.addi %o5bo01, %bn0 : index
        %o5b01 = memref.load %stage[%o5bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5B0:2 = func.call @nhc_tf32_split2(%o5b00, %o5b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o5bo10 = arith.addi %o5k, %tk0 : index
        %o5bi10 = arith.addi %o5bo10, %bn1 : index
        %o5b10 = memref.load %stage[%o5bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5bo11 = arith.addi %o5k, %tk4 : index
        %o5bi11 = arith.addi %o5bo11, %bn1 : index
        %o5b11 = memref.load %stage[%o5bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5B1:2 = func.call @nhc_tf32_split2(%o5b10, %o5b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o5bo20 = arith.addi %o5k, %tk0 : index
        %o5bi20 = arith.addi %o5bo20, %bn2 : index
        %o5b20 = memref.load %stage[%o5bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5bo21 = arith.addi %o5k, %tk4 : index
        %o5bi21 = arith.addi %o5bo21, %bn2 : index
        %o5b21 = memref.load %stage[%o5bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5B2:2 = func.call @nhc_tf32_split2(%o5b20, %o5b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o5bo30 = arith.addi %o5k, %tk0 : index
        %o5bi30 = arith.addi %o5bo30, %bn3 : index
        %o5b30 = memref.load %stage[%o5bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5bo31 = arith.addi %o5k, %tk4 : index
        %o5bi31 = arith.addi %o5bo31, %bn3 : index
        %o5b31 = memref.load %stage[%o5bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o5B3:2 = func.call @nhc_tf32_split2(%o5b30, %o5b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o5s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %o5m00 = nvgpu.mma.sync (%o5A#0, %o5B0#1, %o4m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o5m10 = nvgpu.mma.sync (%o5A#0, %o5B1#1, %o4m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o5m20 = nvgpu.mma.sync (%o5A#0, %o5B2#1, %o4m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o5m30 = nvgpu.mma.sync (%o5A#0, %o5B3#1, %o4m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o5m01 = nvgpu.mma.sync (%o5A#1, %o5B0#0, %o5m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o5m11 = nvgpu.mma.sync (%o5A#1, %o5B1#0, %o5m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o5m21 = nvgpu.mma.sync (%o5A#1, %o5B2#0, %o5m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o5m31 = nvgpu.mma.sync (%o5A#1, %o5B3#0, %o5m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %o5m01, %o5m11, %o5m21, %o5m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %o4m02, %o4m12, %o4m22, %o4m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %o5m02 = nvgpu.mma.sync (%o5A#0, %o5B0#0, %o5s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o5m12 = nvgpu.mma.sync (%o5A#0, %o5B1#0, %o5s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o5m22 = nvgpu.mma.sync (%o5A#0, %o5B2#0, %o5s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o5m32 = nvgpu.mma.sync (%o5A#0, %o5B3#0, %o5s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o6k = arith.constant 3456 : index
        %o6ao0 = arith.addi %o6k, %tk0 : index
        %o6ai0 = arith.addi %o6ao0, %rowA : index
        %o6a0 = memref.load %pT[%o6ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6ao1 = arith.addi %o6k, %tk0 : index
        %o6ai1 = arith.addi %o6ao1, %rowB : index
        %o6a1 = memref.load %pT[%o6ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6ao2 = arith.addi %o6k, %tk4 : index
        %o6ai2 = arith.addi %o6ao2, %rowA : index
        %o6a2 = memref.load %pT[%o6ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6ao3 = arith.addi %o6k, %tk4 : index
        %o6ai3 = arith.addi %o6ao3, %rowB : index
        %o6a3 = memref.load %pT[%o6ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6A:2 = func.call @nhc_tf32_split4(%o6a0, %o6a1, %o6a2, %o6a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %o6bo00 = arith.addi %o6k, %tk0 : index
        %o6bi00 = arith.addi %o6bo00, %bn0 : index
        %o6b00 = memref.load %stage[%o6bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6bo01 = arith.addi %o6k, %tk4 : index
        %o6bi01 = arith.addi %o6bo01, %bn0 : index
        %o6b01 = memref.load %stage[%o6bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6B0:2 = func.call @nhc_tf32_split2(%o6b00, %o6b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o6bo10 = arith.addi %o6k, %tk0 : index
        %o6bi10 = arith.addi %o6bo10, %bn1 : index
        %o6b10 = memref.load %stage[%o6bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6bo11 = arith.addi %o6k, %tk4 : index
        %o6bi11 = arith.addi %o6bo11, %bn1 : index
        %o6b11 = memref.load %stage[%o6bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6B1:2 = func.call @nhc_tf32_split2(%o6b10, %o6b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o6bo20 = arith.addi %o6k, %tk0 : index
        %o6bi20 = arith.addi %o6bo20, %bn2 : index
        %o6b20 = memref.load %stage[%o6bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6bo21 = arith.addi %o6k, %tk4 : index
        %o6bi21 = arith.addi %o6bo21, %bn2 : index
        %o6b21 = memref.load %stage[%o6bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6B2:2 = func.call @nhc_tf32_split2(%o6b20, %o6b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o6bo30 = arith.addi %o6k, %tk0 : index
        %o6bi30 = arith.addi %o6bo30, %bn3 : index
        %o6b30 = memref.load %stage[%o6bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6bo31 = arith.addi %o6k, %tk4 : index
        %o6bi31 = arith.addi %o6bo31, %bn3 : index
        %o6b31 = memref.load %stage[%o6bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o6B3:2 = func.call @nhc_tf32_split2(%o6b30, %o6b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o6s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %o6m00 = nvgpu.mma.sync (%o6A#0, %o6B0#1, %o5m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o6m10 = nvgpu.mma.sync (%o6A#0, %o6B1#1, %o5m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o6m20 = nvgpu.mma.sync (%o6A#0, %o6B2#1, %o5m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o6m30 = nvgpu.mma.sync (%o6A#0, %o6B3#1, %o5m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o6m01 = nvgpu.mma.sync (%o6A#1, %o6B0#0, %o6m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o6m11 = nvgpu.mma.sync (%o6A#1, %o6B1#0, %o6m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o6m21 = nvgpu.mma.sync (%o6A#1, %o6B2#0, %o6m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o6m31 = nvgpu.mma.sync (%o6A#1, %o6B3#0, %o6m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %o6m01, %o6m11, %o6m21, %o6m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %o5m02, %o5m12, %o5m22, %o5m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %o6m02 = nvgpu.mma.sync (%o6A#0, %o6B0#0, %o6s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o6m12 = nvgpu.mma.sync (%o6A#0, %o6B1#0, %o6s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o6m22 = nvgpu.mma.sync (%o6A#0, %o6B2#0, %o6s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o6m32 = nvgpu.mma.sync (%o6A#0, %o6B3#0, %o6s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o7k = arith.constant 4032 : index
        %o7ao0 = arith.addi %o7k, %tk0 : index
        %o7ai0 = arith.addi %o7ao0, %rowA : index
        %o7a0 = memref.load %pT[%o7ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7ao1 = arith.addi %o7k, %tk0 : index
        %o7ai1 = arith.addi %o7ao1, %rowB : index
        %o7a1 = memref.load %pT[%o7ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7ao2 = arith.addi %o7k, %tk4 : index
        %o7ai2 = arith.addi %o7ao2, %rowA : index
        %o7a2 = memref.load %pT[%o7ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7ao3 = arith.addi %o7k, %tk4 : index
        %o7ai3 = arith.addi %o7ao3, %rowB : index
        %o7a3 = memref.load %pT[%o7ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7A:2 = func.call @nhc_tf32_split4(%o7a0, %o7a1, %o7a2, %o7a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %o7bo00 = arith.addi %o7k, %tk0 : index
        %o7bi00 = arith.addi %o7bo00, %bn0 : index
        %o7b00 = memref.load %stage[%o7bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7bo01 = arith.addi %o7k, %tk4 : index
        %o7bi01 = arith.addi %o7bo01, %bn0 : index
        %o7b01 = memref.load %stage[%o7bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7B0:2 = func.call @nhc_tf32_split2(%o7b00, %o7b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o7bo10 = arith.addi %o7k, %tk0 : index
        %o7bi10 = arith.addi %o7bo10, %bn1 : index
        %o7b10 = memref.load %stage[%o7bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7bo11 = arith.addi %o7k, %tk4 : index
        %o7bi11 = arith.addi %o7bo11, %bn1 : index
        %o7b11 = memref.load %stage[%o7bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7B1:2 = func.call @nhc_tf32_split2(%o7b10, %o7b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o7bo20 = arith.addi %o7k, %tk0 : index
        %o7bi20 = arith.addi %o7bo20, %bn2 : index
        %o7b20 = memref.load %stage[%o7bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7bo21 = arith.addi %o7k, %tk4 : index
        %o7bi21 = arith.addi %o7bo21, %bn2 : index
        %o7b21 = memref.load %stage[%o7bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7B2:2 = func.call @nhc_tf32_split2(%o7b20, %o7b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o7bo30 = arith.addi %o7k, %tk0 : index
        %o7bi30 = arith.addi %o7bo30, %bn3 : index
        %o7b30 = memref.load %stage[%o7bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7bo31 = arith.addi %o7k, %tk4 : index
        %o7bi31 = arith.addi %o7bo31, %bn3 : index
        %o7b31 = memref.load %stage[%o7bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %o7B3:2 = func.call @nhc_tf32_split2(%o7b30, %o7b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %o7s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %o7m00 = nvgpu.mma.sync (%o7A#0, %o7B0#1, %o6m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o7m10 = nvgpu.mma.sync (%o7A#0, %o7B1#1, %o6m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o7m20 = nvgpu.mma.sync (%o7A#0, %o7B2#1, %o6m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o7m30 = nvgpu.mma.sync (%o7A#0, %o7B3#1, %o6m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o7m01 = nvgpu.mma.sync (%o7A#1, %o7B0#0, %o7m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o7m11 = nvgpu.mma.sync (%o7A#1, %o7B1#0, %o7m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o7m21 = nvgpu.mma.sync (%o7A#1, %o7B2#0, %o7m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %o7m31 = nvgpu.mma.sync (%o7A#1, %o7B3#0, %o7m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %o7m01, %o7m11, %o7m21, %o7m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %o6m02, %o6m12, %o6m22, %o6m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %o7m02 = nvgpu.mma.sync (%o7A#0, %o7B0#0, %o7s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o7m12 = nvgpu.mma.sync (%o7A#0, %o7B1#0, %o7s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o7m22 = nvgpu.mma.sync (%o7A#0, %o7B2#0, %o7s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %o7m32 = nvgpu.mma.sync (%o7A#0, %o7B3#0, %o7s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %ov00 = vector.extract %o7m02[0, 0] : f32 from vector<2x2xf32>
        %ofin00 = arith.divf %ov00, %lA : f32
        %of00 = arith.select %lastTile, %ofin00, %ov00 : f32
        func.call @nhc_tile_store_if(%out, %oi00#0, %oi00#1, %of00)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov01 = vector.extract %o7m02[0, 1] : f32 from vector<2x2xf32>
        %ofin01 = arith.divf %ov01, %lA : f32
        %of01 = arith.select %lastTile, %ofin01, %ov01 : f32
        func.call @nhc_tile_store_if(%out, %oi01#0, %oi01#1, %of01)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov02 = vector.extract %o7m02[1, 0] : f32 from vector<2x2xf32>
        %ofin02 = arith.divf %ov02, %lB : f32
        %of02 = arith.select %lastTile, %ofin02, %ov02 : f32
        func.call @nhc_tile_store_if(%out, %oi02#0, %oi02#1, %of02)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov03 = vector.extract %o7m02[1, 1] : f32 from vector<2x2xf32>
        %ofin03 = arith.divf %ov03, %lB : f32
        %of03 = arith.select %lastTile, %ofin03, %ov03 : f32
        func.call @nhc_tile_store_if(%out, %oi03#0, %oi03#1, %of03)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov10 = vector.extract %o7m12[0, 0] : f32 from vector<2x2xf32>
        %ofin10 = arith.divf %ov10, %lA : f32
        %of10 = arith.select %lastTile, %ofin10, %ov10 : f32
        func.call @nhc_tile_store_if(%out, %oi10#0, %oi10#1, %of10)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov11 = vector.extract %o7m12[0, 1] : f32 from vector<2x2xf32>
        %ofin11 = arith.divf %ov11, %lA : f32
        %of11 = arith.select %lastTile, %ofin11, %ov11 : f32
        func.call @nhc_tile_store_if(%out, %oi11#0, %oi11#1, %of11)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov12 = vector.extract %o7m12[1, 0] : f32 from vector<2x2xf32>
        %ofin12 = arith.divf %ov12, %lB : f32
        %of12 = arith.select %lastTile, %ofin12, %ov12 : f32
        func.call @nhc_tile_store_if(%out, %oi12#0, %oi12#1, %of12)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov13 = vector.extract %o7m12[1, 1] : f32 from vector<2x2xf32>
        %ofin13 = arith.divf %ov13, %lB : f32
        %of13 = arith.select %lastTile, %ofin13, %ov13 : f32
        func.call @nhc_tile_store_if(%out, %oi13#0, %oi13#1, %of13)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov20 = vector.extract %o7m22[0, 0] : f32 from vector<2x2xf32>
        %ofin20 = arith.divf %ov20, %lA : f32
        %of20 = arith.select %lastTile, %ofin20, %ov20 : f32
        func.call @nhc_tile_store_if(%out, %oi20#0, %oi20#1, %of20)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov21 = vector.extract %o7m22[0, 1] : f32 from vector<2x2xf32>
        %ofin21 = arith.divf %ov21, %lA : f32
        %of21 = arith.select %lastTile, %ofin21, %ov21 : f32
        func.call @nhc_tile_store_if(%out, %oi21#0, %oi21#1, %of21)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov22 = vector.extract %o7m22[1, 0] : f32 from vector<2x2xf32>
        %ofin22 = arith.divf %ov22, %lB : f32
        %of22 = arith.select %lastTile, %ofin22, %ov22 : f32
        func.call @nhc_tile_store_if(%out, %oi22#0, %oi22#1, %of22)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov23 = vector.extract %o7m22[1, 1] : f32 from vector<2x2xf32>
        %ofin23 = arith.divf %ov23, %lB : f32
        %of23 = arith.select %lastTile, %ofin23, %ov23 : f32
        func.call @nhc_tile_store_if(%out, %oi23#0, %oi23#1, %of23)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov30 = vector.extract %o7m32[0, 0] : f32 from vector<2x2xf32>
        %ofin30 = arith.divf %ov30, %lA : f32
        %of30 = arith.select %lastTile, %ofin30, %ov30 : f32
        func.call @nhc_tile_store_if(%out, %oi30#0, %oi30#1, %of30)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov31 = vector.extract %o7m32[0, 1] : f32 from vector<2x2xf32>
        %ofin31 = arith.divf %ov31, %lA : f32
        %of31 = arith.select %lastTile, %ofin31, %ov31 : f32
        func.call @nhc_tile_store_if(%out, %oi31#0, %oi31#1, %of31)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov32 = vector.extract %o7m32[1, 0] : f32 from vector<2x2xf32>
        %ofin32 = arith.divf %ov32, %lB : f32
        %of32 = arith.select %lastTile, %ofin32, %ov32 : f32
        func.call @nhc_tile_store_if(%out, %oi32#0, %oi32#1, %of32)
            : (memref<?xf32>, index, i1, f32) -> ()
        %ov33 = vector.extract %o7m32[1, 1] : f32 from vector<2x2xf32>
        %ofin33 = arith.divf %ov33, %lB : f32
        %of33 = arith.select %lastTile, %ofin33, %ov33 : f32
        func.call @nhc_tile_store_if(%out, %oi33#0, %oi33#1, %of33)
            : (memref<?xf32>, index, i1, f32) -> ()
        // END GENERATED values
        // Every thread is done with V's tile and the statistics.
        gpu.barrier
      }
    }
  }
  return
}

// A decode tile's K or V rows staged in `kvt` (rows 129 floats apart):
// positions [0, 64) of the tile, columns [0, cw) of each row from `tile`
// (the tile's first row and column in the cache, rows `rowKV` apart), zeros
// for positions past tileN. In 16-byte chunks (cw % 4 == 0 and the rows
// 16-byte aligned: the caller checks): thread tx's chunks tx + 256 j (a
// tile of 64 x 128 is 2048 chunks, at most 8 a thread) are all loaded
// before any is stored, so a tile costs one round trip to memory, not one
// per element a thread stages in turn.
func.func private @nhc_attention_stage_kv_chunks(%cache: memref<?xf32>,
    %kvt: memref<8256xf32, #gpu.address_space<workgroup>>, %tile: index,
    %rowKV: index, %tileN: index, %cw: index, %tx: index) {
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %cw4 = arith.divui %cw, %c4 : index
  %n4 = arith.muli %cw, %c16 : index
  %j0 = arith.constant 0 : index
  %k0:4 = func.call @nhc_attention_kv_chunk(%tx, %j0, %cw4, %n4, %tileN, %tile, %rowKV)
      : (index, index, index, index, index, index, index) -> (index, i1, i1, index)
  %v0 = func.call @nhc_chunk_or_zero(%cache, %k0#0, %k0#2) : (memref<?xf32>, index, i1) -> vector<4xf32>
  %j1 = arith.constant 1 : index
  %k1:4 = func.call @nhc_attention_kv_chunk(%tx, %j1, %cw4, %n4, %tileN, %tile, %rowKV)
      : (index, index, index, index, index, index, index) -> (index, i1, i1, index)
  %v1 = func.call @nhc_chunk_or_zero(%cache, %k1#0, %k1#2) : (memref<?xf32>, index, i1) -> vector<4xf32>
  %j2 = arith.constant 2 : index
  %k2:4 = func.call @nhc_attention_kv_chunk(%tx, %j2, %cw4, %n4, %tileN, %tile, %rowKV)
      : (index, index, index, index, index, index, index) -> (index, i1, i1, index)
  %v2 = func.call @nhc_chunk_or_zero(%cache, %k2#0, %k2#2) : (memref<?xf32>, index, i1) -> vector<4xf32>
  %j3 = arith.constant 3 : index
  %k3:4 = func.call @nhc_attention_kv_chunk(%tx, %j3, %cw4, %n4, %tileN, %tile, %rowKV)
      : (index, index, index, index, index, index, index) -> (index, i1, i1, index)
  %v3 = func.call @nhc_chunk_or_zero(%cache, %k3#0, %k3#2) : (memref<?xf32>, index, i1) -> vector<4xf32>
  %j4 = arith.constant 4 : index
  %k4:4 = func.call @nhc_attention_kv_chunk(%tx, %j4, %cw4, %n4, %tileN, %tile, %rowKV)
      : (index, index, index, index, index, index, index) -> (index, i1, i1, index)
  %v4 = func.call @nhc_chunk_or_zero(%cache, %k4#0, %k4#2) : (memref<?xf32>, index, i1) -> vector<4xf32>
  %j5 = arith.constant 5 : index
  %k5:4 = func.call @nhc_attention_kv_chunk(%tx, %j5, %cw4, %n4, %tileN, %tile, %rowKV)
      : (index, index, index, index, index, index, index) -> (index, i1, i1, index)
  %v5 = func.call @nhc_chunk_or_zero(%cache, %k5#0, %k5#2) : (memref<?xf32>, index, i1) -> vector<4xf32>
  %j6 = arith.constant 6 : index
  %k6:4 = func.call @nhc_attention_kv_chunk(%tx, %j6, %cw4, %n4, %tileN, %tile, %rowKV)
      : (index, index, index, index, index, index, index) -> (index, i1, i1, index)
  %v6 = func.call @nhc_chunk_or_zero(%cache, %k6#0, %k6#2) : (memref<?xf32>, index, i1) -> vector<4xf32>
  %j7 = arith.constant 7 : index
  %k7:4 = func.call @nhc_attention_kv_chunk(%tx, %j7, %cw4, %n4, %tileN, %tile, %rowKV)
      : (index, index, index, index, index, index, index) -> (index, i1, i1, index)
  %v7 = func.call @nhc_chunk_or_zero(%cache, %k7#0, %k7#2) : (memref<?xf32>, index, i1) -> vector<4xf32>
  func.call @nhc_attention_store_kv_chunk(%v0, %kvt, %k0#3, %k0#1)
      : (vector<4xf32>, memref<8256xf32, #gpu.address_space<workgroup>>, index, i1) -> ()
  func.call @nhc_attention_store_kv_chunk(%v1, %kvt, %k1#3, %k1#1)
      : (vector<4xf32>, memref<8256xf32, #gpu.address_space<workgroup>>, index, i1) -> ()
  func.call @nhc_attention_store_kv_chunk(%v2, %kvt, %k2#3, %k2#1)
      : (vector<4xf32>, memref<8256xf32, #gpu.address_space<workgroup>>, index, i1) -> ()
  func.call @nhc_attention_store_kv_chunk(%v3, %kvt, %k3#3, %k3#1)
      : (vector<4xf32>, memref<8256xf32, #gpu.address_space<workgroup>>, index, i1) -> ()
  func.call @nhc_attention_store_kv_chunk(%v4, %kvt, %k4#3, %k4#1)
      : (vector<4xf32>, memref<8256xf32, #gpu.address_space<workgroup>>, index, i1) -> ()
  func.call @nhc_attention_store_kv_chunk(%v5, %kvt, %k5#3, %k5#1)
      : (vector<4xf32>, memref<8256xf32, #gpu.address_space<workgroup>>, index, i1) -> ()
  func.call @nhc_attention_store_kv_chunk(%v6, %kvt, %k6#3, %k6#1)
      : (vector<4xf32>, memref<8256xf32, #gpu.address_space<workgroup>>, index, i1) -> ()
  func.call @nhc_attention_store_kv_chunk(%v7, %kvt, %k7#3, %k7#1)
      : (vector<4xf32>, memref<8256xf32, #gpu.address_space<workgroup>>, index, i1) -> ()
  return
}

// Thread tx's chunk tx + 256 j of a staged tile (cw4 chunks a row, n4 in
// all): where it is in the cache, whether it is in the tile's rows at all,
// whether it is a position of the tile (else it is staged as zeros), and
// where it goes in kvt.
func.func private @nhc_attention_kv_chunk(%tx: index, %j: index, %cw4: index,
    %n4: index, %tileN: index, %tile: index, %rowKV: index)
    -> (index, i1, i1, index) {
  %c4 = arith.constant 4 : index
  %c129 = arith.constant 129 : index
  %c256 = arith.constant 256 : index
  %j256 = arith.muli %j, %c256 : index
  %k = arith.addi %tx, %j256 : index
  %inRange = arith.cmpi ult, %k, %n4 : index
  %kp = arith.divui %k, %cw4 : index
  %c4i = arith.remui %k, %cw4 : index
  %inTile0 = arith.cmpi ult, %kp, %tileN : index
  %inTile = arith.andi %inRange, %inTile0 : i1
  %col = arith.muli %c4i, %c4 : index
  %row = arith.muli %kp, %rowKV : index
  %at0 = arith.addi %tile, %row : index
  %at = arith.addi %at0, %col : index
  %srow = arith.muli %kp, %c129 : index
  %shared = arith.addi %srow, %col : index
  return %at, %inRange, %inTile, %shared : index, i1, i1, index
}

// The 4 floats of a staged chunk into kvt from `at` on, where `inRange`
// (rows 129 floats apart are not 16-byte aligned: four stores).
func.func private @nhc_attention_store_kv_chunk(%v: vector<4xf32>,
    %kvt: memref<8256xf32, #gpu.address_space<workgroup>>, %at: index,
    %inRange: i1) {
  scf.if %inRange {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %e0 = vector.extract %v[0] : f32 from vector<4xf32>
    %e1 = vector.extract %v[1] : f32 from vector<4xf32>
    %e2 = vector.extract %v[2] : f32 from vector<4xf32>
    %e3 = vector.extract %v[3] : f32 from vector<4xf32>
    %a1 = arith.addi %at, %c1 : index
    %a2 = arith.addi %at, %c2 : index
    %a3 = arith.addi %at, %c3 : index
    memref.store %e0, %kvt[%at] : memref<8256xf32, #gpu.address_space<workgroup>>
    memref.store %e1, %kvt[%a1] : memref<8256xf32, #gpu.address_space<workgroup>>
    memref.store %e2, %kvt[%a2] : memref<8256xf32, #gpu.address_space<workgroup>>
    memref.store %e3, %kvt[%a3] : memref<8256xf32, #gpu.address_space<workgroup>>
  }
  return
}

// A decode pass's query columns [c0, c0 + cw) of its gc (<= 8) heads in
// qt (rows of 128): head passHead + hl's column c0 + col from qkv's row at
// qHeads. Thread tx's up to 4 elements tx + 256 j are loaded before any is
// stored (one round trip, not four).
func.func private @nhc_attention_stage_query(%qkv: memref<?xf32>,
    %qt: memref<1024xf32, #gpu.address_space<workgroup>>, %qHeads: index,
    %passHead: index, %D: index, %c0: index, %cw: index, %gc: index,
    %tx: index) {
  %qElems = arith.muli %gc, %cw : index
  %j0 = arith.constant 0 : index
  %q0:3 = func.call @nhc_attention_query_element(%qkv, %qHeads, %passHead, %D, %c0, %cw, %qElems, %tx, %j0)
      : (memref<?xf32>, index, index, index, index, index, index, index, index) -> (f32, i1, index)
  %j1 = arith.constant 1 : index
  %q1:3 = func.call @nhc_attention_query_element(%qkv, %qHeads, %passHead, %D, %c0, %cw, %qElems, %tx, %j1)
      : (memref<?xf32>, index, index, index, index, index, index, index, index) -> (f32, i1, index)
  %j2 = arith.constant 2 : index
  %q2:3 = func.call @nhc_attention_query_element(%qkv, %qHeads, %passHead, %D, %c0, %cw, %qElems, %tx, %j2)
      : (memref<?xf32>, index, index, index, index, index, index, index, index) -> (f32, i1, index)
  %j3 = arith.constant 3 : index
  %q3:3 = func.call @nhc_attention_query_element(%qkv, %qHeads, %passHead, %D, %c0, %cw, %qElems, %tx, %j3)
      : (memref<?xf32>, index, index, index, index, index, index, index, index) -> (f32, i1, index)
  scf.if %q0#1 {
    memref.store %q0#0, %qt[%q0#2] : memref<1024xf32, #gpu.address_space<workgroup>>
  }
  scf.if %q1#1 {
    memref.store %q1#0, %qt[%q1#2] : memref<1024xf32, #gpu.address_space<workgroup>>
  }
  scf.if %q2#1 {
    memref.store %q2#0, %qt[%q2#2] : memref<1024xf32, #gpu.address_space<workgroup>>
  }
  scf.if %q3#1 {
    memref.store %q3#0, %qt[%q3#2] : memref<1024xf32, #gpu.address_space<workgroup>>
  }
  return
}

// Element tx + 256 j of a decode pass's query staging: its value from qkv
// (zero past the pass's elements), whether it exists, and its place in qt.
func.func private @nhc_attention_query_element(%qkv: memref<?xf32>,
    %qHeads: index, %passHead: index, %D: index, %c0: index, %cw: index,
    %qElems: index, %tx: index, %j: index) -> (f32, i1, index) {
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  %j256 = arith.muli %j, %c256 : index
  %e = arith.addi %tx, %j256 : index
  %valid = arith.cmpi ult, %e, %qElems : index
  %hl = arith.divui %e, %cw : index
  %col = arith.remui %e, %cw : index
  %q = scf.if %valid -> (f32) {
    %qh = arith.addi %passHead, %hl : index
    %qhD = arith.muli %qh, %D : index
    %qb = arith.addi %qHeads, %qhD : index
    %qc = arith.addi %qb, %c0 : index
    %gi = arith.addi %qc, %col : index
    %x = memref.load %qkv[%gi] : memref<?xf32>
    scf.yield %x : f32
  } else {
    %zero = arith.constant 0.0 : f32
    scf.yield %zero : f32
  }
  %qr = arith.muli %hl, %c128 : index
  %qix = arith.addi %qr, %col : index
  return %q, %valid, %qix : f32, i1, index
}

// O = O exp(m - m') + P V for a decode pass's gc heads' columns
// [d0, d0 + cw) (pvElems = gc cw <= 1024 outputs, V's tile in kvt, the
// tile's p in probs, the rescales in stats): thread tx's up to 4 outputs
// tx + 256 j, their partials loaded at once before any is updated.
func.func private @nhc_attention_decode_pv(%partials: memref<?xf32>,
    %stats: memref<24xf32, #gpu.address_space<workgroup>>,
    %probs: memref<512xf32, #gpu.address_space<workgroup>>,
    %kvt: memref<8256xf32, #gpu.address_space<workgroup>>, %pvElems: index,
    %cw: index, %tileN: index, %pRequest: index, %passHead: index,
    %lanes: index, %w: index, %D2: index, %d0: index, %tx: index) {
  %j0 = arith.constant 0 : index
  %o0:5 = func.call @nhc_attention_pv_output(%partials, %pvElems, %cw, %pRequest, %passHead, %lanes, %w, %D2, %d0, %tx, %j0)
      : (memref<?xf32>, index, index, index, index, index, index, index, index, index, index) -> (i1, index, index, index, f32)
  %j1 = arith.constant 1 : index
  %o1:5 = func.call @nhc_attention_pv_output(%partials, %pvElems, %cw, %pRequest, %passHead, %lanes, %w, %D2, %d0, %tx, %j1)
      : (memref<?xf32>, index, index, index, index, index, index, index, index, index, index) -> (i1, index, index, index, f32)
  %j2 = arith.constant 2 : index
  %o2:5 = func.call @nhc_attention_pv_output(%partials, %pvElems, %cw, %pRequest, %passHead, %lanes, %w, %D2, %d0, %tx, %j2)
      : (memref<?xf32>, index, index, index, index, index, index, index, index, index, index) -> (i1, index, index, index, f32)
  %j3 = arith.constant 3 : index
  %o3:5 = func.call @nhc_attention_pv_output(%partials, %pvElems, %cw, %pRequest, %passHead, %lanes, %w, %D2, %d0, %tx, %j3)
      : (memref<?xf32>, index, index, index, index, index, index, index, index, index, index) -> (i1, index, index, index, f32)
  func.call @nhc_attention_pv_update(%partials, %stats, %probs, %kvt, %o0#0, %o0#1, %o0#2, %o0#3, %o0#4, %tileN)
      : (memref<?xf32>, memref<24xf32, #gpu.address_space<workgroup>>, memref<512xf32, #gpu.address_space<workgroup>>, memref<8256xf32, #gpu.address_space<workgroup>>, i1, index, index, index, f32, index) -> ()
  func.call @nhc_attention_pv_update(%partials, %stats, %probs, %kvt, %o1#0, %o1#1, %o1#2, %o1#3, %o1#4, %tileN)
      : (memref<?xf32>, memref<24xf32, #gpu.address_space<workgroup>>, memref<512xf32, #gpu.address_space<workgroup>>, memref<8256xf32, #gpu.address_space<workgroup>>, i1, index, index, index, f32, index) -> ()
  func.call @nhc_attention_pv_update(%partials, %stats, %probs, %kvt, %o2#0, %o2#1, %o2#2, %o2#3, %o2#4, %tileN)
      : (memref<?xf32>, memref<24xf32, #gpu.address_space<workgroup>>, memref<512xf32, #gpu.address_space<workgroup>>, memref<8256xf32, #gpu.address_space<workgroup>>, i1, index, index, index, f32, index) -> ()
  func.call @nhc_attention_pv_update(%partials, %stats, %probs, %kvt, %o3#0, %o3#1, %o3#2, %o3#3, %o3#4, %tileN)
      : (memref<?xf32>, memref<24xf32, #gpu.address_space<workgroup>>, memref<512xf32, #gpu.address_space<workgroup>>, memref<8256xf32, #gpu.address_space<workgroup>>, i1, index, index, index, f32, index) -> ()
  return
}

// Output tx + 256 j of a decode pass's P V: whether it exists, its head
// and column (hl, dd), where its partial is and the partial's value (zero
// where it does not exist).
func.func private @nhc_attention_pv_output(%partials: memref<?xf32>,
    %pvElems: index, %cw: index, %pRequest: index, %passHead: index,
    %lanes: index, %w: index, %D2: index, %d0: index, %tx: index, %j: index)
    -> (i1, index, index, index, f32) {
  %c256 = arith.constant 256 : index
  %j256 = arith.muli %j, %c256 : index
  %e = arith.addi %tx, %j256 : index
  %valid = arith.cmpi ult, %e, %pvElems : index
  %hl = arith.divui %e, %cw : index
  %dd = arith.remui %e, %cw : index
  %oBase = func.call @nhc_attention_partial_base(%pRequest, %passHead, %hl, %lanes, %w, %D2)
      : (index, index, index, index, index, index) -> index
  %od = arith.addi %oBase, %d0 : index
  %oi = arith.addi %od, %dd : index
  %ov = scf.if %valid -> (f32) {
    %x = memref.load %partials[%oi] : memref<?xf32>
    scf.yield %x : f32
  } else {
    %zero = arith.constant 0.0 : f32
    scf.yield %zero : f32
  }
  return %valid, %hl, %dd, %oi, %ov : i1, index, index, index, f32
}

// One output of a decode pass's P V (@nhc_attention_pv_output): its
// partial ov rescaled by its head's exp(m - m'), plus the tile's p v over
// its column, stored back where `valid`.
func.func private @nhc_attention_pv_update(%partials: memref<?xf32>,
    %stats: memref<24xf32, #gpu.address_space<workgroup>>,
    %probs: memref<512xf32, #gpu.address_space<workgroup>>,
    %kvt: memref<8256xf32, #gpu.address_space<workgroup>>, %valid: i1,
    %hl: index, %dd: index, %oi: index, %ov: f32, %tileN: index) {
  scf.if %valid {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %c129 = arith.constant 129 : index
    %cAt:3 = func.call @nhc_attention_decode_stat_slots(%hl)
        : (index) -> (index, index, index)
    %oc = memref.load %stats[%cAt#2] : memref<24xf32, #gpu.address_space<workgroup>>
    %os = arith.mulf %ov, %oc : f32
    %pRow = arith.muli %hl, %c64 : index
    %o2 = scf.for %jj = %c0 to %tileN step %one iter_args(%a = %os) -> (f32) {
      %pix = arith.addi %pRow, %jj : index
      %pj = memref.load %probs[%pix] : memref<512xf32, #gpu.address_space<workgroup>>
      %jr = arith.muli %jj, %c129 : index
      %ji = arith.addi %jr, %dd : index
      %vj = memref.load %kvt[%ji] : memref<8256xf32, #gpu.address_space<workgroup>>
      %pv = arith.mulf %pj, %vj : f32
      %a2 = arith.addf %a, %pv : f32
      scf.yield %a2 : f32
    }
    memref.store %o2, %partials[%oi] : memref<?xf32>
  }
  return
}

// Span z0 + k of a decode head's partials (from pFirst, D + 2 floats a
// span): its m, l and output column d, or (-inf, 0, 0) past the spans.
func.func private @nhc_attention_combine_span(%partials: memref<?xf32>,
    %pFirst: index, %z0: index, %k: index, %spans: index, %D2: index,
    %D: index, %d: index) -> (f32, f32, f32) {
  %z = arith.addi %z0, %k : index
  %valid = arith.cmpi ult, %z, %spans : index
  %r:3 = scf.if %valid -> (f32, f32, f32) {
    %one = arith.constant 1 : index
    %zb = arith.muli %z, %D2 : index
    %b = arith.addi %pFirst, %zb : index
    %mi = arith.addi %b, %D : index
    %li = arith.addi %mi, %one : index
    %oi = arith.addi %b, %d : index
    %m = memref.load %partials[%mi] : memref<?xf32>
    %l = memref.load %partials[%li] : memref<?xf32>
    %o = memref.load %partials[%oi] : memref<?xf32>
    scf.yield %m, %l, %o : f32, f32, f32
  } else {
    %ninf = arith.constant 0xFF800000 : f32
    %zero = arith.constant 0.0 : f32
    scf.yield %ninf, %zero, %zero : f32, f32, f32
  }
  return %r#0, %r#1, %r#2 : f32, f32, f32
}

// A span's (or the running) l and o on the scale of the maximum mNew:
// times exp(m - mNew), or zeros where m is -inf (no span, or none yet).
func.func private @nhc_attention_combine_rescale(%m: f32, %mNew: f32,
                                                 %l: f32, %o: f32)
    -> (f32, f32) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %none = arith.cmpf oeq, %m, %ninf : f32
  %dm = arith.subf %m, %mNew : f32
  %e = math.exp %dm : f32
  %w = arith.select %none, %zero, %e : f32
  %lw = arith.mulf %l, %w : f32
  %ow = arith.mulf %o, %w : f32
  return %lw, %ow : f32, f32
}

// Where a decode lane's partial for query head head0 + hl of a request
// starts in `partials` (pRequest = r Hq, D2 = D + 2):
// ((pRequest + head0 + hl) lanes + w) D2.
func.func private @nhc_attention_partial_base(%pRequest: index, %head0: index,
                                              %hl: index, %lanes: index,
                                              %w: index, %D2: index) -> index {
  %h = arith.addi %head0, %hl : index
  %ph = arith.addi %pRequest, %h : index
  %pl = arith.muli %ph, %lanes : index
  %ps = arith.addi %pl, %w : index
  %base = arith.muli %ps, %D2 : index
  return %base : index
}

// Where a decode pass's head hl (< 8) keeps its statistics in `stats`: its
// running maximum m, its running sum l and its outputs' rescale.
func.func private @nhc_attention_decode_stat_slots(%hl: index)
    -> (index, index, index) {
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %li = arith.addi %hl, %c8 : index
  %ci = arith.addi %hl, %c16 : index
  return %hl, %li, %ci : index, index, index
}

// A decode pass's head hl after a tile, by the thread that `leads` it: m'
// (its running maximum m and the new one mNew), l' = l exp(m - m') + the
// tile's sum of p, and the rescale exp(m - m') for its outputs
// (nhc_attention_decode_stat_slots).
func.func private @nhc_attention_decode_stats(
    %stats: memref<24xf32, #gpu.address_space<workgroup>>, %leads: i1,
    %hl: index, %m: f32, %mNew: f32, %psum: f32) {
  scf.if %leads {
    %at:3 = func.call @nhc_attention_decode_stat_slots(%hl)
        : (index) -> (index, index, index)
    %dm = arith.subf %m, %mNew : f32
    %corr = math.exp %dm : f32
    %l = memref.load %stats[%at#1] : memref<24xf32, #gpu.address_space<workgroup>>
    %lc = arith.mulf %l, %corr : f32
    %l2 = arith.addf %lc, %psum : f32
    memref.store %mNew, %stats[%at#0] : memref<24xf32, #gpu.address_space<workgroup>>
    memref.store %l2, %stats[%at#1] : memref<24xf32, #gpu.address_space<workgroup>>
    memref.store %corr, %stats[%at#2] : memref<24xf32, #gpu.address_space<workgroup>>
  }
  return
}

// The KV span of one decode lane: ceil(len / lanes) rounded up to a tile
// of 64 positions (at least one tile), so a request of 1k positions is 9
// blocks of 2 tiles a KV head, not 5 of 4 tiles in turn.
func.func private @nhc_attention_span(%len: index, %lanes: index) -> index {
  %c1 = arith.constant 1 : index
  %c63 = arith.constant 63 : index
  %c64 = arith.constant 64 : index
  %a = arith.addi %len, %lanes : index
  %b = arith.subi %a, %c1 : index
  %per = arith.divui %b, %lanes : index
  %c = arith.addi %per, %c63 : index
  %tiles = arith.divui %c, %c64 : index
  %rounded = arith.muli %tiles, %c64 : index
  %span = arith.maxui %rounded, %c64 : index
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
