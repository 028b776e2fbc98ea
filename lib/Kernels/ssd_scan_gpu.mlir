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
// per (head, request), chunks of min(chunk, 64) tokens (the same
// recurrence; only rounding differs from the portable form's longer
// chunks). Per chunk:
//   1. thread s computes dt_s and A dt_s; the first thread sums cum_s in
//      token order; thread s then the chunk-end coefficient
//      exp(cum_last - cum_s) dt_s;
//   2. W = (C Bᵀ) ∘ exp(cum_l - cum_s) dt_s, lower triangle, a 64 x 64
//      tile in workgroup memory;
//   3. per tile of 64 columns p: y = exp(cum_l) (C h_prevᵀ) + D x + W X;
//   4. per 64 x 64 tile of the state (p, n):
//      exp(cum_last) h + sum_s coef_s x_s[p] B_s[n].
// The products are 64 x 64 tiles over 32 of their inner dimension at a
// time (state columns in steps 2 and 3, tokens in step 4): the operands
// staged transposed in workgroup memory (coalesced reads, rows 65 floats
// apart against bank conflicts), each thread accumulating a 4 x 4 block
// (rows ti + 16a, columns tj + 16b) in registers, the partial sums kept in
// wbuf, y or the state between stages. The state stays in the pool (P x N floats per head do not fit
// beside the tiles in 48 KiB); step 3 reads it, step 4 rewrites it.
// CUDA cores, f32; tensor-core tiles are future work (docs/kernels.md).
// The 4 x 4 blocks (between BEGIN/END GENERATED) are written by
// tools/scripts/gen-gpu-tiles.py: edit the script and rerun it.
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
             workgroup(%dtbuf : memref<64xf32, #gpu.address_space<workgroup>>,
                       %cumbuf : memref<64xf32, #gpu.address_space<workgroup>>,
                       %coefbuf : memref<64xf32, #gpu.address_space<workgroup>>,
                       %wbuf : memref<4096xf32, #gpu.address_space<workgroup>>,
                       %aT : memref<2080xf32, #gpu.address_space<workgroup>>,
                       %bT : memref<2080xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %c48 = arith.constant 48 : index
    %c65 = arith.constant 65 : index
    %threads = arith.constant 256 : index
    %kTile = arith.constant 64 : index
    %kStage = arith.constant 2048 : index // 64 rows x 32 columns
    %zero = arith.constant 0.0 : f32
    %true = arith.constant true
    %HP = arith.muli %H, %P : index
    %GN = arith.muli %G, %N : index
    %PN = arith.muli %P, %N : index
    %xbcStride = func.call @nhc_ssd_xbc_stride(%H, %P, %N, %G)
        : (index, index, index, index) -> index
    // A zero chunk would never advance; a longer one than the buffers is cut.
    %L1 = arith.maxui %chunk, %one : index
    %L = arith.minui %L1, %kTile : index
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
    // This thread's 4 x 4 block of a 64 x 64 tile: rows row0..3, columns
    // col0..3 (16 apart, so a warp's loads of a staged row are consecutive).
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
    %wrow0 = arith.muli %row0, %kTile : index
    %wrow1 = arith.muli %row1, %kTile : index
    %wrow2 = arith.muli %row2, %kTile : index
    %wrow3 = arith.muli %row3, %kTile : index
    scf.for %c0tok = %q#0 to %last step %L {
      %cend0 = arith.addi %c0tok, %L : index
      %cend = arith.minui %cend0, %end : index
      %n = arith.subi %cend, %c0tok : index
      // 1. dt and A dt per token, their inclusive cumulative sum, then the
      //    chunk-end coefficients.
      %inChunk = arith.cmpi ult, %tx, %n : index
      scf.if %inChunk {
        %tok = arith.addi %c0tok, %tx : index
        %dti = func.call @nhc_ssd_dt(%proj, %tok, %proj_stride, %dtcol, %dtb,
                                     %true, %dt_min, %dt_max)
            : (memref<?xf32>, index, index, index, f32, i1, f32, f32) -> f32
        %ai = arith.mulf %A, %dti : f32
        memref.store %dti, %dtbuf[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
        memref.store %ai, %cumbuf[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      scf.if %isFirst {
        %a0 = memref.load %cumbuf[%c0] : memref<64xf32, #gpu.address_space<workgroup>>
        %unused = scf.for %i = %one to %n step %one iter_args(%cum = %a0) -> (f32) {
          %ai = memref.load %cumbuf[%i] : memref<64xf32, #gpu.address_space<workgroup>>
          %cumi = arith.addf %cum, %ai : f32
          memref.store %cumi, %cumbuf[%i] : memref<64xf32, #gpu.address_space<workgroup>>
          scf.yield %cumi : f32
        }
      }
      gpu.barrier
      %nLast = arith.subi %n, %one : index
      %cumLast = memref.load %cumbuf[%nLast] : memref<64xf32, #gpu.address_space<workgroup>>
      scf.if %inChunk {
        %cums = memref.load %cumbuf[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
        %rest = arith.subf %cumLast, %cums : f32
        %decay = math.exp %rest : f32
        %dts = memref.load %dtbuf[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
        %decayDt = arith.mulf %decay, %dts : f32
        memref.store %decayDt, %coefbuf[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
      }
      // 2. The weights, each stage's partial sums in wbuf; the last stage
      //    scales them (nhc_ssd_chunk_weight).
      // BEGIN GENERATED step2: tools/scripts/gen-gpu-tiles.py
      scf.for %k0 = %c0 to %N step %c32 {
        scf.for %e = %tx to %kStage step %threads {
          %kk = arith.remui %e, %c32 : index
          %row = arith.divui %e, %c32 : index
          %k = arith.addi %k0, %kk : index
          %kIn = arith.cmpi ult, %k, %N : index
          %kSafe = arith.select %kIn, %k, %c0 : index
          %rowIn = arith.cmpi ult, %row, %n : index
          %cOk = arith.andi %kIn, %rowIn : i1
          %rowSafe = arith.select %rowIn, %row, %c0 : index
          %tok = arith.addi %c0tok, %rowSafe : index
          %trow = arith.muli %tok, %xbcStride : index
          %ci0 = arith.addi %trow, %ccol : index
          %ci = arith.addi %ci0, %kSafe : index
          %cv = memref.load %xbc[%ci] : memref<?xf32>
          %cz = arith.select %cOk, %cv, %zero : f32
          %bi0 = arith.addi %trow, %bcol : index
          %bi = arith.addi %bi0, %kSafe : index
          %bv = memref.load %xbc[%bi] : memref<?xf32>
          %sb = arith.select %cOk, %bv, %zero : f32
          %kr = arith.muli %kk, %c65 : index
          %si = arith.addi %kr, %row : index
          memref.store %cz, %aT[%si] : memref<2080xf32, #gpu.address_space<workgroup>>
          memref.store %sb, %bT[%si] : memref<2080xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
        %first = arith.cmpi eq, %k0, %c0 : index
        %kNext = arith.addi %k0, %c32 : index
        %lastStage = arith.cmpi uge, %kNext, %N : index
        %wi00 = arith.addi %wrow0, %col0 : index
        %wo00 = memref.load %wbuf[%wi00] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w000 = arith.select %first, %zero, %wo00 : f32
        %wi01 = arith.addi %wrow0, %col1 : index
        %wo01 = memref.load %wbuf[%wi01] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w001 = arith.select %first, %zero, %wo01 : f32
        %wi02 = arith.addi %wrow0, %col2 : index
        %wo02 = memref.load %wbuf[%wi02] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w002 = arith.select %first, %zero, %wo02 : f32
        %wi03 = arith.addi %wrow0, %col3 : index
        %wo03 = memref.load %wbuf[%wi03] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w003 = arith.select %first, %zero, %wo03 : f32
        %wi10 = arith.addi %wrow1, %col0 : index
        %wo10 = memref.load %wbuf[%wi10] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w010 = arith.select %first, %zero, %wo10 : f32
        %wi11 = arith.addi %wrow1, %col1 : index
        %wo11 = memref.load %wbuf[%wi11] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w011 = arith.select %first, %zero, %wo11 : f32
        %wi12 = arith.addi %wrow1, %col2 : index
        %wo12 = memref.load %wbuf[%wi12] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w012 = arith.select %first, %zero, %wo12 : f32
        %wi13 = arith.addi %wrow1, %col3 : index
        %wo13 = memref.load %wbuf[%wi13] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w013 = arith.select %first, %zero, %wo13 : f32
        %wi20 = arith.addi %wrow2, %col0 : index
        %wo20 = memref.load %wbuf[%wi20] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w020 = arith.select %first, %zero, %wo20 : f32
        %wi21 = arith.addi %wrow2, %col1 : index
        %wo21 = memref.load %wbuf[%wi21] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w021 = arith.select %first, %zero, %wo21 : f32
        %wi22 = arith.addi %wrow2, %col2 : index
        %wo22 = memref.load %wbuf[%wi22] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w022 = arith.select %first, %zero, %wo22 : f32
        %wi23 = arith.addi %wrow2, %col3 : index
        %wo23 = memref.load %wbuf[%wi23] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w023 = arith.select %first, %zero, %wo23 : f32
        %wi30 = arith.addi %wrow3, %col0 : index
        %wo30 = memref.load %wbuf[%wi30] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w030 = arith.select %first, %zero, %wo30 : f32
        %wi31 = arith.addi %wrow3, %col1 : index
        %wo31 = memref.load %wbuf[%wi31] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w031 = arith.select %first, %zero, %wo31 : f32
        %wi32 = arith.addi %wrow3, %col2 : index
        %wo32 = memref.load %wbuf[%wi32] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w032 = arith.select %first, %zero, %wo32 : f32
        %wi33 = arith.addi %wrow3, %col3 : index
        %wo33 = memref.load %wbuf[%wi33] : memref<4096xf32, #gpu.address_space<workgroup>>
        %w033 = arith.select %first, %zero, %wo33 : f32
        %wacc:16 = scf.for %kk = %c0 to %c32 step %one
            iter_args(%ws00 = %w000, %ws01 = %w001, %ws02 = %w002, %ws03 = %w003, %ws10 = %w010, %ws11 = %w011, %ws12 = %w012, %ws13 = %w013, %ws20 = %w020, %ws21 = %w021, %ws22 = %w022, %ws23 = %w023, %ws30 = %w030, %ws31 = %w031, %ws32 = %w032, %ws33 = %w033)
            -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
          %wkr = arith.muli %kk, %c65 : index
          %wai0 = arith.addi %wkr, %row0 : index
          %wav0 = memref.load %aT[%wai0] : memref<2080xf32, #gpu.address_space<workgroup>>
          %wai1 = arith.addi %wkr, %row1 : index
          %wav1 = memref.load %aT[%wai1] : memref<2080xf32, #gpu.address_space<workgroup>>
          %wai2 = arith.addi %wkr, %row2 : index
          %wav2 = memref.load %aT[%wai2] : memref<2080xf32, #gpu.address_space<workgroup>>
          %wai3 = arith.addi %wkr, %row3 : index
          %wav3 = memref.load %aT[%wai3] : memref<2080xf32, #gpu.address_space<workgroup>>
          %wbi0 = arith.addi %wkr, %col0 : index
          %wbv0 = memref.load %bT[%wbi0] : memref<2080xf32, #gpu.address_space<workgroup>>
          %wbi1 = arith.addi %wkr, %col1 : index
          %wbv1 = memref.load %bT[%wbi1] : memref<2080xf32, #gpu.address_space<workgroup>>
          %wbi2 = arith.addi %wkr, %col2 : index
          %wbv2 = memref.load %bT[%wbi2] : memref<2080xf32, #gpu.address_space<workgroup>>
          %wbi3 = arith.addi %wkr, %col3 : index
          %wbv3 = memref.load %bT[%wbi3] : memref<2080xf32, #gpu.address_space<workgroup>>
          %wm00 = arith.mulf %wav0, %wbv0 : f32
          %wn00 = arith.addf %ws00, %wm00 : f32
          %wm01 = arith.mulf %wav0, %wbv1 : f32
          %wn01 = arith.addf %ws01, %wm01 : f32
          %wm02 = arith.mulf %wav0, %wbv2 : f32
          %wn02 = arith.addf %ws02, %wm02 : f32
          %wm03 = arith.mulf %wav0, %wbv3 : f32
          %wn03 = arith.addf %ws03, %wm03 : f32
          %wm10 = arith.mulf %wav1, %wbv0 : f32
          %wn10 = arith.addf %ws10, %wm10 : f32
          %wm11 = arith.mulf %wav1, %wbv1 : f32
          %wn11 = arith.addf %ws11, %wm11 : f32
          %wm12 = arith.mulf %wav1, %wbv2 : f32
          %wn12 = arith.addf %ws12, %wm12 : f32
          %wm13 = arith.mulf %wav1, %wbv3 : f32
          %wn13 = arith.addf %ws13, %wm13 : f32
          %wm20 = arith.mulf %wav2, %wbv0 : f32
          %wn20 = arith.addf %ws20, %wm20 : f32
          %wm21 = arith.mulf %wav2, %wbv1 : f32
          %wn21 = arith.addf %ws21, %wm21 : f32
          %wm22 = arith.mulf %wav2, %wbv2 : f32
          %wn22 = arith.addf %ws22, %wm22 : f32
          %wm23 = arith.mulf %wav2, %wbv3 : f32
          %wn23 = arith.addf %ws23, %wm23 : f32
          %wm30 = arith.mulf %wav3, %wbv0 : f32
          %wn30 = arith.addf %ws30, %wm30 : f32
          %wm31 = arith.mulf %wav3, %wbv1 : f32
          %wn31 = arith.addf %ws31, %wm31 : f32
          %wm32 = arith.mulf %wav3, %wbv2 : f32
          %wn32 = arith.addf %ws32, %wm32 : f32
          %wm33 = arith.mulf %wav3, %wbv3 : f32
          %wn33 = arith.addf %ws33, %wm33 : f32
          scf.yield %wn00, %wn01, %wn02, %wn03, %wn10, %wn11, %wn12, %wn13, %wn20, %wn21, %wn22, %wn23, %wn30, %wn31, %wn32, %wn33 : f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32
        }
        %cumL0 = memref.load %cumbuf[%row0] : memref<64xf32, #gpu.address_space<workgroup>>
        %cumL1 = memref.load %cumbuf[%row1] : memref<64xf32, #gpu.address_space<workgroup>>
        %cumL2 = memref.load %cumbuf[%row2] : memref<64xf32, #gpu.address_space<workgroup>>
        %cumL3 = memref.load %cumbuf[%row3] : memref<64xf32, #gpu.address_space<workgroup>>
        %cumS0 = memref.load %cumbuf[%col0] : memref<64xf32, #gpu.address_space<workgroup>>
        %dtS0 = memref.load %dtbuf[%col0] : memref<64xf32, #gpu.address_space<workgroup>>
        %cumS1 = memref.load %cumbuf[%col1] : memref<64xf32, #gpu.address_space<workgroup>>
        %dtS1 = memref.load %dtbuf[%col1] : memref<64xf32, #gpu.address_space<workgroup>>
        %cumS2 = memref.load %cumbuf[%col2] : memref<64xf32, #gpu.address_space<workgroup>>
        %dtS2 = memref.load %dtbuf[%col2] : memref<64xf32, #gpu.address_space<workgroup>>
        %cumS3 = memref.load %cumbuf[%col3] : memref<64xf32, #gpu.address_space<workgroup>>
        %dtS3 = memref.load %dtbuf[%col3] : memref<64xf32, #gpu.address_space<workgroup>>
        %wf00 = func.call @nhc_ssd_chunk_weight(%wacc#0, %lastStage, %row0, %col0, %n, %cumL0, %cumS0, %dtS0)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf00, %wbuf[%wi00] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf01 = func.call @nhc_ssd_chunk_weight(%wacc#1, %lastStage, %row0, %col1, %n, %cumL0, %cumS1, %dtS1)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf01, %wbuf[%wi01] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf02 = func.call @nhc_ssd_chunk_weight(%wacc#2, %lastStage, %row0, %col2, %n, %cumL0, %cumS2, %dtS2)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf02, %wbuf[%wi02] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf03 = func.call @nhc_ssd_chunk_weight(%wacc#3, %lastStage, %row0, %col3, %n, %cumL0, %cumS3, %dtS3)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf03, %wbuf[%wi03] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf10 = func.call @nhc_ssd_chunk_weight(%wacc#4, %lastStage, %row1, %col0, %n, %cumL1, %cumS0, %dtS0)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf10, %wbuf[%wi10] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf11 = func.call @nhc_ssd_chunk_weight(%wacc#5, %lastStage, %row1, %col1, %n, %cumL1, %cumS1, %dtS1)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf11, %wbuf[%wi11] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf12 = func.call @nhc_ssd_chunk_weight(%wacc#6, %lastStage, %row1, %col2, %n, %cumL1, %cumS2, %dtS2)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf12, %wbuf[%wi12] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf13 = func.call @nhc_ssd_chunk_weight(%wacc#7, %lastStage, %row1, %col3, %n, %cumL1, %cumS3, %dtS3)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf13, %wbuf[%wi13] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf20 = func.call @nhc_ssd_chunk_weight(%wacc#8, %lastStage, %row2, %col0, %n, %cumL2, %cumS0, %dtS0)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf20, %wbuf[%wi20] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf21 = func.call @nhc_ssd_chunk_weight(%wacc#9, %lastStage, %row2, %col1, %n, %cumL2, %cumS1, %dtS1)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf21, %wbuf[%wi21] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf22 = func.call @nhc_ssd_chunk_weight(%wacc#10, %lastStage, %row2, %col2, %n, %cumL2, %cumS2, %dtS2)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf22, %wbuf[%wi22] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf23 = func.call @nhc_ssd_chunk_weight(%wacc#11, %lastStage, %row2, %col3, %n, %cumL2, %cumS3, %dtS3)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf23, %wbuf[%wi23] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf30 = func.call @nhc_ssd_chunk_weight(%wacc#12, %lastStage, %row3, %col0, %n, %cumL3, %cumS0, %dtS0)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf30, %wbuf[%wi30] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf31 = func.call @nhc_ssd_chunk_weight(%wacc#13, %lastStage, %row3, %col1, %n, %cumL3, %cumS1, %dtS1)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf31, %wbuf[%wi31] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf32 = func.call @nhc_ssd_chunk_weight(%wacc#14, %lastStage, %row3, %col2, %n, %cumL3, %cumS2, %dtS2)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf32, %wbuf[%wi32] : memref<4096xf32, #gpu.address_space<workgroup>>
        %wf33 = func.call @nhc_ssd_chunk_weight(%wacc#15, %lastStage, %row3, %col3, %n, %cumL3, %cumS3, %dtS3)
            : (f32, i1, index, index, index, f32, f32, f32) -> f32
        memref.store %wf33, %wbuf[%wi33] : memref<4096xf32, #gpu.address_space<workgroup>>
        gpu.barrier
      }
      // END GENERATED step2
      // 3. The outputs, 64 columns at a time; each stage's partial sums of
      //    C h_prevᵀ in y, then the same thread finishes its 16 outputs.
      scf.for %p0 = %c0 to %P step %kTile {
        // BEGIN GENERATED step3: tools/scripts/gen-gpu-tiles.py
        scf.for %k0 = %c0 to %N step %c32 {
          scf.for %e = %tx to %kStage step %threads {
            %kk = arith.remui %e, %c32 : index
            %row = arith.divui %e, %c32 : index
            %k = arith.addi %k0, %kk : index
            %kIn = arith.cmpi ult, %k, %N : index
            %kSafe = arith.select %kIn, %k, %c0 : index
            %rowIn = arith.cmpi ult, %row, %n : index
            %cOk = arith.andi %kIn, %rowIn : i1
            %rowSafe = arith.select %rowIn, %row, %c0 : index
            %tok = arith.addi %c0tok, %rowSafe : index
            %trow = arith.muli %tok, %xbcStride : index
            %ci0 = arith.addi %trow, %ccol : index
            %ci = arith.addi %ci0, %kSafe : index
            %cv = memref.load %xbc[%ci] : memref<?xf32>
            %cz = arith.select %cOk, %cv, %zero : f32
            %p = arith.addi %p0, %row : index
            %pIn = arith.cmpi ult, %p, %P : index
            %hOk = arith.andi %kIn, %pIn : i1
            %pSafe = arith.select %pIn, %p, %c0 : index
            %pN = arith.muli %pSafe, %N : index
            %hi0 = arith.addi %sbase, %pN : index
            %hi = arith.addi %hi0, %kSafe : index
            %hv = memref.load %ssm_state[%hi] : memref<?xf32>
            %sb = arith.select %hOk, %hv, %zero : f32
            %kr = arith.muli %kk, %c65 : index
            %si = arith.addi %kr, %row : index
            memref.store %cz, %aT[%si] : memref<2080xf32, #gpu.address_space<workgroup>>
            memref.store %sb, %bT[%si] : memref<2080xf32, #gpu.address_space<workgroup>>
          }
          gpu.barrier
          %first = arith.cmpi eq, %k0, %c0 : index
          %yi00:2 = func.call @nhc_ssd_chunk_y_slot(%row0, %col0, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y000 = func.call @nhc_tile_load_partial(%y, %yi00#0, %yi00#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi01:2 = func.call @nhc_ssd_chunk_y_slot(%row0, %col1, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y001 = func.call @nhc_tile_load_partial(%y, %yi01#0, %yi01#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi02:2 = func.call @nhc_ssd_chunk_y_slot(%row0, %col2, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y002 = func.call @nhc_tile_load_partial(%y, %yi02#0, %yi02#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi03:2 = func.call @nhc_ssd_chunk_y_slot(%row0, %col3, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y003 = func.call @nhc_tile_load_partial(%y, %yi03#0, %yi03#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi10:2 = func.call @nhc_ssd_chunk_y_slot(%row1, %col0, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y010 = func.call @nhc_tile_load_partial(%y, %yi10#0, %yi10#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi11:2 = func.call @nhc_ssd_chunk_y_slot(%row1, %col1, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y011 = func.call @nhc_tile_load_partial(%y, %yi11#0, %yi11#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi12:2 = func.call @nhc_ssd_chunk_y_slot(%row1, %col2, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y012 = func.call @nhc_tile_load_partial(%y, %yi12#0, %yi12#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi13:2 = func.call @nhc_ssd_chunk_y_slot(%row1, %col3, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y013 = func.call @nhc_tile_load_partial(%y, %yi13#0, %yi13#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi20:2 = func.call @nhc_ssd_chunk_y_slot(%row2, %col0, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y020 = func.call @nhc_tile_load_partial(%y, %yi20#0, %yi20#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi21:2 = func.call @nhc_ssd_chunk_y_slot(%row2, %col1, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y021 = func.call @nhc_tile_load_partial(%y, %yi21#0, %yi21#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi22:2 = func.call @nhc_ssd_chunk_y_slot(%row2, %col2, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y022 = func.call @nhc_tile_load_partial(%y, %yi22#0, %yi22#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi23:2 = func.call @nhc_ssd_chunk_y_slot(%row2, %col3, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y023 = func.call @nhc_tile_load_partial(%y, %yi23#0, %yi23#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi30:2 = func.call @nhc_ssd_chunk_y_slot(%row3, %col0, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y030 = func.call @nhc_tile_load_partial(%y, %yi30#0, %yi30#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi31:2 = func.call @nhc_ssd_chunk_y_slot(%row3, %col1, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y031 = func.call @nhc_tile_load_partial(%y, %yi31#0, %yi31#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi32:2 = func.call @nhc_ssd_chunk_y_slot(%row3, %col2, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y032 = func.call @nhc_tile_load_partial(%y, %yi32#0, %yi32#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yi33:2 = func.call @nhc_ssd_chunk_y_slot(%row3, %col3, %p0, %n, %P, %c0tok, %HP, %hp0)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %y033 = func.call @nhc_tile_load_partial(%y, %yi33#0, %yi33#1, %first)
              : (memref<?xf32>, index, i1, i1) -> f32
          %yacc:16 = scf.for %kk = %c0 to %c32 step %one
              iter_args(%ys00 = %y000, %ys01 = %y001, %ys02 = %y002, %ys03 = %y003, %ys10 = %y010, %ys11 = %y011, %ys12 = %y012, %ys13 = %y013, %ys20 = %y020, %ys21 = %y021, %ys22 = %y022, %ys23 = %y023, %ys30 = %y030, %ys31 = %y031, %ys32 = %y032, %ys33 = %y033)
              -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
            %ykr = arith.muli %kk, %c65 : index
            %yai0 = arith.addi %ykr, %row0 : index
            %yav0 = memref.load %aT[%yai0] : memref<2080xf32, #gpu.address_space<workgroup>>
            %yai1 = arith.addi %ykr, %row1 : index
            %yav1 = memref.load %aT[%yai1] : memref<2080xf32, #gpu.address_space<workgroup>>
            %yai2 = arith.addi %ykr, %row2 : index
            %yav2 = memref.load %aT[%yai2] : memref<2080xf32, #gpu.address_space<workgroup>>
            %yai3 = arith.addi %ykr, %row3 : index
            %yav3 = memref.load %aT[%yai3] : memref<2080xf32, #gpu.address_space<workgroup>>
            %ybi0 = arith.addi %ykr, %col0 : index
            %ybv0 = memref.load %bT[%ybi0] : memref<2080xf32, #gpu.address_space<workgroup>>
            %ybi1 = arith.addi %ykr, %col1 : index
            %ybv1 = memref.load %bT[%ybi1] : memref<2080xf32, #gpu.address_space<workgroup>>
            %ybi2 = arith.addi %ykr, %col2 : index
            %ybv2 = memref.load %bT[%ybi2] : memref<2080xf32, #gpu.address_space<workgroup>>
            %ybi3 = arith.addi %ykr, %col3 : index
            %ybv3 = memref.load %bT[%ybi3] : memref<2080xf32, #gpu.address_space<workgroup>>
            %ym00 = arith.mulf %yav0, %ybv0 : f32
            %yn00 = arith.addf %ys00, %ym00 : f32
            %ym01 = arith.mulf %yav0, %ybv1 : f32
            %yn01 = arith.addf %ys01, %ym01 : f32
            %ym02 = arith.mulf %yav0, %ybv2 : f32
            %yn02 = arith.addf %ys02, %ym02 : f32
            %ym03 = arith.mulf %yav0, %ybv3 : f32
            %yn03 = arith.addf %ys03, %ym03 : f32
            %ym10 = arith.mulf %yav1, %ybv0 : f32
            %yn10 = arith.addf %ys10, %ym10 : f32
            %ym11 = arith.mulf %yav1, %ybv1 : f32
            %yn11 = arith.addf %ys11, %ym11 : f32
            %ym12 = arith.mulf %yav1, %ybv2 : f32
            %yn12 = arith.addf %ys12, %ym12 : f32
            %ym13 = arith.mulf %yav1, %ybv3 : f32
            %yn13 = arith.addf %ys13, %ym13 : f32
            %ym20 = arith.mulf %yav2, %ybv0 : f32
            %yn20 = arith.addf %ys20, %ym20 : f32
            %ym21 = arith.mulf %yav2, %ybv1 : f32
            %yn21 = arith.addf %ys21, %ym21 : f32
            %ym22 = arith.mulf %yav2, %ybv2 : f32
            %yn22 = arith.addf %ys22, %ym22 : f32
            %ym23 = arith.mulf %yav2, %ybv3 : f32
            %yn23 = arith.addf %ys23, %ym23 : f32
            %ym30 = arith.mulf %yav3, %ybv0 : f32
            %yn30 = arith.addf %ys30, %ym30 : f32
            %ym31 = arith.mulf %yav3, %ybv1 : f32
            %yn31 = arith.addf %ys31, %ym31 : f32
            %ym32 = arith.mulf %yav3, %ybv2 : f32
            %yn32 = arith.addf %ys32, %ym32 : f32
            %ym33 = arith.mulf %yav3, %ybv3 : f32
            %yn33 = arith.addf %ys33, %ym33 : f32
            scf.yield %yn00, %yn01, %yn02, %yn03, %yn10, %yn11, %yn12, %yn13, %yn20, %yn21, %yn22, %yn23, %yn30, %yn31, %yn32, %yn33 : f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32
          }
          func.call @nhc_tile_store_if(%y, %yi00#0, %yi00#1, %yacc#0)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi01#0, %yi01#1, %yacc#1)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi02#0, %yi02#1, %yacc#2)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi03#0, %yi03#1, %yacc#3)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi10#0, %yi10#1, %yacc#4)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi11#0, %yi11#1, %yacc#5)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi12#0, %yi12#1, %yacc#6)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi13#0, %yi13#1, %yacc#7)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi20#0, %yi20#1, %yacc#8)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi21#0, %yi21#1, %yacc#9)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi22#0, %yi22#1, %yacc#10)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi23#0, %yi23#1, %yacc#11)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi30#0, %yi30#1, %yacc#12)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi31#0, %yi31#1, %yacc#13)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi32#0, %yi32#1, %yacc#14)
              : (memref<?xf32>, index, i1, f32) -> ()
          func.call @nhc_tile_store_if(%y, %yi33#0, %yi33#1, %yacc#15)
              : (memref<?xf32>, index, i1, f32) -> ()
          gpu.barrier
        }
        // END GENERATED step3
        scf.for %a = %c0 to %c4 step %one {
          %aRows = arith.muli %a, %c16 : index
          %l = arith.addi %ti, %aRows : index
          %ltok = arith.addi %c0tok, %l : index
          %lrow = arith.muli %ltok, %xbcStride : index
          %wrow = arith.muli %l, %kTile : index
          %l1 = arith.addi %l, %one : index
          scf.for %b = %c0 to %c4 step %one {
            %bCols = arith.muli %b, %c16 : index
            %pp = arith.addi %tj, %bCols : index
            %slot:2 = func.call @nhc_ssd_chunk_y_slot(%l, %pp, %p0, %n, %P, %c0tok, %HP, %hp0)
                : (index, index, index, index, index, index, index, index) -> (index, i1)
            scf.if %slot#1 {
              %ch = memref.load %y[%slot#0] : memref<?xf32>
              %cuml = memref.load %cumbuf[%l] : memref<64xf32, #gpu.address_space<workgroup>>
              %ecum = math.exp %cuml : f32
              %offTerm = arith.mulf %ch, %ecum : f32
              %p = arith.addi %p0, %pp : index
              %xcol = arith.addi %hp0, %p : index
              %li = arith.addi %lrow, %xcol : index
              %xl = memref.load %xbc[%li] : memref<?xf32>
              %dx = arith.mulf %Dh, %xl : f32
              %y0 = arith.addf %offTerm, %dx : f32
              %yv = scf.for %j = %c0 to %l1 step %one iter_args(%acc = %y0) -> (f32) {
                %stok = arith.addi %c0tok, %j : index
                %srow = arith.muli %stok, %xbcStride : index
                %xi = arith.addi %srow, %xcol : index
                %wi = arith.addi %wrow, %j : index
                %w = memref.load %wbuf[%wi] : memref<4096xf32, #gpu.address_space<workgroup>>
                %xs = memref.load %xbc[%xi] : memref<?xf32>
                %term = arith.mulf %w, %xs : f32
                %acc2 = arith.addf %acc, %term : f32
                scf.yield %acc2 : f32
              }
              memref.store %yv, %y[%slot#0] : memref<?xf32>
            }
          }
        }
      }
      // 4. The chunk-end state exp(cum_last) h + (coef ∘ X)ᵀ B in 64 x 64
      //    tiles of (p, n), 32 tokens at a time, the partial sums in the
      //    state itself (each element read and written by one thread; step
      //    3's staged reads of it all came before one of its barriers).
      %etot = math.exp %cumLast : f32
      scf.for %p0 = %c0 to %P step %kTile {
        // BEGIN GENERATED step4: tools/scripts/gen-gpu-tiles.py
        scf.for %n0 = %c0 to %N step %kTile {
          scf.for %s0 = %c0 to %n step %c32 {
            scf.for %e = %tx to %kStage step %threads {
              %row = arith.remui %e, %kTile : index
              %kk = arith.divui %e, %kTile : index
              %j = arith.addi %s0, %kk : index
              %jIn = arith.cmpi ult, %j, %n : index
              %jSafe = arith.select %jIn, %j, %c0 : index
              %stok = arith.addi %c0tok, %jSafe : index
              %srow = arith.muli %stok, %xbcStride : index
              %p = arith.addi %p0, %row : index
              %pIn = arith.cmpi ult, %p, %P : index
              %xOk = arith.andi %jIn, %pIn : i1
              %pSafe = arith.select %pIn, %p, %c0 : index
              %xi0 = arith.addi %srow, %hp0 : index
              %xi = arith.addi %xi0, %pSafe : index
              %xv = memref.load %xbc[%xi] : memref<?xf32>
              %coef = memref.load %coefbuf[%jSafe] : memref<64xf32, #gpu.address_space<workgroup>>
              %w = arith.mulf %coef, %xv : f32
              %wz = arith.select %xOk, %w, %zero : f32
              %k = arith.addi %n0, %row : index
              %kIn = arith.cmpi ult, %k, %N : index
              %bOk = arith.andi %jIn, %kIn : i1
              %kSafe = arith.select %kIn, %k, %c0 : index
              %bi0 = arith.addi %srow, %bcol : index
              %bi = arith.addi %bi0, %kSafe : index
              %bv = memref.load %xbc[%bi] : memref<?xf32>
              %sb = arith.select %bOk, %bv, %zero : f32
              %kr = arith.muli %kk, %c65 : index
              %si = arith.addi %kr, %row : index
              memref.store %wz, %aT[%si] : memref<2080xf32, #gpu.address_space<workgroup>>
              memref.store %sb, %bT[%si] : memref<2080xf32, #gpu.address_space<workgroup>>
            }
            gpu.barrier
            %first = arith.cmpi eq, %s0, %c0 : index
            %hi00:2 = func.call @nhc_ssd_chunk_state_slot(%row0, %col0, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h000 = func.call @nhc_ssd_state_partial(%ssm_state, %hi00#0, %hi00#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi01:2 = func.call @nhc_ssd_chunk_state_slot(%row0, %col1, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h001 = func.call @nhc_ssd_state_partial(%ssm_state, %hi01#0, %hi01#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi02:2 = func.call @nhc_ssd_chunk_state_slot(%row0, %col2, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h002 = func.call @nhc_ssd_state_partial(%ssm_state, %hi02#0, %hi02#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi03:2 = func.call @nhc_ssd_chunk_state_slot(%row0, %col3, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h003 = func.call @nhc_ssd_state_partial(%ssm_state, %hi03#0, %hi03#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi10:2 = func.call @nhc_ssd_chunk_state_slot(%row1, %col0, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h010 = func.call @nhc_ssd_state_partial(%ssm_state, %hi10#0, %hi10#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi11:2 = func.call @nhc_ssd_chunk_state_slot(%row1, %col1, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h011 = func.call @nhc_ssd_state_partial(%ssm_state, %hi11#0, %hi11#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi12:2 = func.call @nhc_ssd_chunk_state_slot(%row1, %col2, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h012 = func.call @nhc_ssd_state_partial(%ssm_state, %hi12#0, %hi12#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi13:2 = func.call @nhc_ssd_chunk_state_slot(%row1, %col3, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h013 = func.call @nhc_ssd_state_partial(%ssm_state, %hi13#0, %hi13#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi20:2 = func.call @nhc_ssd_chunk_state_slot(%row2, %col0, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h020 = func.call @nhc_ssd_state_partial(%ssm_state, %hi20#0, %hi20#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi21:2 = func.call @nhc_ssd_chunk_state_slot(%row2, %col1, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h021 = func.call @nhc_ssd_state_partial(%ssm_state, %hi21#0, %hi21#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi22:2 = func.call @nhc_ssd_chunk_state_slot(%row2, %col2, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h022 = func.call @nhc_ssd_state_partial(%ssm_state, %hi22#0, %hi22#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi23:2 = func.call @nhc_ssd_chunk_state_slot(%row2, %col3, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h023 = func.call @nhc_ssd_state_partial(%ssm_state, %hi23#0, %hi23#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi30:2 = func.call @nhc_ssd_chunk_state_slot(%row3, %col0, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h030 = func.call @nhc_ssd_state_partial(%ssm_state, %hi30#0, %hi30#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi31:2 = func.call @nhc_ssd_chunk_state_slot(%row3, %col1, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h031 = func.call @nhc_ssd_state_partial(%ssm_state, %hi31#0, %hi31#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi32:2 = func.call @nhc_ssd_chunk_state_slot(%row3, %col2, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h032 = func.call @nhc_ssd_state_partial(%ssm_state, %hi32#0, %hi32#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hi33:2 = func.call @nhc_ssd_chunk_state_slot(%row3, %col3, %p0, %n0, %P, %N, %sbase)
                : (index, index, index, index, index, index, index) -> (index, i1)
            %h033 = func.call @nhc_ssd_state_partial(%ssm_state, %hi33#0, %hi33#1, %first, %etot)
                : (memref<?xf32>, index, i1, i1, f32) -> f32
            %hacc:16 = scf.for %kk = %c0 to %c32 step %one
                iter_args(%hs00 = %h000, %hs01 = %h001, %hs02 = %h002, %hs03 = %h003, %hs10 = %h010, %hs11 = %h011, %hs12 = %h012, %hs13 = %h013, %hs20 = %h020, %hs21 = %h021, %hs22 = %h022, %hs23 = %h023, %hs30 = %h030, %hs31 = %h031, %hs32 = %h032, %hs33 = %h033)
                -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
              %hkr = arith.muli %kk, %c65 : index
              %hai0 = arith.addi %hkr, %row0 : index
              %hav0 = memref.load %aT[%hai0] : memref<2080xf32, #gpu.address_space<workgroup>>
              %hai1 = arith.addi %hkr, %row1 : index
              %hav1 = memref.load %aT[%hai1] : memref<2080xf32, #gpu.address_space<workgroup>>
              %hai2 = arith.addi %hkr, %row2 : index
              %hav2 = memref.load %aT[%hai2] : memref<2080xf32, #gpu.address_space<workgroup>>
              %hai3 = arith.addi %hkr, %row3 : index
              %hav3 = memref.load %aT[%hai3] : memref<2080xf32, #gpu.address_space<workgroup>>
              %hbi0 = arith.addi %hkr, %col0 : index
              %hbv0 = memref.load %bT[%hbi0] : memref<2080xf32, #gpu.address_space<workgroup>>
              %hbi1 = arith.addi %hkr, %col1 : index
              %hbv1 = memref.load %bT[%hbi1] : memref<2080xf32, #gpu.address_space<workgroup>>
              %hbi2 = arith.addi %hkr, %col2 : index
              %hbv2 = memref.load %bT[%hbi2] : memref<2080xf32, #gpu.address_space<workgroup>>
              %hbi3 = arith.addi %hkr, %col3 : index
              %hbv3 = memref.load %bT[%hbi3] : memref<2080xf32, #gpu.address_space<workgroup>>
              %hm00 = arith.mulf %hav0, %hbv0 : f32
              %hn00 = arith.addf %hs00, %hm00 : f32
              %hm01 = arith.mulf %hav0, %hbv1 : f32
              %hn01 = arith.addf %hs01, %hm01 : f32
              %hm02 = arith.mulf %hav0, %hbv2 : f32
              %hn02 = arith.addf %hs02, %hm02 : f32
              %hm03 = arith.mulf %hav0, %hbv3 : f32
              %hn03 = arith.addf %hs03, %hm03 : f32
              %hm10 = arith.mulf %hav1, %hbv0 : f32
              %hn10 = arith.addf %hs10, %hm10 : f32
              %hm11 = arith.mulf %hav1, %hbv1 : f32
              %hn11 = arith.addf %hs11, %hm11 : f32
              %hm12 = arith.mulf %hav1, %hbv2 : f32
              %hn12 = arith.addf %hs12, %hm12 : f32
              %hm13 = arith.mulf %hav1, %hbv3 : f32
              %hn13 = arith.addf %hs13, %hm13 : f32
              %hm20 = arith.mulf %hav2, %hbv0 : f32
              %hn20 = arith.addf %hs20, %hm20 : f32
              %hm21 = arith.mulf %hav2, %hbv1 : f32
              %hn21 = arith.addf %hs21, %hm21 : f32
              %hm22 = arith.mulf %hav2, %hbv2 : f32
              %hn22 = arith.addf %hs22, %hm22 : f32
              %hm23 = arith.mulf %hav2, %hbv3 : f32
              %hn23 = arith.addf %hs23, %hm23 : f32
              %hm30 = arith.mulf %hav3, %hbv0 : f32
              %hn30 = arith.addf %hs30, %hm30 : f32
              %hm31 = arith.mulf %hav3, %hbv1 : f32
              %hn31 = arith.addf %hs31, %hm31 : f32
              %hm32 = arith.mulf %hav3, %hbv2 : f32
              %hn32 = arith.addf %hs32, %hm32 : f32
              %hm33 = arith.mulf %hav3, %hbv3 : f32
              %hn33 = arith.addf %hs33, %hm33 : f32
              scf.yield %hn00, %hn01, %hn02, %hn03, %hn10, %hn11, %hn12, %hn13, %hn20, %hn21, %hn22, %hn23, %hn30, %hn31, %hn32, %hn33 : f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32
            }
            func.call @nhc_tile_store_if(%ssm_state, %hi00#0, %hi00#1, %hacc#0)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi01#0, %hi01#1, %hacc#1)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi02#0, %hi02#1, %hacc#2)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi03#0, %hi03#1, %hacc#3)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi10#0, %hi10#1, %hacc#4)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi11#0, %hi11#1, %hacc#5)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi12#0, %hi12#1, %hacc#6)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi13#0, %hi13#1, %hacc#7)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi20#0, %hi20#1, %hacc#8)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi21#0, %hi21#1, %hacc#9)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi22#0, %hi22#1, %hacc#10)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi23#0, %hi23#1, %hacc#11)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi30#0, %hi30#1, %hacc#12)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi31#0, %hi31#1, %hacc#13)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi32#0, %hi32#1, %hacc#14)
                : (memref<?xf32>, index, i1, f32) -> ()
            func.call @nhc_tile_store_if(%ssm_state, %hi33#0, %hi33#1, %hacc#15)
                : (memref<?xf32>, index, i1, f32) -> ()
            gpu.barrier
          }
        }
        // END GENERATED step4
      }
      // The next chunk reads the whole new state and rewrites the buffers.
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// A weight's final value on the last stage: acc exp(cum_l - cum_s) dt_s for
// s <= l < n, 0 for the other entries of the tile; acc itself before.
func.func private @nhc_ssd_chunk_weight(%acc: f32, %lastStage: i1, %l: index,
                                        %s: index, %n: index, %cuml: f32,
                                        %cums: f32, %dts: f32) -> f32 {
  %zero = arith.constant 0.0 : f32
  %lIn = arith.cmpi ult, %l, %n : index
  %causal = arith.cmpi ule, %s, %l : index
  %weighs = arith.andi %lIn, %causal : i1
  %seg = arith.subf %cuml, %cums : f32
  %decay = math.exp %seg : f32
  %m = arith.mulf %acc, %decay : f32
  %w = arith.mulf %m, %dts : f32
  %final = arith.select %weighs, %w, %zero : f32
  %r = arith.select %lastStage, %final, %acc : f32
  return %r : f32
}

// Output (l, p0 + pp) of a chunk starting at token c0tok: its index in y
// and whether it exists (l < n, p0 + pp < P).
func.func private @nhc_ssd_chunk_y_slot(%l: index, %pp: index, %p0: index,
                                        %n: index, %P: index, %c0tok: index,
                                        %HP: index, %hp0: index)
    -> (index, i1) {
  %p = arith.addi %p0, %pp : index
  %lIn = arith.cmpi ult, %l, %n : index
  %pIn = arith.cmpi ult, %p, %P : index
  %valid = arith.andi %lIn, %pIn : i1
  %tok = arith.addi %c0tok, %l : index
  %row = arith.muli %tok, %HP : index
  %col = arith.addi %hp0, %p : index
  %i = arith.addi %row, %col : index
  return %i, %valid : index, i1
}

// State element (p0 + pp, n0 + nn) of the head (its first at sbase): its
// index and whether it exists (p0 + pp < P, n0 + nn < N).
func.func private @nhc_ssd_chunk_state_slot(%pp: index, %nn: index,
                                            %p0: index, %n0: index,
                                            %P: index, %N: index,
                                            %sbase: index) -> (index, i1) {
  %p = arith.addi %p0, %pp : index
  %k = arith.addi %n0, %nn : index
  %pIn = arith.cmpi ult, %p, %P : index
  %kIn = arith.cmpi ult, %k, %N : index
  %valid = arith.andi %pIn, %kIn : i1
  %pN = arith.muli %p, %N : index
  %row = arith.addi %sbase, %pN : index
  %i = arith.addi %row, %k : index
  return %i, %valid : index, i1
}

// A state element's partial sum before a stage: the old state times
// exp(cum_last) before the first, what the stage before stored after it; 0
// for an element that does not exist.
func.func private @nhc_ssd_state_partial(%state: memref<?xf32>, %i: index,
                                         %valid: i1, %first: i1,
                                         %etot: f32) -> f32 {
  %zero = arith.constant 0.0 : f32
  %v = scf.if %valid -> (f32) {
    %old = memref.load %state[%i] : memref<?xf32>
    %decayed = arith.mulf %old, %etot : f32
    %r = arith.select %first, %decayed, %old : f32
    scf.yield %r : f32
  } else {
    scf.yield %zero : f32
  }
  return %v : f32
}
