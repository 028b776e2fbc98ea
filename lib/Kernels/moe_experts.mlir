// Routed experts entirely on the device (a device backend's moe_experts for
// decode-sized steps): nhc_moe_route's routes bucketed by expert, each
// active expert's rows multiplied by its slice of a stacked [E, n, k]
// weight, and each token's K outputs added in route order. Nothing goes
// back to the host, so a step that runs them can be recorded as a graph.
// Names: nhc/format/library_kernels.h. GPU forms: moe_experts_gpu.mlir.

// A stable counting sort of a step's T*K routes by expert. idx[T*K] holds
// nhc_moe_route's expert indices. Writes
//   offsets[E + 1]: expert e's routes are sorted positions
//                   offsets[e] .. offsets[e + 1] (in route order);
//   token[T*K]:     the token (route / K) at each sorted position (the
//                   first offsets[E] are written);
//   slot[T*K]:      the sorted position of route i, -1 for an index outside
//                   [0, E) (such a route is skipped, as the host does);
//   active[A]:      the experts with routes, ascending, then -1 up to A.
// A = min(E, T*K) is the most experts a step can use. Four parallel loops:
// the offsets (routes to experts before e), the active list (used experts
// before e), its unused tail, then each route's position (its expert's
// offset plus the earlier routes to it).
func.func @nhc_moe_bucket(%idx: memref<?xi32>, %offsets: memref<?xi32>,
                          %token: memref<?xi32>, %slot: memref<?xi32>,
                          %active: memref<?xi32>, %T: index, %K: index,
                          %E: index, %A: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  %none = arith.constant -1 : i32
  %TK = arith.muli %T, %K : index
  %E1 = arith.addi %E, %c1 : index
  scf.parallel (%e) = (%c0) to (%E1) step (%c1) {
    %e32 = arith.index_cast %e : index to i32
    %before = scf.for %i = %c0 to %TK step %c1 iter_args(%n = %zero) -> (i32) {
      %v = memref.load %idx[%i] : memref<?xi32>
      %low = arith.cmpi sge, %v, %zero : i32
      %below = arith.cmpi slt, %v, %e32 : i32
      %counts = arith.andi %low, %below : i1
      %add = arith.extui %counts : i1 to i32
      %n2 = arith.addi %n, %add : i32
      scf.yield %n2 : i32
    }
    memref.store %before, %offsets[%e] : memref<?xi32>
    scf.reduce
  }
  scf.parallel (%e) = (%c0) to (%E) step (%c1) {
    %rank = scf.for %f = %c0 to %e step %c1 iter_args(%r = %c0) -> (index) {
      %used = func.call @nhc_moe_expert_used(%offsets, %f)
          : (memref<?xi32>, index) -> i1
      %r1 = arith.addi %r, %c1 : index
      %r2 = arith.select %used, %r1, %r : index
      scf.yield %r2 : index
    }
    %used = func.call @nhc_moe_expert_used(%offsets, %e)
        : (memref<?xi32>, index) -> i1
    scf.if %used {
      %e32 = arith.index_cast %e : index to i32
      memref.store %e32, %active[%rank] : memref<?xi32>
    }
    scf.reduce
  }
  scf.parallel (%a) = (%c0) to (%A) step (%c1) {
    %usedCount = scf.for %f = %c0 to %E step %c1 iter_args(%r = %c0) -> (index) {
      %used = func.call @nhc_moe_expert_used(%offsets, %f)
          : (memref<?xi32>, index) -> i1
      %r1 = arith.addi %r, %c1 : index
      %r2 = arith.select %used, %r1, %r : index
      scf.yield %r2 : index
    }
    %unused = arith.cmpi uge, %a, %usedCount : index
    scf.if %unused {
      memref.store %none, %active[%a] : memref<?xi32>
    }
    scf.reduce
  }
  %E32 = arith.index_cast %E : index to i32
  scf.parallel (%i) = (%c0) to (%TK) step (%c1) {
    %v = memref.load %idx[%i] : memref<?xi32>
    %low = arith.cmpi slt, %v, %zero : i32
    %high = arith.cmpi sge, %v, %E32 : i32
    %outside = arith.ori %low, %high : i1
    scf.if %outside {
      memref.store %none, %slot[%i] : memref<?xi32>
    } else {
      %earlier = scf.for %j = %c0 to %i step %c1 iter_args(%n = %zero) -> (i32) {
        %w = memref.load %idx[%j] : memref<?xi32>
        %same = arith.cmpi eq, %w, %v : i32
        %add = arith.extui %same : i1 to i32
        %n2 = arith.addi %n, %add : i32
        scf.yield %n2 : i32
      }
      %e = arith.index_cast %v : i32 to index
      %first = memref.load %offsets[%e] : memref<?xi32>
      %at32 = arith.addi %first, %earlier : i32
      %at = arith.index_cast %at32 : i32 to index
      memref.store %at32, %slot[%i] : memref<?xi32>
      %t = arith.divui %i, %K : index
      %t32 = arith.index_cast %t : index to i32
      memref.store %t32, %token[%at] : memref<?xi32>
    }
    scf.reduce
  }
  return
}

// Whether expert f has routes (offsets[f + 1] > offsets[f]).
func.func private @nhc_moe_expert_used(%offsets: memref<?xi32>, %f: index) -> i1 {
  %c1 = arith.constant 1 : index
  %f1 = arith.addi %f, %c1 : index
  %a = memref.load %offsets[%f] : memref<?xi32>
  %b = memref.load %offsets[%f1] : memref<?xi32>
  %used = arith.cmpi sgt, %b, %a : i32
  return %used : i1
}

// y[p * n + j] = act(sum_i x[r(p) * k + i] * W_e[j, i]) for j < n and every
// sorted position p of every active expert e = active[a], a < A (from
// nhc_moe_bucket), where r(p) = token[p] if gather != 0 (an up projection
// reading the tokens' rows) and p otherwise (a down projection reading the
// up projection's rows). W is the stacked [E, n, k] weight as bf16 bits;
// x is rounded to bf16 first, as the bf16 x bf16 product of a gemm, and the
// sum is in f32. act: an nhc_conv_activate code (negative: none).
func.func @nhc_moe_expert_matmul_bf16(%x: memref<?xf32>, %token: memref<?xi32>,
                                      %offsets: memref<?xi32>,
                                      %active: memref<?xi32>,
                                      %w: memref<?xi16>, %y: memref<?xf32>,
                                      %A: index, %n: index, %k: index,
                                      %gather: index, %act: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %doGather = arith.cmpi ne, %gather, %c0 : index
  scf.parallel (%a, %j) = (%c0, %c0) to (%A, %n) step (%c1, %c1) {
    // An unused entry's range is empty.
    %r:3 = func.call @nhc_moe_expert_range(%offsets, %active, %a)
        : (memref<?xi32>, memref<?xi32>, index) -> (index, index, index)
    %wRow = func.call @nhc_moe_weight_row(%r#0, %j, %n, %k)
        : (index, index, index, index) -> index
    scf.for %p = %r#1 to %r#2 step %c1 {
      %src = func.call @nhc_moe_source_row(%token, %p, %doGather)
          : (memref<?xi32>, index, i1) -> index
      %xRow = arith.muli %src, %k : index
      %sum = func.call @nhc_moe_row_dot_bf16(%x, %xRow, %w, %wRow, %k)
          : (memref<?xf32>, index, memref<?xi16>, index, index) -> f32
      func.call @nhc_moe_store_output(%sum, %y, %p, %j, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index) -> ()
    }
    scf.reduce
  }
  return
}

// nhc_moe_expert_matmul_bf16's arguments and results for steps with many
// routes per expert: its GPU form (moe_experts_tiled_gpu.mlir) multiplies
// 64 x 64 tiles on tensor cores, each weight tile read once per 64 routes
// of its expert. The portable form is a call of nhc_moe_expert_matmul_bf16.
func.func @nhc_moe_expert_matmul_bf16_tiled(%x: memref<?xf32>,
                                            %token: memref<?xi32>,
                                            %offsets: memref<?xi32>,
                                            %active: memref<?xi32>,
                                            %w: memref<?xi16>,
                                            %y: memref<?xf32>, %A: index,
                                            %n: index, %k: index,
                                            %gather: index, %act: index) {
  func.call @nhc_moe_expert_matmul_bf16(%x, %token, %offsets, %active, %w,
                                        %y, %A, %n, %k, %gather, %act)
      : (memref<?xf32>, memref<?xi32>, memref<?xi32>, memref<?xi32>,
         memref<?xi16>, memref<?xf32>, index, index, index, index, index)
      -> ()
  return
}

// nhc_moe_expert_matmul_e4m3's arguments and results for steps with many
// routes per expert: its GPU form multiplies the tiles of
// nhc_moe_expert_matmul_bf16_tiled's GPU form on e4m3 weights; the portable
// form is a call of nhc_moe_expert_matmul_e4m3.
func.func @nhc_moe_expert_matmul_e4m3_tiled(%x: memref<?xf32>,
                                            %token: memref<?xi32>,
                                            %offsets: memref<?xi32>,
                                            %active: memref<?xi32>,
                                            %w: memref<?xi8>,
                                            %y: memref<?xf32>, %A: index,
                                            %n: index, %k: index,
                                            %gather: index, %act: index) {
  func.call @nhc_moe_expert_matmul_e4m3(%x, %token, %offsets, %active, %w,
                                        %y, %A, %n, %k, %gather, %act)
      : (memref<?xf32>, memref<?xi32>, memref<?xi32>, memref<?xi32>,
         memref<?xi8>, memref<?xf32>, index, index, index, index, index)
      -> ()
  return
}

// As nhc_moe_expert_matmul_bf16 for an f32 weight: x as it is.
func.func @nhc_moe_expert_matmul_f32(%x: memref<?xf32>, %token: memref<?xi32>,
                                     %offsets: memref<?xi32>,
                                     %active: memref<?xi32>,
                                     %w: memref<?xf32>, %y: memref<?xf32>,
                                     %A: index, %n: index, %k: index,
                                     %gather: index, %act: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %doGather = arith.cmpi ne, %gather, %c0 : index
  scf.parallel (%a, %j) = (%c0, %c0) to (%A, %n) step (%c1, %c1) {
    // An unused entry's range is empty.
    %r:3 = func.call @nhc_moe_expert_range(%offsets, %active, %a)
        : (memref<?xi32>, memref<?xi32>, index) -> (index, index, index)
    %wRow = func.call @nhc_moe_weight_row(%r#0, %j, %n, %k)
        : (index, index, index, index) -> index
    scf.for %p = %r#1 to %r#2 step %c1 {
      %src = func.call @nhc_moe_source_row(%token, %p, %doGather)
          : (memref<?xi32>, index, i1) -> index
      %xRow = arith.muli %src, %k : index
      %sum = func.call @nhc_moe_row_dot_f32(%x, %xRow, %w, %wRow, %k)
          : (memref<?xf32>, index, memref<?xf32>, index, index) -> f32
      func.call @nhc_moe_store_output(%sum, %y, %p, %j, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index) -> ()
    }
    scf.reduce
  }
  return
}

// As nhc_moe_expert_matmul_bf16 for an e4m3 (e4m3fn bytes) weight, each
// widened exactly (nhc_widen_e4m3): FP8 routed experts kept in their
// checkpoint's bytes. x is rounded to bf16 as there, which leaves the e4m3
// values nhc_moe_fp8_rows quantized it to unchanged.
func.func @nhc_moe_expert_matmul_e4m3(%x: memref<?xf32>, %token: memref<?xi32>,
                                      %offsets: memref<?xi32>,
                                      %active: memref<?xi32>,
                                      %w: memref<?xi8>, %y: memref<?xf32>,
                                      %A: index, %n: index, %k: index,
                                      %gather: index, %act: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %doGather = arith.cmpi ne, %gather, %c0 : index
  scf.parallel (%a, %j) = (%c0, %c0) to (%A, %n) step (%c1, %c1) {
    // An unused entry's range is empty.
    %r:3 = func.call @nhc_moe_expert_range(%offsets, %active, %a)
        : (memref<?xi32>, memref<?xi32>, index) -> (index, index, index)
    %wRow = func.call @nhc_moe_weight_row(%r#0, %j, %n, %k)
        : (index, index, index, index) -> index
    scf.for %p = %r#1 to %r#2 step %c1 {
      %src = func.call @nhc_moe_source_row(%token, %p, %doGather)
          : (memref<?xi32>, index, i1) -> index
      %xRow = arith.muli %src, %k : index
      %sum = func.call @nhc_moe_row_dot_e4m3(%x, %xRow, %w, %wRow, %k)
          : (memref<?xf32>, index, memref<?xi8>, index, index) -> f32
      func.call @nhc_moe_store_output(%sum, %y, %p, %j, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index) -> ()
    }
    scf.reduce
  }
  return
}

// out[t * H + h] = sum over j < K (ascending) of w[t*K + j] *
// y[slot[t*K + j] * H + h], routes with slot -1 skipped: each token's
// weighted expert outputs (nhc_moe_route's weights), in route order, so a
// token's result does not depend on the other tokens of the step.
func.func @nhc_moe_combine(%y: memref<?xf32>, %slot: memref<?xi32>,
                           %w: memref<?xf32>, %out: memref<?xf32>,
                           %T: index, %K: index, %H: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %none = arith.constant 0 : i32
  %count = arith.muli %T, %H : index
  scf.parallel (%i) = (%c0) to (%count) step (%c1) {
    %t = arith.divui %i, %H : index
    %h = arith.remui %i, %H : index
    %routes = arith.muli %t, %K : index
    %sum = scf.for %j = %c0 to %K step %c1 iter_args(%acc = %zero) -> (f32) {
      %r = arith.addi %routes, %j : index
      %s32 = memref.load %slot[%r] : memref<?xi32>
      %valid = arith.cmpi sge, %s32, %none : i32
      %next = scf.if %valid -> (f32) {
        %s = arith.index_cast %s32 : i32 to index
        %row = arith.muli %s, %H : index
        %at = arith.addi %row, %h : index
        %v = memref.load %y[%at] : memref<?xf32>
        %wr = memref.load %w[%r] : memref<?xf32>
        %weighted = arith.mulf %wr, %v : f32
        %a = arith.addf %acc, %weighted : f32
        scf.yield %a : f32
      } else {
        scf.yield %acc : f32
      }
      scf.yield %next : f32
    }
    memref.store %sum, %out[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// FP8 (e4m3) routed experts (docs/fp8.md) around the e4m3 (or, widened,
// bf16) expert matmuls, whose products of e4m3 values are exact: for every sorted route position
// p < offsets[E] and j < n, with e the expert of p (offsets[e] <= p <
// offsets[e + 1]),
//   dst[p * n + j] = quantize(act(src[r(p) * n + j] * scale(e)))
// r(p) = token[p] if gather != 0, else p. `scales` holds four lists of E
// f32 in MoeScales' order (up input_scale, up weight_scale, down
// input_scale, down weight_scale; list L's expert e at scales[L * E + e]).
// mul >= 0: scale(e) = scales[mul * E + e] * scales[(mul + 1) * E + e] (a
// product's input_scale x weight_scale, multiplied first as the host's
// scaleBlock does), else no multiply. act: an nhc_conv_activate code
// (negative: none). quant >= 0: sat_e4m3(v / scales[quant * E + e])
// (nhc_e4m3_quantize), else v. P = T*K positions are launched; those at or
// past offsets[E] (skipped routes) are not written. src may be dst.
// Needs 1 <= E <= 2048 (the expert search's 11 halvings).
func.func @nhc_moe_fp8_rows(%src: memref<?xf32>, %token: memref<?xi32>,
                            %offsets: memref<?xi32>, %scales: memref<?xf32>,
                            %dst: memref<?xf32>, %P: index, %E: index,
                            %n: index, %gather: index, %mul: index,
                            %act: index, %quant: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  %doGather = arith.cmpi ne, %gather, %c0 : index
  %doMul = arith.cmpi sge, %mul, %c0 : index
  %doActivate = arith.cmpi sge, %act, %c0 : index
  %doQuantize = arith.cmpi sge, %quant, %c0 : index
  %count = arith.muli %P, %n : index
  scf.parallel (%i) = (%c0) to (%count) step (%c1) {
    %p = arith.divui %i, %n : index
    %j = arith.remui %i, %n : index
    // Read here, not before the loop: a launcher would read it on the host.
    %routed32 = memref.load %offsets[%E] : memref<?xi32>
    %routed = arith.index_cast %routed32 : i32 to index
    %isRoute = arith.cmpi ult, %p, %routed : index
    scf.if %isRoute {
      %e = func.call @nhc_moe_expert_of(%offsets, %E, %p)
          : (memref<?xi32>, index, index) -> index
      %row = func.call @nhc_moe_source_row(%token, %p, %doGather)
          : (memref<?xi32>, index, i1) -> index
      %rowStart = arith.muli %row, %n : index
      %at = arith.addi %rowStart, %j : index
      %x = memref.load %src[%at] : memref<?xf32>
      %factor = scf.if %doMul -> (f32) {
        %a = func.call @nhc_moe_expert_scale(%scales, %mul, %E, %e)
            : (memref<?xf32>, index, index, index) -> f32
        %mul1 = arith.addi %mul, %c1 : index
        %b = func.call @nhc_moe_expert_scale(%scales, %mul1, %E, %e)
            : (memref<?xf32>, index, index, index) -> f32
        %ab = arith.mulf %a, %b : f32
        scf.yield %ab : f32
      } else {
        scf.yield %one : f32
      }
      %scaled = scf.if %doMul -> (f32) {
        %v = arith.mulf %x, %factor : f32
        scf.yield %v : f32
      } else {
        scf.yield %x : f32
      }
      %activated = func.call @nhc_maybe_activate(%scaled, %doActivate, %act)
          : (f32, i1, index) -> f32
      %q = scf.if %doQuantize -> (f32) {
        %s = func.call @nhc_moe_expert_scale(%scales, %quant, %E, %e)
            : (memref<?xf32>, index, index, index) -> f32
        %v = func.call @nhc_e4m3_quantize(%activated, %s) : (f32, f32) -> f32
        scf.yield %v : f32
      } else {
        scf.yield %activated : f32
      }
      %outRow = arith.muli %p, %n : index
      %out = arith.addi %outRow, %j : index
      memref.store %q, %dst[%out] : memref<?xf32>
    }
    scf.reduce
  }
  return
}

// The expert whose sorted positions hold p < offsets[E]: the last e < E
// with offsets[e] <= p (experts without routes have empty ranges), by 11
// halvings of [0, E) (E <= 2048).
func.func private @nhc_moe_expert_of(%offsets: memref<?xi32>, %E: index,
                                     %p: index) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c11 = arith.constant 11 : index
  %p32 = arith.index_cast %p : index to i32
  %r:2 = scf.for %s = %c0 to %c11 step %c1
      iter_args(%lo = %c0, %hi = %E) -> (index, index) {
    %width = arith.subi %hi, %lo : index
    %open = arith.cmpi ugt, %width, %c1 : index
    %sum = arith.addi %lo, %hi : index
    %mid = arith.divui %sum, %c2 : index
    // mid < hi <= E while open; offsets[lo] otherwise (in bounds).
    %probe = arith.select %open, %mid, %lo : index
    %start = memref.load %offsets[%probe] : memref<?xi32>
    %atOrBefore = arith.cmpi sle, %start, %p32 : i32
    %raise = arith.andi %open, %atOrBefore : i1
    %notBefore = arith.xori %atOrBefore, %open : i1
    %lower = arith.andi %open, %notBefore : i1
    %lo2 = arith.select %raise, %mid, %lo : index
    %hi2 = arith.select %lower, %mid, %hi : index
    scf.yield %lo2, %hi2 : index, index
  }
  return %r#0 : index
}

// scales[list * E + e].
func.func private @nhc_moe_expert_scale(%scales: memref<?xf32>, %list: index,
                                        %E: index, %e: index) -> f32 {
  %base = arith.muli %list, %E : index
  %at = arith.addi %base, %e : index
  %s = memref.load %scales[%at] : memref<?xf32>
  return %s : f32
}

// Active entry a's expert e (0 if unused) and its sorted positions
// first .. last (empty if unused).
func.func private @nhc_moe_expert_range(%offsets: memref<?xi32>,
                                        %active: memref<?xi32>, %a: index)
    -> (index, index, index) {
  %c1 = arith.constant 1 : index
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
  return %e, %first, %last : index, index, index
}

// The first element of expert e's weight row j in a stacked [E, n, k] weight.
func.func private @nhc_moe_weight_row(%e: index, %j: index, %n: index,
                                      %k: index) -> index {
  %nk = arith.muli %n, %k : index
  %wExpert = arith.muli %e, %nk : index
  %wCol = arith.muli %j, %k : index
  %wRow = arith.addi %wExpert, %wCol : index
  return %wRow : index
}

// sum_i bf16(x[xRow + i]) * W[wRow + i] for i < k, in order, in f32.
func.func private @nhc_moe_row_dot_bf16(%x: memref<?xf32>, %xRow: index,
                                        %w: memref<?xi16>, %wRow: index,
                                        %k: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.for %i = %c0 to %k step %c1 iter_args(%acc = %zero) -> (f32) {
    %xi = arith.addi %xRow, %i : index
    %xv = memref.load %x[%xi] : memref<?xf32>
    %xb = func.call @nhc_round_to_bf16(%xv) : (f32) -> f32
    %wi = arith.addi %wRow, %i : index
    %wv = memref.load %w[%wi] : memref<?xi16>
    %wf = func.call @nhc_widen_bf16(%wv) : (i16) -> f32
    %prod = arith.mulf %xb, %wf : f32
    %s = arith.addf %acc, %prod : f32
    scf.yield %s : f32
  }
  return %sum : f32
}

// sum_i bf16(x[xRow + i]) * e4m3(W[wRow + i]) for i < k, in order, in f32.
func.func private @nhc_moe_row_dot_e4m3(%x: memref<?xf32>, %xRow: index,
                                        %w: memref<?xi8>, %wRow: index,
                                        %k: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.for %i = %c0 to %k step %c1 iter_args(%acc = %zero) -> (f32) {
    %xi = arith.addi %xRow, %i : index
    %xv = memref.load %x[%xi] : memref<?xf32>
    %xb = func.call @nhc_round_to_bf16(%xv) : (f32) -> f32
    %wi = arith.addi %wRow, %i : index
    %wv = memref.load %w[%wi] : memref<?xi8>
    %wf = func.call @nhc_widen_e4m3(%wv) : (i8) -> f32
    %prod = arith.mulf %xb, %wf : f32
    %s = arith.addf %acc, %prod : f32
    scf.yield %s : f32
  }
  return %sum : f32
}

// sum_i x[xRow + i] * W[wRow + i] for i < k, in order.
func.func private @nhc_moe_row_dot_f32(%x: memref<?xf32>, %xRow: index,
                                       %w: memref<?xf32>, %wRow: index,
                                       %k: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.for %i = %c0 to %k step %c1 iter_args(%acc = %zero) -> (f32) {
    %xi = arith.addi %xRow, %i : index
    %xv = memref.load %x[%xi] : memref<?xf32>
    %wi = arith.addi %wRow, %i : index
    %wv = memref.load %w[%wi] : memref<?xf32>
    %prod = arith.mulf %xv, %wv : f32
    %s = arith.addf %acc, %prod : f32
    scf.yield %s : f32
  }
  return %sum : f32
}

// y[p * n + j] = act(sum) (nhc_conv_activate code act; negative: none).
func.func private @nhc_moe_store_output(%sum: f32, %y: memref<?xf32>,
                                        %p: index, %j: index, %n: index,
                                        %act: index) {
  %c0 = arith.constant 0 : index
  %doActivate = arith.cmpi sge, %act, %c0 : index
  %out = func.call @nhc_maybe_activate(%sum, %doActivate, %act)
      : (f32, i1, index) -> f32
  %yRow = arith.muli %p, %n : index
  %yi = arith.addi %yRow, %j : index
  memref.store %out, %y[%yi] : memref<?xf32>
  return
}

// The row of x a sorted route position p reads: token[p] or p itself.
func.func private @nhc_moe_source_row(%token: memref<?xi32>, %p: index,
                                      %gather: i1) -> index {
  %r = scf.if %gather -> (index) {
    %t32 = memref.load %token[%p] : memref<?xi32>
    %t = arith.index_cast %t32 : i32 to index
    scf.yield %t : index
  } else {
    scf.yield %p : index
  }
  return %r : index
}

// bf16 bits widened to f32 exactly.
func.func private @nhc_widen_bf16(%bits: i16) -> f32 {
  %c16 = arith.constant 16 : i32
  %wide = arith.extui %bits : i16 to i32
  %shifted = arith.shli %wide, %c16 : i32
  %f = arith.bitcast %shifted : i32 to f32
  return %f : f32
}

// One e4m3fn byte widened exactly (nhc_widen_e4m3x16's rule, gemv.mlir).
func.func private @nhc_widen_e4m3(%bits: i8) -> f32 {
  %v = vector.broadcast %bits : i8 to vector<16xi8>
  %f = func.call @nhc_widen_e4m3x16(%v) : (vector<16xi8>) -> vector<16xf32>
  %s = vector.extract %f[0] : f32 from vector<16xf32>
  return %s : f32
}
