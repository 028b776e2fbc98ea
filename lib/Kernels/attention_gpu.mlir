// GPU form of attention.mlir's nhc_attention (nhc-select-kernel-variants).
// Phase 1 (append K/V) is one thread per (request, column of the K/V row),
// as before. Phase 2 is one block of 256 threads per (query head, request,
// query lane) instead of one thread per (request, KV head). A request's new
// tokens are dealt to Z = ceil(64 / R) lanes (token i to lane i mod Z), so a
// lone prefill spreads over 64 blocks per head; a decode batch of R < 64
// requests has Z - 1 idle blocks per (head, request), which return at once
// (the grid is computed from the arguments, which do not give the token
// count). For each of its tokens a
// block takes positions 0 .. start_pos + i in tiles of 256, one position
// per thread:
//   s = (q . k_pos) * scale;  m' = max(m, block max of s)
//   p = exp(s - m');          l' = l exp(m - m') + block sum of p
//   o' = o exp(m - m') + sum_pos p v_pos     (one thread per column of o)
//   out = o / l
// m and l live in workgroup memory (one thread writes them after each
// tile), the tile's p in workgroup memory for the column threads, o in
// `out` itself. Same math as the portable form in another order (tiles of
// 256 instead of 64; tree sums). Each query head's block reads its KV
// head's rows (the group's other heads find them in L2); a thread reads its
// K row whole, which is not coalesced. Splitting long contexts over several
// blocks (flash-decoding) would need scratch for the partial results, which
// the kernel contract does not have yet.
func.func private @nhc_attention_gpu(%qkv: memref<?xf32>, %qkv_stride: index,
                                     %q_offset: index, %k_offset: index,
                                     %v_offset: index,
                                     %k_cache: memref<?xf32>,
                                     %v_cache: memref<?xf32>,
                                     %out: memref<?xf32>, %req: memref<?xi64>,
                                     %R: index, %Hq: index, %Hkv: index,
                                     %D: index, %max_seq: index, %scale: f32)
    attributes {nhc.gpu_variant_of = "nhc_attention"} {
  %c1 = arith.constant 1 : index
  %c255 = arith.constant 255 : index
  %c256 = arith.constant 256 : index
  %kQueryLanes = arith.constant 64 : index
  %rowKV = arith.muli %Hkv, %D : index
  %rowKV255 = arith.addi %rowKV, %c255 : index
  %columnBlocks = arith.divui %rowKV255, %c256 : index
  // Z = ceil(64 / R) query lanes per request (R = 0 launches nothing).
  %R1 = arith.maxui %R, %c1 : index
  %lanes0 = arith.addi %kQueryLanes, %R1 : index
  %lanes1 = arith.subi %lanes0, %c1 : index
  %lanes = arith.divui %lanes1, %R1 : index

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

  // Phase 2: attention of every new query over its request's cache.
  gpu.launch blocks(%h, %r, %lane) in (%gx = %Hq, %gy = %R, %gz = %lanes)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<256xf32, #gpu.address_space<workgroup>>,
                       %probs : memref<256xf32, #gpu.address_space<workgroup>>,
                       %stats : memref<2xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %tile = arith.constant 256 : index
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
    %isFirst = arith.cmpi eq, %tx, %c0 : index
    scf.for %i = %lane to %rq#1 step %lanes {
      %tok = arith.addi %rq#0, %i : index
      %qrow = arith.muli %tok, %qkv_stride : index
      %qcol = arith.addi %q_offset, %hD : index
      %qbase = arith.addi %qrow, %qcol : index
      %orow = arith.muli %tok, %rowOut : index
      %obase = arith.addi %orow, %hD : index
      %last = arith.addi %rq#2, %i : index
      %len = arith.addi %last, %one : index
      scf.for %dd = %tx to %D step %tile {
        %oi = arith.addi %obase, %dd : index
        memref.store %zero, %out[%oi] : memref<?xf32>
      }
      scf.if %isFirst {
        memref.store %ninf, %stats[%c0] : memref<2xf32, #gpu.address_space<workgroup>>
        memref.store %zero, %stats[%one] : memref<2xf32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      scf.for %b0 = %c0 to %len step %tile {
        %pos = arith.addi %b0, %tx : index
        %inRange = arith.cmpi ult, %pos, %len : index
        %prow = arith.muli %pos, %rowKV : index
        %pbase = arith.addi %kvbase, %prow : index
        %sc = scf.if %inRange -> (f32) {
          %dot = scf.for %dd = %c0 to %D step %one iter_args(%a = %zero) -> (f32) {
            %qi = arith.addi %qbase, %dd : index
            %ki = arith.addi %pbase, %dd : index
            %qv = memref.load %qkv[%qi] : memref<?xf32>
            %kv = memref.load %k_cache[%ki] : memref<?xf32>
            %p = arith.mulf %qv, %kv : f32
            %a2 = arith.addf %a, %p fastmath<reassoc> : f32
            scf.yield %a2 : f32
          }
          %s = arith.mulf %dot, %scale : f32
          scf.yield %s : f32
        } else {
          scf.yield %ninf : f32
        }
        %bmax = func.call @nhc_block_reduce_256(%sc, %tx, %partial, %true)
            : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1) -> f32
        %m = memref.load %stats[%c0] : memref<2xf32, #gpu.address_space<workgroup>>
        %l = memref.load %stats[%one] : memref<2xf32, #gpu.address_space<workgroup>>
        %m2 = arith.maximumf %m, %bmax : f32
        %dm = arith.subf %m, %m2 : f32
        %corr = math.exp %dm : f32
        %p = scf.if %inRange -> (f32) {
          %ds = arith.subf %sc, %m2 : f32
          %e = math.exp %ds : f32
          scf.yield %e : f32
        } else {
          scf.yield %zero : f32
        }
        memref.store %p, %probs[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
        // Its barriers also publish `probs`.
        %psum = func.call @nhc_block_reduce_256(%p, %tx, %partial, %false)
            : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1) -> f32
        %bEnd0 = arith.addi %b0, %tile : index
        %bEnd = arith.minui %bEnd0, %len : index
        %bn = arith.subi %bEnd, %b0 : index
        scf.for %dd = %tx to %D step %tile {
          %oi = arith.addi %obase, %dd : index
          %ov = memref.load %out[%oi] : memref<?xf32>
          %oc = arith.mulf %ov, %corr : f32
          %o2 = scf.for %jj = %c0 to %bn step %one iter_args(%a = %oc) -> (f32) {
            %pj = memref.load %probs[%jj] : memref<256xf32, #gpu.address_space<workgroup>>
            %vpos = arith.addi %b0, %jj : index
            %vrow = arith.muli %vpos, %rowKV : index
            %vbase = arith.addi %kvbase, %vrow : index
            %vi = arith.addi %vbase, %dd : index
            %vv = memref.load %v_cache[%vi] : memref<?xf32>
            %pv = arith.mulf %pj, %vv : f32
            %a2 = arith.addf %a, %pv : f32
            scf.yield %a2 : f32
          }
          memref.store %o2, %out[%oi] : memref<?xf32>
        }
        // Every thread read m and l before the reduction above.
        scf.if %isFirst {
          %lc = arith.mulf %l, %corr : f32
          %l2 = arith.addf %lc, %psum : f32
          memref.store %m2, %stats[%c0] : memref<2xf32, #gpu.address_space<workgroup>>
          memref.store %l2, %stats[%one] : memref<2xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
      }
      %lsum = memref.load %stats[%one] : memref<2xf32, #gpu.address_space<workgroup>>
      scf.for %dd = %tx to %D step %tile {
        %oi = arith.addi %obase, %dd : index
        %ov = memref.load %out[%oi] : memref<?xf32>
        %o2 = arith.divf %ov, %lsum : f32
        memref.store %o2, %out[%oi] : memref<?xf32>
      }
      // Every thread read l before the next token resets it.
      gpu.barrier
    }
    gpu.terminator
  }
  return
}
