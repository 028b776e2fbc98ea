// GPU form of ssd_scan.mlir's decode scan (nhc-select-kernel-variants): one
// block of 256 threads per (head, part of its state rows, request) instead
// of one thread per state row (nhc_ssd_decode_parts: a part is the whole
// head unless the step's heads leave the device short of blocks). The
// part's rows of the head's P x N state (contiguous in the pool) are
// streamed once per token, 16 rows a pass, two per warp: where N % 4 == 0 and the rows are
// 16-byte aligned each lane takes 16-byte chunks lane, lane + 32, ... of
// both rows (a warp 512 consecutive bytes of a row per load: Nano-9B-v2's
// rows of 128 in one), both rows' loads and B's and C's issued before the
// arithmetic (@nhc_ssd_decode_rows_v4); else every 32nd element, a row at a
// time. Each lane updates its elements and sums its share of C . h_p; the
// warp adds its 32 partial sums by shuffles (nhc_warp_sum: no workgroup
// memory, no barrier) and its first lane writes y_p. Same arithmetic per
// state element as the portable form; y's sum runs in another order.
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
  %split:2 = func.call @nhc_ssd_decode_parts(%P, %H, %R)
      : (index, index, index) -> (index, index)
  %headParts = arith.muli %H, %split#0 : index
  gpu.launch blocks(%hPart, %r, %bz) in (%gx = %headParts, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %c32 = arith.constant 32 : index
    %zero = arith.constant 0.0 : f32
    // The head and the state rows [pBegin, pEnd) this block updates.
    %parts:2 = func.call @nhc_ssd_decode_parts(%P, %H, %R)
        : (index, index, index) -> (index, index)
    %h = arith.divui %hPart, %parts#0 : index
    %part = arith.remui %hPart, %parts#0 : index
    %pBegin0 = arith.muli %part, %parts#1 : index
    %pBegin = arith.minui %pBegin0, %P : index
    %pEnd0 = arith.addi %pBegin, %parts#1 : index
    %pEnd = arith.minui %pEnd0, %P : index
    %HP = arith.muli %H, %P : index
    %GN = arith.muli %G, %N : index
    %xbcStride = func.call @nhc_ssd_xbc_stride(%H, %P, %N, %G)
        : (index, index, index, index) -> index
    %q:6 = func.call @nhc_ssd_request(%req, %r) : (memref<?xi64>, index)
        -> (index, index, index, index, i1, i1)
    // Prefill requests are the chunked scan's: a trip count of zero rather
    // than a branch, because every lane must reach its warp's shuffles (and
    // the emulation runs them only where the whole block does).
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
    %c4 = arith.constant 4 : index
    %c16 = arith.constant 16 : index
    %pLast = arith.subi %pEnd, %one : index
    // 16-byte loads where every state row (N % 4 == 0 and the pool) and B's
    // and C's columns (xbc and its row stride) start on a 16-byte boundary.
    %stateAddress = memref.extract_aligned_pointer_as_index %ssm_state : memref<?xf32> -> index
    %stateRowBytes = arith.muli %N, %c4 : index
    %stateAligned = func.call @nhc_rows_16_byte_aligned(%stateAddress, %stateRowBytes) : (index, index) -> i1
    %xbcAddress = memref.extract_aligned_pointer_as_index %xbc : memref<?xf32> -> index
    %bcolBytes = arith.muli %bcol, %c4 : index
    %bAddress = arith.addi %xbcAddress, %bcolBytes : index
    %xbcRowBytes = arith.muli %xbcStride, %c4 : index
    %bAligned = func.call @nhc_rows_16_byte_aligned(%bAddress, %xbcRowBytes) : (index, index) -> i1
    %chunked = arith.andi %stateAligned, %bAligned : i1
    scf.for %t = %c0 to %ntok step %one {
      %tok = arith.addi %q#0, %t : index
      %dt = func.call @nhc_ssd_dt(%proj, %tok, %proj_stride, %dtcol, %dtb,
                                  %q#5, %dt_min, %dt_max)
          : (memref<?xf32>, index, index, index, f32, i1, f32, f32) -> f32
      %dtA = arith.mulf %dt, %A : f32
      %dA = math.exp %dtA : f32
      %xrow = arith.muli %tok, %xbcStride : index
      %bbase = arith.addi %xrow, %bcol : index
      %cbase = arith.addi %xrow, %ccol : index
      %yrow = arith.muli %tok, %HP : index
      // Two rows per warp a pass (p and p + 8 of the block's 16), their
      // state chunks loaded together; rows past the part's read its last
      // row and store nothing.
      scf.for %p0 = %pBegin to %pEnd step %c16 {
        %pa = arith.addi %p0, %row : index
        %pb = arith.addi %pa, %c8 : index
        %activeA = arith.cmpi ult, %pa, %pEnd : index
        %activeB = arith.cmpi ult, %pb, %pEnd : index
        %paSafe = arith.minui %pa, %pLast : index
        %pbSafe = arith.minui %pb, %pLast : index
        %hpa = arith.addi %hp0, %paSafe : index
        %hpb = arith.addi %hp0, %pbSafe : index
        %xia = arith.addi %xrow, %hpa : index
        %xib = arith.addi %xrow, %hpb : index
        %xa = memref.load %xbc[%xia] : memref<?xf32>
        %xb = memref.load %xbc[%xib] : memref<?xf32>
        %paN = arith.muli %paSafe, %N : index
        %pbN = arith.muli %pbSafe, %N : index
        %sbaseA = arith.addi %sbase0, %paN : index
        %sbaseB = arith.addi %sbase0, %pbN : index
        %acc:2 = scf.if %chunked -> (f32, f32) {
          %v:2 = func.call @nhc_ssd_decode_rows_v4(%ssm_state, %xbc, %sbaseA, %sbaseB, %activeA, %activeB, %bbase, %cbase, %xa, %xb, %dt, %dA, %lane, %N)
              : (memref<?xf32>, memref<?xf32>, index, index, i1, i1, index, index, f32, f32, f32, f32, index, index) -> (f32, f32)
          scf.yield %v#0, %v#1 : f32, f32
        } else {
          %ua = func.call @nhc_ssd_decode_row(%ssm_state, %xbc, %sbaseA, %activeA, %bbase, %cbase, %xa, %dt, %dA, %lane, %N)
              : (memref<?xf32>, memref<?xf32>, index, i1, index, index, f32, f32, f32, index, index) -> f32
          %ub = func.call @nhc_ssd_decode_row(%ssm_state, %xbc, %sbaseB, %activeB, %bbase, %cbase, %xb, %dt, %dA, %lane, %N)
              : (memref<?xf32>, memref<?xf32>, index, i1, index, index, f32, f32, f32, index, index) -> f32
          scf.yield %ua, %ub : f32, f32
        }
        %sumA = func.call @nhc_warp_sum(%acc#0) : (f32) -> f32
        %sumB = func.call @nhc_warp_sum(%acc#1) : (f32) -> f32
        %writeA = arith.andi %isLead, %activeA : i1
        scf.if %writeA {
          func.call @nhc_ssd_decode_y(%y, %yrow, %hpa, %sumA, %xa, %Dh)
              : (memref<?xf32>, index, index, f32, f32, f32) -> ()
        }
        %writeB = arith.andi %isLead, %activeB : i1
        scf.if %writeB {
          func.call @nhc_ssd_decode_y(%y, %yrow, %hpb, %sumB, %xb, %Dh)
              : (memref<?xf32>, index, index, f32, f32, f32) -> ()
        }
      }
    }
    gpu.terminator
  }
  return
}

// How the decode scan splits a head's P state rows between blocks: (parts,
// rows per part, a multiple of the 16 rows a block updates per pass). A
// block streams its rows pass after pass, each waiting for its loads, so
// where the step's H x R blocks are fewer than 1024 (8 resident blocks of
// 256 threads on each of an H100's or H200's 132 SMs) a head takes as many
// parts as bring them near 1024, at most one per pass: Nano-9B-v2's
// decode of one request (128 heads of P = 80) runs 640 blocks of one pass
// instead of 128 of five. Every state element's arithmetic is the same
// whatever the split.
func.func private @nhc_ssd_decode_parts(%P: index, %H: index, %R: index)
    -> (index, index) {
  %one = arith.constant 1 : index
  %c15 = arith.constant 15 : index
  %c16 = arith.constant 16 : index
  %fillBlocks = arith.constant 1024 : index
  %P15 = arith.addi %P, %c15 : index
  %passes0 = arith.divui %P15, %c16 : index
  %passes = arith.maxui %passes0, %one : index
  %HR0 = arith.muli %H, %R : index
  %HR = arith.maxui %HR0, %one : index
  %want = arith.ceildivsi %fillBlocks, %HR : index
  %parts0 = arith.minui %want, %passes : index
  %parts1 = arith.maxui %parts0, %one : index
  %passesPer = arith.ceildivsi %passes, %parts1 : index
  %rows = arith.muli %passesPer, %c16 : index
  %parts = arith.ceildivsi %passes, %passesPer : index
  return %parts, %rows : index, index
}

// A decode step's update of one state row (at sbase) by the lane's
// elements lane, lane + 32, ... of N: h = h dA + (dt B) x, stored when
// `store`; returns the lane's share of C . h. Same arithmetic per element as
// the portable form.
func.func private @nhc_ssd_decode_row(%ssm_state: memref<?xf32>,
                                      %xbc: memref<?xf32>, %sbase: index,
                                      %store: i1, %bbase: index,
                                      %cbase: index, %xv: f32, %dt: f32,
                                      %dA: f32, %lane: index, %N: index)
    -> f32 {
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
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
    scf.if %store {
      memref.store %s2, %ssm_state[%si] : memref<?xf32>
    }
    %cs = arith.mulf %cv, %s2 : f32
    %a2 = arith.addf %a, %cs : f32
    scf.yield %a2 : f32
  }
  return %s : f32
}

// Two state rows' update (at sbaseA and sbaseB, each stored when its
// `store` flag is set) by the lane's 16-byte chunks lane, lane + 32, ... of
// N (N % 4 == 0, every row 16-byte aligned): both rows' chunks and B's and
// C's (shared by the rows) loaded before the arithmetic; returns each
// row's lane share of C . h. Same arithmetic per element as
// @nhc_ssd_decode_row.
func.func private @nhc_ssd_decode_rows_v4(%ssm_state: memref<?xf32>,
                                          %xbc: memref<?xf32>,
                                          %sbaseA: index, %sbaseB: index,
                                          %storeA: i1, %storeB: i1,
                                          %bbase: index, %cbase: index,
                                          %xa: f32, %xb: f32, %dt: f32,
                                          %dA: f32, %lane: index, %N: index)
    -> (f32, f32) {
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %chunks = arith.divui %N, %c4 : index
  %dAs = vector.broadcast %dA : f32 to vector<4xf32>
  %dts = vector.broadcast %dt : f32 to vector<4xf32>
  %xas = vector.broadcast %xa : f32 to vector<4xf32>
  %xbs = vector.broadcast %xb : f32 to vector<4xf32>
  %sums:2 = scf.for %ch = %lane to %chunks step %c32
      iter_args(%a = %zero, %b = %zero) -> (f32, f32) {
    %n = arith.muli %ch, %c4 : index
    %sia = arith.addi %sbaseA, %n : index
    %sib = arith.addi %sbaseB, %n : index
    %bi = arith.addi %bbase, %n : index
    %ci = arith.addi %cbase, %n : index
    %sa = vector.load %ssm_state[%sia] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %sb = vector.load %ssm_state[%sib] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %bv = vector.load %xbc[%bi] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %cv = vector.load %xbc[%ci] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %dB = arith.mulf %dts, %bv : vector<4xf32>
    %decayA = arith.mulf %sa, %dAs : vector<4xf32>
    %dBxA = arith.mulf %dB, %xas : vector<4xf32>
    %sa2 = arith.addf %decayA, %dBxA : vector<4xf32>
    %decayB = arith.mulf %sb, %dAs : vector<4xf32>
    %dBxB = arith.mulf %dB, %xbs : vector<4xf32>
    %sb2 = arith.addf %decayB, %dBxB : vector<4xf32>
    scf.if %storeA {
      vector.store %sa2, %ssm_state[%sia] {alignment = 16} : memref<?xf32>, vector<4xf32>
    }
    scf.if %storeB {
      vector.store %sb2, %ssm_state[%sib] {alignment = 16} : memref<?xf32>, vector<4xf32>
    }
    %csA = arith.mulf %cv, %sa2 : vector<4xf32>
    %csB = arith.mulf %cv, %sb2 : vector<4xf32>
    %a2 = func.call @nhc_ssd_add4(%a, %csA) : (f32, vector<4xf32>) -> f32
    %b2 = func.call @nhc_ssd_add4(%b, %csB) : (f32, vector<4xf32>) -> f32
    scf.yield %a2, %b2 : f32, f32
  }
  return %sums#0, %sums#1 : f32, f32
}

// acc + v[0] + v[1] + v[2] + v[3], in that order.
func.func private @nhc_ssd_add4(%acc: f32, %v: vector<4xf32>) -> f32 {
  %v0 = vector.extract %v[0] : f32 from vector<4xf32>
  %v1 = vector.extract %v[1] : f32 from vector<4xf32>
  %v2 = vector.extract %v[2] : f32 from vector<4xf32>
  %v3 = vector.extract %v[3] : f32 from vector<4xf32>
  %s0 = arith.addf %acc, %v0 : f32
  %s1 = arith.addf %s0, %v1 : f32
  %s2 = arith.addf %s1, %v2 : f32
  %s3 = arith.addf %s2, %v3 : f32
  return %s3 : f32
}

// y[yrow + hp] = sum + x D.
func.func private @nhc_ssd_decode_y(%y: memref<?xf32>, %yrow: index,
                                    %hp: index, %sum: f32, %x: f32, %Dh: f32) {
  %dx = arith.mulf %x, %Dh : f32
  %yv = arith.addf %sum, %dx : f32
  %yi = arith.addi %yrow, %hp : index
  memref.store %yv, %y[%yi] : memref<?xf32>
  return
}

// GPU form of ssd_scan.mlir's chunked prefill scan: one block of 256 threads
// per (head, part of the head's state rows, request; nhc_ssd_chunk_state_parts:
// one part for every published config unless the step's heads leave SMs
// idle), chunks of min(chunk, 64)
// tokens (the same
// recurrence; only rounding differs from the portable form's longer
// chunks). Per chunk:
//   1. thread s computes dt_s and A dt_s; a warp scan gives their
//      inclusive sums cum_s (nhc_warp_inclusive_sum); thread s then the
//      chunk-end coefficient exp(cum_last - cum_s) dt_s;
//   2. W = (C Bᵀ) ∘ exp(cum_l - cum_s) dt_s, lower triangle, a 64 x 64
//      tile in workgroup memory;
//   3. per tile of 64 columns p: y = exp(cum_l) (C h_prevᵀ) + D x + W X;
//   4. per 64 x 64 tile of the state (p, n):
//      exp(cum_last) h + sum_s coef_s x_s[p] B_s[n].
// The products are 64 x 64 tiles on tensor cores (m16n8k8 tf32 mmas in
// 3xTF32: about f32's accuracy; or, when `gemm_precision` is bf16, one
// tf32 mma per product, the operands rounded to tf32, within the bf16
// numerics the session runs anyway: two kernels, one launched with an
// empty grid; 8 warps, each a 16 x 32 part), over 32 of
// their inner dimension a stage (state columns for C Bᵀ and C h_prevᵀ,
// tokens for the state), W X over the chunk's 64 tokens at once: the
// operands staged k-major in workgroup memory, rows 72 floats apart (a
// fragment's loads hit 32 banks), the partial sums kept in wT, in
// registers (C h_prevᵀ's) or in the state between stages. The head's state stays on chip for the whole
// prefill, in dynamic shared memory (the part's rows of
// nhc_ssd_chunk_state_stride floats, 42 KiB for Nano-9B-v2's 80 x 128,
// beside 37 KiB of static tiles; the runtime opts the kernels in past
// 48 KiB): loaded from the pool once, step 3 reads it as C h_prevᵀ's B operand, step 4 updates it in
// place, written back after the last chunk. The tiles (between BEGIN/END
// GENERATED) are written by tools/scripts/gen-gpu-tiles.py: edit the
// script and rerun it.
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
                                          %dt_min: f32, %dt_max: f32,
                                          %gemm_precision: index, %T: index)
    attributes {nhc.gpu_variant_of = "nhc_ssd_chunk_scan"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %split:3 = func.call @nhc_ssd_chunk_state_parts(%P, %N, %H, %R)
      : (index, index, index, index) -> (index, index, index)
  %stateBytes32 = arith.index_cast %split#2 : index to i32
  // A step of one token per request (T == R: every decode step and its
  // recorded graph) has no prefill: both launches are empty and dropped.
  %noBlocks = arith.constant 0 : index
  %anyPrefill = arith.cmpi ugt, %T, %R : index
  %headParts = arith.muli %H, %split#0 : index
  %blocksX = arith.select %anyPrefill, %headParts, %noBlocks : index
  // Two launches, one of them empty: the products in 3xTF32, or in one
  // tf32 mma each where the session's gemm precision is bf16 (1); each
  // kernel's code is the block function with its choice folded in.
  %bf16 = arith.cmpi eq, %gemm_precision, %c1 : index
  %blocksAllTerms = arith.select %bf16, %noBlocks, %blocksX : index
  %blocksOneTerm = arith.select %bf16, %blocksX, %noBlocks : index
  gpu.launch blocks(%hPart, %r, %bz) in (%gx = %blocksAllTerms, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             dynamic_shared_memory_size %stateBytes32
             workgroup(%dtbuf : memref<64xf32, #gpu.address_space<workgroup>>,
                       %cumbuf : memref<64xf32, #gpu.address_space<workgroup>>,
                       %coefbuf : memref<64xf32, #gpu.address_space<workgroup>>,
                       %wT : memref<4608xf32, #gpu.address_space<workgroup>>,
                       %stage : memref<4608xf32, #gpu.address_space<workgroup>>) {
    %allTerms = arith.constant true
    func.call @nhc_ssd_chunk_scan_block(%xbc, %proj, %proj_stride, %dt_offset,
        %dt_bias, %a_log, %d, %ssm_state, %y, %req, %H, %P, %N, %G, %chunk,
        %dt_min, %dt_max, %hPart, %r, %R, %tx, %allTerms, %dtbuf, %cumbuf,
        %coefbuf, %wT, %stage)
        : (memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>,
           memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>,
           memref<?xi64>, index, index, index, index, index, f32, f32, index,
           index, index, index, i1, memref<64xf32, #gpu.address_space<workgroup>>, memref<64xf32, #gpu.address_space<workgroup>>,
           memref<64xf32, #gpu.address_space<workgroup>>, memref<4608xf32, #gpu.address_space<workgroup>>,
           memref<4608xf32, #gpu.address_space<workgroup>>) -> ()
    gpu.terminator
  }
  gpu.launch blocks(%hPart, %r, %bz) in (%gx = %blocksOneTerm, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             dynamic_shared_memory_size %stateBytes32
             workgroup(%dtbuf : memref<64xf32, #gpu.address_space<workgroup>>,
                       %cumbuf : memref<64xf32, #gpu.address_space<workgroup>>,
                       %coefbuf : memref<64xf32, #gpu.address_space<workgroup>>,
                       %wT : memref<4608xf32, #gpu.address_space<workgroup>>,
                       %stage : memref<4608xf32, #gpu.address_space<workgroup>>) {
    %allTerms = arith.constant false
    func.call @nhc_ssd_chunk_scan_block(%xbc, %proj, %proj_stride, %dt_offset,
        %dt_bias, %a_log, %d, %ssm_state, %y, %req, %H, %P, %N, %G, %chunk,
        %dt_min, %dt_max, %hPart, %r, %R, %tx, %allTerms, %dtbuf, %cumbuf,
        %coefbuf, %wT, %stage)
        : (memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>,
           memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>,
           memref<?xi64>, index, index, index, index, index, f32, f32, index,
           index, index, index, i1, memref<64xf32, #gpu.address_space<workgroup>>, memref<64xf32, #gpu.address_space<workgroup>>,
           memref<64xf32, #gpu.address_space<workgroup>>, memref<4608xf32, #gpu.address_space<workgroup>>,
           memref<4608xf32, #gpu.address_space<workgroup>>) -> ()
    gpu.terminator
  }
  return
}

// One block of @nhc_ssd_chunk_scan_gpu: head and state part %hPart of
// request %r, thread %tx; its products in 3xTF32 when %allTerms, else in
// one tf32 mma each (a constant at each call, so each launch's kernel has
// one of the two).
func.func private @nhc_ssd_chunk_scan_block(%xbc: memref<?xf32>,
    %proj: memref<?xf32>, %proj_stride: index, %dt_offset: index,
    %dt_bias: memref<?xf32>, %a_log: memref<?xf32>, %d: memref<?xf32>,
    %ssm_state: memref<?xf32>, %y: memref<?xf32>, %req: memref<?xi64>,
    %H: index, %P: index, %N: index, %G: index, %chunk: index, %dt_min: f32,
    %dt_max: f32, %hPart: index, %r: index, %R: index, %tx: index,
    %allTerms: i1,
    %dtbuf: memref<64xf32, #gpu.address_space<workgroup>>,
    %cumbuf: memref<64xf32, #gpu.address_space<workgroup>>,
    %coefbuf: memref<64xf32, #gpu.address_space<workgroup>>,
    %wT: memref<4608xf32, #gpu.address_space<workgroup>>,
    %stage: memref<4608xf32, #gpu.address_space<workgroup>>) {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c12 = arith.constant 12 : index
  %c16 = arith.constant 16 : index
  %c20 = arith.constant 20 : index
  %c24 = arith.constant 24 : index
  %c28 = arith.constant 28 : index
  %c32 = arith.constant 32 : index
  %c72 = arith.constant 72 : index
  %c2304 = arith.constant 2304 : index
  %c4096 = arith.constant 4096 : index
  %threads = arith.constant 256 : index
  %kTile = arith.constant 64 : index
  %kStage = arith.constant 2048 : index // 64 rows x 32 columns
  %zero = arith.constant 0.0 : f32
  %true = arith.constant true
  %HP = arith.muli %H, %P : index
  %GN = arith.muli %G, %N : index
  %xbcStride = func.call @nhc_ssd_xbc_stride(%H, %P, %N, %G)
      : (index, index, index, index) -> index
  // A zero chunk would never advance; a longer one than the buffers is cut.
  // The head and the state rows [pBegin, pEnd) this block keeps.
  %parts:3 = func.call @nhc_ssd_chunk_state_parts(%P, %N, %H, %R)
      : (index, index, index, index) -> (index, index, index)
  %h = arith.divui %hPart, %parts#0 : index
  %part = arith.remui %hPart, %parts#0 : index
  %pBegin0 = arith.muli %part, %parts#1 : index
  %pBegin = arith.minui %pBegin0, %P : index
  %pEnd0 = arith.addi %pBegin, %parts#1 : index
  %pEnd = arith.minui %pEnd0, %P : index
  %L1 = arith.maxui %chunk, %one : index
  %L = arith.minui %L1, %kTile : index
  %q:6 = func.call @nhc_ssd_request(%req, %r) : (memref<?xi64>, index)
      -> (index, index, index, index, i1, i1)
  %end = arith.addi %q#0, %q#1 : index
  // Decode requests are the decode scan's: an empty token range (every
  // thread must reach the barriers, so no branch).
  %last = arith.select %q#4, %end, %q#0 : index
  %grp = func.call @nhc_ssd_group(%h, %H, %G) : (index, index, index) -> index
  %A = func.call @nhc_ssd_a(%a_log, %h) : (memref<?xf32>, index) -> f32
  %Dh = memref.load %d[%h] : memref<?xf32>
  %dtb = memref.load %dt_bias[%h] : memref<?xf32>
  %hp0 = arith.muli %h, %P : index
  %sbase = func.call @nhc_ssd_state_row(%q#3, %hp0, %HP, %N)
      : (index, index, index, index) -> index
  %bcol = func.call @nhc_ssd_b_col(%grp, %HP, %N) : (index, index, index) -> index
  %ccol = arith.addi %bcol, %GN : index
  %dtcol = arith.addi %dt_offset, %h : index
  // The part's state on chip, h(p, k) at hs[(p - pBegin) * hStride + k],
  // columns N .. hStride - 1 zero (C h_prevᵀ reads them against C's
  // zeros).
  %hStride = func.call @nhc_ssd_chunk_state_stride(%N) : (index) -> index
  %hWords = arith.muli %parts#1, %hStride : index
  %dsm = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
  %hs = memref.view %dsm[%c0][%hWords]
      : memref<?xi8, #gpu.address_space<workgroup>>
        to memref<?xf32, #gpu.address_space<workgroup>>
  %partRows = arith.subi %pEnd, %pBegin : index
  %partWords = arith.muli %partRows, %hStride : index
  %partElems = arith.muli %partRows, %N : index
  %pBeginN = arith.muli %pBegin, %N : index
  %partBase = arith.addi %sbase, %pBeginN : index
  %hasTokens = arith.cmpi ult, %q#0, %last : index
  scf.if %hasTokens {
    scf.for %e = %tx to %partWords step %threads {
      %p = arith.divui %e, %hStride : index
      %k = arith.remui %e, %hStride : index
      %kIn = arith.cmpi ult, %k, %N : index
      %kSafe = arith.select %kIn, %k, %c0 : index
      %pN = arith.muli %p, %N : index
      %gi0 = arith.addi %partBase, %pN : index
      %gi = arith.addi %gi0, %kSafe : index
      %v = memref.load %ssm_state[%gi] : memref<?xf32>
      %vz = arith.select %kIn, %v, %zero : f32
      memref.store %vz, %hs[%e] : memref<?xf32, #gpu.address_space<workgroup>>
    }
  }
  gpu.barrier
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
    // The inclusive sum over the chunk's (at most 64) tokens: lane l of
    // every warp scans tokens l and l + 32 (nhc_warp_inclusive_sum: every
    // lane of the block meets the shuffles), the second half offset by the
    // first's total; the first warp stores them.
    %scanLane = arith.remui %tx, %c32 : index
    %scanHigh = arith.addi %scanLane, %c32 : index
    %lowIn = arith.cmpi ult, %scanLane, %n : index
    %highIn = arith.cmpi ult, %scanHigh, %n : index
    %lowV = memref.load %cumbuf[%scanLane] : memref<64xf32, #gpu.address_space<workgroup>>
    %highV = memref.load %cumbuf[%scanHigh] : memref<64xf32, #gpu.address_space<workgroup>>
    %lowA = arith.select %lowIn, %lowV, %zero : f32
    %highA = arith.select %highIn, %highV, %zero : f32
    %lowSum = func.call @nhc_warp_inclusive_sum(%lowA) : (f32) -> f32
    %highSum0 = func.call @nhc_warp_inclusive_sum(%highA) : (f32) -> f32
    %c31i = arith.constant 31 : i32
    %width32 = arith.constant 32 : i32
    %lowTotal, %lowTotalValid = gpu.shuffle idx %lowSum, %c31i, %width32 : f32
    %highSum = arith.addf %lowTotal, %highSum0 : f32
    %scanWarp = arith.cmpi ult, %tx, %c32 : index
    gpu.barrier
    scf.if %scanWarp {
      scf.if %lowIn {
        memref.store %lowSum, %cumbuf[%scanLane] : memref<64xf32, #gpu.address_space<workgroup>>
      }
      scf.if %highIn {
        memref.store %highSum, %cumbuf[%scanHigh] : memref<64xf32, #gpu.address_space<workgroup>>
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
    // 2. The weights, each stage's partial sums in wT; the last stage
    //    scales and masks them (nhc_ssd_chunk_weight).
    // BEGIN GENERATED step2: tools/scripts/gen-gpu-tiles.py
    scf.for %k0 = %c0 to %N step %c32 {
      scf.for %e = %tx to %kStage step %threads {
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
        %sr = arith.muli %kk, %c72 : index
        %aAt = arith.addi %sr, %row : index
        %bAt = arith.addi %aAt, %c2304 : index
        memref.store %cz, %stage[%aAt] : memref<4608xf32, #gpu.address_space<workgroup>>
        memref.store %sb, %stage[%bAt] : memref<4608xf32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      %first = arith.cmpi eq, %k0, %c0 : index
      %kNext = arith.addi %k0, %c32 : index
      %lastStage = arith.cmpi uge, %kNext, %N : index
      %wi00 = arith.addi %pc00, %rowA : index
      %wo00 = memref.load %wT[%wi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w000 = arith.select %first, %zero, %wo00 : f32
      %wi01 = arith.addi %pc01, %rowA : index
      %wo01 = memref.load %wT[%wi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w001 = arith.select %first, %zero, %wo01 : f32
      %wi02 = arith.addi %pc00, %rowB : index
      %wo02 = memref.load %wT[%wi02] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w002 = arith.select %first, %zero, %wo02 : f32
      %wi03 = arith.addi %pc01, %rowB : index
      %wo03 = memref.load %wT[%wi03] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w003 = arith.select %first, %zero, %wo03 : f32
      %wc0 = vector.from_elements %w000, %w001, %w002, %w003 : vector<2x2xf32>
      %wi10 = arith.addi %pc10, %rowA : index
      %wo10 = memref.load %wT[%wi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w010 = arith.select %first, %zero, %wo10 : f32
      %wi11 = arith.addi %pc11, %rowA : index
      %wo11 = memref.load %wT[%wi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w011 = arith.select %first, %zero, %wo11 : f32
      %wi12 = arith.addi %pc10, %rowB : index
      %wo12 = memref.load %wT[%wi12] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w012 = arith.select %first, %zero, %wo12 : f32
      %wi13 = arith.addi %pc11, %rowB : index
      %wo13 = memref.load %wT[%wi13] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w013 = arith.select %first, %zero, %wo13 : f32
      %wc1 = vector.from_elements %w010, %w011, %w012, %w013 : vector<2x2xf32>
      %wi20 = arith.addi %pc20, %rowA : index
      %wo20 = memref.load %wT[%wi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w020 = arith.select %first, %zero, %wo20 : f32
      %wi21 = arith.addi %pc21, %rowA : index
      %wo21 = memref.load %wT[%wi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w021 = arith.select %first, %zero, %wo21 : f32
      %wi22 = arith.addi %pc20, %rowB : index
      %wo22 = memref.load %wT[%wi22] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w022 = arith.select %first, %zero, %wo22 : f32
      %wi23 = arith.addi %pc21, %rowB : index
      %wo23 = memref.load %wT[%wi23] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w023 = arith.select %first, %zero, %wo23 : f32
      %wc2 = vector.from_elements %w020, %w021, %w022, %w023 : vector<2x2xf32>
      %wi30 = arith.addi %pc30, %rowA : index
      %wo30 = memref.load %wT[%wi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w030 = arith.select %first, %zero, %wo30 : f32
      %wi31 = arith.addi %pc31, %rowA : index
      %wo31 = memref.load %wT[%wi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w031 = arith.select %first, %zero, %wo31 : f32
      %wi32 = arith.addi %pc30, %rowB : index
      %wo32 = memref.load %wT[%wi32] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w032 = arith.select %first, %zero, %wo32 : f32
      %wi33 = arith.addi %pc31, %rowB : index
      %wo33 = memref.load %wT[%wi33] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w033 = arith.select %first, %zero, %wo33 : f32
      %wc3 = vector.from_elements %w030, %w031, %w032, %w033 : vector<2x2xf32>
      %w0k = arith.constant 0 : index
      %w0kb = arith.constant 2304 : index
      %w0ao0 = arith.addi %w0k, %tk0 : index
      %w0ai0 = arith.addi %w0ao0, %rowA : index
      %w0a0 = memref.load %stage[%w0ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0ao1 = arith.addi %w0k, %tk0 : index
      %w0ai1 = arith.addi %w0ao1, %rowB : index
      %w0a1 = memref.load %stage[%w0ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0ao2 = arith.addi %w0k, %tk4 : index
      %w0ai2 = arith.addi %w0ao2, %rowA : index
      %w0a2 = memref.load %stage[%w0ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0ao3 = arith.addi %w0k, %tk4 : index
      %w0ai3 = arith.addi %w0ao3, %rowB : index
      %w0a3 = memref.load %stage[%w0ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0A:2 = func.call @nhc_tf32_split4(%w0a0, %w0a1, %w0a2, %w0a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %w0bo00 = arith.addi %w0kb, %tk0 : index
      %w0bi00 = arith.addi %w0bo00, %bn0 : index
      %w0b00 = memref.load %stage[%w0bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0bo01 = arith.addi %w0kb, %tk4 : index
      %w0bi01 = arith.addi %w0bo01, %bn0 : index
      %w0b01 = memref.load %stage[%w0bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0B0:2 = func.call @nhc_tf32_split2(%w0b00, %w0b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w0bo10 = arith.addi %w0kb, %tk0 : index
      %w0bi10 = arith.addi %w0bo10, %bn1 : index
      %w0b10 = memref.load %stage[%w0bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0bo11 = arith.addi %w0kb, %tk4 : index
      %w0bi11 = arith.addi %w0bo11, %bn1 : index
      %w0b11 = memref.load %stage[%w0bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0B1:2 = func.call @nhc_tf32_split2(%w0b10, %w0b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w0bo20 = arith.addi %w0kb, %tk0 : index
      %w0bi20 = arith.addi %w0bo20, %bn2 : index
      %w0b20 = memref.load %stage[%w0bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0bo21 = arith.addi %w0kb, %tk4 : index
      %w0bi21 = arith.addi %w0bo21, %bn2 : index
      %w0b21 = memref.load %stage[%w0bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0B2:2 = func.call @nhc_tf32_split2(%w0b20, %w0b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w0bo30 = arith.addi %w0kb, %tk0 : index
      %w0bi30 = arith.addi %w0bo30, %bn3 : index
      %w0b30 = memref.load %stage[%w0bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0bo31 = arith.addi %w0kb, %tk4 : index
      %w0bi31 = arith.addi %w0bo31, %bn3 : index
      %w0b31 = memref.load %stage[%w0bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w0B3:2 = func.call @nhc_tf32_split2(%w0b30, %w0b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w0s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %w0m00 = nvgpu.mma.sync (%w0A#0, %w0B0#1, %wc0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w0m10 = nvgpu.mma.sync (%w0A#0, %w0B1#1, %wc1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w0m20 = nvgpu.mma.sync (%w0A#0, %w0B2#1, %wc2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w0m30 = nvgpu.mma.sync (%w0A#0, %w0B3#1, %wc3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w0m01 = nvgpu.mma.sync (%w0A#1, %w0B0#0, %w0m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w0m11 = nvgpu.mma.sync (%w0A#1, %w0B1#0, %w0m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w0m21 = nvgpu.mma.sync (%w0A#1, %w0B2#0, %w0m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w0m31 = nvgpu.mma.sync (%w0A#1, %w0B3#0, %w0m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %w0m01, %w0m11, %w0m21, %w0m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %wc0, %wc1, %wc2, %wc3 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %w0m02 = nvgpu.mma.sync (%w0A#0, %w0B0#0, %w0s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w0m12 = nvgpu.mma.sync (%w0A#0, %w0B1#0, %w0s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w0m22 = nvgpu.mma.sync (%w0A#0, %w0B2#0, %w0s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w0m32 = nvgpu.mma.sync (%w0A#0, %w0B3#0, %w0s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w1k = arith.constant 576 : index
      %w1kb = arith.constant 2880 : index
      %w1ao0 = arith.addi %w1k, %tk0 : index
      %w1ai0 = arith.addi %w1ao0, %rowA : index
      %w1a0 = memref.load %stage[%w1ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1ao1 = arith.addi %w1k, %tk0 : index
      %w1ai1 = arith.addi %w1ao1, %rowB : index
      %w1a1 = memref.load %stage[%w1ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1ao2 = arith.addi %w1k, %tk4 : index
      %w1ai2 = arith.addi %w1ao2, %rowA : index
      %w1a2 = memref.load %stage[%w1ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1ao3 = arith.addi %w1k, %tk4 : index
      %w1ai3 = arith.addi %w1ao3, %rowB : index
      %w1a3 = memref.load %stage[%w1ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1A:2 = func.call @nhc_tf32_split4(%w1a0, %w1a1, %w1a2, %w1a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %w1bo00 = arith.addi %w1kb, %tk0 : index
      %w1bi00 = arith.addi %w1bo00, %bn0 : index
      %w1b00 = memref.load %stage[%w1bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1bo01 = arith.addi %w1kb, %tk4 : index
      %w1bi01 = arith.addi %w1bo01, %bn0 : index
      %w1b01 = memref.load %stage[%w1bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1B0:2 = func.call @nhc_tf32_split2(%w1b00, %w1b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w1bo10 = arith.addi %w1kb, %tk0 : index
      %w1bi10 = arith.addi %w1bo10, %bn1 : index
      %w1b10 = memref.load %stage[%w1bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1bo11 = arith.addi %w1kb, %tk4 : index
      %w1bi11 = arith.addi %w1bo11, %bn1 : index
      %w1b11 = memref.load %stage[%w1bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1B1:2 = func.call @nhc_tf32_split2(%w1b10, %w1b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w1bo20 = arith.addi %w1kb, %tk0 : index
      %w1bi20 = arith.addi %w1bo20, %bn2 : index
      %w1b20 = memref.load %stage[%w1bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1bo21 = arith.addi %w1kb, %tk4 : index
      %w1bi21 = arith.addi %w1bo21, %bn2 : index
      %w1b21 = memref.load %stage[%w1bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1B2:2 = func.call @nhc_tf32_split2(%w1b20, %w1b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w1bo30 = arith.addi %w1kb, %tk0 : index
      %w1bi30 = arith.addi %w1bo30, %bn3 : index
      %w1b30 = memref.load %stage[%w1bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1bo31 = arith.addi %w1kb, %tk4 : index
      %w1bi31 = arith.addi %w1bo31, %bn3 : index
      %w1b31 = memref.load %stage[%w1bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w1B3:2 = func.call @nhc_tf32_split2(%w1b30, %w1b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w1s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %w1m00 = nvgpu.mma.sync (%w1A#0, %w1B0#1, %w0m02) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w1m10 = nvgpu.mma.sync (%w1A#0, %w1B1#1, %w0m12) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w1m20 = nvgpu.mma.sync (%w1A#0, %w1B2#1, %w0m22) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w1m30 = nvgpu.mma.sync (%w1A#0, %w1B3#1, %w0m32) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w1m01 = nvgpu.mma.sync (%w1A#1, %w1B0#0, %w1m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w1m11 = nvgpu.mma.sync (%w1A#1, %w1B1#0, %w1m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w1m21 = nvgpu.mma.sync (%w1A#1, %w1B2#0, %w1m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w1m31 = nvgpu.mma.sync (%w1A#1, %w1B3#0, %w1m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %w1m01, %w1m11, %w1m21, %w1m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %w0m02, %w0m12, %w0m22, %w0m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %w1m02 = nvgpu.mma.sync (%w1A#0, %w1B0#0, %w1s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w1m12 = nvgpu.mma.sync (%w1A#0, %w1B1#0, %w1s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w1m22 = nvgpu.mma.sync (%w1A#0, %w1B2#0, %w1s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w1m32 = nvgpu.mma.sync (%w1A#0, %w1B3#0, %w1s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w2k = arith.constant 1152 : index
      %w2kb = arith.constant 3456 : index
      %w2ao0 = arith.addi %w2k, %tk0 : index
      %w2ai0 = arith.addi %w2ao0, %rowA : index
      %w2a0 = memref.load %stage[%w2ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2ao1 = arith.addi %w2k, %tk0 : index
      %w2ai1 = arith.addi %w2ao1, %rowB : index
      %w2a1 = memref.load %stage[%w2ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2ao2 = arith.addi %w2k, %tk4 : index
      %w2ai2 = arith.addi %w2ao2, %rowA : index
      %w2a2 = memref.load %stage[%w2ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2ao3 = arith.addi %w2k, %tk4 : index
      %w2ai3 = arith.addi %w2ao3, %rowB : index
      %w2a3 = memref.load %stage[%w2ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2A:2 = func.call @nhc_tf32_split4(%w2a0, %w2a1, %w2a2, %w2a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %w2bo00 = arith.addi %w2kb, %tk0 : index
      %w2bi00 = arith.addi %w2bo00, %bn0 : index
      %w2b00 = memref.load %stage[%w2bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2bo01 = arith.addi %w2kb, %tk4 : index
      %w2bi01 = arith.addi %w2bo01, %bn0 : index
      %w2b01 = memref.load %stage[%w2bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2B0:2 = func.call @nhc_tf32_split2(%w2b00, %w2b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w2bo10 = arith.addi %w2kb, %tk0 : index
      %w2bi10 = arith.addi %w2bo10, %bn1 : index
      %w2b10 = memref.load %stage[%w2bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2bo11 = arith.addi %w2kb, %tk4 : index
      %w2bi11 = arith.addi %w2bo11, %bn1 : index
      %w2b11 = memref.load %stage[%w2bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2B1:2 = func.call @nhc_tf32_split2(%w2b10, %w2b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w2bo20 = arith.addi %w2kb, %tk0 : index
      %w2bi20 = arith.addi %w2bo20, %bn2 : index
      %w2b20 = memref.load %stage[%w2bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2bo21 = arith.addi %w2kb, %tk4 : index
      %w2bi21 = arith.addi %w2bo21, %bn2 : index
      %w2b21 = memref.load %stage[%w2bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2B2:2 = func.call @nhc_tf32_split2(%w2b20, %w2b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w2bo30 = arith.addi %w2kb, %tk0 : index
      %w2bi30 = arith.addi %w2bo30, %bn3 : index
      %w2b30 = memref.load %stage[%w2bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2bo31 = arith.addi %w2kb, %tk4 : index
      %w2bi31 = arith.addi %w2bo31, %bn3 : index
      %w2b31 = memref.load %stage[%w2bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w2B3:2 = func.call @nhc_tf32_split2(%w2b30, %w2b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w2s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %w2m00 = nvgpu.mma.sync (%w2A#0, %w2B0#1, %w1m02) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w2m10 = nvgpu.mma.sync (%w2A#0, %w2B1#1, %w1m12) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w2m20 = nvgpu.mma.sync (%w2A#0, %w2B2#1, %w1m22) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w2m30 = nvgpu.mma.sync (%w2A#0, %w2B3#1, %w1m32) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w2m01 = nvgpu.mma.sync (%w2A#1, %w2B0#0, %w2m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w2m11 = nvgpu.mma.sync (%w2A#1, %w2B1#0, %w2m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w2m21 = nvgpu.mma.sync (%w2A#1, %w2B2#0, %w2m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w2m31 = nvgpu.mma.sync (%w2A#1, %w2B3#0, %w2m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %w2m01, %w2m11, %w2m21, %w2m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %w1m02, %w1m12, %w1m22, %w1m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %w2m02 = nvgpu.mma.sync (%w2A#0, %w2B0#0, %w2s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w2m12 = nvgpu.mma.sync (%w2A#0, %w2B1#0, %w2s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w2m22 = nvgpu.mma.sync (%w2A#0, %w2B2#0, %w2s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w2m32 = nvgpu.mma.sync (%w2A#0, %w2B3#0, %w2s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w3k = arith.constant 1728 : index
      %w3kb = arith.constant 4032 : index
      %w3ao0 = arith.addi %w3k, %tk0 : index
      %w3ai0 = arith.addi %w3ao0, %rowA : index
      %w3a0 = memref.load %stage[%w3ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3ao1 = arith.addi %w3k, %tk0 : index
      %w3ai1 = arith.addi %w3ao1, %rowB : index
      %w3a1 = memref.load %stage[%w3ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3ao2 = arith.addi %w3k, %tk4 : index
      %w3ai2 = arith.addi %w3ao2, %rowA : index
      %w3a2 = memref.load %stage[%w3ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3ao3 = arith.addi %w3k, %tk4 : index
      %w3ai3 = arith.addi %w3ao3, %rowB : index
      %w3a3 = memref.load %stage[%w3ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3A:2 = func.call @nhc_tf32_split4(%w3a0, %w3a1, %w3a2, %w3a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %w3bo00 = arith.addi %w3kb, %tk0 : index
      %w3bi00 = arith.addi %w3bo00, %bn0 : index
      %w3b00 = memref.load %stage[%w3bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3bo01 = arith.addi %w3kb, %tk4 : index
      %w3bi01 = arith.addi %w3bo01, %bn0 : index
      %w3b01 = memref.load %stage[%w3bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3B0:2 = func.call @nhc_tf32_split2(%w3b00, %w3b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w3bo10 = arith.addi %w3kb, %tk0 : index
      %w3bi10 = arith.addi %w3bo10, %bn1 : index
      %w3b10 = memref.load %stage[%w3bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3bo11 = arith.addi %w3kb, %tk4 : index
      %w3bi11 = arith.addi %w3bo11, %bn1 : index
      %w3b11 = memref.load %stage[%w3bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3B1:2 = func.call @nhc_tf32_split2(%w3b10, %w3b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w3bo20 = arith.addi %w3kb, %tk0 : index
      %w3bi20 = arith.addi %w3bo20, %bn2 : index
      %w3b20 = memref.load %stage[%w3bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3bo21 = arith.addi %w3kb, %tk4 : index
      %w3bi21 = arith.addi %w3bo21, %bn2 : index
      %w3b21 = memref.load %stage[%w3bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3B2:2 = func.call @nhc_tf32_split2(%w3b20, %w3b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w3bo30 = arith.addi %w3kb, %tk0 : index
      %w3bi30 = arith.addi %w3bo30, %bn3 : index
      %w3b30 = memref.load %stage[%w3bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3bo31 = arith.addi %w3kb, %tk4 : index
      %w3bi31 = arith.addi %w3bo31, %bn3 : index
      %w3b31 = memref.load %stage[%w3bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %w3B3:2 = func.call @nhc_tf32_split2(%w3b30, %w3b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %w3s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %w3m00 = nvgpu.mma.sync (%w3A#0, %w3B0#1, %w2m02) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w3m10 = nvgpu.mma.sync (%w3A#0, %w3B1#1, %w2m12) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w3m20 = nvgpu.mma.sync (%w3A#0, %w3B2#1, %w2m22) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w3m30 = nvgpu.mma.sync (%w3A#0, %w3B3#1, %w2m32) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w3m01 = nvgpu.mma.sync (%w3A#1, %w3B0#0, %w3m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w3m11 = nvgpu.mma.sync (%w3A#1, %w3B1#0, %w3m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w3m21 = nvgpu.mma.sync (%w3A#1, %w3B2#0, %w3m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %w3m31 = nvgpu.mma.sync (%w3A#1, %w3B3#0, %w3m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %w3m01, %w3m11, %w3m21, %w3m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %w2m02, %w2m12, %w2m22, %w2m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %w3m02 = nvgpu.mma.sync (%w3A#0, %w3B0#0, %w3s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w3m12 = nvgpu.mma.sync (%w3A#0, %w3B1#0, %w3s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w3m22 = nvgpu.mma.sync (%w3A#0, %w3B2#0, %w3s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %w3m32 = nvgpu.mma.sync (%w3A#0, %w3B3#0, %w3s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %cumLA = memref.load %cumbuf[%rowA] : memref<64xf32, #gpu.address_space<workgroup>>
      %cumLB = memref.load %cumbuf[%rowB] : memref<64xf32, #gpu.address_space<workgroup>>
      %cumS00 = memref.load %cumbuf[%cj00] : memref<64xf32, #gpu.address_space<workgroup>>
      %dtS00 = memref.load %dtbuf[%cj00] : memref<64xf32, #gpu.address_space<workgroup>>
      %cumS01 = memref.load %cumbuf[%cj01] : memref<64xf32, #gpu.address_space<workgroup>>
      %dtS01 = memref.load %dtbuf[%cj01] : memref<64xf32, #gpu.address_space<workgroup>>
      %cumS10 = memref.load %cumbuf[%cj10] : memref<64xf32, #gpu.address_space<workgroup>>
      %dtS10 = memref.load %dtbuf[%cj10] : memref<64xf32, #gpu.address_space<workgroup>>
      %cumS11 = memref.load %cumbuf[%cj11] : memref<64xf32, #gpu.address_space<workgroup>>
      %dtS11 = memref.load %dtbuf[%cj11] : memref<64xf32, #gpu.address_space<workgroup>>
      %cumS20 = memref.load %cumbuf[%cj20] : memref<64xf32, #gpu.address_space<workgroup>>
      %dtS20 = memref.load %dtbuf[%cj20] : memref<64xf32, #gpu.address_space<workgroup>>
      %cumS21 = memref.load %cumbuf[%cj21] : memref<64xf32, #gpu.address_space<workgroup>>
      %dtS21 = memref.load %dtbuf[%cj21] : memref<64xf32, #gpu.address_space<workgroup>>
      %cumS30 = memref.load %cumbuf[%cj30] : memref<64xf32, #gpu.address_space<workgroup>>
      %dtS30 = memref.load %dtbuf[%cj30] : memref<64xf32, #gpu.address_space<workgroup>>
      %cumS31 = memref.load %cumbuf[%cj31] : memref<64xf32, #gpu.address_space<workgroup>>
      %dtS31 = memref.load %dtbuf[%cj31] : memref<64xf32, #gpu.address_space<workgroup>>
      %wv00 = vector.extract %w3m02[0, 0] : f32 from vector<2x2xf32>
      %wf00 = func.call @nhc_ssd_chunk_weight(%wv00, %lastStage, %rowA, %cj00, %n, %cumLA, %cumS00, %dtS00)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf00, %wT[%wi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv01 = vector.extract %w3m02[0, 1] : f32 from vector<2x2xf32>
      %wf01 = func.call @nhc_ssd_chunk_weight(%wv01, %lastStage, %rowA, %cj01, %n, %cumLA, %cumS01, %dtS01)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf01, %wT[%wi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv02 = vector.extract %w3m02[1, 0] : f32 from vector<2x2xf32>
      %wf02 = func.call @nhc_ssd_chunk_weight(%wv02, %lastStage, %rowB, %cj00, %n, %cumLB, %cumS00, %dtS00)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf02, %wT[%wi02] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv03 = vector.extract %w3m02[1, 1] : f32 from vector<2x2xf32>
      %wf03 = func.call @nhc_ssd_chunk_weight(%wv03, %lastStage, %rowB, %cj01, %n, %cumLB, %cumS01, %dtS01)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf03, %wT[%wi03] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv10 = vector.extract %w3m12[0, 0] : f32 from vector<2x2xf32>
      %wf10 = func.call @nhc_ssd_chunk_weight(%wv10, %lastStage, %rowA, %cj10, %n, %cumLA, %cumS10, %dtS10)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf10, %wT[%wi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv11 = vector.extract %w3m12[0, 1] : f32 from vector<2x2xf32>
      %wf11 = func.call @nhc_ssd_chunk_weight(%wv11, %lastStage, %rowA, %cj11, %n, %cumLA, %cumS11, %dtS11)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf11, %wT[%wi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv12 = vector.extract %w3m12[1, 0] : f32 from vector<2x2xf32>
      %wf12 = func.call @nhc_ssd_chunk_weight(%wv12, %lastStage, %rowB, %cj10, %n, %cumLB, %cumS10, %dtS10)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf12, %wT[%wi12] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv13 = vector.extract %w3m12[1, 1] : f32 from vector<2x2xf32>
      %wf13 = func.call @nhc_ssd_chunk_weight(%wv13, %lastStage, %rowB, %cj11, %n, %cumLB, %cumS11, %dtS11)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf13, %wT[%wi13] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv20 = vector.extract %w3m22[0, 0] : f32 from vector<2x2xf32>
      %wf20 = func.call @nhc_ssd_chunk_weight(%wv20, %lastStage, %rowA, %cj20, %n, %cumLA, %cumS20, %dtS20)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf20, %wT[%wi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv21 = vector.extract %w3m22[0, 1] : f32 from vector<2x2xf32>
      %wf21 = func.call @nhc_ssd_chunk_weight(%wv21, %lastStage, %rowA, %cj21, %n, %cumLA, %cumS21, %dtS21)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf21, %wT[%wi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv22 = vector.extract %w3m22[1, 0] : f32 from vector<2x2xf32>
      %wf22 = func.call @nhc_ssd_chunk_weight(%wv22, %lastStage, %rowB, %cj20, %n, %cumLB, %cumS20, %dtS20)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf22, %wT[%wi22] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv23 = vector.extract %w3m22[1, 1] : f32 from vector<2x2xf32>
      %wf23 = func.call @nhc_ssd_chunk_weight(%wv23, %lastStage, %rowB, %cj21, %n, %cumLB, %cumS21, %dtS21)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf23, %wT[%wi23] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv30 = vector.extract %w3m32[0, 0] : f32 from vector<2x2xf32>
      %wf30 = func.call @nhc_ssd_chunk_weight(%wv30, %lastStage, %rowA, %cj30, %n, %cumLA, %cumS30, %dtS30)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf30, %wT[%wi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv31 = vector.extract %w3m32[0, 1] : f32 from vector<2x2xf32>
      %wf31 = func.call @nhc_ssd_chunk_weight(%wv31, %lastStage, %rowA, %cj31, %n, %cumLA, %cumS31, %dtS31)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf31, %wT[%wi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv32 = vector.extract %w3m32[1, 0] : f32 from vector<2x2xf32>
      %wf32 = func.call @nhc_ssd_chunk_weight(%wv32, %lastStage, %rowB, %cj30, %n, %cumLB, %cumS30, %dtS30)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf32, %wT[%wi32] : memref<4608xf32, #gpu.address_space<workgroup>>
      %wv33 = vector.extract %w3m32[1, 1] : f32 from vector<2x2xf32>
      %wf33 = func.call @nhc_ssd_chunk_weight(%wv33, %lastStage, %rowB, %cj31, %n, %cumLB, %cumS31, %dtS31)
          : (f32, i1, index, index, index, f32, f32, f32) -> f32
      memref.store %wf33, %wT[%wi33] : memref<4608xf32, #gpu.address_space<workgroup>>
      gpu.barrier
    }
    // END GENERATED step2
    // 3. The outputs, 64 columns at a time: C h_prevᵀ's partial sums
    //    carried in registers from stage to stage, then X's tile staged
    //    and the outputs finished (the last barrier frees the stage for
    //    the next tile).
    scf.for %p0 = %pBegin to %pEnd step %kTile {
      // BEGIN GENERATED step3: tools/scripts/gen-gpu-tiles.py
      %pLast = arith.subi %pEnd, %one : index
      %hpj0 = arith.addi %p0, %bn0 : index
      %hq0 = arith.minui %hpj0, %pLast : index
      %hqp0 = arith.subi %hq0, %pBegin : index
      %hr0 = arith.muli %hqp0, %hStride : index
      %hrt0 = arith.addi %hr0, %t : index
      %hpj1 = arith.addi %p0, %bn1 : index
      %hq1 = arith.minui %hpj1, %pLast : index
      %hqp1 = arith.subi %hq1, %pBegin : index
      %hr1 = arith.muli %hqp1, %hStride : index
      %hrt1 = arith.addi %hr1, %t : index
      %hpj2 = arith.addi %p0, %bn2 : index
      %hq2 = arith.minui %hpj2, %pLast : index
      %hqp2 = arith.subi %hq2, %pBegin : index
      %hr2 = arith.muli %hqp2, %hStride : index
      %hrt2 = arith.addi %hr2, %t : index
      %hpj3 = arith.addi %p0, %bn3 : index
      %hq3 = arith.minui %hpj3, %pLast : index
      %hqp3 = arith.subi %hq3, %pBegin : index
      %hr3 = arith.muli %hqp3, %hStride : index
      %hrt3 = arith.addi %hr3, %t : index
      %yzero = arith.constant dense<0.0> : vector<2x2xf32>
      %yacc:4 = scf.for %k0 = %c0 to %N step %c32
          iter_args(%ya0 = %yzero, %ya1 = %yzero, %ya2 = %yzero, %ya3 = %yzero) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        scf.for %e = %tx to %kStage step %threads {
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
          %sr = arith.muli %kk, %c72 : index
          %aAt = arith.addi %sr, %row : index
          memref.store %cz, %stage[%aAt] : memref<4608xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
        %y0k = arith.constant 0 : index
        %y0hk0 = arith.addi %k0, %c0 : index
        %y0hk1 = arith.addi %k0, %c4 : index
        %y0ao0 = arith.addi %y0k, %tk0 : index
        %y0ai0 = arith.addi %y0ao0, %rowA : index
        %y0a0 = memref.load %stage[%y0ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y0ao1 = arith.addi %y0k, %tk0 : index
        %y0ai1 = arith.addi %y0ao1, %rowB : index
        %y0a1 = memref.load %stage[%y0ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y0ao2 = arith.addi %y0k, %tk4 : index
        %y0ai2 = arith.addi %y0ao2, %rowA : index
        %y0a2 = memref.load %stage[%y0ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y0ao3 = arith.addi %y0k, %tk4 : index
        %y0ai3 = arith.addi %y0ao3, %rowB : index
        %y0a3 = memref.load %stage[%y0ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y0A:2 = func.call @nhc_tf32_split4(%y0a0, %y0a1, %y0a2, %y0a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %y0bi00 = arith.addi %hrt0, %y0hk0 : index
        %y0b00 = memref.load %hs[%y0bi00] : memref<?xf32, #gpu.address_space<workgroup>>
        %y0bi01 = arith.addi %hrt0, %y0hk1 : index
        %y0b01 = memref.load %hs[%y0bi01] : memref<?xf32, #gpu.address_space<workgroup>>
        %y0B0:2 = func.call @nhc_tf32_split2(%y0b00, %y0b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y0bi10 = arith.addi %hrt1, %y0hk0 : index
        %y0b10 = memref.load %hs[%y0bi10] : memref<?xf32, #gpu.address_space<workgroup>>
        %y0bi11 = arith.addi %hrt1, %y0hk1 : index
        %y0b11 = memref.load %hs[%y0bi11] : memref<?xf32, #gpu.address_space<workgroup>>
        %y0B1:2 = func.call @nhc_tf32_split2(%y0b10, %y0b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y0bi20 = arith.addi %hrt2, %y0hk0 : index
        %y0b20 = memref.load %hs[%y0bi20] : memref<?xf32, #gpu.address_space<workgroup>>
        %y0bi21 = arith.addi %hrt2, %y0hk1 : index
        %y0b21 = memref.load %hs[%y0bi21] : memref<?xf32, #gpu.address_space<workgroup>>
        %y0B2:2 = func.call @nhc_tf32_split2(%y0b20, %y0b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y0bi30 = arith.addi %hrt3, %y0hk0 : index
        %y0b30 = memref.load %hs[%y0bi30] : memref<?xf32, #gpu.address_space<workgroup>>
        %y0bi31 = arith.addi %hrt3, %y0hk1 : index
        %y0b31 = memref.load %hs[%y0bi31] : memref<?xf32, #gpu.address_space<workgroup>>
        %y0B3:2 = func.call @nhc_tf32_split2(%y0b30, %y0b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y0s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %y0m00 = nvgpu.mma.sync (%y0A#0, %y0B0#1, %ya0) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y0m10 = nvgpu.mma.sync (%y0A#0, %y0B1#1, %ya1) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y0m20 = nvgpu.mma.sync (%y0A#0, %y0B2#1, %ya2) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y0m30 = nvgpu.mma.sync (%y0A#0, %y0B3#1, %ya3) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y0m01 = nvgpu.mma.sync (%y0A#1, %y0B0#0, %y0m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y0m11 = nvgpu.mma.sync (%y0A#1, %y0B1#0, %y0m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y0m21 = nvgpu.mma.sync (%y0A#1, %y0B2#0, %y0m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y0m31 = nvgpu.mma.sync (%y0A#1, %y0B3#0, %y0m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %y0m01, %y0m11, %y0m21, %y0m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %ya0, %ya1, %ya2, %ya3 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %y0m02 = nvgpu.mma.sync (%y0A#0, %y0B0#0, %y0s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y0m12 = nvgpu.mma.sync (%y0A#0, %y0B1#0, %y0s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y0m22 = nvgpu.mma.sync (%y0A#0, %y0B2#0, %y0s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y0m32 = nvgpu.mma.sync (%y0A#0, %y0B3#0, %y0s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y1k = arith.constant 576 : index
        %y1hk0 = arith.addi %k0, %c8 : index
        %y1hk1 = arith.addi %k0, %c12 : index
        %y1ao0 = arith.addi %y1k, %tk0 : index
        %y1ai0 = arith.addi %y1ao0, %rowA : index
        %y1a0 = memref.load %stage[%y1ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y1ao1 = arith.addi %y1k, %tk0 : index
        %y1ai1 = arith.addi %y1ao1, %rowB : index
        %y1a1 = memref.load %stage[%y1ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y1ao2 = arith.addi %y1k, %tk4 : index
        %y1ai2 = arith.addi %y1ao2, %rowA : index
        %y1a2 = memref.load %stage[%y1ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y1ao3 = arith.addi %y1k, %tk4 : index
        %y1ai3 = arith.addi %y1ao3, %rowB : index
        %y1a3 = memref.load %stage[%y1ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y1A:2 = func.call @nhc_tf32_split4(%y1a0, %y1a1, %y1a2, %y1a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %y1bi00 = arith.addi %hrt0, %y1hk0 : index
        %y1b00 = memref.load %hs[%y1bi00] : memref<?xf32, #gpu.address_space<workgroup>>
        %y1bi01 = arith.addi %hrt0, %y1hk1 : index
        %y1b01 = memref.load %hs[%y1bi01] : memref<?xf32, #gpu.address_space<workgroup>>
        %y1B0:2 = func.call @nhc_tf32_split2(%y1b00, %y1b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y1bi10 = arith.addi %hrt1, %y1hk0 : index
        %y1b10 = memref.load %hs[%y1bi10] : memref<?xf32, #gpu.address_space<workgroup>>
        %y1bi11 = arith.addi %hrt1, %y1hk1 : index
        %y1b11 = memref.load %hs[%y1bi11] : memref<?xf32, #gpu.address_space<workgroup>>
        %y1B1:2 = func.call @nhc_tf32_split2(%y1b10, %y1b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y1bi20 = arith.addi %hrt2, %y1hk0 : index
        %y1b20 = memref.load %hs[%y1bi20] : memref<?xf32, #gpu.address_space<workgroup>>
        %y1bi21 = arith.addi %hrt2, %y1hk1 : index
        %y1b21 = memref.load %hs[%y1bi21] : memref<?xf32, #gpu.address_space<workgroup>>
        %y1B2:2 = func.call @nhc_tf32_split2(%y1b20, %y1b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y1bi30 = arith.addi %hrt3, %y1hk0 : index
        %y1b30 = memref.load %hs[%y1bi30] : memref<?xf32, #gpu.address_space<workgroup>>
        %y1bi31 = arith.addi %hrt3, %y1hk1 : index
        %y1b31 = memref.load %hs[%y1bi31] : memref<?xf32, #gpu.address_space<workgroup>>
        %y1B3:2 = func.call @nhc_tf32_split2(%y1b30, %y1b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y1s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %y1m00 = nvgpu.mma.sync (%y1A#0, %y1B0#1, %y0m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y1m10 = nvgpu.mma.sync (%y1A#0, %y1B1#1, %y0m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y1m20 = nvgpu.mma.sync (%y1A#0, %y1B2#1, %y0m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y1m30 = nvgpu.mma.sync (%y1A#0, %y1B3#1, %y0m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y1m01 = nvgpu.mma.sync (%y1A#1, %y1B0#0, %y1m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y1m11 = nvgpu.mma.sync (%y1A#1, %y1B1#0, %y1m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y1m21 = nvgpu.mma.sync (%y1A#1, %y1B2#0, %y1m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y1m31 = nvgpu.mma.sync (%y1A#1, %y1B3#0, %y1m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %y1m01, %y1m11, %y1m21, %y1m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %y0m02, %y0m12, %y0m22, %y0m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %y1m02 = nvgpu.mma.sync (%y1A#0, %y1B0#0, %y1s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y1m12 = nvgpu.mma.sync (%y1A#0, %y1B1#0, %y1s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y1m22 = nvgpu.mma.sync (%y1A#0, %y1B2#0, %y1s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y1m32 = nvgpu.mma.sync (%y1A#0, %y1B3#0, %y1s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y2k = arith.constant 1152 : index
        %y2hk0 = arith.addi %k0, %c16 : index
        %y2hk1 = arith.addi %k0, %c20 : index
        %y2ao0 = arith.addi %y2k, %tk0 : index
        %y2ai0 = arith.addi %y2ao0, %rowA : index
        %y2a0 = memref.load %stage[%y2ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y2ao1 = arith.addi %y2k, %tk0 : index
        %y2ai1 = arith.addi %y2ao1, %rowB : index
        %y2a1 = memref.load %stage[%y2ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y2ao2 = arith.addi %y2k, %tk4 : index
        %y2ai2 = arith.addi %y2ao2, %rowA : index
        %y2a2 = memref.load %stage[%y2ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y2ao3 = arith.addi %y2k, %tk4 : index
        %y2ai3 = arith.addi %y2ao3, %rowB : index
        %y2a3 = memref.load %stage[%y2ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y2A:2 = func.call @nhc_tf32_split4(%y2a0, %y2a1, %y2a2, %y2a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %y2bi00 = arith.addi %hrt0, %y2hk0 : index
        %y2b00 = memref.load %hs[%y2bi00] : memref<?xf32, #gpu.address_space<workgroup>>
        %y2bi01 = arith.addi %hrt0, %y2hk1 : index
        %y2b01 = memref.load %hs[%y2bi01] : memref<?xf32, #gpu.address_space<workgroup>>
        %y2B0:2 = func.call @nhc_tf32_split2(%y2b00, %y2b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y2bi10 = arith.addi %hrt1, %y2hk0 : index
        %y2b10 = memref.load %hs[%y2bi10] : memref<?xf32, #gpu.address_space<workgroup>>
        %y2bi11 = arith.addi %hrt1, %y2hk1 : index
        %y2b11 = memref.load %hs[%y2bi11] : memref<?xf32, #gpu.address_space<workgroup>>
        %y2B1:2 = func.call @nhc_tf32_split2(%y2b10, %y2b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y2bi20 = arith.addi %hrt2, %y2hk0 : index
        %y2b20 = memref.load %hs[%y2bi20] : memref<?xf32, #gpu.address_space<workgroup>>
        %y2bi21 = arith.addi %hrt2, %y2hk1 : index
        %y2b21 = memref.load %hs[%y2bi21] : memref<?xf32, #gpu.address_space<workgroup>>
        %y2B2:2 = func.call @nhc_tf32_split2(%y2b20, %y2b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y2bi30 = arith.addi %hrt3, %y2hk0 : index
        %y2b30 = memref.load %hs[%y2bi30] : memref<?xf32, #gpu.address_space<workgroup>>
        %y2bi31 = arith.addi %hrt3, %y2hk1 : index
        %y2b31 = memref.load %hs[%y2bi31] : memref<?xf32, #gpu.address_space<workgroup>>
        %y2B3:2 = func.call @nhc_tf32_split2(%y2b30, %y2b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y2s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %y2m00 = nvgpu.mma.sync (%y2A#0, %y2B0#1, %y1m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y2m10 = nvgpu.mma.sync (%y2A#0, %y2B1#1, %y1m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y2m20 = nvgpu.mma.sync (%y2A#0, %y2B2#1, %y1m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y2m30 = nvgpu.mma.sync (%y2A#0, %y2B3#1, %y1m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y2m01 = nvgpu.mma.sync (%y2A#1, %y2B0#0, %y2m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y2m11 = nvgpu.mma.sync (%y2A#1, %y2B1#0, %y2m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y2m21 = nvgpu.mma.sync (%y2A#1, %y2B2#0, %y2m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y2m31 = nvgpu.mma.sync (%y2A#1, %y2B3#0, %y2m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %y2m01, %y2m11, %y2m21, %y2m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %y1m02, %y1m12, %y1m22, %y1m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %y2m02 = nvgpu.mma.sync (%y2A#0, %y2B0#0, %y2s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y2m12 = nvgpu.mma.sync (%y2A#0, %y2B1#0, %y2s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y2m22 = nvgpu.mma.sync (%y2A#0, %y2B2#0, %y2s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y2m32 = nvgpu.mma.sync (%y2A#0, %y2B3#0, %y2s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y3k = arith.constant 1728 : index
        %y3hk0 = arith.addi %k0, %c24 : index
        %y3hk1 = arith.addi %k0, %c28 : index
        %y3ao0 = arith.addi %y3k, %tk0 : index
        %y3ai0 = arith.addi %y3ao0, %rowA : index
        %y3a0 = memref.load %stage[%y3ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y3ao1 = arith.addi %y3k, %tk0 : index
        %y3ai1 = arith.addi %y3ao1, %rowB : index
        %y3a1 = memref.load %stage[%y3ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y3ao2 = arith.addi %y3k, %tk4 : index
        %y3ai2 = arith.addi %y3ao2, %rowA : index
        %y3a2 = memref.load %stage[%y3ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y3ao3 = arith.addi %y3k, %tk4 : index
        %y3ai3 = arith.addi %y3ao3, %rowB : index
        %y3a3 = memref.load %stage[%y3ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %y3A:2 = func.call @nhc_tf32_split4(%y3a0, %y3a1, %y3a2, %y3a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %y3bi00 = arith.addi %hrt0, %y3hk0 : index
        %y3b00 = memref.load %hs[%y3bi00] : memref<?xf32, #gpu.address_space<workgroup>>
        %y3bi01 = arith.addi %hrt0, %y3hk1 : index
        %y3b01 = memref.load %hs[%y3bi01] : memref<?xf32, #gpu.address_space<workgroup>>
        %y3B0:2 = func.call @nhc_tf32_split2(%y3b00, %y3b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y3bi10 = arith.addi %hrt1, %y3hk0 : index
        %y3b10 = memref.load %hs[%y3bi10] : memref<?xf32, #gpu.address_space<workgroup>>
        %y3bi11 = arith.addi %hrt1, %y3hk1 : index
        %y3b11 = memref.load %hs[%y3bi11] : memref<?xf32, #gpu.address_space<workgroup>>
        %y3B1:2 = func.call @nhc_tf32_split2(%y3b10, %y3b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y3bi20 = arith.addi %hrt2, %y3hk0 : index
        %y3b20 = memref.load %hs[%y3bi20] : memref<?xf32, #gpu.address_space<workgroup>>
        %y3bi21 = arith.addi %hrt2, %y3hk1 : index
        %y3b21 = memref.load %hs[%y3bi21] : memref<?xf32, #gpu.address_space<workgroup>>
        %y3B2:2 = func.call @nhc_tf32_split2(%y3b20, %y3b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y3bi30 = arith.addi %hrt3, %y3hk0 : index
        %y3b30 = memref.load %hs[%y3bi30] : memref<?xf32, #gpu.address_space<workgroup>>
        %y3bi31 = arith.addi %hrt3, %y3hk1 : index
        %y3b31 = memref.load %hs[%y3bi31] : memref<?xf32, #gpu.address_space<workgroup>>
        %y3B3:2 = func.call @nhc_tf32_split2(%y3b30, %y3b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %y3s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %y3m00 = nvgpu.mma.sync (%y3A#0, %y3B0#1, %y2m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y3m10 = nvgpu.mma.sync (%y3A#0, %y3B1#1, %y2m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y3m20 = nvgpu.mma.sync (%y3A#0, %y3B2#1, %y2m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y3m30 = nvgpu.mma.sync (%y3A#0, %y3B3#1, %y2m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y3m01 = nvgpu.mma.sync (%y3A#1, %y3B0#0, %y3m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y3m11 = nvgpu.mma.sync (%y3A#1, %y3B1#0, %y3m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y3m21 = nvgpu.mma.sync (%y3A#1, %y3B2#0, %y3m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %y3m31 = nvgpu.mma.sync (%y3A#1, %y3B3#0, %y3m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %y3m01, %y3m11, %y3m21, %y3m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %y2m02, %y2m12, %y2m22, %y2m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %y3m02 = nvgpu.mma.sync (%y3A#0, %y3B0#0, %y3s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y3m12 = nvgpu.mma.sync (%y3A#0, %y3B1#0, %y3s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y3m22 = nvgpu.mma.sync (%y3A#0, %y3B2#0, %y3s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %y3m32 = nvgpu.mma.sync (%y3A#0, %y3B3#0, %y3s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        gpu.barrier
        scf.yield %y3m02, %y3m12, %y3m22, %y3m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      scf.for %e = %tx to %c4096 step %threads {
        %pp = arith.remui %e, %kTile : index
        %s = arith.divui %e, %kTile : index
        %p = arith.addi %p0, %pp : index
        %pIn = arith.cmpi ult, %p, %pEnd : index
        %sIn = arith.cmpi ult, %s, %n : index
        %xOk = arith.andi %pIn, %sIn : i1
        %pSafe = arith.select %pIn, %p, %c0 : index
        %sSafe = arith.select %sIn, %s, %c0 : index
        %stok = arith.addi %c0tok, %sSafe : index
        %srow = arith.muli %stok, %xbcStride : index
        %xi0 = arith.addi %srow, %hp0 : index
        %xi = arith.addi %xi0, %pSafe : index
        %xv = memref.load %xbc[%xi] : memref<?xf32>
        %xz = arith.select %xOk, %xv, %zero : f32
        %sr = arith.muli %s, %c72 : index
        %si = arith.addi %sr, %pp : index
        memref.store %xz, %stage[%si] : memref<4608xf32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      %cumXA = memref.load %cumbuf[%rowA] : memref<64xf32, #gpu.address_space<workgroup>>
      %ecumA = math.exp %cumXA : f32
      %xrA = arith.muli %rowA, %c72 : index
      %cumXB = memref.load %cumbuf[%rowB] : memref<64xf32, #gpu.address_space<workgroup>>
      %ecumB = math.exp %cumXB : f32
      %xrB = arith.muli %rowB, %c72 : index
      %xi00:2 = func.call @nhc_ssd_chunk_y_slot(%rowA, %cj00, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch00 = vector.extract %yacc#0[0, 0] : f32 from vector<2x2xf32>
      %off00 = arith.mulf %ch00, %ecumA : f32
      %xa00 = arith.addi %xrA, %cj00 : index
      %xl00 = memref.load %stage[%xa00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx00 = arith.mulf %Dh, %xl00 : f32
      %x000 = arith.addf %off00, %dx00 : f32
      %xi01:2 = func.call @nhc_ssd_chunk_y_slot(%rowA, %cj01, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch01 = vector.extract %yacc#0[0, 1] : f32 from vector<2x2xf32>
      %off01 = arith.mulf %ch01, %ecumA : f32
      %xa01 = arith.addi %xrA, %cj01 : index
      %xl01 = memref.load %stage[%xa01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx01 = arith.mulf %Dh, %xl01 : f32
      %x001 = arith.addf %off01, %dx01 : f32
      %xi02:2 = func.call @nhc_ssd_chunk_y_slot(%rowB, %cj00, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch02 = vector.extract %yacc#0[1, 0] : f32 from vector<2x2xf32>
      %off02 = arith.mulf %ch02, %ecumB : f32
      %xa02 = arith.addi %xrB, %cj00 : index
      %xl02 = memref.load %stage[%xa02] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx02 = arith.mulf %Dh, %xl02 : f32
      %x002 = arith.addf %off02, %dx02 : f32
      %xi03:2 = func.call @nhc_ssd_chunk_y_slot(%rowB, %cj01, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch03 = vector.extract %yacc#0[1, 1] : f32 from vector<2x2xf32>
      %off03 = arith.mulf %ch03, %ecumB : f32
      %xa03 = arith.addi %xrB, %cj01 : index
      %xl03 = memref.load %stage[%xa03] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx03 = arith.mulf %Dh, %xl03 : f32
      %x003 = arith.addf %off03, %dx03 : f32
      %xc0 = vector.from_elements %x000, %x001, %x002, %x003 : vector<2x2xf32>
      %xi10:2 = func.call @nhc_ssd_chunk_y_slot(%rowA, %cj10, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch10 = vector.extract %yacc#1[0, 0] : f32 from vector<2x2xf32>
      %off10 = arith.mulf %ch10, %ecumA : f32
      %xa10 = arith.addi %xrA, %cj10 : index
      %xl10 = memref.load %stage[%xa10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx10 = arith.mulf %Dh, %xl10 : f32
      %x010 = arith.addf %off10, %dx10 : f32
      %xi11:2 = func.call @nhc_ssd_chunk_y_slot(%rowA, %cj11, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch11 = vector.extract %yacc#1[0, 1] : f32 from vector<2x2xf32>
      %off11 = arith.mulf %ch11, %ecumA : f32
      %xa11 = arith.addi %xrA, %cj11 : index
      %xl11 = memref.load %stage[%xa11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx11 = arith.mulf %Dh, %xl11 : f32
      %x011 = arith.addf %off11, %dx11 : f32
      %xi12:2 = func.call @nhc_ssd_chunk_y_slot(%rowB, %cj10, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch12 = vector.extract %yacc#1[1, 0] : f32 from vector<2x2xf32>
      %off12 = arith.mulf %ch12, %ecumB : f32
      %xa12 = arith.addi %xrB, %cj10 : index
      %xl12 = memref.load %stage[%xa12] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx12 = arith.mulf %Dh, %xl12 : f32
      %x012 = arith.addf %off12, %dx12 : f32
      %xi13:2 = func.call @nhc_ssd_chunk_y_slot(%rowB, %cj11, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch13 = vector.extract %yacc#1[1, 1] : f32 from vector<2x2xf32>
      %off13 = arith.mulf %ch13, %ecumB : f32
      %xa13 = arith.addi %xrB, %cj11 : index
      %xl13 = memref.load %stage[%xa13] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx13 = arith.mulf %Dh, %xl13 : f32
      %x013 = arith.addf %off13, %dx13 : f32
      %xc1 = vector.from_elements %x010, %x011, %x012, %x013 : vector<2x2xf32>
      %xi20:2 = func.call @nhc_ssd_chunk_y_slot(%rowA, %cj20, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch20 = vector.extract %yacc#2[0, 0] : f32 from vector<2x2xf32>
      %off20 = arith.mulf %ch20, %ecumA : f32
      %xa20 = arith.addi %xrA, %cj20 : index
      %xl20 = memref.load %stage[%xa20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx20 = arith.mulf %Dh, %xl20 : f32
      %x020 = arith.addf %off20, %dx20 : f32
      %xi21:2 = func.call @nhc_ssd_chunk_y_slot(%rowA, %cj21, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch21 = vector.extract %yacc#2[0, 1] : f32 from vector<2x2xf32>
      %off21 = arith.mulf %ch21, %ecumA : f32
      %xa21 = arith.addi %xrA, %cj21 : index
      %xl21 = memref.load %stage[%xa21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx21 = arith.mulf %Dh, %xl21 : f32
      %x021 = arith.addf %off21, %dx21 : f32
      %xi22:2 = func.call @nhc_ssd_chunk_y_slot(%rowB, %cj20, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch22 = vector.extract %yacc#2[1, 0] : f32 from vector<2x2xf32>
      %off22 = arith.mulf %ch22, %ecumB : f32
      %xa22 = arith.addi %xrB, %cj20 : index
      %xl22 = memref.load %stage[%xa22] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx22 = arith.mulf %Dh, %xl22 : f32
      %x022 = arith.addf %off22, %dx22 : f32
      %xi23:2 = func.call @nhc_ssd_chunk_y_slot(%rowB, %cj21, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch23 = vector.extract %yacc#2[1, 1] : f32 from vector<2x2xf32>
      %off23 = arith.mulf %ch23, %ecumB : f32
      %xa23 = arith.addi %xrB, %cj21 : index
      %xl23 = memref.load %stage[%xa23] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx23 = arith.mulf %Dh, %xl23 : f32
      %x023 = arith.addf %off23, %dx23 : f32
      %xc2 = vector.from_elements %x020, %x021, %x022, %x023 : vector<2x2xf32>
      %xi30:2 = func.call @nhc_ssd_chunk_y_slot(%rowA, %cj30, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch30 = vector.extract %yacc#3[0, 0] : f32 from vector<2x2xf32>
      %off30 = arith.mulf %ch30, %ecumA : f32
      %xa30 = arith.addi %xrA, %cj30 : index
      %xl30 = memref.load %stage[%xa30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx30 = arith.mulf %Dh, %xl30 : f32
      %x030 = arith.addf %off30, %dx30 : f32
      %xi31:2 = func.call @nhc_ssd_chunk_y_slot(%rowA, %cj31, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch31 = vector.extract %yacc#3[0, 1] : f32 from vector<2x2xf32>
      %off31 = arith.mulf %ch31, %ecumA : f32
      %xa31 = arith.addi %xrA, %cj31 : index
      %xl31 = memref.load %stage[%xa31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx31 = arith.mulf %Dh, %xl31 : f32
      %x031 = arith.addf %off31, %dx31 : f32
      %xi32:2 = func.call @nhc_ssd_chunk_y_slot(%rowB, %cj30, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch32 = vector.extract %yacc#3[1, 0] : f32 from vector<2x2xf32>
      %off32 = arith.mulf %ch32, %ecumB : f32
      %xa32 = arith.addi %xrB, %cj30 : index
      %xl32 = memref.load %stage[%xa32] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx32 = arith.mulf %Dh, %xl32 : f32
      %x032 = arith.addf %off32, %dx32 : f32
      %xi33:2 = func.call @nhc_ssd_chunk_y_slot(%rowB, %cj31, %p0, %n, %pEnd, %c0tok, %HP, %hp0)
          : (index, index, index, index, index, index, index, index) -> (index, i1)
      %ch33 = vector.extract %yacc#3[1, 1] : f32 from vector<2x2xf32>
      %off33 = arith.mulf %ch33, %ecumB : f32
      %xa33 = arith.addi %xrB, %cj31 : index
      %xl33 = memref.load %stage[%xa33] : memref<4608xf32, #gpu.address_space<workgroup>>
      %dx33 = arith.mulf %Dh, %xl33 : f32
      %x033 = arith.addf %off33, %dx33 : f32
      %xc3 = vector.from_elements %x030, %x031, %x032, %x033 : vector<2x2xf32>
      %x0k = arith.constant 0 : index
      %x0ao0 = arith.addi %x0k, %tk0 : index
      %x0ai0 = arith.addi %x0ao0, %rowA : index
      %x0a0 = memref.load %wT[%x0ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0ao1 = arith.addi %x0k, %tk0 : index
      %x0ai1 = arith.addi %x0ao1, %rowB : index
      %x0a1 = memref.load %wT[%x0ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0ao2 = arith.addi %x0k, %tk4 : index
      %x0ai2 = arith.addi %x0ao2, %rowA : index
      %x0a2 = memref.load %wT[%x0ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0ao3 = arith.addi %x0k, %tk4 : index
      %x0ai3 = arith.addi %x0ao3, %rowB : index
      %x0a3 = memref.load %wT[%x0ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0A:2 = func.call @nhc_tf32_split4(%x0a0, %x0a1, %x0a2, %x0a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %x0bo00 = arith.addi %x0k, %tk0 : index
      %x0bi00 = arith.addi %x0bo00, %bn0 : index
      %x0b00 = memref.load %stage[%x0bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0bo01 = arith.addi %x0k, %tk4 : index
      %x0bi01 = arith.addi %x0bo01, %bn0 : index
      %x0b01 = memref.load %stage[%x0bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0B0:2 = func.call @nhc_tf32_split2(%x0b00, %x0b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x0bo10 = arith.addi %x0k, %tk0 : index
      %x0bi10 = arith.addi %x0bo10, %bn1 : index
      %x0b10 = memref.load %stage[%x0bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0bo11 = arith.addi %x0k, %tk4 : index
      %x0bi11 = arith.addi %x0bo11, %bn1 : index
      %x0b11 = memref.load %stage[%x0bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0B1:2 = func.call @nhc_tf32_split2(%x0b10, %x0b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x0bo20 = arith.addi %x0k, %tk0 : index
      %x0bi20 = arith.addi %x0bo20, %bn2 : index
      %x0b20 = memref.load %stage[%x0bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0bo21 = arith.addi %x0k, %tk4 : index
      %x0bi21 = arith.addi %x0bo21, %bn2 : index
      %x0b21 = memref.load %stage[%x0bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0B2:2 = func.call @nhc_tf32_split2(%x0b20, %x0b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x0bo30 = arith.addi %x0k, %tk0 : index
      %x0bi30 = arith.addi %x0bo30, %bn3 : index
      %x0b30 = memref.load %stage[%x0bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0bo31 = arith.addi %x0k, %tk4 : index
      %x0bi31 = arith.addi %x0bo31, %bn3 : index
      %x0b31 = memref.load %stage[%x0bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x0B3:2 = func.call @nhc_tf32_split2(%x0b30, %x0b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x0s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %x0m00 = nvgpu.mma.sync (%x0A#0, %x0B0#1, %xc0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x0m10 = nvgpu.mma.sync (%x0A#0, %x0B1#1, %xc1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x0m20 = nvgpu.mma.sync (%x0A#0, %x0B2#1, %xc2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x0m30 = nvgpu.mma.sync (%x0A#0, %x0B3#1, %xc3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x0m01 = nvgpu.mma.sync (%x0A#1, %x0B0#0, %x0m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x0m11 = nvgpu.mma.sync (%x0A#1, %x0B1#0, %x0m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x0m21 = nvgpu.mma.sync (%x0A#1, %x0B2#0, %x0m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x0m31 = nvgpu.mma.sync (%x0A#1, %x0B3#0, %x0m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %x0m01, %x0m11, %x0m21, %x0m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %xc0, %xc1, %xc2, %xc3 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %x0m02 = nvgpu.mma.sync (%x0A#0, %x0B0#0, %x0s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x0m12 = nvgpu.mma.sync (%x0A#0, %x0B1#0, %x0s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x0m22 = nvgpu.mma.sync (%x0A#0, %x0B2#0, %x0s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x0m32 = nvgpu.mma.sync (%x0A#0, %x0B3#0, %x0s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x1k = arith.constant 576 : index
      %x1ao0 = arith.addi %x1k, %tk0 : index
      %x1ai0 = arith.addi %x1ao0, %rowA : index
      %x1a0 = memref.load %wT[%x1ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1ao1 = arith.addi %x1k, %tk0 : index
      %x1ai1 = arith.addi %x1ao1, %rowB : index
      %x1a1 = memref.load %wT[%x1ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1ao2 = arith.addi %x1k, %tk4 : index
      %x1ai2 = arith.addi %x1ao2, %rowA : index
      %x1a2 = memref.load %wT[%x1ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1ao3 = arith.addi %x1k, %tk4 : index
      %x1ai3 = arith.addi %x1ao3, %rowB : index
      %x1a3 = memref.load %wT[%x1ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1A:2 = func.call @nhc_tf32_split4(%x1a0, %x1a1, %x1a2, %x1a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %x1bo00 = arith.addi %x1k, %tk0 : index
      %x1bi00 = arith.addi %x1bo00, %bn0 : index
      %x1b00 = memref.load %stage[%x1bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1bo01 = arith.addi %x1k, %tk4 : index
      %x1bi01 = arith.addi %x1bo01, %bn0 : index
      %x1b01 = memref.load %stage[%x1bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1B0:2 = func.call @nhc_tf32_split2(%x1b00, %x1b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x1bo10 = arith.addi %x1k, %tk0 : index
      %x1bi10 = arith.addi %x1bo10, %bn1 : index
      %x1b10 = memref.load %stage[%x1bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1bo11 = arith.addi %x1k, %tk4 : index
      %x1bi11 = arith.addi %x1bo11, %bn1 : index
      %x1b11 = memref.load %stage[%x1bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1B1:2 = func.call @nhc_tf32_split2(%x1b10, %x1b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x1bo20 = arith.addi %x1k, %tk0 : index
      %x1bi20 = arith.addi %x1bo20, %bn2 : index
      %x1b20 = memref.load %stage[%x1bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1bo21 = arith.addi %x1k, %tk4 : index
      %x1bi21 = arith.addi %x1bo21, %bn2 : index
      %x1b21 = memref.load %stage[%x1bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1B2:2 = func.call @nhc_tf32_split2(%x1b20, %x1b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x1bo30 = arith.addi %x1k, %tk0 : index
      %x1bi30 = arith.addi %x1bo30, %bn3 : index
      %x1b30 = memref.load %stage[%x1bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1bo31 = arith.addi %x1k, %tk4 : index
      %x1bi31 = arith.addi %x1bo31, %bn3 : index
      %x1b31 = memref.load %stage[%x1bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x1B3:2 = func.call @nhc_tf32_split2(%x1b30, %x1b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x1s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %x1m00 = nvgpu.mma.sync (%x1A#0, %x1B0#1, %x0m02) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x1m10 = nvgpu.mma.sync (%x1A#0, %x1B1#1, %x0m12) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x1m20 = nvgpu.mma.sync (%x1A#0, %x1B2#1, %x0m22) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x1m30 = nvgpu.mma.sync (%x1A#0, %x1B3#1, %x0m32) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x1m01 = nvgpu.mma.sync (%x1A#1, %x1B0#0, %x1m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x1m11 = nvgpu.mma.sync (%x1A#1, %x1B1#0, %x1m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x1m21 = nvgpu.mma.sync (%x1A#1, %x1B2#0, %x1m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x1m31 = nvgpu.mma.sync (%x1A#1, %x1B3#0, %x1m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %x1m01, %x1m11, %x1m21, %x1m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %x0m02, %x0m12, %x0m22, %x0m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %x1m02 = nvgpu.mma.sync (%x1A#0, %x1B0#0, %x1s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x1m12 = nvgpu.mma.sync (%x1A#0, %x1B1#0, %x1s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x1m22 = nvgpu.mma.sync (%x1A#0, %x1B2#0, %x1s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x1m32 = nvgpu.mma.sync (%x1A#0, %x1B3#0, %x1s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x2k = arith.constant 1152 : index
      %x2ao0 = arith.addi %x2k, %tk0 : index
      %x2ai0 = arith.addi %x2ao0, %rowA : index
      %x2a0 = memref.load %wT[%x2ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2ao1 = arith.addi %x2k, %tk0 : index
      %x2ai1 = arith.addi %x2ao1, %rowB : index
      %x2a1 = memref.load %wT[%x2ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2ao2 = arith.addi %x2k, %tk4 : index
      %x2ai2 = arith.addi %x2ao2, %rowA : index
      %x2a2 = memref.load %wT[%x2ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2ao3 = arith.addi %x2k, %tk4 : index
      %x2ai3 = arith.addi %x2ao3, %rowB : index
      %x2a3 = memref.load %wT[%x2ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2A:2 = func.call @nhc_tf32_split4(%x2a0, %x2a1, %x2a2, %x2a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %x2bo00 = arith.addi %x2k, %tk0 : index
      %x2bi00 = arith.addi %x2bo00, %bn0 : index
      %x2b00 = memref.load %stage[%x2bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2bo01 = arith.addi %x2k, %tk4 : index
      %x2bi01 = arith.addi %x2bo01, %bn0 : index
      %x2b01 = memref.load %stage[%x2bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2B0:2 = func.call @nhc_tf32_split2(%x2b00, %x2b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x2bo10 = arith.addi %x2k, %tk0 : index
      %x2bi10 = arith.addi %x2bo10, %bn1 : index
      %x2b10 = memref.load %stage[%x2bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2bo11 = arith.addi %x2k, %tk4 : index
      %x2bi11 = arith.addi %x2bo11, %bn1 : index
      %x2b11 = memref.load %stage[%x2bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2B1:2 = func.call @nhc_tf32_split2(%x2b10, %x2b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x2bo20 = arith.addi %x2k, %tk0 : index
      %x2bi20 = arith.addi %x2bo20, %bn2 : index
      %x2b20 = memref.load %stage[%x2bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2bo21 = arith.addi %x2k, %tk4 : index
      %x2bi21 = arith.addi %x2bo21, %bn2 : index
      %x2b21 = memref.load %stage[%x2bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2B2:2 = func.call @nhc_tf32_split2(%x2b20, %x2b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x2bo30 = arith.addi %x2k, %tk0 : index
      %x2bi30 = arith.addi %x2bo30, %bn3 : index
      %x2b30 = memref.load %stage[%x2bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2bo31 = arith.addi %x2k, %tk4 : index
      %x2bi31 = arith.addi %x2bo31, %bn3 : index
      %x2b31 = memref.load %stage[%x2bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x2B3:2 = func.call @nhc_tf32_split2(%x2b30, %x2b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x2s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %x2m00 = nvgpu.mma.sync (%x2A#0, %x2B0#1, %x1m02) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x2m10 = nvgpu.mma.sync (%x2A#0, %x2B1#1, %x1m12) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x2m20 = nvgpu.mma.sync (%x2A#0, %x2B2#1, %x1m22) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x2m30 = nvgpu.mma.sync (%x2A#0, %x2B3#1, %x1m32) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x2m01 = nvgpu.mma.sync (%x2A#1, %x2B0#0, %x2m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x2m11 = nvgpu.mma.sync (%x2A#1, %x2B1#0, %x2m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x2m21 = nvgpu.mma.sync (%x2A#1, %x2B2#0, %x2m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x2m31 = nvgpu.mma.sync (%x2A#1, %x2B3#0, %x2m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %x2m01, %x2m11, %x2m21, %x2m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %x1m02, %x1m12, %x1m22, %x1m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %x2m02 = nvgpu.mma.sync (%x2A#0, %x2B0#0, %x2s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x2m12 = nvgpu.mma.sync (%x2A#0, %x2B1#0, %x2s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x2m22 = nvgpu.mma.sync (%x2A#0, %x2B2#0, %x2s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x2m32 = nvgpu.mma.sync (%x2A#0, %x2B3#0, %x2s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x3k = arith.constant 1728 : index
      %x3ao0 = arith.addi %x3k, %tk0 : index
      %x3ai0 = arith.addi %x3ao0, %rowA : index
      %x3a0 = memref.load %wT[%x3ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3ao1 = arith.addi %x3k, %tk0 : index
      %x3ai1 = arith.addi %x3ao1, %rowB : index
      %x3a1 = memref.load %wT[%x3ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3ao2 = arith.addi %x3k, %tk4 : index
      %x3ai2 = arith.addi %x3ao2, %rowA : index
      %x3a2 = memref.load %wT[%x3ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3ao3 = arith.addi %x3k, %tk4 : index
      %x3ai3 = arith.addi %x3ao3, %rowB : index
      %x3a3 = memref.load %wT[%x3ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3A:2 = func.call @nhc_tf32_split4(%x3a0, %x3a1, %x3a2, %x3a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %x3bo00 = arith.addi %x3k, %tk0 : index
      %x3bi00 = arith.addi %x3bo00, %bn0 : index
      %x3b00 = memref.load %stage[%x3bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3bo01 = arith.addi %x3k, %tk4 : index
      %x3bi01 = arith.addi %x3bo01, %bn0 : index
      %x3b01 = memref.load %stage[%x3bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3B0:2 = func.call @nhc_tf32_split2(%x3b00, %x3b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x3bo10 = arith.addi %x3k, %tk0 : index
      %x3bi10 = arith.addi %x3bo10, %bn1 : index
      %x3b10 = memref.load %stage[%x3bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3bo11 = arith.addi %x3k, %tk4 : index
      %x3bi11 = arith.addi %x3bo11, %bn1 : index
      %x3b11 = memref.load %stage[%x3bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3B1:2 = func.call @nhc_tf32_split2(%x3b10, %x3b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x3bo20 = arith.addi %x3k, %tk0 : index
      %x3bi20 = arith.addi %x3bo20, %bn2 : index
      %x3b20 = memref.load %stage[%x3bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3bo21 = arith.addi %x3k, %tk4 : index
      %x3bi21 = arith.addi %x3bo21, %bn2 : index
      %x3b21 = memref.load %stage[%x3bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3B2:2 = func.call @nhc_tf32_split2(%x3b20, %x3b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x3bo30 = arith.addi %x3k, %tk0 : index
      %x3bi30 = arith.addi %x3bo30, %bn3 : index
      %x3b30 = memref.load %stage[%x3bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3bo31 = arith.addi %x3k, %tk4 : index
      %x3bi31 = arith.addi %x3bo31, %bn3 : index
      %x3b31 = memref.load %stage[%x3bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x3B3:2 = func.call @nhc_tf32_split2(%x3b30, %x3b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x3s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %x3m00 = nvgpu.mma.sync (%x3A#0, %x3B0#1, %x2m02) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x3m10 = nvgpu.mma.sync (%x3A#0, %x3B1#1, %x2m12) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x3m20 = nvgpu.mma.sync (%x3A#0, %x3B2#1, %x2m22) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x3m30 = nvgpu.mma.sync (%x3A#0, %x3B3#1, %x2m32) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x3m01 = nvgpu.mma.sync (%x3A#1, %x3B0#0, %x3m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x3m11 = nvgpu.mma.sync (%x3A#1, %x3B1#0, %x3m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x3m21 = nvgpu.mma.sync (%x3A#1, %x3B2#0, %x3m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x3m31 = nvgpu.mma.sync (%x3A#1, %x3B3#0, %x3m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %x3m01, %x3m11, %x3m21, %x3m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %x2m02, %x2m12, %x2m22, %x2m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %x3m02 = nvgpu.mma.sync (%x3A#0, %x3B0#0, %x3s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x3m12 = nvgpu.mma.sync (%x3A#0, %x3B1#0, %x3s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x3m22 = nvgpu.mma.sync (%x3A#0, %x3B2#0, %x3s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x3m32 = nvgpu.mma.sync (%x3A#0, %x3B3#0, %x3s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x4k = arith.constant 2304 : index
      %x4ao0 = arith.addi %x4k, %tk0 : index
      %x4ai0 = arith.addi %x4ao0, %rowA : index
      %x4a0 = memref.load %wT[%x4ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4ao1 = arith.addi %x4k, %tk0 : index
      %x4ai1 = arith.addi %x4ao1, %rowB : index
      %x4a1 = memref.load %wT[%x4ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4ao2 = arith.addi %x4k, %tk4 : index
      %x4ai2 = arith.addi %x4ao2, %rowA : index
      %x4a2 = memref.load %wT[%x4ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4ao3 = arith.addi %x4k, %tk4 : index
      %x4ai3 = arith.addi %x4ao3, %rowB : index
      %x4a3 = memref.load %wT[%x4ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4A:2 = func.call @nhc_tf32_split4(%x4a0, %x4a1, %x4a2, %x4a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %x4bo00 = arith.addi %x4k, %tk0 : index
      %x4bi00 = arith.addi %x4bo00, %bn0 : index
      %x4b00 = memref.load %stage[%x4bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4bo01 = arith.addi %x4k, %tk4 : index
      %x4bi01 = arith.addi %x4bo01, %bn0 : index
      %x4b01 = memref.load %stage[%x4bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4B0:2 = func.call @nhc_tf32_split2(%x4b00, %x4b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x4bo10 = arith.addi %x4k, %tk0 : index
      %x4bi10 = arith.addi %x4bo10, %bn1 : index
      %x4b10 = memref.load %stage[%x4bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4bo11 = arith.addi %x4k, %tk4 : index
      %x4bi11 = arith.addi %x4bo11, %bn1 : index
      %x4b11 = memref.load %stage[%x4bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4B1:2 = func.call @nhc_tf32_split2(%x4b10, %x4b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x4bo20 = arith.addi %x4k, %tk0 : index
      %x4bi20 = arith.addi %x4bo20, %bn2 : index
      %x4b20 = memref.load %stage[%x4bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4bo21 = arith.addi %x4k, %tk4 : index
      %x4bi21 = arith.addi %x4bo21, %bn2 : index
      %x4b21 = memref.load %stage[%x4bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4B2:2 = func.call @nhc_tf32_split2(%x4b20, %x4b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x4bo30 = arith.addi %x4k, %tk0 : index
      %x4bi30 = arith.addi %x4bo30, %bn3 : index
      %x4b30 = memref.load %stage[%x4bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4bo31 = arith.addi %x4k, %tk4 : index
      %x4bi31 = arith.addi %x4bo31, %bn3 : index
      %x4b31 = memref.load %stage[%x4bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x4B3:2 = func.call @nhc_tf32_split2(%x4b30, %x4b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x4s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %x4m00 = nvgpu.mma.sync (%x4A#0, %x4B0#1, %x3m02) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x4m10 = nvgpu.mma.sync (%x4A#0, %x4B1#1, %x3m12) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x4m20 = nvgpu.mma.sync (%x4A#0, %x4B2#1, %x3m22) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x4m30 = nvgpu.mma.sync (%x4A#0, %x4B3#1, %x3m32) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x4m01 = nvgpu.mma.sync (%x4A#1, %x4B0#0, %x4m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x4m11 = nvgpu.mma.sync (%x4A#1, %x4B1#0, %x4m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x4m21 = nvgpu.mma.sync (%x4A#1, %x4B2#0, %x4m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x4m31 = nvgpu.mma.sync (%x4A#1, %x4B3#0, %x4m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %x4m01, %x4m11, %x4m21, %x4m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %x3m02, %x3m12, %x3m22, %x3m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %x4m02 = nvgpu.mma.sync (%x4A#0, %x4B0#0, %x4s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x4m12 = nvgpu.mma.sync (%x4A#0, %x4B1#0, %x4s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x4m22 = nvgpu.mma.sync (%x4A#0, %x4B2#0, %x4s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x4m32 = nvgpu.mma.sync (%x4A#0, %x4B3#0, %x4s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x5k = arith.constant 2880 : index
      %x5ao0 = arith.addi %x5k, %tk0 : index
      %x5ai0 = arith.addi %x5ao0, %rowA : index
      %x5a0 = memref.load %wT[%x5ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5ao1 = arith.addi %x5k, %tk0 : index
      %x5ai1 = arith.addi %x5ao1, %rowB : index
      %x5a1 = memref.load %wT[%x5ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5ao2 = arith.addi %x5k, %tk4 : index
      %x5ai2 = arith.addi %x5ao2, %rowA : index
      %x5a2 = memref.load %wT[%x5ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5ao3 = arith.addi %x5k, %tk4 : index
      %x5ai3 = arith.addi %x5ao3, %rowB : index
      %x5a3 = memref.load %wT[%x5ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5A:2 = func.call @nhc_tf32_split4(%x5a0, %x5a1, %x5a2, %x5a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %x5bo00 = arith.addi %x5k, %tk0 : index
      %x5bi00 = arith.addi %x5bo00, %bn0 : index
      %x5b00 = memref.load %stage[%x5bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5bo01 = arith.addi %x5k, %tk4 : index
      %x5bi01 = arith.addi %x5bo01, %bn0 : index
      %x5b01 = memref.load %stage[%x5bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5B0:2 = func.call @nhc_tf32_split2(%x5b00, %x5b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x5bo10 = arith.addi %x5k, %tk0 : index
      %x5bi10 = arith.addi %x5bo10, %bn1 : index
      %x5b10 = memref.load %stage[%x5bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5bo11 = arith.addi %x5k, %tk4 : index
      %x5bi11 = arith.addi %x5bo11, %bn1 : index
      %x5b11 = memref.load %stage[%x5bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5B1:2 = func.call @nhc_tf32_split2(%x5b10, %x5b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x5bo20 = arith.addi %x5k, %tk0 : index
      %x5bi20 = arith.addi %x5bo20, %bn2 : index
      %x5b20 = memref.load %stage[%x5bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5bo21 = arith.addi %x5k, %tk4 : index
      %x5bi21 = arith.addi %x5bo21, %bn2 : index
      %x5b21 = memref.load %stage[%x5bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5B2:2 = func.call @nhc_tf32_split2(%x5b20, %x5b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x5bo30 = arith.addi %x5k, %tk0 : index
      %x5bi30 = arith.addi %x5bo30, %bn3 : index
      %x5b30 = memref.load %stage[%x5bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5bo31 = arith.addi %x5k, %tk4 : index
      %x5bi31 = arith.addi %x5bo31, %bn3 : index
      %x5b31 = memref.load %stage[%x5bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x5B3:2 = func.call @nhc_tf32_split2(%x5b30, %x5b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x5s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %x5m00 = nvgpu.mma.sync (%x5A#0, %x5B0#1, %x4m02) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x5m10 = nvgpu.mma.sync (%x5A#0, %x5B1#1, %x4m12) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x5m20 = nvgpu.mma.sync (%x5A#0, %x5B2#1, %x4m22) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x5m30 = nvgpu.mma.sync (%x5A#0, %x5B3#1, %x4m32) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x5m01 = nvgpu.mma.sync (%x5A#1, %x5B0#0, %x5m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x5m11 = nvgpu.mma.sync (%x5A#1, %x5B1#0, %x5m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x5m21 = nvgpu.mma.sync (%x5A#1, %x5B2#0, %x5m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x5m31 = nvgpu.mma.sync (%x5A#1, %x5B3#0, %x5m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %x5m01, %x5m11, %x5m21, %x5m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %x4m02, %x4m12, %x4m22, %x4m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %x5m02 = nvgpu.mma.sync (%x5A#0, %x5B0#0, %x5s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x5m12 = nvgpu.mma.sync (%x5A#0, %x5B1#0, %x5s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x5m22 = nvgpu.mma.sync (%x5A#0, %x5B2#0, %x5s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x5m32 = nvgpu.mma.sync (%x5A#0, %x5B3#0, %x5s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x6k = arith.constant 3456 : index
      %x6ao0 = arith.addi %x6k, %tk0 : index
      %x6ai0 = arith.addi %x6ao0, %rowA : index
      %x6a0 = memref.load %wT[%x6ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6ao1 = arith.addi %x6k, %tk0 : index
      %x6ai1 = arith.addi %x6ao1, %rowB : index
      %x6a1 = memref.load %wT[%x6ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6ao2 = arith.addi %x6k, %tk4 : index
      %x6ai2 = arith.addi %x6ao2, %rowA : index
      %x6a2 = memref.load %wT[%x6ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6ao3 = arith.addi %x6k, %tk4 : index
      %x6ai3 = arith.addi %x6ao3, %rowB : index
      %x6a3 = memref.load %wT[%x6ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6A:2 = func.call @nhc_tf32_split4(%x6a0, %x6a1, %x6a2, %x6a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %x6bo00 = arith.addi %x6k, %tk0 : index
      %x6bi00 = arith.addi %x6bo00, %bn0 : index
      %x6b00 = memref.load %stage[%x6bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6bo01 = arith.addi %x6k, %tk4 : index
      %x6bi01 = arith.addi %x6bo01, %bn0 : index
      %x6b01 = memref.load %stage[%x6bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6B0:2 = func.call @nhc_tf32_split2(%x6b00, %x6b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x6bo10 = arith.addi %x6k, %tk0 : index
      %x6bi10 = arith.addi %x6bo10, %bn1 : index
      %x6b10 = memref.load %stage[%x6bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6bo11 = arith.addi %x6k, %tk4 : index
      %x6bi11 = arith.addi %x6bo11, %bn1 : index
      %x6b11 = memref.load %stage[%x6bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6B1:2 = func.call @nhc_tf32_split2(%x6b10, %x6b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x6bo20 = arith.addi %x6k, %tk0 : index
      %x6bi20 = arith.addi %x6bo20, %bn2 : index
      %x6b20 = memref.load %stage[%x6bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6bo21 = arith.addi %x6k, %tk4 : index
      %x6bi21 = arith.addi %x6bo21, %bn2 : index
      %x6b21 = memref.load %stage[%x6bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6B2:2 = func.call @nhc_tf32_split2(%x6b20, %x6b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x6bo30 = arith.addi %x6k, %tk0 : index
      %x6bi30 = arith.addi %x6bo30, %bn3 : index
      %x6b30 = memref.load %stage[%x6bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6bo31 = arith.addi %x6k, %tk4 : index
      %x6bi31 = arith.addi %x6bo31, %bn3 : index
      %x6b31 = memref.load %stage[%x6bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x6B3:2 = func.call @nhc_tf32_split2(%x6b30, %x6b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x6s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %x6m00 = nvgpu.mma.sync (%x6A#0, %x6B0#1, %x5m02) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x6m10 = nvgpu.mma.sync (%x6A#0, %x6B1#1, %x5m12) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x6m20 = nvgpu.mma.sync (%x6A#0, %x6B2#1, %x5m22) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x6m30 = nvgpu.mma.sync (%x6A#0, %x6B3#1, %x5m32) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x6m01 = nvgpu.mma.sync (%x6A#1, %x6B0#0, %x6m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x6m11 = nvgpu.mma.sync (%x6A#1, %x6B1#0, %x6m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x6m21 = nvgpu.mma.sync (%x6A#1, %x6B2#0, %x6m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x6m31 = nvgpu.mma.sync (%x6A#1, %x6B3#0, %x6m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %x6m01, %x6m11, %x6m21, %x6m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %x5m02, %x5m12, %x5m22, %x5m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %x6m02 = nvgpu.mma.sync (%x6A#0, %x6B0#0, %x6s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x6m12 = nvgpu.mma.sync (%x6A#0, %x6B1#0, %x6s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x6m22 = nvgpu.mma.sync (%x6A#0, %x6B2#0, %x6s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x6m32 = nvgpu.mma.sync (%x6A#0, %x6B3#0, %x6s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x7k = arith.constant 4032 : index
      %x7ao0 = arith.addi %x7k, %tk0 : index
      %x7ai0 = arith.addi %x7ao0, %rowA : index
      %x7a0 = memref.load %wT[%x7ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7ao1 = arith.addi %x7k, %tk0 : index
      %x7ai1 = arith.addi %x7ao1, %rowB : index
      %x7a1 = memref.load %wT[%x7ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7ao2 = arith.addi %x7k, %tk4 : index
      %x7ai2 = arith.addi %x7ao2, %rowA : index
      %x7a2 = memref.load %wT[%x7ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7ao3 = arith.addi %x7k, %tk4 : index
      %x7ai3 = arith.addi %x7ao3, %rowB : index
      %x7a3 = memref.load %wT[%x7ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7A:2 = func.call @nhc_tf32_split4(%x7a0, %x7a1, %x7a2, %x7a3)
          : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
      %x7bo00 = arith.addi %x7k, %tk0 : index
      %x7bi00 = arith.addi %x7bo00, %bn0 : index
      %x7b00 = memref.load %stage[%x7bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7bo01 = arith.addi %x7k, %tk4 : index
      %x7bi01 = arith.addi %x7bo01, %bn0 : index
      %x7b01 = memref.load %stage[%x7bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7B0:2 = func.call @nhc_tf32_split2(%x7b00, %x7b01)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x7bo10 = arith.addi %x7k, %tk0 : index
      %x7bi10 = arith.addi %x7bo10, %bn1 : index
      %x7b10 = memref.load %stage[%x7bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7bo11 = arith.addi %x7k, %tk4 : index
      %x7bi11 = arith.addi %x7bo11, %bn1 : index
      %x7b11 = memref.load %stage[%x7bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7B1:2 = func.call @nhc_tf32_split2(%x7b10, %x7b11)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x7bo20 = arith.addi %x7k, %tk0 : index
      %x7bi20 = arith.addi %x7bo20, %bn2 : index
      %x7b20 = memref.load %stage[%x7bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7bo21 = arith.addi %x7k, %tk4 : index
      %x7bi21 = arith.addi %x7bo21, %bn2 : index
      %x7b21 = memref.load %stage[%x7bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7B2:2 = func.call @nhc_tf32_split2(%x7b20, %x7b21)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x7bo30 = arith.addi %x7k, %tk0 : index
      %x7bi30 = arith.addi %x7bo30, %bn3 : index
      %x7b30 = memref.load %stage[%x7bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7bo31 = arith.addi %x7k, %tk4 : index
      %x7bi31 = arith.addi %x7bo31, %bn3 : index
      %x7b31 = memref.load %stage[%x7bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
      %x7B3:2 = func.call @nhc_tf32_split2(%x7b30, %x7b31)
          : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
      %x7s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        %x7m00 = nvgpu.mma.sync (%x7A#0, %x7B0#1, %x6m02) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x7m10 = nvgpu.mma.sync (%x7A#0, %x7B1#1, %x6m12) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x7m20 = nvgpu.mma.sync (%x7A#0, %x7B2#1, %x6m22) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x7m30 = nvgpu.mma.sync (%x7A#0, %x7B3#1, %x6m32) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x7m01 = nvgpu.mma.sync (%x7A#1, %x7B0#0, %x7m00) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x7m11 = nvgpu.mma.sync (%x7A#1, %x7B1#0, %x7m10) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x7m21 = nvgpu.mma.sync (%x7A#1, %x7B2#0, %x7m20) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %x7m31 = nvgpu.mma.sync (%x7A#1, %x7B3#0, %x7m30) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %x7m01, %x7m11, %x7m21, %x7m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      } else {
        scf.yield %x6m02, %x6m12, %x6m22, %x6m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %x7m02 = nvgpu.mma.sync (%x7A#0, %x7B0#0, %x7s#0) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x7m12 = nvgpu.mma.sync (%x7A#0, %x7B1#0, %x7s#1) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x7m22 = nvgpu.mma.sync (%x7A#0, %x7B2#0, %x7s#2) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %x7m32 = nvgpu.mma.sync (%x7A#0, %x7B3#0, %x7s#3) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %xv00 = vector.extract %x7m02[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi00#0, %xi00#1, %xv00)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv01 = vector.extract %x7m02[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi01#0, %xi01#1, %xv01)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv02 = vector.extract %x7m02[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi02#0, %xi02#1, %xv02)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv03 = vector.extract %x7m02[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi03#0, %xi03#1, %xv03)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv10 = vector.extract %x7m12[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi10#0, %xi10#1, %xv10)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv11 = vector.extract %x7m12[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi11#0, %xi11#1, %xv11)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv12 = vector.extract %x7m12[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi12#0, %xi12#1, %xv12)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv13 = vector.extract %x7m12[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi13#0, %xi13#1, %xv13)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv20 = vector.extract %x7m22[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi20#0, %xi20#1, %xv20)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv21 = vector.extract %x7m22[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi21#0, %xi21#1, %xv21)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv22 = vector.extract %x7m22[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi22#0, %xi22#1, %xv22)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv23 = vector.extract %x7m22[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi23#0, %xi23#1, %xv23)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv30 = vector.extract %x7m32[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi30#0, %xi30#1, %xv30)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv31 = vector.extract %x7m32[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi31#0, %xi31#1, %xv31)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv32 = vector.extract %x7m32[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi32#0, %xi32#1, %xv32)
          : (memref<?xf32>, index, i1, f32) -> ()
      %xv33 = vector.extract %x7m32[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_tile_store_if(%y, %xi33#0, %xi33#1, %xv33)
          : (memref<?xf32>, index, i1, f32) -> ()
      gpu.barrier
      // END GENERATED step3
    }
    // 4. The chunk-end state exp(cum_last) h + (coef ∘ X)ᵀ B in 64 x 64
    //    tiles of (p, n), 32 tokens at a time, the partial sums in the
    //    state on chip (each element read and written by one thread;
    //    step 3's reads of it all came before one of its barriers).
    %etot = math.exp %cumLast : f32
    scf.for %p0 = %pBegin to %pEnd step %kTile {
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
            %pIn = arith.cmpi ult, %p, %pEnd : index
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
            %sr = arith.muli %kk, %c72 : index
            %aAt = arith.addi %sr, %row : index
            %bAt = arith.addi %aAt, %c2304 : index
            memref.store %wz, %stage[%aAt] : memref<4608xf32, #gpu.address_space<workgroup>>
            memref.store %sb, %stage[%bAt] : memref<4608xf32, #gpu.address_space<workgroup>>
          }
          gpu.barrier
          %first = arith.cmpi eq, %s0, %c0 : index
          %hi00:2 = func.call @nhc_ssd_chunk_state_slot(%rowA, %cj00, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h000 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi00#0, %hi00#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi01:2 = func.call @nhc_ssd_chunk_state_slot(%rowA, %cj01, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h001 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi01#0, %hi01#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi02:2 = func.call @nhc_ssd_chunk_state_slot(%rowB, %cj00, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h002 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi02#0, %hi02#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi03:2 = func.call @nhc_ssd_chunk_state_slot(%rowB, %cj01, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h003 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi03#0, %hi03#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hc0 = vector.from_elements %h000, %h001, %h002, %h003 : vector<2x2xf32>
          %hi10:2 = func.call @nhc_ssd_chunk_state_slot(%rowA, %cj10, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h010 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi10#0, %hi10#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi11:2 = func.call @nhc_ssd_chunk_state_slot(%rowA, %cj11, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h011 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi11#0, %hi11#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi12:2 = func.call @nhc_ssd_chunk_state_slot(%rowB, %cj10, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h012 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi12#0, %hi12#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi13:2 = func.call @nhc_ssd_chunk_state_slot(%rowB, %cj11, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h013 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi13#0, %hi13#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hc1 = vector.from_elements %h010, %h011, %h012, %h013 : vector<2x2xf32>
          %hi20:2 = func.call @nhc_ssd_chunk_state_slot(%rowA, %cj20, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h020 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi20#0, %hi20#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi21:2 = func.call @nhc_ssd_chunk_state_slot(%rowA, %cj21, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h021 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi21#0, %hi21#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi22:2 = func.call @nhc_ssd_chunk_state_slot(%rowB, %cj20, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h022 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi22#0, %hi22#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi23:2 = func.call @nhc_ssd_chunk_state_slot(%rowB, %cj21, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h023 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi23#0, %hi23#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hc2 = vector.from_elements %h020, %h021, %h022, %h023 : vector<2x2xf32>
          %hi30:2 = func.call @nhc_ssd_chunk_state_slot(%rowA, %cj30, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h030 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi30#0, %hi30#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi31:2 = func.call @nhc_ssd_chunk_state_slot(%rowA, %cj31, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h031 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi31#0, %hi31#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi32:2 = func.call @nhc_ssd_chunk_state_slot(%rowB, %cj30, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h032 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi32#0, %hi32#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hi33:2 = func.call @nhc_ssd_chunk_state_slot(%rowB, %cj31, %p0, %n0, %pBegin, %pEnd, %N, %hStride)
              : (index, index, index, index, index, index, index, index) -> (index, i1)
          %h033 = func.call @nhc_ssd_chunk_state_partial(%hs, %hi33#0, %hi33#1, %first, %etot)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, i1, f32) -> f32
          %hc3 = vector.from_elements %h030, %h031, %h032, %h033 : vector<2x2xf32>
          %h0k = arith.constant 0 : index
          %h0kb = arith.constant 2304 : index
          %h0ao0 = arith.addi %h0k, %tk0 : index
          %h0ai0 = arith.addi %h0ao0, %rowA : index
          %h0a0 = memref.load %stage[%h0ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0ao1 = arith.addi %h0k, %tk0 : index
          %h0ai1 = arith.addi %h0ao1, %rowB : index
          %h0a1 = memref.load %stage[%h0ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0ao2 = arith.addi %h0k, %tk4 : index
          %h0ai2 = arith.addi %h0ao2, %rowA : index
          %h0a2 = memref.load %stage[%h0ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0ao3 = arith.addi %h0k, %tk4 : index
          %h0ai3 = arith.addi %h0ao3, %rowB : index
          %h0a3 = memref.load %stage[%h0ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0A:2 = func.call @nhc_tf32_split4(%h0a0, %h0a1, %h0a2, %h0a3)
              : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
          %h0bo00 = arith.addi %h0kb, %tk0 : index
          %h0bi00 = arith.addi %h0bo00, %bn0 : index
          %h0b00 = memref.load %stage[%h0bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0bo01 = arith.addi %h0kb, %tk4 : index
          %h0bi01 = arith.addi %h0bo01, %bn0 : index
          %h0b01 = memref.load %stage[%h0bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0B0:2 = func.call @nhc_tf32_split2(%h0b00, %h0b01)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h0bo10 = arith.addi %h0kb, %tk0 : index
          %h0bi10 = arith.addi %h0bo10, %bn1 : index
          %h0b10 = memref.load %stage[%h0bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0bo11 = arith.addi %h0kb, %tk4 : index
          %h0bi11 = arith.addi %h0bo11, %bn1 : index
          %h0b11 = memref.load %stage[%h0bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0B1:2 = func.call @nhc_tf32_split2(%h0b10, %h0b11)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h0bo20 = arith.addi %h0kb, %tk0 : index
          %h0bi20 = arith.addi %h0bo20, %bn2 : index
          %h0b20 = memref.load %stage[%h0bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0bo21 = arith.addi %h0kb, %tk4 : index
          %h0bi21 = arith.addi %h0bo21, %bn2 : index
          %h0b21 = memref.load %stage[%h0bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0B2:2 = func.call @nhc_tf32_split2(%h0b20, %h0b21)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h0bo30 = arith.addi %h0kb, %tk0 : index
          %h0bi30 = arith.addi %h0bo30, %bn3 : index
          %h0b30 = memref.load %stage[%h0bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0bo31 = arith.addi %h0kb, %tk4 : index
          %h0bi31 = arith.addi %h0bo31, %bn3 : index
          %h0b31 = memref.load %stage[%h0bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h0B3:2 = func.call @nhc_tf32_split2(%h0b30, %h0b31)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h0s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
            %h0m00 = nvgpu.mma.sync (%h0A#0, %h0B0#1, %hc0) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h0m10 = nvgpu.mma.sync (%h0A#0, %h0B1#1, %hc1) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h0m20 = nvgpu.mma.sync (%h0A#0, %h0B2#1, %hc2) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h0m30 = nvgpu.mma.sync (%h0A#0, %h0B3#1, %hc3) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h0m01 = nvgpu.mma.sync (%h0A#1, %h0B0#0, %h0m00) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h0m11 = nvgpu.mma.sync (%h0A#1, %h0B1#0, %h0m10) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h0m21 = nvgpu.mma.sync (%h0A#1, %h0B2#0, %h0m20) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h0m31 = nvgpu.mma.sync (%h0A#1, %h0B3#0, %h0m30) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            scf.yield %h0m01, %h0m11, %h0m21, %h0m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
          } else {
            scf.yield %hc0, %hc1, %hc2, %hc3 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
          }
          %h0m02 = nvgpu.mma.sync (%h0A#0, %h0B0#0, %h0s#0) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h0m12 = nvgpu.mma.sync (%h0A#0, %h0B1#0, %h0s#1) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h0m22 = nvgpu.mma.sync (%h0A#0, %h0B2#0, %h0s#2) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h0m32 = nvgpu.mma.sync (%h0A#0, %h0B3#0, %h0s#3) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h1k = arith.constant 576 : index
          %h1kb = arith.constant 2880 : index
          %h1ao0 = arith.addi %h1k, %tk0 : index
          %h1ai0 = arith.addi %h1ao0, %rowA : index
          %h1a0 = memref.load %stage[%h1ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1ao1 = arith.addi %h1k, %tk0 : index
          %h1ai1 = arith.addi %h1ao1, %rowB : index
          %h1a1 = memref.load %stage[%h1ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1ao2 = arith.addi %h1k, %tk4 : index
          %h1ai2 = arith.addi %h1ao2, %rowA : index
          %h1a2 = memref.load %stage[%h1ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1ao3 = arith.addi %h1k, %tk4 : index
          %h1ai3 = arith.addi %h1ao3, %rowB : index
          %h1a3 = memref.load %stage[%h1ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1A:2 = func.call @nhc_tf32_split4(%h1a0, %h1a1, %h1a2, %h1a3)
              : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
          %h1bo00 = arith.addi %h1kb, %tk0 : index
          %h1bi00 = arith.addi %h1bo00, %bn0 : index
          %h1b00 = memref.load %stage[%h1bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1bo01 = arith.addi %h1kb, %tk4 : index
          %h1bi01 = arith.addi %h1bo01, %bn0 : index
          %h1b01 = memref.load %stage[%h1bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1B0:2 = func.call @nhc_tf32_split2(%h1b00, %h1b01)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h1bo10 = arith.addi %h1kb, %tk0 : index
          %h1bi10 = arith.addi %h1bo10, %bn1 : index
          %h1b10 = memref.load %stage[%h1bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1bo11 = arith.addi %h1kb, %tk4 : index
          %h1bi11 = arith.addi %h1bo11, %bn1 : index
          %h1b11 = memref.load %stage[%h1bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1B1:2 = func.call @nhc_tf32_split2(%h1b10, %h1b11)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h1bo20 = arith.addi %h1kb, %tk0 : index
          %h1bi20 = arith.addi %h1bo20, %bn2 : index
          %h1b20 = memref.load %stage[%h1bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1bo21 = arith.addi %h1kb, %tk4 : index
          %h1bi21 = arith.addi %h1bo21, %bn2 : index
          %h1b21 = memref.load %stage[%h1bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1B2:2 = func.call @nhc_tf32_split2(%h1b20, %h1b21)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h1bo30 = arith.addi %h1kb, %tk0 : index
          %h1bi30 = arith.addi %h1bo30, %bn3 : index
          %h1b30 = memref.load %stage[%h1bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1bo31 = arith.addi %h1kb, %tk4 : index
          %h1bi31 = arith.addi %h1bo31, %bn3 : index
          %h1b31 = memref.load %stage[%h1bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h1B3:2 = func.call @nhc_tf32_split2(%h1b30, %h1b31)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h1s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
            %h1m00 = nvgpu.mma.sync (%h1A#0, %h1B0#1, %h0m02) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h1m10 = nvgpu.mma.sync (%h1A#0, %h1B1#1, %h0m12) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h1m20 = nvgpu.mma.sync (%h1A#0, %h1B2#1, %h0m22) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h1m30 = nvgpu.mma.sync (%h1A#0, %h1B3#1, %h0m32) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h1m01 = nvgpu.mma.sync (%h1A#1, %h1B0#0, %h1m00) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h1m11 = nvgpu.mma.sync (%h1A#1, %h1B1#0, %h1m10) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h1m21 = nvgpu.mma.sync (%h1A#1, %h1B2#0, %h1m20) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h1m31 = nvgpu.mma.sync (%h1A#1, %h1B3#0, %h1m30) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            scf.yield %h1m01, %h1m11, %h1m21, %h1m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
          } else {
            scf.yield %h0m02, %h0m12, %h0m22, %h0m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
          }
          %h1m02 = nvgpu.mma.sync (%h1A#0, %h1B0#0, %h1s#0) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h1m12 = nvgpu.mma.sync (%h1A#0, %h1B1#0, %h1s#1) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h1m22 = nvgpu.mma.sync (%h1A#0, %h1B2#0, %h1s#2) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h1m32 = nvgpu.mma.sync (%h1A#0, %h1B3#0, %h1s#3) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h2k = arith.constant 1152 : index
          %h2kb = arith.constant 3456 : index
          %h2ao0 = arith.addi %h2k, %tk0 : index
          %h2ai0 = arith.addi %h2ao0, %rowA : index
          %h2a0 = memref.load %stage[%h2ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2ao1 = arith.addi %h2k, %tk0 : index
          %h2ai1 = arith.addi %h2ao1, %rowB : index
          %h2a1 = memref.load %stage[%h2ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2ao2 = arith.addi %h2k, %tk4 : index
          %h2ai2 = arith.addi %h2ao2, %rowA : index
          %h2a2 = memref.load %stage[%h2ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2ao3 = arith.addi %h2k, %tk4 : index
          %h2ai3 = arith.addi %h2ao3, %rowB : index
          %h2a3 = memref.load %stage[%h2ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2A:2 = func.call @nhc_tf32_split4(%h2a0, %h2a1, %h2a2, %h2a3)
              : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
          %h2bo00 = arith.addi %h2kb, %tk0 : index
          %h2bi00 = arith.addi %h2bo00, %bn0 : index
          %h2b00 = memref.load %stage[%h2bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2bo01 = arith.addi %h2kb, %tk4 : index
          %h2bi01 = arith.addi %h2bo01, %bn0 : index
          %h2b01 = memref.load %stage[%h2bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2B0:2 = func.call @nhc_tf32_split2(%h2b00, %h2b01)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h2bo10 = arith.addi %h2kb, %tk0 : index
          %h2bi10 = arith.addi %h2bo10, %bn1 : index
          %h2b10 = memref.load %stage[%h2bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2bo11 = arith.addi %h2kb, %tk4 : index
          %h2bi11 = arith.addi %h2bo11, %bn1 : index
          %h2b11 = memref.load %stage[%h2bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2B1:2 = func.call @nhc_tf32_split2(%h2b10, %h2b11)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h2bo20 = arith.addi %h2kb, %tk0 : index
          %h2bi20 = arith.addi %h2bo20, %bn2 : index
          %h2b20 = memref.load %stage[%h2bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2bo21 = arith.addi %h2kb, %tk4 : index
          %h2bi21 = arith.addi %h2bo21, %bn2 : index
          %h2b21 = memref.load %stage[%h2bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2B2:2 = func.call @nhc_tf32_split2(%h2b20, %h2b21)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h2bo30 = arith.addi %h2kb, %tk0 : index
          %h2bi30 = arith.addi %h2bo30, %bn3 : index
          %h2b30 = memref.load %stage[%h2bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2bo31 = arith.addi %h2kb, %tk4 : index
          %h2bi31 = arith.addi %h2bo31, %bn3 : index
          %h2b31 = memref.load %stage[%h2bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h2B3:2 = func.call @nhc_tf32_split2(%h2b30, %h2b31)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h2s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
            %h2m00 = nvgpu.mma.sync (%h2A#0, %h2B0#1, %h1m02) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h2m10 = nvgpu.mma.sync (%h2A#0, %h2B1#1, %h1m12) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h2m20 = nvgpu.mma.sync (%h2A#0, %h2B2#1, %h1m22) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h2m30 = nvgpu.mma.sync (%h2A#0, %h2B3#1, %h1m32) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h2m01 = nvgpu.mma.sync (%h2A#1, %h2B0#0, %h2m00) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h2m11 = nvgpu.mma.sync (%h2A#1, %h2B1#0, %h2m10) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h2m21 = nvgpu.mma.sync (%h2A#1, %h2B2#0, %h2m20) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h2m31 = nvgpu.mma.sync (%h2A#1, %h2B3#0, %h2m30) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            scf.yield %h2m01, %h2m11, %h2m21, %h2m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
          } else {
            scf.yield %h1m02, %h1m12, %h1m22, %h1m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
          }
          %h2m02 = nvgpu.mma.sync (%h2A#0, %h2B0#0, %h2s#0) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h2m12 = nvgpu.mma.sync (%h2A#0, %h2B1#0, %h2s#1) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h2m22 = nvgpu.mma.sync (%h2A#0, %h2B2#0, %h2s#2) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h2m32 = nvgpu.mma.sync (%h2A#0, %h2B3#0, %h2s#3) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h3k = arith.constant 1728 : index
          %h3kb = arith.constant 4032 : index
          %h3ao0 = arith.addi %h3k, %tk0 : index
          %h3ai0 = arith.addi %h3ao0, %rowA : index
          %h3a0 = memref.load %stage[%h3ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3ao1 = arith.addi %h3k, %tk0 : index
          %h3ai1 = arith.addi %h3ao1, %rowB : index
          %h3a1 = memref.load %stage[%h3ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3ao2 = arith.addi %h3k, %tk4 : index
          %h3ai2 = arith.addi %h3ao2, %rowA : index
          %h3a2 = memref.load %stage[%h3ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3ao3 = arith.addi %h3k, %tk4 : index
          %h3ai3 = arith.addi %h3ao3, %rowB : index
          %h3a3 = memref.load %stage[%h3ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3A:2 = func.call @nhc_tf32_split4(%h3a0, %h3a1, %h3a2, %h3a3)
              : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
          %h3bo00 = arith.addi %h3kb, %tk0 : index
          %h3bi00 = arith.addi %h3bo00, %bn0 : index
          %h3b00 = memref.load %stage[%h3bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3bo01 = arith.addi %h3kb, %tk4 : index
          %h3bi01 = arith.addi %h3bo01, %bn0 : index
          %h3b01 = memref.load %stage[%h3bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3B0:2 = func.call @nhc_tf32_split2(%h3b00, %h3b01)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h3bo10 = arith.addi %h3kb, %tk0 : index
          %h3bi10 = arith.addi %h3bo10, %bn1 : index
          %h3b10 = memref.load %stage[%h3bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3bo11 = arith.addi %h3kb, %tk4 : index
          %h3bi11 = arith.addi %h3bo11, %bn1 : index
          %h3b11 = memref.load %stage[%h3bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3B1:2 = func.call @nhc_tf32_split2(%h3b10, %h3b11)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h3bo20 = arith.addi %h3kb, %tk0 : index
          %h3bi20 = arith.addi %h3bo20, %bn2 : index
          %h3b20 = memref.load %stage[%h3bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3bo21 = arith.addi %h3kb, %tk4 : index
          %h3bi21 = arith.addi %h3bo21, %bn2 : index
          %h3b21 = memref.load %stage[%h3bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3B2:2 = func.call @nhc_tf32_split2(%h3b20, %h3b21)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h3bo30 = arith.addi %h3kb, %tk0 : index
          %h3bi30 = arith.addi %h3bo30, %bn3 : index
          %h3b30 = memref.load %stage[%h3bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3bo31 = arith.addi %h3kb, %tk4 : index
          %h3bi31 = arith.addi %h3bo31, %bn3 : index
          %h3b31 = memref.load %stage[%h3bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
          %h3B3:2 = func.call @nhc_tf32_split2(%h3b30, %h3b31)
              : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
          %h3s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
            %h3m00 = nvgpu.mma.sync (%h3A#0, %h3B0#1, %h2m02) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h3m10 = nvgpu.mma.sync (%h3A#0, %h3B1#1, %h2m12) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h3m20 = nvgpu.mma.sync (%h3A#0, %h3B2#1, %h2m22) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h3m30 = nvgpu.mma.sync (%h3A#0, %h3B3#1, %h2m32) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h3m01 = nvgpu.mma.sync (%h3A#1, %h3B0#0, %h3m00) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h3m11 = nvgpu.mma.sync (%h3A#1, %h3B1#0, %h3m10) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h3m21 = nvgpu.mma.sync (%h3A#1, %h3B2#0, %h3m20) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            %h3m31 = nvgpu.mma.sync (%h3A#1, %h3B3#0, %h3m30) {mmaShape = [16, 8, 8], tf32Enabled}
                : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
            scf.yield %h3m01, %h3m11, %h3m21, %h3m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
          } else {
            scf.yield %h2m02, %h2m12, %h2m22, %h2m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
          }
          %h3m02 = nvgpu.mma.sync (%h3A#0, %h3B0#0, %h3s#0) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h3m12 = nvgpu.mma.sync (%h3A#0, %h3B1#0, %h3s#1) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h3m22 = nvgpu.mma.sync (%h3A#0, %h3B2#0, %h3s#2) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %h3m32 = nvgpu.mma.sync (%h3A#0, %h3B3#0, %h3s#3) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %hv00 = vector.extract %h3m02[0, 0] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi00#0, %hi00#1, %hv00)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv01 = vector.extract %h3m02[0, 1] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi01#0, %hi01#1, %hv01)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv02 = vector.extract %h3m02[1, 0] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi02#0, %hi02#1, %hv02)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv03 = vector.extract %h3m02[1, 1] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi03#0, %hi03#1, %hv03)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv10 = vector.extract %h3m12[0, 0] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi10#0, %hi10#1, %hv10)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv11 = vector.extract %h3m12[0, 1] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi11#0, %hi11#1, %hv11)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv12 = vector.extract %h3m12[1, 0] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi12#0, %hi12#1, %hv12)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv13 = vector.extract %h3m12[1, 1] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi13#0, %hi13#1, %hv13)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv20 = vector.extract %h3m22[0, 0] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi20#0, %hi20#1, %hv20)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv21 = vector.extract %h3m22[0, 1] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi21#0, %hi21#1, %hv21)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv22 = vector.extract %h3m22[1, 0] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi22#0, %hi22#1, %hv22)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv23 = vector.extract %h3m22[1, 1] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi23#0, %hi23#1, %hv23)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv30 = vector.extract %h3m32[0, 0] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi30#0, %hi30#1, %hv30)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv31 = vector.extract %h3m32[0, 1] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi31#0, %hi31#1, %hv31)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv32 = vector.extract %h3m32[1, 0] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi32#0, %hi32#1, %hv32)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          %hv33 = vector.extract %h3m32[1, 1] : f32 from vector<2x2xf32>
          func.call @nhc_ssd_chunk_state_store(%hs, %hi33#0, %hi33#1, %hv33)
              : (memref<?xf32, #gpu.address_space<workgroup>>, index, i1, f32) -> ()
          gpu.barrier
        }
      }
      // END GENERATED step4
    }
    // The next chunk reads the whole new state and rewrites the buffers.
    gpu.barrier
  }
  // The state back to the pool (after the last chunk's barrier).
  scf.if %hasTokens {
    scf.for %e = %tx to %partElems step %threads {
      %p = arith.divui %e, %N : index
      %k = arith.remui %e, %N : index
      %pRow = arith.muli %p, %hStride : index
      %hi = arith.addi %pRow, %k : index
      %v = memref.load %hs[%hi] : memref<?xf32, #gpu.address_space<workgroup>>
      %gi = arith.addi %partBase, %e : index
      memref.store %v, %ssm_state[%gi] : memref<?xf32>
    }
  }
  return
}

// A weight's final value on the last stage: acc exp(cum_l - cum_s) dt_s for
// s <= l < n, 0 for the other entries of the tile; acc itself before (the
// exp only on the last stage: the condition is the same in every thread).
func.func private @nhc_ssd_chunk_weight(%acc: f32, %lastStage: i1, %l: index,
                                        %s: index, %n: index, %cuml: f32,
                                        %cums: f32, %dts: f32) -> f32 {
  %r = scf.if %lastStage -> (f32) {
    %zero = arith.constant 0.0 : f32
    %lIn = arith.cmpi ult, %l, %n : index
    %causal = arith.cmpi ule, %s, %l : index
    %weighs = arith.andi %lIn, %causal : i1
    %seg = arith.subf %cuml, %cums : f32
    %decay = math.exp %seg : f32
    %m = arith.mulf %acc, %decay : f32
    %w = arith.mulf %m, %dts : f32
    %final = arith.select %weighs, %w, %zero : f32
    scf.yield %final : f32
  } else {
    scf.yield %acc : f32
  }
  return %r : f32
}

// Output (l, p0 + pp) of a chunk starting at token c0tok: its index in y
// and whether it exists (l < n, p0 + pp < pEnd, the end of the block's
// part of the head's columns).
func.func private @nhc_ssd_chunk_y_slot(%l: index, %pp: index, %p0: index,
                                        %n: index, %pEnd: index,
                                        %c0tok: index, %HP: index,
                                        %hp0: index) -> (index, i1) {
  %p = arith.addi %p0, %pp : index
  %lIn = arith.cmpi ult, %l, %n : index
  %pIn = arith.cmpi ult, %p, %pEnd : index
  %valid = arith.andi %lIn, %pIn : i1
  %tok = arith.addi %c0tok, %l : index
  %row = arith.muli %tok, %HP : index
  %col = arith.addi %hp0, %p : index
  %i = arith.addi %row, %col : index
  return %i, %valid : index, i1
}

// Floats per row of the chunk scan's state on chip: N rounded up to 32
// (a stage's 32 columns stay in the row), plus 4 (a B fragment's 32 loads
// from rows g, columns t, hit 32 banks).
func.func private @nhc_ssd_chunk_state_stride(%N: index) -> index {
  %c4 = arith.constant 4 : index
  %c31 = arith.constant 31 : index
  %c32 = arith.constant 32 : index
  %up = arith.addi %N, %c31 : index
  %stages = arith.divui %up, %c32 : index
  %cols = arith.muli %stages, %c32 : index
  %stride = arith.addi %cols, %c4 : index
  return %stride : index
}

// How a head's state rows are split between blocks: (parts, rows per part,
// a part's bytes on chip). A part fits beside the chunk kernel's 37632
// bytes of static tiles (dtbuf, cumbuf, coefbuf: 64 floats each; wT,
// stage: 4608) in 99 KiB, the smallest opt-in shared memory per block of
// the chips its tensor-core products run on (sm_86, sm_89, sm_120; sm_80
// has 163 KiB, sm_90 227 KiB): N = 128 fits up to 120 rows (62 KiB), N =
// 256 with P = 64 takes two parts. And where the step's H x R blocks (every
// request's heads) leave a GPU's SMs short of two blocks each (fewer than
// 256 blocks), a part holds at most one 64-row tile, so that each block
// runs one tile of rows per product instead of several in turn, the extra
// blocks taking SMs that would idle: Nano-9B-v2's P = 80 (two tiles) is
// two parts of 40 rows for a single prompt. Parts as even as whole rows
// allow. The products per state element and output are the same whatever
// the split.
func.func private @nhc_ssd_chunk_state_parts(%P: index, %N: index,
                                             %H: index, %R: index)
    -> (index, index, index) {
  %one = arith.constant 1 : index
  %floatBytes = arith.constant 4 : index
  %budget = arith.constant 63744 : index // 101376 - 37632
  %fillBlocks = arith.constant 256 : index
  %c63 = arith.constant 63 : index
  %c64 = arith.constant 64 : index
  %stride = func.call @nhc_ssd_chunk_state_stride(%N) : (index) -> index
  %rowBytes = arith.muli %stride, %floatBytes : index
  %fit0 = arith.divui %budget, %rowBytes : index
  %fit = arith.maxui %fit0, %one : index
  %fitLess = arith.subi %fit, %one : index
  %parts0 = arith.addi %P, %fitLess : index
  %parts1 = arith.divui %parts0, %fit : index
  %memParts = arith.maxui %parts1, %one : index
  %HR = arith.muli %H, %R : index
  %blocks = arith.muli %HR, %memParts : index
  %few = arith.cmpi ult, %blocks, %fillBlocks : index
  %P63 = arith.addi %P, %c63 : index
  %tiles = arith.divui %P63, %c64 : index
  %tileParts = arith.select %few, %tiles, %one : index
  %parts = arith.maxui %memParts, %tileParts : index
  %partsLess = arith.subi %parts, %one : index
  %rows0 = arith.addi %P, %partsLess : index
  %rows = arith.divui %rows0, %parts : index
  %bytes = arith.muli %rows, %rowBytes : index
  return %parts, %rows, %bytes : index, index, index
}

// State element (p0 + pp, n0 + nn) of the part from row pBegin on chip:
// its index and whether it exists (p0 + pp < pEnd, n0 + nn < N).
func.func private @nhc_ssd_chunk_state_slot(%pp: index, %nn: index,
                                            %p0: index, %n0: index,
                                            %pBegin: index, %pEnd: index,
                                            %N: index,
                                            %hStride: index) -> (index, i1) {
  %p = arith.addi %p0, %pp : index
  %k = arith.addi %n0, %nn : index
  %pIn = arith.cmpi ult, %p, %pEnd : index
  %kIn = arith.cmpi ult, %k, %N : index
  %valid = arith.andi %pIn, %kIn : i1
  %pPart = arith.subi %p, %pBegin : index
  %row = arith.muli %pPart, %hStride : index
  %i = arith.addi %row, %k : index
  return %i, %valid : index, i1
}

// A state element's partial sum before a stage: the old state times
// exp(cum_last) before the first, what the stage before stored after it; 0
// for an element that does not exist.
func.func private @nhc_ssd_chunk_state_partial(
    %hs: memref<?xf32, #gpu.address_space<workgroup>>, %i: index,
    %valid: i1, %first: i1, %etot: f32) -> f32 {
  %zero = arith.constant 0.0 : f32
  %v = scf.if %valid -> (f32) {
    %old = memref.load %hs[%i] : memref<?xf32, #gpu.address_space<workgroup>>
    %decayed = arith.mulf %old, %etot : f32
    %r = arith.select %first, %decayed, %old : f32
    scf.yield %r : f32
  } else {
    scf.yield %zero : f32
  }
  return %v : f32
}

// Stores a state element that exists.
func.func private @nhc_ssd_chunk_state_store(
    %hs: memref<?xf32, #gpu.address_space<workgroup>>, %i: index,
    %valid: i1, %v: f32) {
  scf.if %valid {
    memref.store %v, %hs[%i] : memref<?xf32, #gpu.address_space<workgroup>>
  }
  return
}
