// MoE router (transformers NemotronHMoE.route_tokens_to_experts), per token:
//   score = sigmoid(logit), choice = score + bias
//   group score = sum of the top-2 choices of each of n_group groups
//   keep the best topk_group groups, then the top-k experts within them by
//   choice; weight = score, divided by (sum + 1e-20) if norm, times scale.
// Top-k is a repeated argmax: each pass takes the best candidate strictly
// after the previous pick in the order (value descending, index ascending),
// so ties go to the lower index and no scratch memory is needed. Selected
// experts are written best first.
func.func @nhc_moe_route(%logits: memref<?xf32>, %bias: memref<?xf32>,
                         %idx: memref<?xi32>, %weight: memref<?xf32>,
                         %T: index, %E: index, %k: index, %n_group: index,
                         %topk_group: index, %norm: index, %scale: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %gsz = arith.divui %E, %n_group : index
  %normalize = arith.cmpi ne, %norm, %c0 : index
  scf.parallel (%t) = (%c0) to (%T) step (%c1) {
    func.call @nhc_moe_route_token(%logits, %bias, %idx, %weight, %t, %E, %k,
                                   %n_group, %topk_group, %gsz, %normalize,
                                   %scale)
        : (memref<?xf32>, memref<?xf32>, memref<?xi32>, memref<?xf32>, index,
           index, index, index, index, index, i1, f32) -> ()
    scf.reduce
  }
  return
}

// Token t's routes (the host form's iteration, and the GPU form's path for
// more experts or groups than its workgroup buffers hold); groups of gsz.
func.func private @nhc_moe_route_token(%logits: memref<?xf32>,
                                       %bias: memref<?xf32>,
                                       %idx: memref<?xi32>,
                                       %weight: memref<?xf32>, %t: index,
                                       %E: index, %k: index, %n_group: index,
                                       %topk_group: index, %gsz: index,
                                       %normalize: i1, %scale: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %none = arith.constant -1 : index
  %zero = arith.constant 0.0 : f32
  %inf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %row = arith.muli %t, %E : index
  // The topk_group-th best group: a group is kept iff it is not after it.
  %thr:2 = scf.for %p = %c0 to %topk_group step %c1
      iter_args(%ps = %inf, %pg = %none) -> (f32, index) {
    %best:2 = scf.for %g = %c0 to %n_group step %c1
        iter_args(%bs = %ninf, %bg = %none) -> (f32, index) {
      %gs = func.call @nhc_moe_group_score(%logits, %bias, %row, %g, %gsz)
          : (memref<?xf32>, memref<?xf32>, index, index, index) -> f32
      %take = func.call @nhc_moe_better(%gs, %g, %ps, %pg, %bs, %bg)
          : (f32, index, f32, index, f32, index) -> i1
      %nbs = arith.select %take, %gs, %bs : f32
      %nbg = arith.select %take, %g, %bg : index
      scf.yield %nbs, %nbg : f32, index
    }
    scf.yield %best#0, %best#1 : f32, index
  }
  %obase = arith.muli %t, %k : index
  %picked:3 = scf.for %s = %c0 to %k step %c1
      iter_args(%pc = %inf, %pe = %none, %wsum = %zero)
      -> (f32, index, f32) {
    %best:2 = scf.for %g = %c0 to %n_group step %c1
        iter_args(%bc = %ninf, %be = %none) -> (f32, index) {
      %gs = func.call @nhc_moe_group_score(%logits, %bias, %row, %g, %gsz)
          : (memref<?xf32>, memref<?xf32>, index, index, index) -> f32
      %kept = func.call @nhc_moe_group_kept(%gs, %g, %thr#0, %thr#1)
          : (f32, index, f32, index) -> i1
      %r:2 = scf.if %kept -> (f32, index) {
        %e0 = arith.muli %g, %gsz : index
        %e1 = arith.addi %e0, %gsz : index
        %in:2 = scf.for %e = %e0 to %e1 step %c1
            iter_args(%bc2 = %bc, %be2 = %be) -> (f32, index) {
          %c = func.call @nhc_moe_choice(%logits, %bias, %row, %e)
              : (memref<?xf32>, memref<?xf32>, index, index) -> f32
          %take = func.call @nhc_moe_better(%c, %e, %pc, %pe, %bc2, %be2)
              : (f32, index, f32, index, f32, index) -> i1
          %nbc = arith.select %take, %c, %bc2 : f32
          %nbe = arith.select %take, %e, %be2 : index
          scf.yield %nbc, %nbe : f32, index
        }
        scf.yield %in#0, %in#1 : f32, index
      } else {
        scf.yield %bc, %be : f32, index
      }
      scf.yield %r#0, %r#1 : f32, index
    }
    %w = func.call @nhc_moe_pick_weight(%logits, %row, %best#1)
        : (memref<?xf32>, index, index) -> f32
    %oi = arith.addi %obase, %s : index
    func.call @nhc_moe_store_pick(%idx, %weight, %oi, %best#1, %w)
        : (memref<?xi32>, memref<?xf32>, index, index, f32) -> ()
    %ws2 = arith.addf %wsum, %w : f32
    scf.yield %best#0, %best#1, %ws2 : f32, index, f32
  }
  func.call @nhc_moe_normalize_weights(%weight, %obase, %k, %picked#2,
                                       %normalize, %scale)
      : (memref<?xf32>, index, index, f32, i1, f32) -> ()
  return
}

// The weight of pick e of the token whose logits start at `row`: its
// sigmoid score; 0 where nothing was found (e = -1: only an invalid config,
// k above the kept experts, finds nothing).
func.func private @nhc_moe_pick_weight(%logits: memref<?xf32>, %row: index,
                                       %e: index) -> f32 {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %found = arith.cmpi sge, %e, %c0 : index
  %eSafe = arith.select %found, %e, %c0 : index
  %li = arith.addi %row, %eSafe : index
  %lv = memref.load %logits[%li] : memref<?xf32>
  %sc = func.call @nhc_sigmoid(%lv) : (f32) -> f32
  %w = arith.select %found, %sc, %zero : f32
  return %w : f32
}

// Route `at`: expert e (-1: none) and its weight before normalization.
func.func private @nhc_moe_store_pick(%idx: memref<?xi32>,
                                      %weight: memref<?xf32>, %at: index,
                                      %e: index, %w: f32) {
  %e32 = arith.index_cast %e : index to i32
  memref.store %e32, %idx[%at] : memref<?xi32>
  memref.store %w, %weight[%at] : memref<?xf32>
  return
}

// A token's k weights from `first` on: divided by (sum + 1e-20) if
// `normalize`, times `scale`, in pick order.
func.func private @nhc_moe_normalize_weights(%weight: memref<?xf32>,
                                             %first: index, %k: index,
                                             %sum: f32, %normalize: i1,
                                             %scale: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %tiny = arith.constant 1.0e-20 : f32
  %denom = arith.addf %sum, %tiny : f32
  scf.for %s = %c0 to %k step %c1 {
    %oi = arith.addi %first, %s : index
    %w = memref.load %weight[%oi] : memref<?xf32>
    %wn = arith.divf %w, %denom : f32
    %w1 = arith.select %normalize, %wn, %w : f32
    %w2 = arith.mulf %w1, %scale : f32
    memref.store %w2, %weight[%oi] : memref<?xf32>
  }
  return
}

// True iff candidate (v, i) comes strictly after the previous pick (pv, pi)
// and beats the best so far (bv, bi; bi == -1 means none). Candidates are
// visited in ascending index order, so a strict `>` keeps the lower index.
func.func private @nhc_moe_better(%v: f32, %i: index, %pv: f32, %pi: index,
                                  %bv: f32, %bi: index) -> i1 {
  %none = arith.constant -1 : index
  %lt = arith.cmpf olt, %v, %pv : f32
  %eq = arith.cmpf oeq, %v, %pv : f32
  %later = arith.cmpi sgt, %i, %pi : index
  %tie = arith.andi %eq, %later : i1
  %after = arith.ori %lt, %tie : i1
  %empty = arith.cmpi eq, %bi, %none : index
  %gt = arith.cmpf ogt, %v, %bv : f32
  %better = arith.ori %empty, %gt : i1
  %take = arith.andi %after, %better : i1
  return %take : i1
}

// Sum of the two largest choice scores of group g (duplicates count twice,
// as torch.topk).
func.func private @nhc_moe_group_score(%logits: memref<?xf32>,
                                       %bias: memref<?xf32>, %row: index,
                                       %g: index, %gsz: index) -> f32 {
  %c1 = arith.constant 1 : index
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = arith.muli %g, %gsz : index
  %e1 = arith.addi %e0, %gsz : index
  %top:2 = scf.for %e = %e0 to %e1 step %c1
      iter_args(%t1 = %ninf, %t2 = %ninf) -> (f32, f32) {
    %c = func.call @nhc_moe_choice(%logits, %bias, %row, %e)
        : (memref<?xf32>, memref<?xf32>, index, index) -> f32
    %n:2 = func.call @nhc_moe_top2(%c, %t1, %t2) : (f32, f32, f32) -> (f32, f32)
    scf.yield %n#0, %n#1 : f32, f32
  }
  %sum = arith.addf %top#0, %top#1 : f32
  return %sum : f32
}

// The two largest of (t1 >= t2) and c, visited after them (a NaN c is
// never taken).
func.func private @nhc_moe_top2(%c: f32, %t1: f32, %t2: f32) -> (f32, f32) {
  %gt1 = arith.cmpf ogt, %c, %t1 : f32
  %gt2 = arith.cmpf ogt, %c, %t2 : f32
  %n1 = arith.select %gt1, %c, %t1 : f32
  %mid = arith.select %gt2, %c, %t2 : f32
  %n2 = arith.select %gt1, %t1, %mid : f32
  return %n1, %n2 : f32, f32
}

// Whether group g (score gs) is kept: not after the topk_group-th best
// group (thr, thrGroup) in the order (score descending, index ascending).
func.func private @nhc_moe_group_kept(%gs: f32, %g: index, %thr: f32,
                                      %thrGroup: index) -> i1 {
  %gsAbove = arith.cmpf ogt, %gs, %thr : f32
  %gsTie = arith.cmpf oeq, %gs, %thr : f32
  %gUpTo = arith.cmpi sle, %g, %thrGroup : index
  %tieKept = arith.andi %gsTie, %gUpTo : i1
  %kept = arith.ori %gsAbove, %tieKept : i1
  return %kept : i1
}

// Selection score of expert e: sigmoid(logit) + bias.
func.func private @nhc_moe_choice(%logits: memref<?xf32>, %bias: memref<?xf32>,
                                  %row: index, %e: index) -> f32 {
  %li = arith.addi %row, %e : index
  %lv = memref.load %logits[%li] : memref<?xf32>
  %s = func.call @nhc_sigmoid(%lv) : (f32) -> f32
  %b = memref.load %bias[%e] : memref<?xf32>
  %c = arith.addf %s, %b : f32
  return %c : f32
}

// sigmoid(x) = 1 / (1 + exp(-x)), as torch computes it.
func.func private @nhc_sigmoid(%x: f32) -> f32 {
  %one = arith.constant 1.0 : f32
  %n = arith.negf %x : f32
  %e = math.exp %n : f32
  %d = arith.addf %one, %e : f32
  %s = arith.divf %one, %d : f32
  return %s : f32
}
