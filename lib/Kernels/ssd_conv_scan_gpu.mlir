// GPU form of ssd_conv_scan.mlir's nhc_ssd_conv_scan: a decode step's
// conv1d folded into the SSD decode scan, one launch instead of two per
// Mamba layer. The grid is nhc_ssd_scan_gpu's, a block of 256 threads per
// (head, part of its state rows, request), and so is the scan (state rows
// two per warp a pass, 16-byte chunks where the pool's rows are aligned);
// requests of more than one token are left alone (the steps this kernel is
// launched for have none). Each block first computes the conv of what it
// reads (the request's only token):
//   - B and C of its head's group (2N channels, N <= 512), every thread a
//     channel in turn, into workgroup memory, read by every row;
//   - x of each of its state rows, by every lane of the row's warp (the
//     same loads; a warp's rows are its own, so no other thread needs
//     them). The warp's first lane then stores that channel's `out` and
//     new conv state: its lanes have used the old state by then (it feeds
//     the warp's sums).
// The B and C channels' conv state is read by every block of the group,
// so it may change only once all of them have read it: each block, once its
// threads hold B and C (a barrier), adds one to the (request, group)
// arrival count (an atomic between two membar.gl, as CUDA's threadfence
// reduction sample does); the block that brings it to the group's block count stores the group's
// B and C `out` and new conv state and sets the count back to zero for the
// next step (CUTLASS's split-K semaphore, the last arrival doing the
// shared update). Each output is the conv kernel's @nhc_conv_pre_value
// order of arithmetic then the activation, and each state element the
// decode scan's; y sums in the decode scan's order.
func.func private @nhc_ssd_conv_scan_gpu(%src: memref<?xf32>,
    %src_stride: index, %src_offset: index, %out: memref<?xf32>,
    %w: memref<?xf32>, %b: memref<?xf32>, %has_bias: index, %act: index,
    %conv_state: memref<?xf32>, %req: memref<?xi64>, %R: index, %C: index,
    %K: index, %T: index, %proj: memref<?xf32>, %proj_stride: index,
    %dt_offset: index, %dt_bias: memref<?xf32>, %a_log: memref<?xf32>,
    %d: memref<?xf32>, %ssm_state: memref<?xf32>, %y: memref<?xf32>,
    %H: index, %P: index, %N: index, %G: index, %dt_min: f32, %dt_max: f32,
    %group_arrivals: memref<?xi32>)
    attributes {nhc.gpu_variant_of = "nhc_ssd_conv_scan"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %split:2 = func.call @nhc_ssd_decode_parts(%P, %H, %R)
      : (index, index, index) -> (index, index)
  %headParts = arith.muli %H, %split#0 : index
  gpu.launch blocks(%hPart, %r, %bz) in (%gx = %headParts, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%bc : memref<1024xf32, #gpu.address_space<workgroup>>,
                       %flag : memref<1xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %step = arith.constant 256 : index
    %zero = arith.constant 0.0 : f32
    %fone = arith.constant 1.0 : f32
    %parts:2 = func.call @nhc_ssd_decode_parts(%P, %H, %R)
        : (index, index, index) -> (index, index)
    %h = arith.divui %hPart, %parts#0 : index
    %part = arith.remui %hPart, %parts#0 : index
    %pBegin0 = arith.muli %part, %parts#1 : index
    %pBegin = arith.minui %pBegin0, %P : index
    %pEnd0 = arith.addi %pBegin, %parts#1 : index
    %pEnd1 = arith.minui %pEnd0, %P : index
    %HP = arith.muli %H, %P : index
    %GN = arith.muli %G, %N : index
    %N2 = arith.muli %N, %c2 : index
    %q:6 = func.call @nhc_ssd_request(%req, %r) : (memref<?xi64>, index)
        -> (index, index, index, index, i1, i1)
    // The same for every thread of the block: loops and branches around
    // barriers and shuffles depend on it only through trip counts.
    %decode = arith.cmpi eq, %q#1, %one : index
    %tok = arith.addi %q#0, %c0 : index
    %km1 = arith.subi %K, %one : index
    %slotElems = arith.muli %C, %km1 : index
    %slotBase = arith.muli %q#3, %slotElems : index
    %outRow = arith.muli %tok, %C : index
    %g = func.call @nhc_ssd_group(%h, %H, %G) : (index, index, index) -> index
    %bcol = func.call @nhc_ssd_b_col(%g, %HP, %N) : (index, index, index) -> index
    %ccol = arith.addi %bcol, %GN : index
    %isLead = arith.cmpi eq, %tx, %c0 : index

    // B and C of the group, after the conv, into workgroup memory.
    %bcCount = arith.select %decode, %N2, %c0 : index
    scf.for %t = %tx to %bcCount step %step {
      %ch = func.call @nhc_ssd_bc_channel(%t, %N, %bcol, %ccol)
          : (index, index, index, index) -> index
      %v:4 = func.call @nhc_conv_decode_channel(%ch, %tok, %src, %src_stride, %src_offset, %w, %b, %has_bias, %act, %conv_state, %slotBase, %K)
          : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, index, index) -> (f32, f32, f32, f32)
      memref.store %v#0, %bc[%t] : memref<1024xf32, #gpu.address_space<workgroup>>
    }
    gpu.barrier
    // Every thread has used the group's old B and C conv state: arrive.
    %ai0 = arith.muli %r, %G : index
    %ai = arith.addi %ai0, %g : index
    scf.if %isLead {
      %lastFlag = scf.if %decode -> (f32) {
        // membar.gl on either side of the count (LLVM's NVPTX backend emits
        // an atomicrmw's ordering as relaxed): the block's reads of the old
        // state are performed before its arrival is, the last block's
        // writes after every arrival it saw.
        nvvm.memory.barrier <gpu>
        %inc = arith.constant 1 : i32
        %before = memref.atomic_rmw addi %inc, %group_arrivals[%ai] : (i32, memref<?xi32>) -> i32
        nvvm.memory.barrier <gpu>
        %hpg = arith.divui %H, %G : index
        %blocks = arith.muli %hpg, %parts#0 : index
        %lastIndex = arith.subi %blocks, %one : index
        %last64 = arith.index_cast %lastIndex : index to i32
        %isLast = arith.cmpi eq, %before, %last64 : i32
        %f = arith.select %isLast, %fone, %zero : f32
        scf.yield %f : f32
      } else {
        scf.yield %zero : f32
      }
      memref.store %lastFlag, %flag[%c0] : memref<1xf32, #gpu.address_space<workgroup>>
    }
    gpu.barrier
    %lastSeen = memref.load %flag[%c0] : memref<1xf32, #gpu.address_space<workgroup>>
    %isLastBlock = arith.cmpf one, %lastSeen, %zero : f32
    scf.if %isLastBlock {
      // The group's B and C: outputs and new conv state, count reset.
      scf.for %t = %tx to %N2 step %step {
        %ch = func.call @nhc_ssd_bc_channel(%t, %N, %bcol, %ccol)
            : (index, index, index, index) -> index
        %v = memref.load %bc[%t] : memref<1024xf32, #gpu.address_space<workgroup>>
        %oi = arith.addi %outRow, %ch : index
        memref.store %v, %out[%oi] : memref<?xf32>
        func.call @nhc_conv_update_state(%ch, %one, %src, %src_stride, %src_offset, %conv_state, %slotBase, %tok, %K)
            : (index, index, memref<?xf32>, index, index, memref<?xf32>, index, index, index) -> ()
      }
      scf.if %isLead {
        %reset = arith.constant 0 : i32
        memref.store %reset, %group_arrivals[%ai] : memref<?xi32>
      }
    }

    // The decode scan of the block's rows (nhc_ssd_scan_gpu's passes).
    %pEnd = arith.select %decode, %pEnd1, %pBegin : index
    %row = arith.divui %tx, %c32 : index
    %lane = arith.remui %tx, %c32 : index
    %isLaneLead = arith.cmpi eq, %lane, %c0 : index
    %A = func.call @nhc_ssd_a(%a_log, %h) : (memref<?xf32>, index) -> f32
    %Dh = memref.load %d[%h] : memref<?xf32>
    %dtb = memref.load %dt_bias[%h] : memref<?xf32>
    %dtcol = arith.addi %dt_offset, %h : index
    %dt = func.call @nhc_ssd_dt(%proj, %tok, %proj_stride, %dtcol, %dtb, %q#5, %dt_min, %dt_max)
        : (memref<?xf32>, index, index, index, f32, i1, f32, f32) -> f32
    %dtA = arith.mulf %dt, %A : f32
    %dA = math.exp %dtA : f32
    %hp0 = arith.muli %h, %P : index
    %sbase0 = func.call @nhc_ssd_state_row(%q#3, %hp0, %HP, %N)
        : (index, index, index, index) -> index
    %yrow = arith.muli %tok, %HP : index
    %pLast = arith.subi %pEnd1, %one : index
    %stateAddress = memref.extract_aligned_pointer_as_index %ssm_state : memref<?xf32> -> index
    %stateRowBytes = arith.muli %N, %c4 : index
    %chunked = func.call @nhc_rows_16_byte_aligned(%stateAddress, %stateRowBytes) : (index, index) -> i1
    scf.for %p0 = %pBegin to %pEnd step %c16 {
      %pa = arith.addi %p0, %row : index
      %pb = arith.addi %pa, %c8 : index
      %activeA = arith.cmpi ult, %pa, %pEnd : index
      %activeB = arith.cmpi ult, %pb, %pEnd : index
      %paSafe = arith.minui %pa, %pLast : index
      %pbSafe = arith.minui %pb, %pLast : index
      %hpa = arith.addi %hp0, %paSafe : index
      %hpb = arith.addi %hp0, %pbSafe : index
      // x of both rows after the conv, in every lane.
      %xa:4 = func.call @nhc_conv_decode_channel(%hpa, %tok, %src, %src_stride, %src_offset, %w, %b, %has_bias, %act, %conv_state, %slotBase, %K)
          : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, index, index) -> (f32, f32, f32, f32)
      %xb:4 = func.call @nhc_conv_decode_channel(%hpb, %tok, %src, %src_stride, %src_offset, %w, %b, %has_bias, %act, %conv_state, %slotBase, %K)
          : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, index, index) -> (f32, f32, f32, f32)
      %paN = arith.muli %paSafe, %N : index
      %pbN = arith.muli %pbSafe, %N : index
      %sbaseA = arith.addi %sbase0, %paN : index
      %sbaseB = arith.addi %sbase0, %pbN : index
      %acc:2 = scf.if %chunked -> (f32, f32) {
        %v:2 = func.call @nhc_ssd_conv_rows_v4(%ssm_state, %bc, %sbaseA, %sbaseB, %activeA, %activeB, %xa#0, %xb#0, %dt, %dA, %lane, %N)
            : (memref<?xf32>, memref<1024xf32, #gpu.address_space<workgroup>>, index, index, i1, i1, f32, f32, f32, f32, index, index) -> (f32, f32)
        scf.yield %v#0, %v#1 : f32, f32
      } else {
        %ua = func.call @nhc_ssd_conv_row(%ssm_state, %bc, %sbaseA, %activeA, %xa#0, %dt, %dA, %lane, %N)
            : (memref<?xf32>, memref<1024xf32, #gpu.address_space<workgroup>>, index, i1, f32, f32, f32, index, index) -> f32
        %ub = func.call @nhc_ssd_conv_row(%ssm_state, %bc, %sbaseB, %activeB, %xb#0, %dt, %dA, %lane, %N)
            : (memref<?xf32>, memref<1024xf32, #gpu.address_space<workgroup>>, index, i1, f32, f32, f32, index, index) -> f32
        scf.yield %ua, %ub : f32, f32
      }
      %sumA = func.call @nhc_warp_sum(%acc#0) : (f32) -> f32
      %sumB = func.call @nhc_warp_sum(%acc#1) : (f32) -> f32
      %writeA = arith.andi %isLaneLead, %activeA : i1
      scf.if %writeA {
        func.call @nhc_ssd_decode_y(%y, %yrow, %hpa, %sumA, %xa#0, %Dh)
            : (memref<?xf32>, index, index, f32, f32, f32) -> ()
        func.call @nhc_conv_decode_store(%hpa, %xa#0, %xa#1, %xa#2, %xa#3, %outRow, %out, %src, %src_stride, %src_offset, %conv_state, %slotBase, %tok, %K)
            : (index, f32, f32, f32, f32, index, memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, index, index, index) -> ()
      }
      %writeB = arith.andi %isLaneLead, %activeB : i1
      scf.if %writeB {
        func.call @nhc_ssd_decode_y(%y, %yrow, %hpb, %sumB, %xb#0, %Dh)
            : (memref<?xf32>, index, index, f32, f32, f32) -> ()
        func.call @nhc_conv_decode_store(%hpb, %xb#0, %xb#1, %xb#2, %xb#3, %outRow, %out, %src, %src_stride, %src_offset, %conv_state, %slotBase, %tok, %K)
            : (index, f32, f32, f32, f32, index, memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, index, index, index) -> ()
      }
    }
    gpu.terminator
  }
  return
}

// Conv channel of entry t of a group's staged [B | C] (2N entries).
func.func private @nhc_ssd_bc_channel(%t: index, %N: index, %bcol: index,
                                      %ccol: index) -> index {
  %isB = arith.cmpi ult, %t, %N : index
  %inC = arith.subi %t, %N : index
  %cb = arith.addi %bcol, %t : index
  %cc = arith.addi %ccol, %inC : index
  %ch = arith.select %isB, %cb, %cc : index
  return %ch : index
}

// Channel c's conv for a request's only token (its input at
// src[tok * src_stride + src_offset + c]): the activated output, then for K = 4 the
// new state (s1, s2, x), all loads issued before the sum (in
// @nhc_conv_pre_value's order); other K through @nhc_conv_pre_value, the
// new state left to @nhc_conv_decode_store (zeros here).
func.func private @nhc_conv_decode_channel(%c: index, %tok: index,
    %src: memref<?xf32>, %src_stride: index, %src_offset: index,
    %w: memref<?xf32>,
    %b: memref<?xf32>, %has_bias: index, %act: index,
    %conv_state: memref<?xf32>, %slotBase: index, %K: index)
    -> (f32, f32, f32, f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %k4 = arith.cmpi eq, %K, %c4 : index
  %r:4 = scf.if %k4 -> (f32, f32, f32, f32) {
    %cState = arith.muli %c, %c3 : index
    %s0i = arith.addi %slotBase, %cState : index
    %s1i = arith.addi %s0i, %c1 : index
    %s2i = arith.addi %s0i, %c2 : index
    %srcRow = arith.muli %tok, %src_stride : index
    %col = arith.addi %src_offset, %c : index
    %xi = arith.addi %srcRow, %col : index
    %w0i = arith.muli %c, %c4 : index
    %w1i = arith.addi %w0i, %c1 : index
    %w2i = arith.addi %w0i, %c2 : index
    %w3i = arith.addi %w0i, %c3 : index
    %s0 = memref.load %conv_state[%s0i] : memref<?xf32>
    %s1 = memref.load %conv_state[%s1i] : memref<?xf32>
    %s2 = memref.load %conv_state[%s2i] : memref<?xf32>
    %x = memref.load %src[%xi] : memref<?xf32>
    %w0 = memref.load %w[%w0i] : memref<?xf32>
    %w1 = memref.load %w[%w1i] : memref<?xf32>
    %w2 = memref.load %w[%w2i] : memref<?xf32>
    %w3 = memref.load %w[%w3i] : memref<?xf32>
    %bias = func.call @nhc_conv_bias(%b, %c, %has_bias) : (memref<?xf32>, index, index) -> f32
    %p0 = arith.mulf %w0, %s0 : f32
    %a0 = arith.addf %zero, %p0 : f32
    %p1 = arith.mulf %w1, %s1 : f32
    %a1 = arith.addf %a0, %p1 : f32
    %p2 = arith.mulf %w2, %s2 : f32
    %a2 = arith.addf %a1, %p2 : f32
    %p3 = arith.mulf %w3, %x : f32
    %a3 = arith.addf %a2, %p3 : f32
    %pre = arith.addf %a3, %bias : f32
    scf.yield %pre, %s1, %s2, %x : f32, f32, f32, f32
  } else {
    %pre = func.call @nhc_conv_pre_value(%c0, %c, %src, %src_stride, %src_offset, %w, %b, %has_bias, %conv_state, %slotBase, %tok, %K)
        : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, index, memref<?xf32>, index, index, index) -> f32
    scf.yield %pre, %zero, %zero, %zero : f32, f32, f32, f32
  }
  %activated = func.call @nhc_conv_activate(%r#0, %act) : (f32, index) -> f32
  return %activated, %r#1, %r#2, %r#3 : f32, f32, f32, f32
}

// Channel c's output (`activated`) and new conv state after a request's
// only token: (s1, s2, x) as @nhc_conv_decode_channel left them for K = 4,
// else through @nhc_conv_update_state.
func.func private @nhc_conv_decode_store(%c: index, %activated: f32,
    %s1: f32, %s2: f32, %x: f32, %outRow: index, %out: memref<?xf32>,
    %src: memref<?xf32>, %src_stride: index,
    %src_offset: index, %conv_state: memref<?xf32>, %slotBase: index,
    %tok: index, %K: index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %oi = arith.addi %outRow, %c : index
  memref.store %activated, %out[%oi] : memref<?xf32>
  %k4 = arith.cmpi eq, %K, %c4 : index
  scf.if %k4 {
    %cState = arith.muli %c, %c3 : index
    %s0i = arith.addi %slotBase, %cState : index
    %s1i = arith.addi %s0i, %c1 : index
    %s2i = arith.addi %s0i, %c2 : index
    memref.store %s1, %conv_state[%s0i] : memref<?xf32>
    memref.store %s2, %conv_state[%s1i] : memref<?xf32>
    memref.store %x, %conv_state[%s2i] : memref<?xf32>
  } else {
    func.call @nhc_conv_update_state(%c, %c1, %src, %src_stride, %src_offset, %conv_state, %slotBase, %tok, %K)
        : (index, index, memref<?xf32>, index, index, memref<?xf32>, index, index, index) -> ()
  }
  return
}

// @nhc_ssd_decode_rows_v4 with B and C from the group's staged [B | C].
func.func private @nhc_ssd_conv_rows_v4(%ssm_state: memref<?xf32>,
    %bc: memref<1024xf32, #gpu.address_space<workgroup>>, %sbaseA: index,
    %sbaseB: index, %storeA: i1, %storeB: i1, %xa: f32, %xb: f32,
    %dt: f32, %dA: f32, %lane: index, %N: index) -> (f32, f32) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
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
    %sa = vector.load %ssm_state[%sia] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %sb = vector.load %ssm_state[%sib] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %bv = func.call @nhc_ssd_staged4(%bc, %n) : (memref<1024xf32, #gpu.address_space<workgroup>>, index) -> vector<4xf32>
    %cn = arith.addi %n, %N : index
    %cv = func.call @nhc_ssd_staged4(%bc, %cn) : (memref<1024xf32, #gpu.address_space<workgroup>>, index) -> vector<4xf32>
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

// Staged elements [n, n + 4) as a vector.
func.func private @nhc_ssd_staged4(
    %bc: memref<1024xf32, #gpu.address_space<workgroup>>, %n: index)
    -> vector<4xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %n1 = arith.addi %n, %c1 : index
  %n2 = arith.addi %n, %c2 : index
  %n3 = arith.addi %n, %c3 : index
  %v0 = memref.load %bc[%n] : memref<1024xf32, #gpu.address_space<workgroup>>
  %v1 = memref.load %bc[%n1] : memref<1024xf32, #gpu.address_space<workgroup>>
  %v2 = memref.load %bc[%n2] : memref<1024xf32, #gpu.address_space<workgroup>>
  %v3 = memref.load %bc[%n3] : memref<1024xf32, #gpu.address_space<workgroup>>
  %v = vector.from_elements %v0, %v1, %v2, %v3 : vector<4xf32>
  return %v : vector<4xf32>
}

// @nhc_ssd_decode_row with B and C from the group's staged [B | C].
func.func private @nhc_ssd_conv_row(%ssm_state: memref<?xf32>,
    %bc: memref<1024xf32, #gpu.address_space<workgroup>>, %sbase: index,
    %store: i1, %xv: f32, %dt: f32, %dA: f32, %lane: index, %N: index)
    -> f32 {
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.for %n = %lane to %N step %c32 iter_args(%a = %zero) -> (f32) {
    %si = arith.addi %sbase, %n : index
    %sv = memref.load %ssm_state[%si] : memref<?xf32>
    %bv = memref.load %bc[%n] : memref<1024xf32, #gpu.address_space<workgroup>>
    %cn = arith.addi %n, %N : index
    %cv = memref.load %bc[%cn] : memref<1024xf32, #gpu.address_space<workgroup>>
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
