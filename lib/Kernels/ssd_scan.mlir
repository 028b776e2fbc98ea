// Mamba-2 SSD scan. Per request, head h and row p of the head's state:
//   dt  = softplus(proj[t, dt_offset + h] + dt_bias[h]),
//         clamped to [dt_min, dt_max] (time_step_limit) on both paths, so a
//         sequence gives the same result however it is split into steps
//   A   = -exp(a_log[h])
//   h_t = exp(dt A) h_{t-1} + dt x_t B_t        (per state element n)
//   y_t = C_t . h_t + D[h] x_t
// xbc rows are [x (H*P) | B (G*N) | C (G*N)]; head h uses group h / (H/G).
// A request is a prefill if num_tokens > 1, else a decode (a fresh one-token
// prompt too: both forms start from the pool's state, zeroed when the slot
// was claimed, and compute the same step), so a step of one token per
// request needs no chunked scan.
// nhc_ssd_chunk_scan runs the prefill requests, nhc_ssd_scan the decode
// requests; each skips the other's. Both parallelize over (request, h) and
// keep the tokens of a request in order.

// Decode: one recurrence step per token. An iteration owns a (request,
// head): dt and exp(dt A) once per token (libm's exp and log1p per row of
// the state cost a fifth of a batched decode step), then the head's P
// state rows, each N elements in 16-lane blocks (the last N % 16 one at a
// time) with its C . h reduction reassociated.
func.func @nhc_ssd_scan(%xbc: memref<?xf32>, %proj: memref<?xf32>,
                        %proj_stride: index, %dt_offset: index,
                        %dt_bias: memref<?xf32>, %a_log: memref<?xf32>,
                        %d: memref<?xf32>, %ssm_state: memref<?xf32>,
                        %y: memref<?xf32>, %req: memref<?xi64>, %R: index,
                        %H: index, %P: index, %N: index, %G: index,
                        %dt_min: f32, %dt_max: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %true = arith.constant true
  %HP = arith.muli %H, %P : index
  %xbcStride = func.call @nhc_ssd_xbc_stride(%H, %P, %N, %G)
      : (index, index, index, index) -> index
  scf.parallel (%r, %h) = (%c0, %c0) to (%R, %H) step (%c1, %c1) {
    %q:5 = func.call @nhc_ssd_request(%req, %r) : (memref<?xi64>, index)
        -> (index, index, index, index, i1)
    %decode = arith.xori %q#4, %true : i1
    scf.if %decode {
      %g = func.call @nhc_ssd_group(%h, %H, %G) : (index, index, index) -> index
      %A = func.call @nhc_ssd_a(%a_log, %h) : (memref<?xf32>, index) -> f32
      %Dh = memref.load %d[%h] : memref<?xf32>
      %dtb = memref.load %dt_bias[%h] : memref<?xf32>
      %bcol = func.call @nhc_ssd_b_col(%g, %HP, %N) : (index, index, index) -> index
      %GN = arith.muli %G, %N : index
      %ccol = arith.addi %bcol, %GN : index
      %dtcol = arith.addi %dt_offset, %h : index
      %hp0 = arith.muli %h, %P : index
      scf.for %t = %c0 to %q#1 step %c1 {
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
        scf.for %p = %c0 to %P step %c1 {
          %hp = arith.addi %hp0, %p : index
          %sbase = func.call @nhc_ssd_state_row(%q#3, %hp, %HP, %N)
              : (index, index, index, index) -> index
          %xi = arith.addi %xrow, %hp : index
          %x = memref.load %xbc[%xi] : memref<?xf32>
          %acc = func.call @nhc_ssd_update_row(%ssm_state, %sbase, %xbc, %bbase,
                                               %cbase, %N, %dA, %dt, %x)
              : (memref<?xf32>, index, memref<?xf32>, index, index, index, f32, f32, f32) -> f32
          %dx = arith.mulf %x, %Dh : f32
          %yv = arith.addf %acc, %dx : f32
          %yi = arith.addi %yrow, %hp : index
          memref.store %yv, %y[%yi] : memref<?xf32>
        }
      }
    }
    scf.reduce
  }
  return
}

// One state row's step: s[n] = dA s[n] + (dt B[n]) x for n < N (s at
// `sbase`, B at `bbase` and C at `cbase` of xbc; transformers' order of
// the products), returning sum_n C[n] s[n] (the new s), reassociated.
func.func private @nhc_ssd_update_row(%state: memref<?xf32>, %sbase: index,
                                      %xbc: memref<?xf32>, %bbase: index,
                                      %cbase: index, %N: index, %dA: f32,
                                      %dt: f32, %x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %zeros = arith.constant dense<0.0> : vector<16xf32>
  %dAv = vector.broadcast %dA : f32 to vector<16xf32>
  %dtv = vector.broadcast %dt : f32 to vector<16xf32>
  %xv = vector.broadcast %x : f32 to vector<16xf32>
  %blocks = arith.divui %N, %c16 : index
  %full = arith.muli %blocks, %c16 : index
  %vacc = scf.for %n = %c0 to %full step %c16 iter_args(%a = %zeros) -> (vector<16xf32>) {
    %si = arith.addi %sbase, %n : index
    %bi = arith.addi %bbase, %n : index
    %ci = arith.addi %cbase, %n : index
    %sv = vector.load %state[%si] : memref<?xf32>, vector<16xf32>
    %bv = vector.load %xbc[%bi] : memref<?xf32>, vector<16xf32>
    %cv = vector.load %xbc[%ci] : memref<?xf32>, vector<16xf32>
    %decay = arith.mulf %sv, %dAv : vector<16xf32>
    %dB = arith.mulf %dtv, %bv : vector<16xf32>
    %dBx = arith.mulf %dB, %xv : vector<16xf32>
    %s2 = arith.addf %decay, %dBx : vector<16xf32>
    vector.store %s2, %state[%si] : memref<?xf32>, vector<16xf32>
    %a2 = vector.fma %cv, %s2, %a : vector<16xf32>
    scf.yield %a2 : vector<16xf32>
  }
  %lanes = vector.reduction <add>, %vacc fastmath<reassoc> : vector<16xf32> into f32
  %sum = scf.for %n = %full to %N step %c1 iter_args(%a = %lanes) -> (f32) {
    %si = arith.addi %sbase, %n : index
    %bi = arith.addi %bbase, %n : index
    %ci = arith.addi %cbase, %n : index
    %sv = memref.load %state[%si] : memref<?xf32>
    %bv = memref.load %xbc[%bi] : memref<?xf32>
    %cv = memref.load %xbc[%ci] : memref<?xf32>
    %decay = arith.mulf %sv, %dA : f32
    %dB = arith.mulf %dt, %bv : f32
    %dBx = arith.mulf %dB, %x : f32
    %s2 = arith.addf %decay, %dBx : f32
    memref.store %s2, %state[%si] : memref<?xf32>
    %cs = arith.mulf %cv, %s2 : f32
    %a2 = arith.addf %a, %cs : f32
    scf.yield %a2 : f32
  }
  return %sum : f32
}

// Prefill: the chunked SSD form of transformers' torch path (the Mamba-2
// paper's block decomposition). Tokens are cut into chunks of `chunk` (at
// most kMaxChunk = 256, the buffers' size; every published config uses 128
// or 256) from the request's first new token; within a chunk, with
// a_s = A dt_s (dt clamped) and cum_l = a_c0 + ... + a_l:
//   y_l = sum_{s<=l} (C_l . B_s) exp(cum_l - cum_s) dt_s x_s     (intra-chunk)
//       + exp(cum_l) (C_l . h_prev) + D x_l                     (from the state)
//   h   = exp(cum_last) h_prev + sum_s exp(cum_last - cum_s) dt_s x_s B_s
// where h_prev is the state at the chunk's start. One iteration owns a
// (request, head): dt and cum are computed once per token, and C_l . B_s
// once per (l, s) and shared by the head's P rows, so a chunk costs
// O(chunk^2 (N + P) + chunk P N) per head instead of O(chunk^2 N P).
// `gemm_precision` (the session's nhc_gemm_precision_t) and `T` (the step's
// tokens: T == R means every request has one token, so none is a prefill)
// are the GPU form's: this form's arithmetic is f32 in either precision,
// and it finds its prefill requests in the table.
func.func @nhc_ssd_chunk_scan(%xbc: memref<?xf32>, %proj: memref<?xf32>,
                              %proj_stride: index, %dt_offset: index,
                              %dt_bias: memref<?xf32>, %a_log: memref<?xf32>,
                              %d: memref<?xf32>, %ssm_state: memref<?xf32>,
                              %y: memref<?xf32>, %req: memref<?xi64>,
                              %R: index, %H: index, %P: index, %N: index,
                              %G: index, %chunk: index, %dt_min: f32,
                              %dt_max: f32, %gemm_precision: index,
                              %T: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %kMaxChunk = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %true = arith.constant true
  %HP = arith.muli %H, %P : index
  %xbcStride = func.call @nhc_ssd_xbc_stride(%H, %P, %N, %G)
      : (index, index, index, index) -> index
  %GN = arith.muli %G, %N : index
  // A zero chunk would never advance; a longer one than the buffers is cut.
  %L1 = arith.maxui %chunk, %c1 : index
  %L = arith.minui %L1, %kMaxChunk : index
  scf.parallel (%r, %h) = (%c0, %c0) to (%R, %H) step (%c1, %c1) {
    %q:5 = func.call @nhc_ssd_request(%req, %r) : (memref<?xi64>, index)
        -> (index, index, index, index, i1)
    scf.if %q#4 {
      memref.alloca_scope {
        // Per token of the chunk: dt_s, cum_s, and the weights w_s of the
        // current output token.
        %dtbuf = memref.alloca() : memref<256xf32>
        %cumbuf = memref.alloca() : memref<256xf32>
        %wbuf = memref.alloca() : memref<256xf32>
        %end = arith.addi %q#0, %q#1 : index
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
        scf.for %c0tok = %q#0 to %end step %L {
          %cend0 = arith.addi %c0tok, %L : index
          %cend = arith.minui %cend0, %end : index
          %n = arith.subi %cend, %c0tok : index
          // dt and the inclusive cumulative sum of A dt over the chunk.
          %cumLast = scf.for %i = %c0 to %n step %c1
              iter_args(%cum = %zero) -> (f32) {
            %tok = arith.addi %c0tok, %i : index
            %dti = func.call @nhc_ssd_dt(%proj, %tok, %proj_stride, %dtcol,
                                         %dtb, %true, %dt_min, %dt_max)
                : (memref<?xf32>, index, index, index, f32, i1, f32, f32)
                -> f32
            %ai = arith.mulf %A, %dti : f32
            %cumi = arith.addf %cum, %ai : f32
            memref.store %dti, %dtbuf[%i] : memref<256xf32>
            memref.store %cumi, %cumbuf[%i] : memref<256xf32>
            scf.yield %cumi : f32
          }
          // Outputs, from the state at the chunk's start.
          scf.for %i = %c0 to %n step %c1 {
            %l = arith.addi %c0tok, %i : index
            %crow = arith.muli %l, %xbcStride : index
            %cbase = arith.addi %crow, %ccol : index
            %cuml = memref.load %cumbuf[%i] : memref<256xf32>
            %i1 = arith.addi %i, %c1 : index
            scf.for %j = %c0 to %i1 step %c1 {
              %s = arith.addi %c0tok, %j : index
              %srow = arith.muli %s, %xbcStride : index
              %bbase = arith.addi %srow, %bcol : index
              %cb = func.call @nhc_ssd_dot(%xbc, %cbase, %xbc, %bbase, %N)
                  : (memref<?xf32>, index, memref<?xf32>, index, index) -> f32
              %cums = memref.load %cumbuf[%j] : memref<256xf32>
              %seg = arith.subf %cuml, %cums : f32
              %decay = math.exp %seg : f32
              %dts = memref.load %dtbuf[%j] : memref<256xf32>
              %m = arith.mulf %cb, %decay : f32
              %w = arith.mulf %m, %dts : f32
              memref.store %w, %wbuf[%j] : memref<256xf32>
            }
            // y_l = exp(cum_l) (C_l . h_prev) + D x_l, then the intra-chunk
            // part as a row of (W o L) X: one axpy of x_s per s, contiguous
            // over the head's P columns (GEMM-shaped, vectorized).
            %ecum = math.exp %cuml : f32
            %yrow = arith.muli %l, %HP : index
            %ybase = arith.addi %yrow, %hp0 : index
            %lbase = arith.addi %crow, %hp0 : index
            scf.for %p = %c0 to %P step %c1 {
              %pN = arith.muli %p, %N : index
              %srowBase = arith.addi %sbase, %pN : index
              %ch = func.call @nhc_ssd_dot(%xbc, %cbase, %ssm_state, %srowBase, %N)
                  : (memref<?xf32>, index, memref<?xf32>, index, index) -> f32
              %offTerm = arith.mulf %ch, %ecum : f32
              %li = arith.addi %lbase, %p : index
              %xl = memref.load %xbc[%li] : memref<?xf32>
              %dx = arith.mulf %Dh, %xl : f32
              %yv = arith.addf %offTerm, %dx : f32
              %yi = arith.addi %ybase, %p : index
              memref.store %yv, %y[%yi] : memref<?xf32>
            }
            scf.for %j = %c0 to %i1 step %c1 {
              %s = arith.addi %c0tok, %j : index
              %srow = arith.muli %s, %xbcStride : index
              %xbase = arith.addi %srow, %hp0 : index
              %w = memref.load %wbuf[%j] : memref<256xf32>
              scf.for %p = %c0 to %P step %c1 {
                %xi = arith.addi %xbase, %p : index
                %xs = memref.load %xbc[%xi] : memref<?xf32>
                %yi = arith.addi %ybase, %p : index
                %yv = memref.load %y[%yi] : memref<?xf32>
                %term = arith.mulf %w, %xs : f32
                %yv2 = arith.addf %yv, %term : f32
                memref.store %yv2, %y[%yi] : memref<?xf32>
              }
            }
          }
          // Chunk-end state: decay the old state, add each token's update.
          %etot = math.exp %cumLast : f32
          %PN = arith.muli %P, %N : index
          scf.for %e = %c0 to %PN step %c1 {
            %si = arith.addi %sbase, %e : index
            %sv = memref.load %ssm_state[%si] : memref<?xf32>
            %sd = arith.mulf %sv, %etot : f32
            memref.store %sd, %ssm_state[%si] : memref<?xf32>
          }
          scf.for %j = %c0 to %n step %c1 {
            %s = arith.addi %c0tok, %j : index
            %cums = memref.load %cumbuf[%j] : memref<256xf32>
            %rest = arith.subf %cumLast, %cums : f32
            %decay = math.exp %rest : f32
            %dts = memref.load %dtbuf[%j] : memref<256xf32>
            %decayDt = arith.mulf %decay, %dts : f32
            %srow = arith.muli %s, %xbcStride : index
            %bbase = arith.addi %srow, %bcol : index
            scf.for %p = %c0 to %P step %c1 {
              %hp = arith.addi %hp0, %p : index
              %xi = arith.addi %srow, %hp : index
              %xs = memref.load %xbc[%xi] : memref<?xf32>
              %w = arith.mulf %decayDt, %xs : f32
              %pN = arith.muli %p, %N : index
              %srowBase = arith.addi %sbase, %pN : index
              scf.for %k = %c0 to %N step %c1 {
                %bi = arith.addi %bbase, %k : index
                %bv = memref.load %xbc[%bi] : memref<?xf32>
                %si = arith.addi %srowBase, %k : index
                %sv = memref.load %ssm_state[%si] : memref<?xf32>
                %u = arith.mulf %bv, %w : f32
                %s2 = arith.addf %sv, %u : f32
                memref.store %s2, %ssm_state[%si] : memref<?xf32>
              }
            }
          }
        }
      }
    }
    scf.reduce
  }
  return
}

// Request r's (token_offset, num_tokens, start_pos, slot, is_prefill).
func.func private @nhc_ssd_request(%req: memref<?xi64>, %r: index)
    -> (index, index, index, index, i1) {
  %c1 = arith.constant 1 : index
  %q:4 = func.call @nhc_request(%req, %r) : (memref<?xi64>, index)
      -> (index, index, index, index)
  %prefill = arith.cmpi sgt, %q#1, %c1 : index
  return %q#0, %q#1, %q#2, %q#3, %prefill : index, index, index, index, i1
}

// Row stride of xbc: H*P + 2*G*N.
func.func private @nhc_ssd_xbc_stride(%H: index, %P: index, %N: index,
                                      %G: index) -> index {
  %c2 = arith.constant 2 : index
  %HP = arith.muli %H, %P : index
  %GN = arith.muli %G, %N : index
  %GN2 = arith.muli %GN, %c2 : index
  %s = arith.addi %HP, %GN2 : index
  return %s : index
}

// Group of head h: h / (H / G).
func.func private @nhc_ssd_group(%h: index, %H: index, %G: index) -> index {
  %hpg = arith.divui %H, %G : index
  %g = arith.divui %h, %hpg : index
  return %g : index
}

// A = -exp(a_log[h]).
func.func private @nhc_ssd_a(%a_log: memref<?xf32>, %h: index) -> f32 {
  %al = memref.load %a_log[%h] : memref<?xf32>
  %e = math.exp %al : f32
  %A = arith.negf %e : f32
  return %A : f32
}

// First element of state row (h, p) = hp of `slot`: [slot][hp][0].
func.func private @nhc_ssd_state_row(%slot: index, %hp: index, %HP: index,
                                     %N: index) -> index {
  %slotElems = arith.muli %HP, %N : index
  %base = arith.muli %slot, %slotElems : index
  %row = arith.muli %hp, %N : index
  %i = arith.addi %base, %row : index
  return %i : index
}

// Column of B[g, 0] in an xbc row.
func.func private @nhc_ssd_b_col(%g: index, %HP: index, %N: index) -> index {
  %gN = arith.muli %g, %N : index
  %c = arith.addi %HP, %gN : index
  return %c : index
}

// dt of token `tok`: softplus(proj[tok, col] + bias) (torch: threshold 20,
// log1p(exp(u)) below it), clamped to [lo, hi] if `clamp`.
func.func private @nhc_ssd_dt(%proj: memref<?xf32>, %tok: index,
                              %stride: index, %col: index, %bias: f32,
                              %clamp: i1, %lo: f32, %hi: f32) -> f32 {
  %twenty = arith.constant 20.0 : f32
  %row = arith.muli %tok, %stride : index
  %i = arith.addi %row, %col : index
  %raw = memref.load %proj[%i] : memref<?xf32>
  %u = arith.addf %raw, %bias : f32
  %big = arith.cmpf ogt, %u, %twenty : f32
  %eu = math.exp %u : f32
  %lp = math.log1p %eu : f32
  %sp = arith.select %big, %u, %lp : f32
  %l = arith.maximumf %sp, %lo : f32
  %c = arith.minimumf %l, %hi : f32
  %dt = arith.select %clamp, %c, %sp : f32
  return %dt : f32
}

// sum_n a[ia + n] * b[ib + n].
func.func private @nhc_ssd_dot(%a: memref<?xf32>, %ia: index,
                               %b: memref<?xf32>, %ib: index, %N: index)
    -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.for %n = %c0 to %N step %c1 iter_args(%acc = %zero) -> (f32) {
    %i = arith.addi %ia, %n : index
    %j = arith.addi %ib, %n : index
    %x = memref.load %a[%i] : memref<?xf32>
    %y = memref.load %b[%j] : memref<?xf32>
    %p = arith.mulf %x, %y : f32
    %acc2 = arith.addf %acc, %p fastmath<reassoc> : f32
    scf.yield %acc2 : f32
  }
  return %s : f32
}
