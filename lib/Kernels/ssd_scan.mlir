// Mamba-2 SSD scan. Per request, head h and row p of the head's state:
//   dt  = softplus(proj[t, dt_offset + h] + dt_bias[h]), clamped to
//         [dt_min, dt_max] = [time_step_min, inf) where transformers 5.23
//         takes its chunked form (a request of several tokens, or a fresh
//         one-token prompt), unclamped in its one-token step of a request
//         with history (mamba2_selective_state_update); docs/config.md
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
// keep the tokens of a request in order. Each has a form that keeps the
// state as bf16 (`_bf16_state`, derived by nhc-add-bf16-state-kernels:
// `nhc compile --ssm-state-dtype=bf16`): the same f32 arithmetic, the
// state widened as loaded and rounded to bf16 as stored.

// Decode: one recurrence step per token (@nhc_ssd_recurrent_head). An
// iteration owns a (request, head): dt and exp(dt A) once per token (once
// per state row before, libm's exp and log1p were 5.5 % of a B = 8 decode
// profile and the scan with them 17 %; 4 % after), then the head's P state
// rows, each N elements in 16-lane blocks (the last N % 16 one at a time)
// with its C . h reduction reassociated.
func.func @nhc_ssd_scan(%xbc: memref<?xf32>, %proj: memref<?xf32>,
                        %proj_stride: index, %dt_offset: index,
                        %dt_bias: memref<?xf32>, %a_log: memref<?xf32>,
                        %d: memref<?xf32>, %ssm_state: memref<?xf32> {nhc.bf16_state},
                        %y: memref<?xf32>, %req: memref<?xi64>, %R: index,
                        %H: index, %P: index, %N: index, %G: index,
                        %dt_min: f32, %dt_max: f32) attributes {nhc.bf16_state_form = "nhc_ssd_scan_bf16_state"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %true = arith.constant true
  scf.parallel (%r, %h) = (%c0, %c0) to (%R, %H) step (%c1, %c1) {
    %q:6 = func.call @nhc_ssd_request(%req, %r) : (memref<?xi64>, index)
        -> (index, index, index, index, i1, i1)
    %decode = arith.xori %q#4, %true : i1
    scf.if %decode {
      func.call @nhc_ssd_recurrent_head(%xbc, %proj, %proj_stride, %dt_offset, %dt_bias, %a_log, %d, %ssm_state, %y, %H, %P, %N, %G, %dt_min, %dt_max, %q#5, %q#0, %q#1, %q#3, %h)
          : (memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, index, index, f32, f32, i1, index, index, index, index) -> ()
    }
    scf.reduce
  }
  return
}

// Head h of a request's tokens [first, first + count) in slot `slot`
// (@nhc_ssd_head_tokens). A request of several tokens runs on an f32
// working copy of the head's state, as many whole rows at a time as a
// 64 KiB stack buffer holds (every published head at once), each block
// loaded from the pool before the first token and stored after the last:
// the same arithmetic, and a state kept as bf16 (the `_bf16_state` forms)
// is rounded once per step, as the GPU form's on-chip state is, rather
// than at every token (slower and less exact). A one-token step, or a row
// longer than the buffer (N > 16384), runs in the pool's state.
func.func private @nhc_ssd_recurrent_head(%xbc: memref<?xf32>,
                                          %proj: memref<?xf32>,
                                          %proj_stride: index,
                                          %dt_offset: index,
                                          %dt_bias: memref<?xf32>,
                                          %a_log: memref<?xf32>,
                                          %d: memref<?xf32>,
                                          %ssm_state: memref<?xf32>,
                                          %y: memref<?xf32>, %H: index,
                                          %P: index, %N: index, %G: index,
                                          %dt_min: f32, %dt_max: f32,
                                          %clamp: i1,
                                          %first: index, %count: index,
                                          %slot: index, %h: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %copy = memref.alloca() {alignment = 64} : memref<16384xf32>
  %copyDyn = memref.cast %copy : memref<16384xf32> to memref<?xf32>
  %cap = memref.dim %copyDyn, %c0 : memref<?xf32>
  %HP = arith.muli %H, %P : index
  %hp0 = arith.muli %h, %P : index
  %row0 = func.call @nhc_ssd_state_row(%slot, %hp0, %HP, %N)
      : (index, index, index, index) -> index
  %rowsPerBlock = arith.divui %cap, %N : index
  %several = arith.cmpi ugt, %count, %c1 : index
  %fits = arith.cmpi ugt, %rowsPerBlock, %c0 : index
  %working = arith.andi %several, %fits : i1
  scf.if %working {
    scf.for %p0 = %c0 to %P step %rowsPerBlock {
      %p0Rows = arith.addi %p0, %rowsPerBlock : index
      %p1 = arith.minui %p0Rows, %P : index
      %rows = arith.subi %p1, %p0 : index
      %elems = arith.muli %rows, %N : index
      %p0N = arith.muli %p0, %N : index
      %base = arith.addi %row0, %p0N : index
      scf.for %i = %c0 to %elems step %c1 {
        %at = arith.addi %base, %i : index
        %v = memref.load %ssm_state[%at] : memref<?xf32>
        memref.store %v, %copyDyn[%i] : memref<?xf32>
      }
      func.call @nhc_ssd_head_tokens(%xbc, %proj, %proj_stride, %dt_offset, %dt_bias, %a_log, %d, %copyDyn, %c0, %p0, %p1, %y, %H, %P, %N, %G, %dt_min, %dt_max, %clamp, %first, %count, %h)
          : (memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, index, memref<?xf32>, index, index, index, index, f32, f32, i1, index, index, index) -> ()
      scf.for %i = %c0 to %elems step %c1 {
        %at = arith.addi %base, %i : index
        %v = memref.load %copyDyn[%i] : memref<?xf32>
        memref.store %v, %ssm_state[%at] : memref<?xf32>
      }
    }
  } else {
    func.call @nhc_ssd_head_tokens(%xbc, %proj, %proj_stride, %dt_offset, %dt_bias, %a_log, %d, %ssm_state, %row0, %c0, %P, %y, %H, %P, %N, %G, %dt_min, %dt_max, %clamp, %first, %count, %h)
        : (memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, index, memref<?xf32>, index, index, index, index, f32, f32, i1, index, index, index) -> ()
  }
  return
}

// The recurrence over head h's tokens [first, first + count) for its state
// rows [pBegin, pEnd), row p at `row0` + (p - pBegin) N of `state` (the
// pool's, or a working copy): dt and exp(dt A) once per token, then the
// rows (@nhc_ssd_update_row), y = C . h + D x.
func.func private @nhc_ssd_head_tokens(%xbc: memref<?xf32>,
                                       %proj: memref<?xf32>,
                                       %proj_stride: index,
                                       %dt_offset: index,
                                       %dt_bias: memref<?xf32>,
                                       %a_log: memref<?xf32>,
                                       %d: memref<?xf32>,
                                       %state: memref<?xf32>,
                                       %row0: index, %pBegin: index,
                                       %pEnd: index,
                                       %y: memref<?xf32>, %H: index,
                                       %P: index, %N: index, %G: index,
                                       %dt_min: f32, %dt_max: f32,
                                       %clamp: i1,
                                       %first: index, %count: index,
                                       %h: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %HP = arith.muli %H, %P : index
  %xbcStride = func.call @nhc_ssd_xbc_stride(%H, %P, %N, %G)
      : (index, index, index, index) -> index
  %g = func.call @nhc_ssd_group(%h, %H, %G) : (index, index, index) -> index
  %A = func.call @nhc_ssd_a(%a_log, %h) : (memref<?xf32>, index) -> f32
  %Dh = memref.load %d[%h] : memref<?xf32>
  %dtb = memref.load %dt_bias[%h] : memref<?xf32>
  %bcol = func.call @nhc_ssd_b_col(%g, %HP, %N) : (index, index, index) -> index
  %GN = arith.muli %G, %N : index
  %ccol = arith.addi %bcol, %GN : index
  %dtcol = arith.addi %dt_offset, %h : index
  %hp0 = arith.muli %h, %P : index
  scf.for %t = %c0 to %count step %c1 {
    %tok = arith.addi %first, %t : index
    %dt = func.call @nhc_ssd_dt(%proj, %tok, %proj_stride, %dtcol, %dtb,
                                %clamp, %dt_min, %dt_max)
        : (memref<?xf32>, index, index, index, f32, i1, f32, f32) -> f32
    %dtA = arith.mulf %dt, %A : f32
    %dA = math.exp %dtA : f32
    %xrow = arith.muli %tok, %xbcStride : index
    %bbase = arith.addi %xrow, %bcol : index
    %cbase = arith.addi %xrow, %ccol : index
    %yrow = arith.muli %tok, %HP : index
    scf.for %p = %pBegin to %pEnd step %c1 {
      %hp = arith.addi %hp0, %p : index
      %pRel = arith.subi %p, %pBegin : index
      %pN = arith.muli %pRel, %N : index
      %sbase = arith.addi %row0, %pN : index
      %xi = arith.addi %xrow, %hp : index
      %x = memref.load %xbc[%xi] : memref<?xf32>
      %acc = func.call @nhc_ssd_update_row(%state, %sbase, %xbc, %bbase,
                                           %cbase, %N, %dA, %dt, %x)
          : (memref<?xf32>, index, memref<?xf32>, index, index, index, f32, f32, f32) -> f32
      %dx = arith.mulf %x, %Dh : f32
      %yv = arith.addf %acc, %dx : f32
      %yi = arith.addi %yrow, %hp : index
      memref.store %yv, %y[%yi] : memref<?xf32>
    }
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

// Prefill: the prefill requests through the same recurrence, token by
// token (@nhc_ssd_recurrent_head): on a CPU the state of a head (P x N
// floats, 32 KiB for Nemotron-H's 64 x 128) stays in L1 while its tokens
// stream by, and the recurrence does 4 P N flops per token and head, where
// the chunked SSD form of transformers' torch path (the Mamba-2 paper's
// block decomposition) adds the chunk's C . B products and its intra-chunk
// sums to the same state and output products unless those run as blocked
// GEMMs; the chunked form this kernel ran until 2026-12-02 took about 3x
// as long (docs/benchmarks.md, eleventh measurement). The GPU form
// (ssd_scan_gpu.mlir) runs the chunked form on tensor cores; both give
// transformers' sums up to rounding. `chunk`, `gemm_precision` (the
// session's nhc_gemm_precision_t) and `T` (the step's tokens: T == R means
// every request has one token, so none is a prefill) are the GPU form's:
// this form's arithmetic is f32 in either precision, and it finds its
// prefill requests in the table.
func.func @nhc_ssd_chunk_scan(%xbc: memref<?xf32>, %proj: memref<?xf32>,
                              %proj_stride: index, %dt_offset: index,
                              %dt_bias: memref<?xf32>, %a_log: memref<?xf32>,
                              %d: memref<?xf32>, %ssm_state: memref<?xf32> {nhc.bf16_state},
                              %y: memref<?xf32>, %req: memref<?xi64>,
                              %R: index, %H: index, %P: index, %N: index,
                              %G: index, %chunk: index, %dt_min: f32,
                              %dt_max: f32, %gemm_precision: index,
                              %T: index) attributes {nhc.bf16_state_form = "nhc_ssd_chunk_scan_bf16_state"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%r, %h) = (%c0, %c0) to (%R, %H) step (%c1, %c1) {
    %q:6 = func.call @nhc_ssd_request(%req, %r) : (memref<?xi64>, index)
        -> (index, index, index, index, i1, i1)
    scf.if %q#4 {
      func.call @nhc_ssd_recurrent_head(%xbc, %proj, %proj_stride, %dt_offset, %dt_bias, %a_log, %d, %ssm_state, %y, %H, %P, %N, %G, %dt_min, %dt_max, %q#5, %q#0, %q#1, %q#3, %h)
          : (memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, index, index, f32, f32, i1, index, index, index, index) -> ()
    }
    scf.reduce
  }
  return
}

// Request r's (token_offset, num_tokens, start_pos, slot, is_prefill,
// clamps_dt): dt is clamped where transformers runs the chunked form, for
// a prefill or a fresh prompt of one token, not in the one-token step of a
// request with history.
func.func private @nhc_ssd_request(%req: memref<?xi64>, %r: index)
    -> (index, index, index, index, i1, i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %q:4 = func.call @nhc_request(%req, %r) : (memref<?xi64>, index)
      -> (index, index, index, index)
  %prefill = arith.cmpi sgt, %q#1, %c1 : index
  %fresh = arith.cmpi eq, %q#2, %c0 : index
  %clamp = arith.ori %prefill, %fresh : i1
  return %q#0, %q#1, %q#2, %q#3, %prefill, %clamp
      : index, index, index, index, i1, i1
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
  %row = arith.muli %tok, %stride : index
  %i = arith.addi %row, %col : index
  %raw = memref.load %proj[%i] : memref<?xf32>
  %u = arith.addf %raw, %bias : f32
  %sp = func.call @nhc_softplus(%u) : (f32) -> f32
  %l = arith.maximumf %sp, %lo : f32
  %c = arith.minimumf %l, %hi : f32
  %dt = arith.select %clamp, %c, %sp : f32
  return %dt : f32
}
