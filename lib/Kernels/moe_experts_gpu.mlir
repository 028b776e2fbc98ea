// GPU forms of moe_experts.mlir (nhc-select-kernel-variants), blocks of 256
// threads. Same signatures and results as the portable forms (the matmuls'
// sums in another fixed order).

// nhc_moe_bucket in one block: the routes go through workgroup memory 4096
// at a time; a thread per expert (every 256th) counts its routes, then its
// start and its rank among the used experts are sums over the counts before
// it, then it writes its routes' positions in route order. Needs E <= 1024.
func.func private @nhc_moe_bucket_gpu(%idx: memref<?xi32>, %offsets: memref<?xi32>,
                                      %token: memref<?xi32>, %slot: memref<?xi32>,
                                      %active: memref<?xi32>, %T: index,
                                      %K: index, %E: index, %A: index)
    attributes {nhc.gpu_variant_of = "nhc_moe_bucket"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%ids : memref<4096xi32, #gpu.address_space<workgroup>>,
                       %counts : memref<1024xi32, #gpu.address_space<workgroup>>,
                       %starts : memref<1024xi32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %step = arith.constant 256 : index
    %chunk = arith.constant 4096 : index
    %zero = arith.constant 0 : i32
    %none = arith.constant -1 : i32
    %TK = arith.muli %T, %K : index
    %E32 = arith.index_cast %E : index to i32
    scf.for %e = %tx to %E step %step {
      memref.store %zero, %counts[%e] : memref<1024xi32, #gpu.address_space<workgroup>>
    }
    gpu.barrier
    scf.for %c = %c0 to %TK step %chunk {
      %left = arith.subi %TK, %c : index
      %n = arith.minui %left, %chunk : index
      scf.for %i = %tx to %n step %step {
        %r = arith.addi %c, %i : index
        %v = memref.load %idx[%r] : memref<?xi32>
        memref.store %v, %ids[%i] : memref<4096xi32, #gpu.address_space<workgroup>>
        %low = arith.cmpi slt, %v, %zero : i32
        %high = arith.cmpi sge, %v, %E32 : i32
        %outside = arith.ori %low, %high : i1
        scf.if %outside {
          memref.store %none, %slot[%r] : memref<?xi32>
        }
      }
      gpu.barrier
      scf.for %e = %tx to %E step %step {
        %e32 = arith.index_cast %e : index to i32
        %before = memref.load %counts[%e] : memref<1024xi32, #gpu.address_space<workgroup>>
        %after = scf.for %i = %c0 to %n step %one iter_args(%acc = %before) -> (i32) {
          %v = memref.load %ids[%i] : memref<4096xi32, #gpu.address_space<workgroup>>
          %mine = arith.cmpi eq, %v, %e32 : i32
          %add = arith.extui %mine : i1 to i32
          %s = arith.addi %acc, %add : i32
          scf.yield %s : i32
        }
        memref.store %after, %counts[%e] : memref<1024xi32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
    }
    // Starts and ranks: sums over the counts before each expert.
    scf.for %e = %tx to %E step %step {
      %sr:2 = scf.for %f = %c0 to %e step %one
          iter_args(%s = %zero, %r = %zero) -> (i32, i32) {
        %cf = memref.load %counts[%f] : memref<1024xi32, #gpu.address_space<workgroup>>
        %s2 = arith.addi %s, %cf : i32
        %used = arith.cmpi sgt, %cf, %zero : i32
        %u = arith.extui %used : i1 to i32
        %r2 = arith.addi %r, %u : i32
        scf.yield %s2, %r2 : i32, i32
      }
      memref.store %sr#0, %starts[%e] : memref<1024xi32, #gpu.address_space<workgroup>>
      memref.store %sr#0, %offsets[%e] : memref<?xi32>
      %ce = memref.load %counts[%e] : memref<1024xi32, #gpu.address_space<workgroup>>
      %usedE = arith.cmpi sgt, %ce, %zero : i32
      scf.if %usedE {
        %rank = arith.index_cast %sr#1 : i32 to index
        %e32 = arith.index_cast %e : index to i32
        memref.store %e32, %active[%rank] : memref<?xi32>
      }
    }
    %all:2 = scf.for %f = %c0 to %E step %one
        iter_args(%s = %zero, %r = %zero) -> (i32, i32) {
      %cf = memref.load %counts[%f] : memref<1024xi32, #gpu.address_space<workgroup>>
      %s2 = arith.addi %s, %cf : i32
      %used = arith.cmpi sgt, %cf, %zero : i32
      %u = arith.extui %used : i1 to i32
      %r2 = arith.addi %r, %u : i32
      scf.yield %s2, %r2 : i32, i32
    }
    %first = arith.cmpi eq, %tx, %c0 : index
    scf.if %first {
      memref.store %all#0, %offsets[%E] : memref<?xi32>
    }
    %numActive = arith.index_cast %all#1 : i32 to index
    %fromA = arith.addi %numActive, %tx : index
    scf.for %a = %fromA to %A step %step {
      memref.store %none, %active[%a] : memref<?xi32>
    }
    // Each route's position, in route order per expert.
    scf.for %c = %c0 to %TK step %chunk {
      gpu.barrier
      %left = arith.subi %TK, %c : index
      %n = arith.minui %left, %chunk : index
      scf.for %i = %tx to %n step %step {
        %r = arith.addi %c, %i : index
        %v = memref.load %idx[%r] : memref<?xi32>
        memref.store %v, %ids[%i] : memref<4096xi32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      scf.for %e = %tx to %E step %step {
        %e32 = arith.index_cast %e : index to i32
        %from = memref.load %starts[%e] : memref<1024xi32, #gpu.address_space<workgroup>>
        %to = scf.for %i = %c0 to %n step %one iter_args(%at = %from) -> (i32) {
          %v = memref.load %ids[%i] : memref<4096xi32, #gpu.address_space<workgroup>>
          %mine = arith.cmpi eq, %v, %e32 : i32
          %next = scf.if %mine -> (i32) {
            %r = arith.addi %c, %i : index
            %t = arith.divui %r, %K : index
            %t32 = arith.index_cast %t : index to i32
            %p = arith.index_cast %at : i32 to index
            memref.store %t32, %token[%p] : memref<?xi32>
            memref.store %at, %slot[%r] : memref<?xi32>
            %one32 = arith.constant 1 : i32
            %at1 = arith.addi %at, %one32 : i32
            scf.yield %at1 : i32
          } else {
            scf.yield %at : i32
          }
          scf.yield %next : i32
        }
        memref.store %to, %starts[%e] : memref<1024xi32, #gpu.address_space<workgroup>>
      }
    }
    gpu.terminator
  }
  return
}

// nhc_moe_expert_matmul_bf16: one block per (4 output columns j0 .. j0 + 3,
// used expert entry), k split over its 256 threads. Where every row of the
// stacked weight (k % 8 == 0) and of x (k % 4 == 0) starts 16-byte aligned,
// thread t reads 16-byte chunks t, t + 256, ... of the 4 weight rows (a
// warp 512 consecutive bytes of a row per load, 4 loads in flight per
// thread) and the same 8 elements of each route row of x once for the 4
// columns (two 16-byte loads; x rounded to bf16 as it is read); else one
// element at a time. Routes go 4 at a time (each weight loaded once for
// the 4), an expert's single route (every route of a decode step with
// fewer tokens than experts) alone, without 3 rows of dummy work. The
// block's 16 partial sums per thread (4 columns x 4 routes) are added by a
// xor butterfly of warp shuffles, then over the 8 warps in order in
// workgroup memory (@nhc_moe_block_store4); rows at or past the expert's
// last position are not stored. A row's sum is the same however its rows
// are grouped (the batch does not change it). A block of an unused entry
// does nothing.
func.func private @nhc_moe_expert_matmul_bf16_gpu(
    %x: memref<?xf32>, %token: memref<?xi32>, %offsets: memref<?xi32>,
    %active: memref<?xi32>, %w: memref<?xi16>, %y: memref<?xf32>, %A: index,
    %n: index, %k: index, %gather: index, %act: index)
    attributes {nhc.gpu_variant_of = "nhc_moe_expert_matmul_bf16"} {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %tiles = arith.ceildivsi %n, %c4 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %tiles, %gy = %A, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<128xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %two = arith.constant 2 : index
    %four = arith.constant 4 : index
    %range:3 = func.call @nhc_moe_expert_range(%offsets, %active, %by)
        : (memref<?xi32>, memref<?xi32>, index) -> (index, index, index)
    %j0 = arith.muli %bx, %four : index
    %doGather = arith.cmpi ne, %gather, %c0 : index
    %wAddress = memref.extract_aligned_pointer_as_index %w : memref<?xi16> -> index
    %wRowBytes = arith.muli %k, %two : index
    %wChunks = func.call @nhc_rows_16_byte_aligned(%wAddress, %wRowBytes) : (index, index) -> i1
    %xAddress = memref.extract_aligned_pointer_as_index %x : memref<?xf32> -> index
    %xRowBytes = arith.muli %k, %four : index
    %xVectors = func.call @nhc_rows_16_byte_aligned(%xAddress, %xRowBytes) : (index, index) -> i1
    %chunked = arith.andi %wChunks, %xVectors : i1
    scf.for %p = %range#1 to %range#2 step %c4 {
      %src:4 = func.call @nhc_moe_source_rows4(%token, %p, %range#2, %doGather, %k)
          : (memref<?xi32>, index, index, i1, index) -> (index, index, index, index)
      %left = arith.subi %range#2, %p : index
      %alone = arith.cmpi eq, %left, %one : index
      %rows = arith.select %alone, %one, %four : index
      %part = scf.if %alone -> (vector<16xf32>) {
        %s1 = func.call @nhc_moe_share_bf16(%x, %src#0, %src#1, %src#2, %src#3, %w, %range#0, %j0, %n, %k, %tx, %one, %chunked)
            : (memref<?xf32>, index, index, index, index, memref<?xi16>, index, index, index, index, index, index, i1) -> vector<16xf32>
        scf.yield %s1 : vector<16xf32>
      } else {
        %s4 = func.call @nhc_moe_share_bf16(%x, %src#0, %src#1, %src#2, %src#3, %w, %range#0, %j0, %n, %k, %tx, %four, %chunked)
            : (memref<?xf32>, index, index, index, index, memref<?xi16>, index, index, index, index, index, index, i1) -> vector<16xf32>
        scf.yield %s4 : vector<16xf32>
      }
      func.call @nhc_moe_block_store4(%part, %rows, %tx, %partial, %y, %p, %range#2, %j0, %n, %act)
          : (vector<16xf32>, index, index, memref<128xf32, #gpu.address_space<workgroup>>, memref<?xf32>, index, index, index, index, index) -> ()
    }
    gpu.terminator
  }
  return
}

// nhc_moe_expert_matmul_e4m3: nhc_moe_expert_matmul_bf16's blocks on e4m3
// weights, a byte each (nhc_moe_share_e4m3): 16-byte chunks where every row
// of the stacked weight (k % 16 == 0) and of x starts 16-byte aligned, else
// one element at a time.
func.func private @nhc_moe_expert_matmul_e4m3_gpu(
    %x: memref<?xf32>, %token: memref<?xi32>, %offsets: memref<?xi32>,
    %active: memref<?xi32>, %w: memref<?xi8>, %y: memref<?xf32>, %A: index,
    %n: index, %k: index, %gather: index, %act: index)
    attributes {nhc.gpu_variant_of = "nhc_moe_expert_matmul_e4m3"} {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %tiles = arith.ceildivsi %n, %c4 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %tiles, %gy = %A, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<128xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %four = arith.constant 4 : index
    %range:3 = func.call @nhc_moe_expert_range(%offsets, %active, %by)
        : (memref<?xi32>, memref<?xi32>, index) -> (index, index, index)
    %j0 = arith.muli %bx, %four : index
    %doGather = arith.cmpi ne, %gather, %c0 : index
    %wAddress = memref.extract_aligned_pointer_as_index %w : memref<?xi8> -> index
    %wChunks = func.call @nhc_rows_16_byte_aligned(%wAddress, %k) : (index, index) -> i1
    %xAddress = memref.extract_aligned_pointer_as_index %x : memref<?xf32> -> index
    %xRowBytes = arith.muli %k, %four : index
    %xVectors = func.call @nhc_rows_16_byte_aligned(%xAddress, %xRowBytes) : (index, index) -> i1
    %chunked = arith.andi %wChunks, %xVectors : i1
    scf.for %p = %range#1 to %range#2 step %c4 {
      %src:4 = func.call @nhc_moe_source_rows4(%token, %p, %range#2, %doGather, %k)
          : (memref<?xi32>, index, index, i1, index) -> (index, index, index, index)
      %left = arith.subi %range#2, %p : index
      %alone = arith.cmpi eq, %left, %one : index
      %rows = arith.select %alone, %one, %four : index
      %part = scf.if %alone -> (vector<16xf32>) {
        %s1 = func.call @nhc_moe_share_e4m3(%x, %src#0, %src#1, %src#2, %src#3, %w, %range#0, %j0, %n, %k, %tx, %one, %chunked)
            : (memref<?xf32>, index, index, index, index, memref<?xi8>, index, index, index, index, index, index, i1) -> vector<16xf32>
        scf.yield %s1 : vector<16xf32>
      } else {
        %s4 = func.call @nhc_moe_share_e4m3(%x, %src#0, %src#1, %src#2, %src#3, %w, %range#0, %j0, %n, %k, %tx, %four, %chunked)
            : (memref<?xf32>, index, index, index, index, memref<?xi8>, index, index, index, index, index, index, i1) -> vector<16xf32>
        scf.yield %s4 : vector<16xf32>
      }
      func.call @nhc_moe_block_store4(%part, %rows, %tx, %partial, %y, %p, %range#2, %j0, %n, %act)
          : (vector<16xf32>, index, index, memref<128xf32, #gpu.address_space<workgroup>>, memref<?xf32>, index, index, index, index, index) -> ()
    }
    gpu.terminator
  }
  return
}

// Column c of expert e's weight (rows j0 + c, those past n reading row
// n - 1) times route row r of x (`rows` of them, a constant at each call:
// 1 or 4; x rounded to bf16) in element c * 4 + r: thread tx's share, k
// split over the block's 256 threads. With `chunked` the 16-byte chunks tx,
// tx + 256, ... of the 4 weight rows, their loads issued together, and each
// route row's 8 elements of x read once for the 4 columns; else the
// elements tx, tx + 256, ... one at a time.
func.func private @nhc_moe_share_bf16(%x: memref<?xf32>, %src0: index,
                                      %src1: index, %src2: index,
                                      %src3: index, %w: memref<?xi16>,
                                      %e: index, %j0: index, %n: index,
                                      %k: index, %tx: index, %rows: index,
                                      %chunked: i1) -> vector<16xf32> {
  %c8 = arith.constant 8 : index
  %c256 = arith.constant 256 : index
  %zeros = arith.constant dense<0.0> : vector<16xf32>
  %wr:4 = func.call @nhc_moe_weight_rows4(%e, %j0, %n, %k)
      : (index, index, index, index) -> (index, index, index, index)
  %sum = scf.if %chunked -> (vector<16xf32>) {
    %chunks = arith.divui %k, %c8 : index
    %s = scf.for %ch = %tx to %chunks step %c256
        iter_args(%acc = %zeros) -> (vector<16xf32>) {
      %i = arith.muli %ch, %c8 : index
      %at0 = arith.addi %wr#0, %i : index
      %at1 = arith.addi %wr#1, %i : index
      %at2 = arith.addi %wr#2, %i : index
      %at3 = arith.addi %wr#3, %i : index
      %b0 = vector.load %w[%at0] {alignment = 16} : memref<?xi16>, vector<8xi16>
      %b1 = vector.load %w[%at1] {alignment = 16} : memref<?xi16>, vector<8xi16>
      %b2 = vector.load %w[%at2] {alignment = 16} : memref<?xi16>, vector<8xi16>
      %b3 = vector.load %w[%at3] {alignment = 16} : memref<?xi16>, vector<8xi16>
      %v0 = func.call @nhc_widen_bf16x8(%b0) : (vector<8xi16>) -> vector<8xf32>
      %v1 = func.call @nhc_widen_bf16x8(%b1) : (vector<8xi16>) -> vector<8xf32>
      %v2 = func.call @nhc_widen_bf16x8(%b2) : (vector<8xi16>) -> vector<8xf32>
      %v3 = func.call @nhc_widen_bf16x8(%b3) : (vector<8xi16>) -> vector<8xf32>
      %next = func.call @nhc_moe_routes_chunk(%acc, %rows, %src0, %src1, %src2, %src3, %i, %x, %v0, %v1, %v2, %v3)
          : (vector<16xf32>, index, index, index, index, index, index, memref<?xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
      scf.yield %next : vector<16xf32>
    }
    scf.yield %s : vector<16xf32>
  } else {
    %s = scf.for %i = %tx to %k step %c256
        iter_args(%acc = %zeros) -> (vector<16xf32>) {
      %at0 = arith.addi %wr#0, %i : index
      %at1 = arith.addi %wr#1, %i : index
      %at2 = arith.addi %wr#2, %i : index
      %at3 = arith.addi %wr#3, %i : index
      %b0 = memref.load %w[%at0] : memref<?xi16>
      %b1 = memref.load %w[%at1] : memref<?xi16>
      %b2 = memref.load %w[%at2] : memref<?xi16>
      %b3 = memref.load %w[%at3] : memref<?xi16>
      // Widened once for the routes.
      %f0 = func.call @nhc_widen_bf16(%b0) : (i16) -> f32
      %f1 = func.call @nhc_widen_bf16(%b1) : (i16) -> f32
      %f2 = func.call @nhc_widen_bf16(%b2) : (i16) -> f32
      %f3 = func.call @nhc_widen_bf16(%b3) : (i16) -> f32
      %wv = vector.from_elements %f0, %f1, %f2, %f3 : vector<4xf32>
      %next = func.call @nhc_moe_routes_element(%acc, %rows, %src0, %src1, %src2, %src3, %i, %x, %wv)
          : (vector<16xf32>, index, index, index, index, index, index, memref<?xf32>, vector<4xf32>) -> vector<16xf32>
      scf.yield %next : vector<16xf32>
    }
    scf.yield %s : vector<16xf32>
  }
  return %sum : vector<16xf32>
}

// nhc_moe_share_bf16 for an e4m3 weight, each byte widened exactly
// (nhc_widen_e4m3x16, gemv.mlir). With `chunked` thread tx reads the
// 16-byte chunks tx, tx + 256, ... of the 4 weight rows (16 weights each: a
// warp 512 consecutive bytes of a row per load) and takes each as two
// chunks of 8 for the routes; else the elements tx, tx + 256, ... one at a
// time.
func.func private @nhc_moe_share_e4m3(%x: memref<?xf32>, %src0: index,
                                      %src1: index, %src2: index,
                                      %src3: index, %w: memref<?xi8>,
                                      %e: index, %j0: index, %n: index,
                                      %k: index, %tx: index, %rows: index,
                                      %chunked: i1) -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %zeros = arith.constant dense<0.0> : vector<16xf32>
  %wr:4 = func.call @nhc_moe_weight_rows4(%e, %j0, %n, %k)
      : (index, index, index, index) -> (index, index, index, index)
  %sum = scf.if %chunked -> (vector<16xf32>) {
    %chunks = arith.divui %k, %c16 : index
    %s = scf.for %ch = %tx to %chunks step %c256
        iter_args(%acc = %zeros) -> (vector<16xf32>) {
      %i = arith.muli %ch, %c16 : index
      %at0 = arith.addi %wr#0, %i : index
      %at1 = arith.addi %wr#1, %i : index
      %at2 = arith.addi %wr#2, %i : index
      %at3 = arith.addi %wr#3, %i : index
      %b0 = vector.load %w[%at0] {alignment = 16} : memref<?xi8>, vector<16xi8>
      %b1 = vector.load %w[%at1] {alignment = 16} : memref<?xi8>, vector<16xi8>
      %b2 = vector.load %w[%at2] {alignment = 16} : memref<?xi8>, vector<16xi8>
      %b3 = vector.load %w[%at3] {alignment = 16} : memref<?xi8>, vector<16xi8>
      %lo:4 = func.call @nhc_widen_e4m3_half4(%b0, %b1, %b2, %b3, %c0)
          : (vector<16xi8>, vector<16xi8>, vector<16xi8>, vector<16xi8>, index)
          -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
      %z = func.call @nhc_moe_routes_chunk(%acc, %rows, %src0, %src1, %src2, %src3, %i, %x, %lo#0, %lo#1, %lo#2, %lo#3)
          : (vector<16xf32>, index, index, index, index, index, index, memref<?xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
      %hi:4 = func.call @nhc_widen_e4m3_half4(%b0, %b1, %b2, %b3, %c8)
          : (vector<16xi8>, vector<16xi8>, vector<16xi8>, vector<16xi8>, index)
          -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
      %i8 = arith.addi %i, %c8 : index
      %next = func.call @nhc_moe_routes_chunk(%z, %rows, %src0, %src1, %src2, %src3, %i8, %x, %hi#0, %hi#1, %hi#2, %hi#3)
          : (vector<16xf32>, index, index, index, index, index, index, memref<?xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
      scf.yield %next : vector<16xf32>
    }
    scf.yield %s : vector<16xf32>
  } else {
    %zero8 = arith.constant 0 : i8
    %s = scf.for %i = %tx to %k step %c256
        iter_args(%acc = %zeros) -> (vector<16xf32>) {
      %at0 = arith.addi %wr#0, %i : index
      %at1 = arith.addi %wr#1, %i : index
      %at2 = arith.addi %wr#2, %i : index
      %at3 = arith.addi %wr#3, %i : index
      %b0 = memref.load %w[%at0] : memref<?xi8>
      %b1 = memref.load %w[%at1] : memref<?xi8>
      %b2 = memref.load %w[%at2] : memref<?xi8>
      %b3 = memref.load %w[%at3] : memref<?xi8>
      // Widened once for the routes (the other 12 lanes unused).
      %bytes = vector.from_elements %b0, %b1, %b2, %b3, %zero8, %zero8, %zero8, %zero8, %zero8, %zero8, %zero8, %zero8, %zero8, %zero8, %zero8, %zero8 : vector<16xi8>
      %f = func.call @nhc_widen_e4m3x16(%bytes) : (vector<16xi8>) -> vector<16xf32>
      %wv = vector.shuffle %f, %f [0, 1, 2, 3] : vector<16xf32>, vector<16xf32>
      %next = func.call @nhc_moe_routes_element(%acc, %rows, %src0, %src1, %src2, %src3, %i, %x, %wv)
          : (vector<16xf32>, index, index, index, index, index, index, memref<?xf32>, vector<4xf32>) -> vector<16xf32>
      scf.yield %next : vector<16xf32>
    }
    scf.yield %s : vector<16xf32>
  }
  return %sum : vector<16xf32>
}

// Elements h .. h + 7 (h 0 or 8, a constant at each call) of four chunks of
// 16 e4m3 bytes, widened exactly (those 8 bytes only: the other half is
// widened where it is used, which keeps 32 values live, not 64).
func.func private @nhc_widen_e4m3_half4(%b0: vector<16xi8>, %b1: vector<16xi8>,
                                        %b2: vector<16xi8>, %b3: vector<16xi8>,
                                        %h: index)
    -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
  %v0 = func.call @nhc_widen_e4m3_half(%b0, %h) : (vector<16xi8>, index) -> vector<8xf32>
  %v1 = func.call @nhc_widen_e4m3_half(%b1, %h) : (vector<16xi8>, index) -> vector<8xf32>
  %v2 = func.call @nhc_widen_e4m3_half(%b2, %h) : (vector<16xi8>, index) -> vector<8xf32>
  %v3 = func.call @nhc_widen_e4m3_half(%b3, %h) : (vector<16xi8>, index) -> vector<8xf32>
  return %v0, %v1, %v2, %v3 : vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>
}

// Bytes h .. h + 7 of `b` widened (nhc_widen_e4m3x16 on them alone).
func.func private @nhc_widen_e4m3_half(%b: vector<16xi8>, %h: index) -> vector<8xf32> {
  %c0 = arith.constant 0 : index
  %first = arith.cmpi eq, %h, %c0 : index
  %half = scf.if %first -> (vector<16xi8>) {
    %lo = vector.shuffle %b, %b [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7] : vector<16xi8>, vector<16xi8>
    scf.yield %lo : vector<16xi8>
  } else {
    %hi = vector.shuffle %b, %b [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15] : vector<16xi8>, vector<16xi8>
    scf.yield %hi : vector<16xi8>
  }
  %f = func.call @nhc_widen_e4m3x16(%half) : (vector<16xi8>) -> vector<16xf32>
  %v = vector.shuffle %f, %f [0, 1, 2, 3, 4, 5, 6, 7] : vector<16xf32>, vector<16xf32>
  return %v : vector<8xf32>
}

// The first elements of expert e's weight rows j0 .. j0 + 3 in a stacked
// [E, n, k] weight, those past n reading row n - 1.
func.func private @nhc_moe_weight_rows4(%e: index, %j0: index, %n: index,
                                        %k: index)
    -> (index, index, index, index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %nLast = arith.subi %n, %c1 : index
  %j1u = arith.addi %j0, %c1 : index
  %j2u = arith.addi %j0, %c2 : index
  %j3u = arith.addi %j0, %c3 : index
  %j0s = arith.minui %j0, %nLast : index
  %j1 = arith.minui %j1u, %nLast : index
  %j2 = arith.minui %j2u, %nLast : index
  %j3 = arith.minui %j3u, %nLast : index
  %w0 = func.call @nhc_moe_weight_row(%e, %j0s, %n, %k) : (index, index, index, index) -> index
  %w1 = func.call @nhc_moe_weight_row(%e, %j1, %n, %k) : (index, index, index, index) -> index
  %w2 = func.call @nhc_moe_weight_row(%e, %j2, %n, %k) : (index, index, index, index) -> index
  %w3 = func.call @nhc_moe_weight_row(%e, %j3, %n, %k) : (index, index, index, index) -> index
  return %w0, %w1, %w2, %w3 : index, index, index, index
}

// acc plus route 0's products with the 4 columns' chunks of 8 weights at
// element `i` (nhc_moe_route_chunk), and routes 1 to 3 unless `rows` is 1
// (a constant at each call: the positions in the accumulators stay
// constants, so they stay in registers).
func.func private @nhc_moe_routes_chunk(%acc: vector<16xf32>, %rows: index,
                                        %src0: index, %src1: index,
                                        %src2: index, %src3: index,
                                        %i: index, %x: memref<?xf32>,
                                        %v0: vector<8xf32>, %v1: vector<8xf32>,
                                        %v2: vector<8xf32>, %v3: vector<8xf32>)
    -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %z0 = func.call @nhc_moe_route_chunk(%acc, %c0, %src0, %i, %x, %v0, %v1, %v2, %v3)
      : (vector<16xf32>, index, index, index, memref<?xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
  %more = arith.cmpi ugt, %rows, %c1 : index
  %next = scf.if %more -> (vector<16xf32>) {
    %z1 = func.call @nhc_moe_route_chunk(%z0, %c1, %src1, %i, %x, %v0, %v1, %v2, %v3)
        : (vector<16xf32>, index, index, index, memref<?xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
    %z2 = func.call @nhc_moe_route_chunk(%z1, %c2, %src2, %i, %x, %v0, %v1, %v2, %v3)
        : (vector<16xf32>, index, index, index, memref<?xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
    %z3 = func.call @nhc_moe_route_chunk(%z2, %c3, %src3, %i, %x, %v0, %v1, %v2, %v3)
        : (vector<16xf32>, index, index, index, memref<?xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
    scf.yield %z3 : vector<16xf32>
  } else {
    scf.yield %z0 : vector<16xf32>
  }
  return %next : vector<16xf32>
}

// The same for one element's 4 column weights `wv` (nhc_moe_route_element).
func.func private @nhc_moe_routes_element(%acc: vector<16xf32>, %rows: index,
                                          %src0: index, %src1: index,
                                          %src2: index, %src3: index,
                                          %i: index, %x: memref<?xf32>,
                                          %wv: vector<4xf32>)
    -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %z0 = func.call @nhc_moe_route_element(%acc, %c0, %src0, %i, %x, %wv)
      : (vector<16xf32>, index, index, index, memref<?xf32>, vector<4xf32>) -> vector<16xf32>
  %more = arith.cmpi ugt, %rows, %c1 : index
  %next = scf.if %more -> (vector<16xf32>) {
    %z1 = func.call @nhc_moe_route_element(%z0, %c1, %src1, %i, %x, %wv)
        : (vector<16xf32>, index, index, index, memref<?xf32>, vector<4xf32>) -> vector<16xf32>
    %z2 = func.call @nhc_moe_route_element(%z1, %c2, %src2, %i, %x, %wv)
        : (vector<16xf32>, index, index, index, memref<?xf32>, vector<4xf32>) -> vector<16xf32>
    %z3 = func.call @nhc_moe_route_element(%z2, %c3, %src3, %i, %x, %wv)
        : (vector<16xf32>, index, index, index, memref<?xf32>, vector<4xf32>) -> vector<16xf32>
    scf.yield %z3 : vector<16xf32>
  } else {
    scf.yield %z0 : vector<16xf32>
  }
  return %next : vector<16xf32>
}

// Eight bf16 values widened exactly.
func.func private @nhc_widen_bf16x8(%bits: vector<8xi16>) -> vector<8xf32> {
  %c16 = arith.constant dense<16> : vector<8xi32>
  %wide = arith.extui %bits : vector<8xi16> to vector<8xi32>
  %shifted = arith.shli %wide, %c16 : vector<8xi32>
  %f = arith.bitcast %shifted : vector<8xi32> to vector<8xf32>
  return %f : vector<8xf32>
}

// acc plus route r's products with the 4 columns' chunks of 8 weights
// (v0 .. v3, widened), into elements r, r + 4, r + 8, r + 12: the route
// row's 8 elements of x from element `i` of the row at `src` (two 16-byte
// loads), rounded to bf16.
func.func private @nhc_moe_route_chunk(%acc: vector<16xf32>, %r: index,
                                       %src: index, %i: index,
                                       %x: memref<?xf32>, %v0: vector<8xf32>,
                                       %v1: vector<8xf32>, %v2: vector<8xf32>,
                                       %v3: vector<8xf32>) -> vector<16xf32> {
  %c4 = arith.constant 4 : index
  %xi = arith.addi %src, %i : index
  %xi4 = arith.addi %xi, %c4 : index
  %lo = vector.load %x[%xi] {alignment = 16} : memref<?xf32>, vector<4xf32>
  %hi = vector.load %x[%xi4] {alignment = 16} : memref<?xf32>, vector<4xf32>
  %x8 = vector.shuffle %lo, %hi [0, 1, 2, 3, 4, 5, 6, 7] : vector<4xf32>, vector<4xf32>
  %xb = func.call @nhc_round_to_bf16x8(%x8) : (vector<8xf32>) -> vector<8xf32>
  %z0 = func.call @nhc_moe_dot8(%acc, %r, %v0, %xb)
      : (vector<16xf32>, index, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
  %r1 = arith.addi %r, %c4 : index
  %z1 = func.call @nhc_moe_dot8(%z0, %r1, %v1, %xb)
      : (vector<16xf32>, index, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
  %r2 = arith.addi %r1, %c4 : index
  %z2 = func.call @nhc_moe_dot8(%z1, %r2, %v2, %xb)
      : (vector<16xf32>, index, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
  %r3 = arith.addi %r2, %c4 : index
  %z3 = func.call @nhc_moe_dot8(%z2, %r3, %v3, %xb)
      : (vector<16xf32>, index, vector<8xf32>, vector<8xf32>) -> vector<16xf32>
  return %z3 : vector<16xf32>
}

// acc plus route r's products with the 4 columns' weights at element `i`
// (wf: widened), into elements r, r + 4, r + 8, r + 12: x[src + i] rounded
// to bf16.
func.func private @nhc_moe_route_element(%acc: vector<16xf32>, %r: index,
                                         %src: index, %i: index,
                                         %x: memref<?xf32>, %wf: vector<4xf32>)
    -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %xi = arith.addi %src, %i : index
  %xv = memref.load %x[%xi] : memref<?xf32>
  %xb = func.call @nhc_round_to_bf16(%xv) : (f32) -> f32
  %xs = vector.broadcast %xb : f32 to vector<4xf32>
  %prod = arith.mulf %xs, %wf : vector<4xf32>
  %at1 = arith.addi %r, %c4 : index
  %at2 = arith.addi %at1, %c4 : index
  %at3 = arith.addi %at2, %c4 : index
  %s0 = func.call @nhc_moe_add_at(%acc, %r, %prod, %c0) : (vector<16xf32>, index, vector<4xf32>, index) -> vector<16xf32>
  %s1 = func.call @nhc_moe_add_at(%s0, %at1, %prod, %c1) : (vector<16xf32>, index, vector<4xf32>, index) -> vector<16xf32>
  %s2 = func.call @nhc_moe_add_at(%s1, %at2, %prod, %c2) : (vector<16xf32>, index, vector<4xf32>, index) -> vector<16xf32>
  %s3 = func.call @nhc_moe_add_at(%s2, %at3, %prod, %c3) : (vector<16xf32>, index, vector<4xf32>, index) -> vector<16xf32>
  return %s3 : vector<16xf32>
}

// acc[at] + prod[c].
func.func private @nhc_moe_add_at(%acc: vector<16xf32>, %at: index,
                                  %prod: vector<4xf32>, %c: index)
    -> vector<16xf32> {
  %old = vector.extract %acc[%at] : f32 from vector<16xf32>
  %p = vector.extract %prod[%c] : f32 from vector<4xf32>
  %new = arith.addf %old, %p : f32
  %out = vector.insert %new, %acc[%at] : f32 into vector<16xf32>
  return %out : vector<16xf32>
}

// Eight values rounded to bf16 (nhc_round_to_bf16 each), kept in f32: one
// call per element, the positions constants (a loop would index the vector
// by a value, which puts it in local memory).
func.func private @nhc_round_to_bf16x8(%v: vector<8xf32>) -> vector<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c7 = arith.constant 7 : index
  %u0 = func.call @nhc_round_to_bf16_at(%v, %c0) : (vector<8xf32>, index) -> vector<8xf32>
  %u1 = func.call @nhc_round_to_bf16_at(%u0, %c1) : (vector<8xf32>, index) -> vector<8xf32>
  %u2 = func.call @nhc_round_to_bf16_at(%u1, %c2) : (vector<8xf32>, index) -> vector<8xf32>
  %u3 = func.call @nhc_round_to_bf16_at(%u2, %c3) : (vector<8xf32>, index) -> vector<8xf32>
  %u4 = func.call @nhc_round_to_bf16_at(%u3, %c4) : (vector<8xf32>, index) -> vector<8xf32>
  %u5 = func.call @nhc_round_to_bf16_at(%u4, %c5) : (vector<8xf32>, index) -> vector<8xf32>
  %u6 = func.call @nhc_round_to_bf16_at(%u5, %c6) : (vector<8xf32>, index) -> vector<8xf32>
  %u7 = func.call @nhc_round_to_bf16_at(%u6, %c7) : (vector<8xf32>, index) -> vector<8xf32>
  return %u7 : vector<8xf32>
}

// v with element e rounded to bf16.
func.func private @nhc_round_to_bf16_at(%v: vector<8xf32>, %e: index)
    -> vector<8xf32> {
  %a = vector.extract %v[%e] : f32 from vector<8xf32>
  %b = func.call @nhc_round_to_bf16(%a) : (f32) -> f32
  %out = vector.insert %b, %v[%e] : f32 into vector<8xf32>
  return %out : vector<8xf32>
}

// acc[at] plus the 8 products xb[i] * wv[i], added in order (a multiply
// and an add each, as the portable form: no fma).
func.func private @nhc_moe_dot8(%acc: vector<16xf32>, %at: index,
                                %wv: vector<8xf32>, %xb: vector<8xf32>)
    -> vector<16xf32> {
  %prod = arith.mulf %xb, %wv : vector<8xf32>
  %start = vector.extract %acc[%at] : f32 from vector<16xf32>
  %p0 = vector.extract %prod[0] : f32 from vector<8xf32>
  %p1 = vector.extract %prod[1] : f32 from vector<8xf32>
  %p2 = vector.extract %prod[2] : f32 from vector<8xf32>
  %p3 = vector.extract %prod[3] : f32 from vector<8xf32>
  %p4 = vector.extract %prod[4] : f32 from vector<8xf32>
  %p5 = vector.extract %prod[5] : f32 from vector<8xf32>
  %p6 = vector.extract %prod[6] : f32 from vector<8xf32>
  %p7 = vector.extract %prod[7] : f32 from vector<8xf32>
  %s0 = arith.addf %start, %p0 : f32
  %s1 = arith.addf %s0, %p1 : f32
  %s2 = arith.addf %s1, %p2 : f32
  %s3 = arith.addf %s2, %p3 : f32
  %s4 = arith.addf %s3, %p4 : f32
  %s5 = arith.addf %s4, %p5 : f32
  %s6 = arith.addf %s5, %p6 : f32
  %s7 = arith.addf %s6, %p7 : f32
  %out = vector.insert %s7, %acc[%at] : f32 into vector<16xf32>
  return %out : vector<16xf32>
}

// v with elements at .. at + 3 (a column's 4 routes; only the first unless
// `rows` > 1) each summed over the warp's lanes (nhc_warp_sum), in every
// lane. `at` and `rows` are constants at each call, so the positions are.
func.func private @nhc_moe_warp_sums4(%v: vector<16xf32>, %at: index,
                                      %rows: index) -> vector<16xf32> {
  %c1 = arith.constant 1 : index
  %v0 = func.call @nhc_moe_warp_sum_at(%v, %at) : (vector<16xf32>, index) -> vector<16xf32>
  %more = arith.cmpi ugt, %rows, %c1 : index
  %out = scf.if %more -> (vector<16xf32>) {
    %at1 = arith.addi %at, %c1 : index
    %at2 = arith.addi %at1, %c1 : index
    %at3 = arith.addi %at2, %c1 : index
    %v1 = func.call @nhc_moe_warp_sum_at(%v0, %at1) : (vector<16xf32>, index) -> vector<16xf32>
    %v2 = func.call @nhc_moe_warp_sum_at(%v1, %at2) : (vector<16xf32>, index) -> vector<16xf32>
    %v3 = func.call @nhc_moe_warp_sum_at(%v2, %at3) : (vector<16xf32>, index) -> vector<16xf32>
    scf.yield %v3 : vector<16xf32>
  } else {
    scf.yield %v0 : vector<16xf32>
  }
  return %out : vector<16xf32>
}

// partial[first + at + i] = v[at + i] for i < 4.
func.func private @nhc_moe_store_partial4(
    %v: vector<16xf32>, %at: index,
    %partial: memref<128xf32, #gpu.address_space<workgroup>>, %first: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %e = arith.addi %at, %i : index
    %a = vector.extract %v[%e] : f32 from vector<16xf32>
    %to = arith.addi %first, %e : index
    memref.store %a, %partial[%to] : memref<128xf32, #gpu.address_space<workgroup>>
  }
  return
}

// v with element `at` summed over the warp's lanes.
func.func private @nhc_moe_warp_sum_at(%v: vector<16xf32>, %at: index)
    -> vector<16xf32> {
  %a = vector.extract %v[%at] : f32 from vector<16xf32>
  %b = func.call @nhc_warp_sum(%a) : (f32) -> f32
  %out = vector.insert %b, %v[%at] : f32 into vector<16xf32>
  return %out : vector<16xf32>
}

// Adds the block's shares (element c * 4 + r: column j0 + c, route row
// p + r, for r < rows) and stores y[p + r, j0 + c] = act(sum) for the rows
// before `last` and the columns before n. Each warp's lanes by a xor
// butterfly (nhc_warp_sum), its lane 0 putting the 16 sums in
// partial[warp * 16 ..]; behind a barrier thread q < 16 adds element q over
// the 8 warps in order (nhc_sum_over_warps). Every thread meets the same
// two barriers; the second lets the next call reuse `partial` at once.
func.func private @nhc_moe_block_store4(
    %acc: vector<16xf32>, %rows: index, %tx: index,
    %partial: memref<128xf32, #gpu.address_space<workgroup>>,
    %y: memref<?xf32>, %p: index, %last: index, %j0: index, %n: index,
    %act: index) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %s0 = func.call @nhc_moe_warp_sums4(%acc, %c0, %rows) : (vector<16xf32>, index, index) -> vector<16xf32>
  %s1 = func.call @nhc_moe_warp_sums4(%s0, %c4, %rows) : (vector<16xf32>, index, index) -> vector<16xf32>
  %s2 = func.call @nhc_moe_warp_sums4(%s1, %c8, %rows) : (vector<16xf32>, index, index) -> vector<16xf32>
  %c12 = arith.constant 12 : index
  %summed = func.call @nhc_moe_warp_sums4(%s2, %c12, %rows) : (vector<16xf32>, index, index) -> vector<16xf32>
  %warp = arith.divui %tx, %c32 : index
  %lane = arith.remui %tx, %c32 : index
  %lead = arith.cmpi eq, %lane, %c0 : index
  scf.if %lead {
    %first = arith.muli %warp, %c16 : index
    // Element by element, the positions constants (the emulation's race
    // checks follow scalar loads and stores of workgroup memory only).
    func.call @nhc_moe_store_partial4(%summed, %c0, %partial, %first)
        : (vector<16xf32>, index, memref<128xf32, #gpu.address_space<workgroup>>, index) -> ()
    func.call @nhc_moe_store_partial4(%summed, %c4, %partial, %first)
        : (vector<16xf32>, index, memref<128xf32, #gpu.address_space<workgroup>>, index) -> ()
    func.call @nhc_moe_store_partial4(%summed, %c8, %partial, %first)
        : (vector<16xf32>, index, memref<128xf32, #gpu.address_space<workgroup>>, index) -> ()
    func.call @nhc_moe_store_partial4(%summed, %c12, %partial, %first)
        : (vector<16xf32>, index, memref<128xf32, #gpu.address_space<workgroup>>, index) -> ()
  }
  gpu.barrier
  %writer = arith.cmpi ult, %tx, %c16 : index
  scf.if %writer {
    %r = arith.remui %tx, %c4 : index
    %c = arith.divui %tx, %c4 : index
    %row = arith.addi %p, %r : index
    %j = arith.addi %j0, %c : index
    %partials = memref.cast %partial : memref<128xf32, #gpu.address_space<workgroup>>
        to memref<?xf32, #gpu.address_space<workgroup>>
    %total = func.call @nhc_sum_over_warps(%partials, %tx, %c16)
        : (memref<?xf32, #gpu.address_space<workgroup>>, index, index) -> f32
    %rowLive = arith.cmpi ult, %r, %rows : index
    %beforeLast = arith.cmpi ult, %row, %last : index
    %inN = arith.cmpi ult, %j, %n : index
    %live0 = arith.andi %rowLive, %beforeLast : i1
    %live = arith.andi %live0, %inN : i1
    scf.if %live {
      func.call @nhc_moe_store_output(%total, %y, %row, %j, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index) -> ()
    }
  }
  gpu.barrier
  return
}

// nhc_moe_expert_matmul_f32: one block per (8 output columns, used expert
// entry); a warp per column, its 32 lanes taking every 32nd element of the
// weight row (consecutive lanes, consecutive elements) for four route rows
// at once (each weight element loaded once for the four), then a 32-wide
// segment sum per row. A block of an unused entry does nothing.
func.func private @nhc_moe_expert_matmul_f32_gpu(
    %x: memref<?xf32>, %token: memref<?xi32>, %offsets: memref<?xi32>,
    %active: memref<?xi32>, %w: memref<?xf32>, %y: memref<?xf32>, %A: index,
    %n: index, %k: index, %gather: index, %act: index)
    attributes {nhc.gpu_variant_of = "nhc_moe_expert_matmul_f32"} {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c256 = arith.constant 256 : index
  %tiles = arith.ceildivsi %n, %c8 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %tiles, %gy = %A, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<256xf32, #gpu.address_space<workgroup>>) {
    // rows#0 .. rows#1: the expert's positions; rows#2: its thread's weight
    // row's first element; rows#3: the thread's k (0 for a column past n).
    %rows:4 = func.call @nhc_moe_block_rows(%offsets, %active, %by, %bx, %tx, %n, %k, %gather)
        : (memref<?xi32>, memref<?xi32>, index, index, index, index, index, index)
        -> (index, index, index, index)
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %lanes = arith.constant 32 : index
    %doGather = arith.cmpi ne, %gather, %c0 : index
    %lane = arith.remui %tx, %lanes : index
    scf.for %p = %rows#0 to %rows#1 step %c4 {
      %src:4 = func.call @nhc_moe_source_rows4(%token, %p, %rows#1, %doGather, %k)
          : (memref<?xi32>, index, index, i1, index) -> (index, index, index, index)
      %part:4 = func.call @nhc_moe_dot4_f32(%x, %src#0, %src#1, %src#2, %src#3, %w, %rows#2, %lane, %rows#3)
          : (memref<?xf32>, index, index, index, index, memref<?xf32>, index, index, index)
          -> (f32, f32, f32, f32)
      func.call @nhc_moe_store_rows4(%part#0, %part#1, %part#2, %part#3, %y, %p, %rows#1, %bx, %tx, %n, %act, %partial)
          : (f32, f32, f32, f32, memref<?xf32>, index, index, index, index, index, index,
             memref<256xf32, #gpu.address_space<workgroup>>) -> ()
    }
    gpu.terminator
  }
  return
}

// Four rows' partial dots of one lane over a weight row: every 32nd
// element from `lane` up to `kUsed`, each weight element loaded once.
func.func private @nhc_moe_dot4_f32(%x: memref<?xf32>, %src0: index, %src1: index,
                                   %src2: index, %src3: index, %w: memref<?xf32>,
                                   %wRow: index, %lane: index, %kUsed: index)
    -> (f32, f32, f32, f32) {
  %lanes = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %r:4 = scf.for %i = %lane to %kUsed step %lanes
      iter_args(%a0 = %zero, %a1 = %zero, %a2 = %zero, %a3 = %zero)
      -> (f32, f32, f32, f32) {
      %wi = arith.addi %wRow, %i : index
      %wf = memref.load %w[%wi] : memref<?xf32>
      %xi0 = arith.addi %src0, %i : index
      %xb0 = memref.load %x[%xi0] : memref<?xf32>
      %pr0 = arith.mulf %xb0, %wf : f32
      %s0 = arith.addf %a0, %pr0 : f32
      %xi1 = arith.addi %src1, %i : index
      %xb1 = memref.load %x[%xi1] : memref<?xf32>
      %pr1 = arith.mulf %xb1, %wf : f32
      %s1 = arith.addf %a1, %pr1 : f32
      %xi2 = arith.addi %src2, %i : index
      %xb2 = memref.load %x[%xi2] : memref<?xf32>
      %pr2 = arith.mulf %xb2, %wf : f32
      %s2 = arith.addf %a2, %pr2 : f32
      %xi3 = arith.addi %src3, %i : index
      %xb3 = memref.load %x[%xi3] : memref<?xf32>
      %pr3 = arith.mulf %xb3, %wf : f32
      %s3 = arith.addf %a3, %pr3 : f32
      scf.yield %s0, %s1, %s2, %s3 : f32, f32, f32, f32
  }
  return %r#0, %r#1, %r#2, %r#3 : f32, f32, f32, f32
}

// The x rows of positions p .. p+3 (those at or past `last` read row p's,
// and their sums are not stored), as element offsets (row * k).
func.func private @nhc_moe_source_rows4(%token: memref<?xi32>, %p: index,
                                        %last: index, %gather: i1, %k: index)
    -> (index, index, index, index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %p1 = arith.addi %p, %c1 : index
  %p2 = arith.addi %p, %c2 : index
  %p3 = arith.addi %p, %c3 : index
  %in1 = arith.cmpi ult, %p1, %last : index
  %in2 = arith.cmpi ult, %p2, %last : index
  %in3 = arith.cmpi ult, %p3, %last : index
  %q1 = arith.select %in1, %p1, %p : index
  %q2 = arith.select %in2, %p2, %p : index
  %q3 = arith.select %in3, %p3, %p : index
  %s0 = func.call @nhc_moe_source_row(%token, %p, %gather) : (memref<?xi32>, index, i1) -> index
  %s1 = func.call @nhc_moe_source_row(%token, %q1, %gather) : (memref<?xi32>, index, i1) -> index
  %s2 = func.call @nhc_moe_source_row(%token, %q2, %gather) : (memref<?xi32>, index, i1) -> index
  %s3 = func.call @nhc_moe_source_row(%token, %q3, %gather) : (memref<?xi32>, index, i1) -> index
  %o0 = arith.muli %s0, %k : index
  %o1 = arith.muli %s1, %k : index
  %o2 = arith.muli %s2, %k : index
  %o3 = arith.muli %s3, %k : index
  return %o0, %o1, %o2, %o3 : index, index, index, index
}

// Each of the four rows' segment sums, stored for the rows before `last`.
func.func private @nhc_moe_store_rows4(%a0: f32, %a1: f32, %a2: f32, %a3: f32,
                                       %y: memref<?xf32>, %p: index, %last: index,
                                       %tile: index, %tx: index, %n: index,
                                       %act: index,
                                       %partial: memref<256xf32, #gpu.address_space<workgroup>>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %lanes = arith.constant 32 : index
  %false = arith.constant false
  scf.for %r = %c0 to %c4 step %c1 {
    %is1 = arith.cmpi eq, %r, %c1 : index
    %r2 = arith.constant 2 : index
    %is2 = arith.cmpi eq, %r, %r2 : index
    %r3 = arith.constant 3 : index
    %is3 = arith.cmpi eq, %r, %r3 : index
    %v3 = arith.select %is3, %a3, %a0 : f32
    %v2 = arith.select %is2, %a2, %v3 : f32
    %v = arith.select %is1, %a1, %v2 : f32
    %sum = func.call @nhc_segment_reduce_256(%v, %tx, %partial, %false, %lanes)
        : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1, index) -> f32
    %row = arith.addi %p, %r : index
    %inside = arith.cmpi ult, %row, %last : index
    scf.if %inside {
      func.call @nhc_moe_store_column(%sum, %y, %row, %tile, %tx, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index) -> ()
    }
  }
  return
}

// A matmul block's work: (first, last) sorted positions of its active
// expert (none for an unused entry: the same for the whole block, so every
// thread meets the same barriers), the first element of its thread's
// weight row in the stacked weight, and the thread's k (0 for a column
// past n, which then adds nothing).
func.func private @nhc_moe_block_rows(%offsets: memref<?xi32>, %active: memref<?xi32>,
                                      %a: index, %tile: index, %tx: index,
                                      %n: index, %k: index, %gather: index)
    -> (index, index, index, index) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %lanes = arith.constant 32 : index
  %r:3 = func.call @nhc_moe_expert_range(%offsets, %active, %a)
      : (memref<?xi32>, memref<?xi32>, index) -> (index, index, index)
  %col = arith.divui %tx, %lanes : index
  %tileFirst = arith.muli %tile, %c8 : index
  %j = arith.addi %tileFirst, %col : index
  %inside = arith.cmpi ult, %j, %n : index
  %jSafe = arith.select %inside, %j, %c0 : index
  %wRow = func.call @nhc_moe_weight_row(%r#0, %jSafe, %n, %k)
      : (index, index, index, index) -> index
  %kUsed = arith.select %inside, %k, %c0 : index
  return %r#1, %r#2, %wRow, %kUsed : index, index, index, index
}

// y[p * n + j] = act(sum) by lane 0 of the column's warp, j < n.
func.func private @nhc_moe_store_column(%sum: f32, %y: memref<?xf32>, %p: index,
                                        %tile: index, %tx: index, %n: index,
                                        %act: index) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %lanes = arith.constant 32 : index
  %lane = arith.remui %tx, %lanes : index
  %col = arith.divui %tx, %lanes : index
  %tileFirst = arith.muli %tile, %c8 : index
  %j = arith.addi %tileFirst, %col : index
  %inside = arith.cmpi ult, %j, %n : index
  %leader = arith.cmpi eq, %lane, %c0 : index
  %store = arith.andi %inside, %leader : i1
  scf.if %store {
    func.call @nhc_moe_store_output(%sum, %y, %p, %j, %n, %act)
        : (f32, memref<?xf32>, index, index, index, index) -> ()
  }
  return
}
