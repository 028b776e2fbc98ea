// GPU form of moe_route.mlir's nhc_moe_route (nhc-select-kernel-variants): a
// block of 256 threads per token instead of a thread per token (a decode
// step's router was one thread computing E sigmoids per pass, 1 + k passes,
// each group's score again in every pass). With at most 1024 experts and
// 256 groups:
//   1. thread x computes the choices (sigmoid + bias) of experts
//      x, x + 256, ... once, into workgroup memory;
//   2. thread x the scores of groups x, x + 256, ... (their top two
//      choices, in expert order: @nhc_moe_top2, as the host form);
//   3. topk_group passes find the threshold group and k passes the experts
//      of the kept groups: in each, every thread takes its best candidate
//      strictly after the previous pick, visiting its share in ascending
//      index order (@nhc_moe_better), and the block the best of those
//      (@nhc_moe_block_best: value descending, index ascending);
//   4. thread 0 writes the picks, their sigmoid weights, and normalizes
//      them in pick order.
// The order is total and no NaN is ever a candidate, so given the same
// sigmoid scores the picks and weights are the host form's (same
// arithmetic, same order). The scores themselves are only as close as the
// two `math.exp`s: the host's libm expf and, on a GPU, libdevice's
// __nv_expf (ex2.approx, within 2 ulp), so a near-tie between experts can
// pick differently on a GPU than on the host or in the emulation (which
// runs the host's expf). More experts or groups: thread 0 runs the host form's token
// (@nhc_moe_route_token).
func.func private @nhc_moe_route_gpu(%logits: memref<?xf32>,
                                     %bias: memref<?xf32>,
                                     %idx: memref<?xi32>,
                                     %weight: memref<?xf32>, %T: index,
                                     %E: index, %k: index, %n_group: index,
                                     %topk_group: index, %norm: index,
                                     %scale: f32)
    attributes {nhc.gpu_variant_of = "nhc_moe_route"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%t, %by, %bz) in (%gx = %T, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%choice : memref<1024xf32, #gpu.address_space<workgroup>>,
                       %gscore : memref<256xf32, #gpu.address_space<workgroup>>,
                       %warpValue : memref<8xf32, #gpu.address_space<workgroup>>,
                       %warpIndex : memref<8xi32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %step = arith.constant 256 : index
    %maxExperts = arith.constant 1024 : index
    %none = arith.constant -1 : index
    %zero = arith.constant 0.0 : f32
    %inf = arith.constant 0x7F800000 : f32
    %ninf = arith.constant 0xFF800000 : f32
    %isFirst = arith.cmpi eq, %tx, %c0 : index
    %normalize = arith.cmpi ne, %norm, %c0 : index
    %someGroup = arith.cmpi uge, %n_group, %one : index
    %fewGroups = arith.cmpi ule, %n_group, %step : index
    %fewExperts = arith.cmpi ule, %E, %maxExperts : index
    %groupsFit = arith.andi %someGroup, %fewGroups : i1
    %fits = arith.andi %groupsFit, %fewExperts : i1
    %true = arith.constant true
    %tooMany = arith.xori %fits, %true : i1
    %spill = arith.andi %tooMany, %someGroup : i1
    %bySlowPath = arith.andi %spill, %isFirst : i1
    scf.if %bySlowPath {
      %gszSlow = arith.divui %E, %n_group : index
      func.call @nhc_moe_route_token(%logits, %bias, %idx, %weight, %t, %E, %k,
                                     %n_group, %topk_group, %gszSlow,
                                     %normalize, %scale)
          : (memref<?xf32>, memref<?xf32>, memref<?xi32>, memref<?xf32>, index,
             index, index, index, index, index, i1, f32) -> ()
    }
    scf.if %fits {
      %row = arith.muli %t, %E : index
      %gsz = arith.divui %E, %n_group : index
      %covered = arith.muli %n_group, %gsz : index
      // 1. Every expert's choice, once.
      scf.for %e = %tx to %E step %step {
        %c = func.call @nhc_moe_choice(%logits, %bias, %row, %e)
            : (memref<?xf32>, memref<?xf32>, index, index) -> f32
        memref.store %c, %choice[%e] : memref<1024xf32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      // 2. Every group's score, once.
      scf.for %g = %tx to %n_group step %step {
        %e0 = arith.muli %g, %gsz : index
        %e1 = arith.addi %e0, %gsz : index
        %top:2 = scf.for %e = %e0 to %e1 step %one
            iter_args(%t1 = %ninf, %t2 = %ninf) -> (f32, f32) {
          %c = memref.load %choice[%e] : memref<1024xf32, #gpu.address_space<workgroup>>
          %n:2 = func.call @nhc_moe_top2(%c, %t1, %t2) : (f32, f32, f32) -> (f32, f32)
          scf.yield %n#0, %n#1 : f32, f32
        }
        %gs = arith.addf %top#0, %top#1 : f32
        memref.store %gs, %gscore[%g] : memref<256xf32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      // 3. The topk_group-th best group.
      %thr:2 = scf.for %p = %c0 to %topk_group step %one
          iter_args(%ps = %inf, %pg = %none) -> (f32, index) {
        %mine:2 = scf.for %g = %tx to %n_group step %step
            iter_args(%bs = %ninf, %bg = %none) -> (f32, index) {
          %gs = memref.load %gscore[%g] : memref<256xf32, #gpu.address_space<workgroup>>
          %take = func.call @nhc_moe_better(%gs, %g, %ps, %pg, %bs, %bg)
              : (f32, index, f32, index, f32, index) -> i1
          %nbs = arith.select %take, %gs, %bs : f32
          %nbg = arith.select %take, %g, %bg : index
          scf.yield %nbs, %nbg : f32, index
        }
        %best:2 = func.call @nhc_moe_block_best(%mine#0, %mine#1, %tx,
                                                %warpValue, %warpIndex)
            : (f32, index, index, memref<8xf32, #gpu.address_space<workgroup>>,
               memref<8xi32, #gpu.address_space<workgroup>>) -> (f32, index)
        scf.yield %best#0, %best#1 : f32, index
      }
      // 4. The k experts of the kept groups, best first.
      %obase = arith.muli %t, %k : index
      %picked:3 = scf.for %s = %c0 to %k step %one
          iter_args(%pc = %inf, %pe = %none, %wsum = %zero)
          -> (f32, index, f32) {
        %mine:2 = scf.for %e = %tx to %covered step %step
            iter_args(%bc = %ninf, %be = %none) -> (f32, index) {
          %g = arith.divui %e, %gsz : index
          %gs = memref.load %gscore[%g] : memref<256xf32, #gpu.address_space<workgroup>>
          %kept = func.call @nhc_moe_group_kept(%gs, %g, %thr#0, %thr#1)
              : (f32, index, f32, index) -> i1
          %c = memref.load %choice[%e] : memref<1024xf32, #gpu.address_space<workgroup>>
          %better = func.call @nhc_moe_better(%c, %e, %pc, %pe, %bc, %be)
              : (f32, index, f32, index, f32, index) -> i1
          %take = arith.andi %kept, %better : i1
          %nbc = arith.select %take, %c, %bc : f32
          %nbe = arith.select %take, %e, %be : index
          scf.yield %nbc, %nbe : f32, index
        }
        %best:2 = func.call @nhc_moe_block_best(%mine#0, %mine#1, %tx,
                                                %warpValue, %warpIndex)
            : (f32, index, index, memref<8xf32, #gpu.address_space<workgroup>>,
               memref<8xi32, #gpu.address_space<workgroup>>) -> (f32, index)
        %w = func.call @nhc_moe_pick_weight(%logits, %row, %best#1)
            : (memref<?xf32>, index, index) -> f32
        scf.if %isFirst {
          %oi = arith.addi %obase, %s : index
          func.call @nhc_moe_store_pick(%idx, %weight, %oi, %best#1, %w)
              : (memref<?xi32>, memref<?xf32>, index, index, f32) -> ()
        }
        %ws2 = arith.addf %wsum, %w : f32
        scf.yield %best#0, %best#1, %ws2 : f32, index, f32
      }
      scf.if %isFirst {
        func.call @nhc_moe_normalize_weights(%weight, %obase, %k, %picked#2,
                                             %normalize, %scale)
            : (memref<?xf32>, index, index, f32, i1, f32) -> ()
      }
    }
    gpu.terminator
  }
  return
}

// Whether candidate (v, i) beats (bv, bi) in the order (value descending,
// index ascending); index -1 is no candidate, which anything beats. Never a
// NaN here: @nhc_moe_better never takes one.
func.func private @nhc_moe_beats(%v: f32, %i: index, %bv: f32, %bi: index)
    -> i1 {
  %none = arith.constant -1 : index
  %some = arith.cmpi ne, %i, %none : index
  %empty = arith.cmpi eq, %bi, %none : index
  %gt = arith.cmpf ogt, %v, %bv : f32
  %eq = arith.cmpf oeq, %v, %bv : f32
  %lower = arith.cmpi slt, %i, %bi : index
  %tieLower = arith.andi %eq, %lower : i1
  %greater = arith.ori %gt, %tieLower : i1
  %over = arith.ori %empty, %greater : i1
  %beats = arith.andi %some, %over : i1
  return %beats : i1
}

// The best of the block's 256 candidates (v, i) by @nhc_moe_beats, in every
// thread: a xor butterfly of shuffles within each warp, then the 8 warps'
// bests from workgroup memory (free again when it returns). Every thread
// of the block must call it.
func.func private @nhc_moe_block_best(
    %v: f32, %i: index, %tx: index,
    %warpValue: memref<8xf32, #gpu.address_space<workgroup>>,
    %warpIndex: memref<8xi32, #gpu.address_space<workgroup>>) -> (f32, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %width = arith.constant 32 : i32
  %none = arith.constant -1 : index
  %ninf = arith.constant 0xFF800000 : f32
  %i32 = arith.index_cast %i : index to i32
  %warp:2 = scf.for %s = %c0 to %c5 step %c1
      iter_args(%x = %v, %xi = %i32) -> (f32, i32) {
    %stride = arith.shrui %c16, %s : index
    %stride32 = arith.index_cast %stride : index to i32
    %ov, %ovValid = gpu.shuffle xor %x, %stride32, %width : f32
    %oi, %oiValid = gpu.shuffle xor %xi, %stride32, %width : i32
    %oix = arith.index_cast %oi : i32 to index
    %xix = arith.index_cast %xi : i32 to index
    %take = func.call @nhc_moe_beats(%ov, %oix, %x, %xix)
        : (f32, index, f32, index) -> i1
    %nx = arith.select %take, %ov, %x : f32
    %nxi = arith.select %take, %oi, %xi : i32
    scf.yield %nx, %nxi : f32, i32
  }
  %lane = arith.remui %tx, %c32 : index
  %w = arith.divui %tx, %c32 : index
  %leads = arith.cmpi eq, %lane, %c0 : index
  scf.if %leads {
    memref.store %warp#0, %warpValue[%w] : memref<8xf32, #gpu.address_space<workgroup>>
    memref.store %warp#1, %warpIndex[%w] : memref<8xi32, #gpu.address_space<workgroup>>
  }
  gpu.barrier
  %all:2 = scf.for %j = %c0 to %c8 step %c1
      iter_args(%bv = %ninf, %bi = %none) -> (f32, index) {
    %jv = memref.load %warpValue[%j] : memref<8xf32, #gpu.address_space<workgroup>>
    %ji32 = memref.load %warpIndex[%j] : memref<8xi32, #gpu.address_space<workgroup>>
    %ji = arith.index_cast %ji32 : i32 to index
    %take = func.call @nhc_moe_beats(%jv, %ji, %bv, %bi)
        : (f32, index, f32, index) -> i1
    %nbv = arith.select %take, %jv, %bv : f32
    %nbi = arith.select %take, %ji, %bi : index
    scf.yield %nbv, %nbi : f32, index
  }
  gpu.barrier
  return %all#0, %all#1 : f32, index
}
