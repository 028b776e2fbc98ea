// Mamba-2 SSD scan in its chunked form, for prefill requests (num_tokens > 1
// or start_pos == 0); decode requests are left to @nhc_ssd_scan's recurrence.
// Within a chunk of L tokens, with cum_l = sum_{j<=l} dt_j * A:
//   y_l = sum_{s<=l} (C_l . B_s) exp(cum_l - cum_s) dt_s x_s     (diagonal block)
//       + exp(cum_l) (C_l . h_prev)                               (from earlier chunks)
//       + D x_l
//   h   = exp(cum_{L-1}) h_prev + sum_s exp(cum_{L-1} - cum_s) dt_s x_s B_s
// which is the recurrence regrouped by chunk (ssd_minimal / transformers'
// torch path). Chunks start at the request's first new token, as in
// transformers; dt is clamped to [dt_min, dt_max] as on its chunked path.
// exp(cum_l - cum_s) is built by walking s downwards from l, so no scratch
// memory is needed. One parallel iteration per (request, h*P + p).
func.func @nhc_ssd_chunk_scan(%xbc: memref<?xf32>, %proj: memref<?xf32>,
                              %proj_stride: index, %dt_offset: index,
                              %dt_bias: memref<?xf32>, %a_log: memref<?xf32>,
                              %d: memref<?xf32>, %ssm_state: memref<?xf32>,
                              %y: memref<?xf32>, %req: memref<?xi64>,
                              %R: index, %H: index, %P: index, %N: index,
                              %G: index, %chunk: index,
                              %dt_min: f32, %dt_max: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %twenty = arith.constant 20.0 : f32
  %zero64 = arith.constant 0 : i64
  %one64 = arith.constant 1 : i64
  %HP = arith.muli %H, %P : index
  %GN = arith.muli %G, %N : index
  %twoGN = arith.muli %GN, %c2 : index
  %xbcStride = arith.addi %HP, %twoGN : index
  %headsPerGroup = arith.divui %H, %G : index
  %slotElems = arith.muli %HP, %N : index
  scf.parallel (%r, %hp) = (%c0, %c0) to (%R, %HP) step (%c1, %c1) {
    %r4 = arith.muli %r, %c4 : index
    %off64 = memref.load %req[%r4] : memref<?xi64>
    %r4n = arith.addi %r4, %c1 : index
    %n64 = memref.load %req[%r4n] : memref<?xi64>
    %r4p = arith.addi %r4, %c2 : index
    %start64 = memref.load %req[%r4p] : memref<?xi64>
    %multi = arith.cmpi sgt, %n64, %one64 : i64
    %fresh = arith.cmpi eq, %start64, %zero64 : i64
    %prefill = arith.ori %multi, %fresh : i1
    scf.if %prefill {
      %r4s = arith.addi %r4, %c3 : index
      %slot64 = memref.load %req[%r4s] : memref<?xi64>
      %off = arith.index_cast %off64 : i64 to index
      %n = arith.index_cast %n64 : i64 to index
      %slot = arith.index_cast %slot64 : i64 to index
      %h = arith.divui %hp, %P : index
      %g = arith.divui %h, %headsPerGroup : index
      %alog = memref.load %a_log[%h] : memref<?xf32>
      %ea = math.exp %alog : f32
      %A = arith.negf %ea : f32
      %Dh = memref.load %d[%h] : memref<?xf32>
      %dtb = memref.load %dt_bias[%h] : memref<?xf32>
      %slotBase = arith.muli %slot, %slotElems : index
      %rowState = arith.muli %hp, %N : index
      %sbase = arith.addi %slotBase, %rowState : index
      %gN = arith.muli %g, %N : index
      %bcol = arith.addi %HP, %gN : index
      %ccol = arith.addi %bcol, %GN : index
      %dtcol = arith.addi %dt_offset, %h : index
      scf.for %cs = %c0 to %n step %chunk {
        %ce0 = arith.addi %cs, %chunk : index
        %ce = arith.minui %ce0, %n : index
        // Outputs of the chunk, all against the state at its start.
        scf.for %l = %cs to %ce step %c1 {
          %ltok = arith.addi %off, %l : index
          %lrow = arith.muli %ltok, %xbcStride : index
          %lc = arith.addi %lrow, %ccol : index
          // Walk s = l, l-1, ..., cs carrying exp(cum_l - cum_s).
          %span = arith.subi %l, %cs : index
          %count = arith.addi %span, %c1 : index
          %diag:2 = scf.for %i = %c0 to %count step %c1
              iter_args(%acc = %zero, %decay = %one) -> (f32, f32) {
            %s = arith.subi %l, %i : index
            %stok = arith.addi %off, %s : index
            %dt = func.call @nhc_ssd_chunk_dt(%proj, %stok, %proj_stride, %dtcol, %dtb, %dt_min, %dt_max)
                : (memref<?xf32>, index, index, index, f32, f32, f32) -> f32
            %srow = arith.muli %stok, %xbcStride : index
            %sx = arith.addi %srow, %hp : index
            %x = memref.load %xbc[%sx] : memref<?xf32>
            %sb = arith.addi %srow, %bcol : index
            %cb = scf.for %k = %c0 to %N step %c1 iter_args(%dot = %zero) -> (f32) {
              %ci = arith.addi %lc, %k : index
              %cv = memref.load %xbc[%ci] : memref<?xf32>
              %bi = arith.addi %sb, %k : index
              %bv = memref.load %xbc[%bi] : memref<?xf32>
              %p = arith.mulf %cv, %bv : f32
              %dot2 = arith.addf %dot, %p : f32
              scf.yield %dot2 : f32
            }
            %w0 = arith.mulf %cb, %decay : f32
            %w1 = arith.mulf %w0, %dt : f32
            %term = arith.mulf %w1, %x : f32
            %acc2 = arith.addf %acc, %term : f32
            %dtA = arith.mulf %dt, %A : f32
            %dA = math.exp %dtA : f32
            %decay2 = arith.mulf %decay, %dA : f32
            scf.yield %acc2, %decay2 : f32, f32
          }
          // %diag#1 is now exp(cum_l): the decay of the chunk's initial state.
          %ch = scf.for %k = %c0 to %N step %c1 iter_args(%dot = %zero) -> (f32) {
            %ci = arith.addi %lc, %k : index
            %cv = memref.load %xbc[%ci] : memref<?xf32>
            %si = arith.addi %sbase, %k : index
            %sv = memref.load %ssm_state[%si] : memref<?xf32>
            %p = arith.mulf %cv, %sv : f32
            %dot2 = arith.addf %dot, %p : f32
            scf.yield %dot2 : f32
          }
          %inter = arith.mulf %ch, %diag#1 : f32
          %lx = arith.addi %lrow, %hp : index
          %xl = memref.load %xbc[%lx] : memref<?xf32>
          %dx = arith.mulf %xl, %Dh : f32
          %y0 = arith.addf %diag#0, %inter : f32
          %yv = arith.addf %y0, %dx : f32
          %yrow = arith.muli %ltok, %HP : index
          %yi = arith.addi %yrow, %hp : index
          memref.store %yv, %y[%yi] : memref<?xf32>
        }
        // State at the chunk's end: h = exp(cum_last) h_prev + sum_s
        // exp(cum_last - cum_s) dt_s x_s B_s. First the decay of h_prev...
        %last = arith.subi %ce, %c1 : index
        %len = arith.subi %ce, %cs : index
        %total = scf.for %s = %cs to %ce step %c1 iter_args(%decay = %one) -> (f32) {
          %stok = arith.addi %off, %s : index
          %dt = func.call @nhc_ssd_chunk_dt(%proj, %stok, %proj_stride, %dtcol, %dtb, %dt_min, %dt_max)
              : (memref<?xf32>, index, index, index, f32, f32, f32) -> f32
          %dtA = arith.mulf %dt, %A : f32
          %dA = math.exp %dtA : f32
          %decay2 = arith.mulf %decay, %dA : f32
          scf.yield %decay2 : f32
        }
        scf.for %k = %c0 to %N step %c1 {
          %si = arith.addi %sbase, %k : index
          %sv = memref.load %ssm_state[%si] : memref<?xf32>
          %sd = arith.mulf %sv, %total : f32
          memref.store %sd, %ssm_state[%si] : memref<?xf32>
        }
        // ...then each token's contribution, walking s down from the end.
        // (The loop carries exp(cum_last - cum_s); its final value is %total.)
        %carried = scf.for %i = %c0 to %len step %c1 iter_args(%decay = %one) -> (f32) {
          %s = arith.subi %last, %i : index
          %stok = arith.addi %off, %s : index
          %dt = func.call @nhc_ssd_chunk_dt(%proj, %stok, %proj_stride, %dtcol, %dtb, %dt_min, %dt_max)
              : (memref<?xf32>, index, index, index, f32, f32, f32) -> f32
          %srow = arith.muli %stok, %xbcStride : index
          %sx = arith.addi %srow, %hp : index
          %x = memref.load %xbc[%sx] : memref<?xf32>
          %sb = arith.addi %srow, %bcol : index
          %w0 = arith.mulf %decay, %dt : f32
          %w = arith.mulf %w0, %x : f32
          scf.for %k = %c0 to %N step %c1 {
            %bi = arith.addi %sb, %k : index
            %bv = memref.load %xbc[%bi] : memref<?xf32>
            %si = arith.addi %sbase, %k : index
            %sv = memref.load %ssm_state[%si] : memref<?xf32>
            %wb = arith.mulf %w, %bv : f32
            %s2 = arith.addf %sv, %wb : f32
            memref.store %s2, %ssm_state[%si] : memref<?xf32>
          }
          %dtA = arith.mulf %dt, %A : f32
          %dA = math.exp %dtA : f32
          %decay2 = arith.mulf %decay, %dA : f32
          scf.yield %decay2 : f32
        }
        scf.yield
      }
    }
    scf.reduce
  }
  return
}

// dt of one token: softplus(proj[t, col] + bias) clamped to [lo, hi], with
// torch's softplus threshold of 20.
func.func private @nhc_ssd_chunk_dt(%proj: memref<?xf32>, %tok: index,
                                    %stride: index, %col: index, %bias: f32,
                                    %lo: f32, %hi: f32) -> f32 {
  %twenty = arith.constant 20.0 : f32
  %row = arith.muli %tok, %stride : index
  %i = arith.addi %row, %col : index
  %raw = memref.load %proj[%i] : memref<?xf32>
  %u = arith.addf %raw, %bias : f32
  %big = arith.cmpf ogt, %u, %twenty : f32
  %eu = math.exp %u : f32
  %lp = math.log1p %eu : f32
  %sp = arith.select %big, %u, %lp : f32
  %a = arith.maximumf %sp, %lo : f32
  %b = arith.minimumf %a, %hi : f32
  return %b : f32
}
