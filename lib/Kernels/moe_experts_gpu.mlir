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

// nhc_moe_expert_matmul_bf16: one block per (8 output columns, active
// expert); a warp per column, its 32 lanes taking every 32nd element of the
// weight row (consecutive lanes, consecutive elements), a 32-wide segment
// sum per route row. A block of an unused active entry does nothing.
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
    %rows:4 = func.call @nhc_moe_block_rows(%offsets, %active, %by, %bx, %tx, %n, %k, %gather)
        : (memref<?xi32>, memref<?xi32>, index, index, index, index, index, index)
        -> (index, index, index, index)
    // rows#0 .. rows#1: the expert's positions; rows#2: the weight row's
    // first element (its lane's), rows#3: this thread's k (0 past n).
    %c0 = arith.constant 0 : index
    %lanes = arith.constant 32 : index
    %zero = arith.constant 0.0 : f32
    %false = arith.constant false
    %doGather = arith.cmpi ne, %gather, %c0 : index
    %lane = arith.remui %tx, %lanes : index
    scf.for %p = %rows#0 to %rows#1 step %c1 {
      %src = func.call @nhc_moe_source_row(%token, %p, %doGather)
          : (memref<?xi32>, index, i1) -> index
      %xRow = arith.muli %src, %k : index
      %part = scf.for %i = %lane to %rows#3 step %lanes iter_args(%acc = %zero) -> (f32) {
        %xi = arith.addi %xRow, %i : index
        %xv = memref.load %x[%xi] : memref<?xf32>
        %xb = func.call @nhc_round_to_bf16(%xv) : (f32) -> f32
        %wi = arith.addi %rows#2, %i : index
        %wv = memref.load %w[%wi] : memref<?xi16>
        %wf = func.call @nhc_widen_bf16(%wv) : (i16) -> f32
        %prod = arith.mulf %xb, %wf : f32
        %s = arith.addf %acc, %prod : f32
        scf.yield %s : f32
      }
      %sum = func.call @nhc_segment_reduce_256(%part, %tx, %partial, %false, %lanes)
          : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1, index) -> f32
      func.call @nhc_moe_store_column(%sum, %y, %p, %bx, %tx, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index) -> ()
    }
    gpu.terminator
  }
  return
}

// As nhc_moe_expert_matmul_bf16_gpu for an f32 weight.
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
    %rows:4 = func.call @nhc_moe_block_rows(%offsets, %active, %by, %bx, %tx, %n, %k, %gather)
        : (memref<?xi32>, memref<?xi32>, index, index, index, index, index, index)
        -> (index, index, index, index)
    %c0 = arith.constant 0 : index
    %lanes = arith.constant 32 : index
    %zero = arith.constant 0.0 : f32
    %false = arith.constant false
    %doGather = arith.cmpi ne, %gather, %c0 : index
    %lane = arith.remui %tx, %lanes : index
    scf.for %p = %rows#0 to %rows#1 step %c1 {
      %src = func.call @nhc_moe_source_row(%token, %p, %doGather)
          : (memref<?xi32>, index, i1) -> index
      %xRow = arith.muli %src, %k : index
      %part = scf.for %i = %lane to %rows#3 step %lanes iter_args(%acc = %zero) -> (f32) {
        %xi = arith.addi %xRow, %i : index
        %xv = memref.load %x[%xi] : memref<?xf32>
        %wi = arith.addi %rows#2, %i : index
        %wv = memref.load %w[%wi] : memref<?xf32>
        %prod = arith.mulf %xv, %wv : f32
        %s = arith.addf %acc, %prod : f32
        scf.yield %s : f32
      }
      %sum = func.call @nhc_segment_reduce_256(%part, %tx, %partial, %false, %lanes)
          : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1, index) -> f32
      func.call @nhc_moe_store_column(%sum, %y, %p, %bx, %tx, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index) -> ()
    }
    gpu.terminator
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
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %lanes = arith.constant 32 : index
  %zero = arith.constant 0 : i32
  %e32 = memref.load %active[%a] : memref<?xi32>
  %used = arith.cmpi sge, %e32, %zero : i32
  %eSafe32 = arith.select %used, %e32, %zero : i32
  %e = arith.index_cast %eSafe32 : i32 to index
  %first32 = memref.load %offsets[%e] : memref<?xi32>
  %e1 = arith.addi %e, %c1 : index
  %last32 = memref.load %offsets[%e1] : memref<?xi32>
  %first = arith.index_cast %first32 : i32 to index
  %lastIfUsed = arith.index_cast %last32 : i32 to index
  %last = arith.select %used, %lastIfUsed, %first : index
  %col = arith.divui %tx, %lanes : index
  %tileFirst = arith.muli %tile, %c8 : index
  %j = arith.addi %tileFirst, %col : index
  %inside = arith.cmpi ult, %j, %n : index
  %jSafe = arith.select %inside, %j, %c0 : index
  %nk = arith.muli %n, %k : index
  %wExpert = arith.muli %e, %nk : index
  %wCol = arith.muli %jSafe, %k : index
  %wRow = arith.addi %wExpert, %wCol : index
  %kUsed = arith.select %inside, %k, %c0 : index
  return %first, %last, %wRow, %kUsed : index, index, index, index
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
    %doActivate = arith.cmpi sge, %act, %c0 : index
    %out = func.call @nhc_moe_activate(%sum, %doActivate, %act)
        : (f32, i1, index) -> f32
    %yRow = arith.muli %p, %n : index
    %yi = arith.addi %yRow, %j : index
    memref.store %out, %y[%yi] : memref<?xf32>
  }
  return
}
