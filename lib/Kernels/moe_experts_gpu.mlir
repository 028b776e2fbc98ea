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

// nhc_moe_expert_matmul_bf16 / _f32: one block per (8 output columns, used
// expert entry); a warp per column, its 32 lanes taking every 32nd element
// of the weight row (consecutive lanes, consecutive elements) for four
// route rows at once (each weight element loaded once for the four), then
// a 32-wide segment sum per row. A row's sum is the same however its rows
// are grouped (the batch does not change it). A block of an unused entry
// does nothing.
func.func private @nhc_moe_expert_matmul_bf16_gpu(
    %x: memref<?xf32>, %token: memref<?xi32>, %offsets: memref<?xi32>,
    %active: memref<?xi32>, %w: memref<?xi16>, %y: memref<?xf32>, %A: index,
    %n: index, %k: index, %gather: index, %act: index)
    attributes {nhc.gpu_variant_of = "nhc_moe_expert_matmul_bf16"} {
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
      %part:4 = func.call @nhc_moe_dot4_bf16(%x, %src#0, %src#1, %src#2, %src#3, %w, %rows#2, %lane, %rows#3)
          : (memref<?xf32>, index, index, index, index, memref<?xi16>, index, index, index)
          -> (f32, f32, f32, f32)
      func.call @nhc_moe_store_rows4(%part#0, %part#1, %part#2, %part#3, %y, %p, %rows#1, %bx, %tx, %n, %act, %partial)
          : (f32, f32, f32, f32, memref<?xf32>, index, index, index, index, index, index,
             memref<256xf32, #gpu.address_space<workgroup>>) -> ()
    }
    gpu.terminator
  }
  return
}

// As the bf16 form for an f32 weight.
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
// element from `lane` up to `kUsed`, each weight element loaded once (x rounded to bf16).
func.func private @nhc_moe_dot4_bf16(%x: memref<?xf32>, %src0: index, %src1: index,
                                   %src2: index, %src3: index, %w: memref<?xi16>,
                                   %wRow: index, %lane: index, %kUsed: index)
    -> (f32, f32, f32, f32) {
  %lanes = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %r:4 = scf.for %i = %lane to %kUsed step %lanes
      iter_args(%a0 = %zero, %a1 = %zero, %a2 = %zero, %a3 = %zero)
      -> (f32, f32, f32, f32) {
      %wi = arith.addi %wRow, %i : index
      %wv = memref.load %w[%wi] : memref<?xi16>
      %wf = func.call @nhc_widen_bf16(%wv) : (i16) -> f32
      %xi0 = arith.addi %src0, %i : index
      %xv0 = memref.load %x[%xi0] : memref<?xf32>
      %xb0 = func.call @nhc_round_to_bf16(%xv0) : (f32) -> f32
      %pr0 = arith.mulf %xb0, %wf : f32
      %s0 = arith.addf %a0, %pr0 : f32
      %xi1 = arith.addi %src1, %i : index
      %xv1 = memref.load %x[%xi1] : memref<?xf32>
      %xb1 = func.call @nhc_round_to_bf16(%xv1) : (f32) -> f32
      %pr1 = arith.mulf %xb1, %wf : f32
      %s1 = arith.addf %a1, %pr1 : f32
      %xi2 = arith.addi %src2, %i : index
      %xv2 = memref.load %x[%xi2] : memref<?xf32>
      %xb2 = func.call @nhc_round_to_bf16(%xv2) : (f32) -> f32
      %pr2 = arith.mulf %xb2, %wf : f32
      %s2 = arith.addf %a2, %pr2 : f32
      %xi3 = arith.addi %src3, %i : index
      %xv3 = memref.load %x[%xi3] : memref<?xf32>
      %xb3 = func.call @nhc_round_to_bf16(%xv3) : (f32) -> f32
      %pr3 = arith.mulf %xb3, %wf : f32
      %s3 = arith.addf %a3, %pr3 : f32
      scf.yield %s0, %s1, %s2, %s3 : f32, f32, f32, f32
  }
  return %r#0, %r#1, %r#2, %r#3 : f32, f32, f32, f32
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
