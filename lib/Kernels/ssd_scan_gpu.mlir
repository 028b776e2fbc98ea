// GPU form of ssd_scan.mlir's decode scan (nhc-select-kernel-variants): one
// block of 256 threads per (head, request) instead of one thread per state
// row. The head's P x N state (contiguous in the pool) is streamed once per
// token, 8 rows at a time: the 32 lanes of a row take every 32nd state
// element (consecutive lanes, consecutive floats), update it and sum their
// share of C . h_p; the row's first lane adds the 32 partial sums from
// workgroup memory in lane order and writes y_p. Same arithmetic per state
// element as the portable form; y's sum runs in another order.
func.func private @nhc_ssd_scan_gpu(%xbc: memref<?xf32>, %proj: memref<?xf32>,
                                    %proj_stride: index, %dt_offset: index,
                                    %dt_bias: memref<?xf32>,
                                    %a_log: memref<?xf32>, %d: memref<?xf32>,
                                    %ssm_state: memref<?xf32>,
                                    %y: memref<?xf32>, %req: memref<?xi64>,
                                    %R: index, %H: index, %P: index,
                                    %N: index, %G: index, %dt_min: f32,
                                    %dt_max: f32)
    attributes {nhc.gpu_variant_of = "nhc_ssd_scan"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%h, %r, %bz) in (%gx = %H, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<256xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %c32 = arith.constant 32 : index
    %zero = arith.constant 0.0 : f32
    %true = arith.constant true
    %HP = arith.muli %H, %P : index
    %GN = arith.muli %G, %N : index
    %xbcStride = func.call @nhc_ssd_xbc_stride(%H, %P, %N, %G)
        : (index, index, index, index) -> index
    %q:5 = func.call @nhc_ssd_request(%req, %r) : (memref<?xi64>, index)
        -> (index, index, index, index, i1)
    // Prefill requests are the chunked scan's: a trip count of zero rather
    // than a branch, because every thread must reach the barriers.
    %ntok = arith.select %q#4, %c0, %q#1 : index
    %row = arith.divui %tx, %c32 : index
    %lane = arith.remui %tx, %c32 : index
    %g = func.call @nhc_ssd_group(%h, %H, %G) : (index, index, index) -> index
    %A = func.call @nhc_ssd_a(%a_log, %h) : (memref<?xf32>, index) -> f32
    %Dh = memref.load %d[%h] : memref<?xf32>
    %dtb = memref.load %dt_bias[%h] : memref<?xf32>
    %hp0 = arith.muli %h, %P : index
    %sbase0 = func.call @nhc_ssd_state_row(%q#3, %hp0, %HP, %N)
        : (index, index, index, index) -> index
    %bcol = func.call @nhc_ssd_b_col(%g, %HP, %N) : (index, index, index) -> index
    %ccol = arith.addi %bcol, %GN : index
    %dtcol = arith.addi %dt_offset, %h : index
    %isLead = arith.cmpi eq, %lane, %c0 : index
    %firstPartial = arith.muli %row, %c32 : index
    scf.for %t = %c0 to %ntok step %one {
      %tok = arith.addi %q#0, %t : index
      %dt = func.call @nhc_ssd_dt(%proj, %tok, %proj_stride, %dtcol, %dtb,
                                  %true, %dt_min, %dt_max)
          : (memref<?xf32>, index, index, index, f32, i1, f32, f32) -> f32
      %dtA = arith.mulf %dt, %A : f32
      %dA = math.exp %dtA : f32
      %xrow = arith.muli %tok, %xbcStride : index
      %bbase = arith.addi %xrow, %bcol : index
      %cbase = arith.addi %xrow, %ccol : index
      %yrow = arith.muli %tok, %HP : index
      scf.for %p0 = %c0 to %P step %c8 {
        %p = arith.addi %p0, %row : index
        %active = arith.cmpi ult, %p, %P : index
        %hp = arith.addi %hp0, %p : index
        %xi = arith.addi %xrow, %hp : index
        %pN = arith.muli %p, %N : index
        %sbase = arith.addi %sbase0, %pN : index
        %x, %acc = scf.if %active -> (f32, f32) {
          %xv = memref.load %xbc[%xi] : memref<?xf32>
          %s = scf.for %n = %lane to %N step %c32 iter_args(%a = %zero) -> (f32) {
            %si = arith.addi %sbase, %n : index
            %sv = memref.load %ssm_state[%si] : memref<?xf32>
            %bi = arith.addi %bbase, %n : index
            %bv = memref.load %xbc[%bi] : memref<?xf32>
            %ci = arith.addi %cbase, %n : index
            %cv = memref.load %xbc[%ci] : memref<?xf32>
            %decay = arith.mulf %sv, %dA : f32
            %dB = arith.mulf %dt, %bv : f32
            %dBx = arith.mulf %dB, %xv : f32
            %s2 = arith.addf %decay, %dBx : f32
            memref.store %s2, %ssm_state[%si] : memref<?xf32>
            %cs = arith.mulf %cv, %s2 : f32
            %a2 = arith.addf %a, %cs : f32
            scf.yield %a2 : f32
          }
          scf.yield %xv, %s : f32, f32
        } else {
          scf.yield %zero, %zero : f32, f32
        }
        memref.store %acc, %partial[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
        gpu.barrier
        %write = arith.andi %isLead, %active : i1
        scf.if %write {
          %sum = scf.for %i = %c0 to %c32 step %one iter_args(%a = %zero) -> (f32) {
            %pi = arith.addi %firstPartial, %i : index
            %pv = memref.load %partial[%pi] : memref<256xf32, #gpu.address_space<workgroup>>
            %a2 = arith.addf %a, %pv : f32
            scf.yield %a2 : f32
          }
          %dx = arith.mulf %x, %Dh : f32
          %yv = arith.addf %sum, %dx : f32
          %yi = arith.addi %yrow, %hp : index
          memref.store %yv, %y[%yi] : memref<?xf32>
        }
        gpu.barrier
      }
    }
    gpu.terminator
  }
  return
}

// GPU form of ssd_scan.mlir's chunked prefill scan: one block of 256 threads
// per (head, request) instead of one thread per (request, head), the
// chunk's dt, cum and weights in workgroup memory instead of a thread's
// stack. Per chunk (at most 256 tokens, as in the portable form):
//   1. thread s computes dt_s and A dt_s; the first thread sums cum_s in
//      token order;
//   2. per output token l: thread s computes w_s = (C_l . B_s)
//      exp(cum_l - cum_s) dt_s for s <= l, then thread p computes
//      y_l[p] = exp(cum_l) (C_l . h_prev[p]) + D x_l[p] + sum_s w_s x_s[p];
//   3. thread s computes exp(cum_last - cum_s) dt_s, then one thread per
//      state element (p, n), consecutive threads consecutive n, adds
//      exp(cum_last) h + sum_s that x_s[p] B_s[n].
// Each value is computed with the portable form's operations in its order,
// so the two agree but for the GPU's own rounding (fused multiply-adds).
func.func private @nhc_ssd_chunk_scan_gpu(%xbc: memref<?xf32>,
                                          %proj: memref<?xf32>,
                                          %proj_stride: index,
                                          %dt_offset: index,
                                          %dt_bias: memref<?xf32>,
                                          %a_log: memref<?xf32>,
                                          %d: memref<?xf32>,
                                          %ssm_state: memref<?xf32>,
                                          %y: memref<?xf32>,
                                          %req: memref<?xi64>, %R: index,
                                          %H: index, %P: index, %N: index,
                                          %G: index, %chunk: index,
                                          %dt_min: f32, %dt_max: f32)
    attributes {nhc.gpu_variant_of = "nhc_ssd_chunk_scan"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%h, %r, %bz) in (%gx = %H, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%dtbuf : memref<256xf32, #gpu.address_space<workgroup>>,
                       %cumbuf : memref<256xf32, #gpu.address_space<workgroup>>,
                       %wbuf : memref<256xf32, #gpu.address_space<workgroup>>,
                       %coefbuf : memref<256xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %threads = arith.constant 256 : index
    %kMaxChunk = arith.constant 256 : index
    %true = arith.constant true
    %HP = arith.muli %H, %P : index
    %GN = arith.muli %G, %N : index
    %PN = arith.muli %P, %N : index
    %xbcStride = func.call @nhc_ssd_xbc_stride(%H, %P, %N, %G)
        : (index, index, index, index) -> index
    // A zero chunk would never advance; a longer one than the buffers is cut.
    %L1 = arith.maxui %chunk, %one : index
    %L = arith.minui %L1, %kMaxChunk : index
    %q:5 = func.call @nhc_ssd_request(%req, %r) : (memref<?xi64>, index)
        -> (index, index, index, index, i1)
    %end = arith.addi %q#0, %q#1 : index
    // Decode requests are the decode scan's: an empty token range (every
    // thread must reach the barriers, so no branch).
    %last = arith.select %q#4, %end, %q#0 : index
    %g = func.call @nhc_ssd_group(%h, %H, %G) : (index, index, index) -> index
    %A = func.call @nhc_ssd_a(%a_log, %h) : (memref<?xf32>, index) -> f32
    %Dh = memref.load %d[%h] : memref<?xf32>
    %dtb = memref.load %dt_bias[%h] : memref<?xf32>
    %hp0 = arith.muli %h, %P : index
    %sbase = func.call @nhc_ssd_state_row(%q#3, %hp0, %HP, %N)
        : (index, index, index, index) -> index
    %bcol = func.call @nhc_ssd_b_col(%g, %HP, %N) : (index, index, index) -> index
    %ccol = arith.addi %bcol, %GN : index
    %dtcol = arith.addi %dt_offset, %h : index
    %isFirst = arith.cmpi eq, %tx, %c0 : index
    scf.for %c0tok = %q#0 to %last step %L {
      %cend0 = arith.addi %c0tok, %L : index
      %cend = arith.minui %cend0, %end : index
      %n = arith.subi %cend, %c0tok : index
      // 1. dt and A dt per token, then their inclusive cumulative sum.
      %inChunk = arith.cmpi ult, %tx, %n : index
      scf.if %inChunk {
        %tok = arith.addi %c0tok, %tx : index
        %dti = func.call @nhc_ssd_dt(%proj, %tok, %proj_stride, %dtcol, %dtb,
                                     %true, %dt_min, %dt_max)
            : (memref<?xf32>, index, index, index, f32, i1, f32, f32) -> f32
        %ai = arith.mulf %A, %dti : f32
        memref.store %dti, %dtbuf[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
        memref.store %ai, %cumbuf[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      scf.if %isFirst {
        %a0 = memref.load %cumbuf[%c0] : memref<256xf32, #gpu.address_space<workgroup>>
        %unused = scf.for %i = %one to %n step %one iter_args(%cum = %a0) -> (f32) {
          %ai = memref.load %cumbuf[%i] : memref<256xf32, #gpu.address_space<workgroup>>
          %cumi = arith.addf %cum, %ai : f32
          memref.store %cumi, %cumbuf[%i] : memref<256xf32, #gpu.address_space<workgroup>>
          scf.yield %cumi : f32
        }
      }
      gpu.barrier
      // 2. Outputs, from the state at the chunk's start.
      scf.for %i = %c0 to %n step %one {
        %l = arith.addi %c0tok, %i : index
        %crow = arith.muli %l, %xbcStride : index
        %cbase = arith.addi %crow, %ccol : index
        %cuml = memref.load %cumbuf[%i] : memref<256xf32, #gpu.address_space<workgroup>>
        %weighs = arith.cmpi ule, %tx, %i : index
        scf.if %weighs {
          %s = arith.addi %c0tok, %tx : index
          %srow = arith.muli %s, %xbcStride : index
          %bbase = arith.addi %srow, %bcol : index
          %cb = func.call @nhc_ssd_dot(%xbc, %cbase, %xbc, %bbase, %N)
              : (memref<?xf32>, index, memref<?xf32>, index, index) -> f32
          %cums = memref.load %cumbuf[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
          %seg = arith.subf %cuml, %cums : f32
          %decay = math.exp %seg : f32
          %dts = memref.load %dtbuf[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
          %m = arith.mulf %cb, %decay : f32
          %w = arith.mulf %m, %dts : f32
          memref.store %w, %wbuf[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
        %ecum = math.exp %cuml : f32
        %yrow = arith.muli %l, %HP : index
        %ybase = arith.addi %yrow, %hp0 : index
        %lbase = arith.addi %crow, %hp0 : index
        %i1 = arith.addi %i, %one : index
        scf.for %p = %tx to %P step %threads {
          %pN = arith.muli %p, %N : index
          %srowBase = arith.addi %sbase, %pN : index
          %ch = func.call @nhc_ssd_dot(%xbc, %cbase, %ssm_state, %srowBase, %N)
              : (memref<?xf32>, index, memref<?xf32>, index, index) -> f32
          %offTerm = arith.mulf %ch, %ecum : f32
          %li = arith.addi %lbase, %p : index
          %xl = memref.load %xbc[%li] : memref<?xf32>
          %dx = arith.mulf %Dh, %xl : f32
          %y0 = arith.addf %offTerm, %dx : f32
          %yv = scf.for %j = %c0 to %i1 step %one iter_args(%acc = %y0) -> (f32) {
            %s = arith.addi %c0tok, %j : index
            %srow = arith.muli %s, %xbcStride : index
            %xi0 = arith.addi %srow, %hp0 : index
            %xi = arith.addi %xi0, %p : index
            %w = memref.load %wbuf[%j] : memref<256xf32, #gpu.address_space<workgroup>>
            %xs = memref.load %xbc[%xi] : memref<?xf32>
            %term = arith.mulf %w, %xs : f32
            %acc2 = arith.addf %acc, %term : f32
            scf.yield %acc2 : f32
          }
          %yi = arith.addi %ybase, %p : index
          memref.store %yv, %y[%yi] : memref<?xf32>
        }
        gpu.barrier
      }
      // 3. Chunk-end state: decay the old state, add each token's update.
      %nLast = arith.subi %n, %one : index
      %cumLast = memref.load %cumbuf[%nLast] : memref<256xf32, #gpu.address_space<workgroup>>
      scf.if %inChunk {
        %cums = memref.load %cumbuf[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
        %rest = arith.subf %cumLast, %cums : f32
        %decay = math.exp %rest : f32
        %dts = memref.load %dtbuf[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
        %decayDt = arith.mulf %decay, %dts : f32
        memref.store %decayDt, %coefbuf[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      %etot = math.exp %cumLast : f32
      scf.for %e = %tx to %PN step %threads {
        %p = arith.divui %e, %N : index
        %k = arith.remui %e, %N : index
        %hp = arith.addi %hp0, %p : index
        %si = arith.addi %sbase, %e : index
        %sv = memref.load %ssm_state[%si] : memref<?xf32>
        %sd = arith.mulf %sv, %etot : f32
        %total = scf.for %j = %c0 to %n step %one iter_args(%acc = %sd) -> (f32) {
          %s = arith.addi %c0tok, %j : index
          %srow = arith.muli %s, %xbcStride : index
          %xi = arith.addi %srow, %hp : index
          %xs = memref.load %xbc[%xi] : memref<?xf32>
          %coef = memref.load %coefbuf[%j] : memref<256xf32, #gpu.address_space<workgroup>>
          %w = arith.mulf %coef, %xs : f32
          %bi0 = arith.addi %srow, %bcol : index
          %bi = arith.addi %bi0, %k : index
          %bv = memref.load %xbc[%bi] : memref<?xf32>
          %u = arith.mulf %bv, %w : f32
          %acc2 = arith.addf %acc, %u : f32
          scf.yield %acc2 : f32
        }
        memref.store %total, %ssm_state[%si] : memref<?xf32>
      }
      // The next chunk reads the whole new state and rewrites the buffers.
      gpu.barrier
    }
    gpu.terminator
  }
  return
}
