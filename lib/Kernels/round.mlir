// Rounding f32 activations to the model's dtype in place (nhc compile
// --activation-dtype=model). Uses device_ops.mlir's bf16 rounding and
// activations.

// x = round(act(round(x))) in place at x[offset + t * stride + j] for
// t < T, j < K: an activation transformers keeps in the model's dtype,
// stored in f32 (`nhc compile --activation-dtype=model`, docs/golden.md).
// A kernel's output is rounded as transformers stores it, then the
// activation that transformers applies to the stored value (`act`, an
// nhc_conv_activate code; `linear` for none), rounded again. `dtype`
// (nhc/format/library_kernels.h, kRoundTo*): 0 the nearest bf16
// (nhc_round_to_bf16), 1 the nearest f16 (nhc_round_to_f16); both ties to
// even, as torch's .to(dtype).
func.func @nhc_round_activations(%x: memref<?xf32>, %stride: index,
                                 %offset: index, %T: index, %K: index,
                                 %act: index, %dtype: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %linear = arith.constant 10 : index // nhc_conv_activate's `linear`
  %count = arith.muli %T, %K : index
  %toF16 = arith.cmpi eq, %dtype, %c1 : index
  // Whole rows (stride K, nearly every call) index x[offset + i] without a
  // division per element, those without an activation in a loop of their
  // own; each call runs one of the three loops, the others none.
  %wholeRows = arith.cmpi eq, %stride, %K : index
  %plain = arith.cmpi eq, %act, %linear : index
  %plainCount = arith.select %plain, %count, %c0 : index
  %activatedCount = arith.subi %count, %plainCount : index
  %fastCount = arith.select %wholeRows, %plainCount, %c0 : index
  %wholeCount = arith.select %wholeRows, %activatedCount, %c0 : index
  %rest = arith.subi %count, %fastCount : index
  %otherCount = arith.subi %rest, %wholeCount : index
  scf.parallel (%i) = (%c0) to (%fastCount) step (%c1) {
    %at = arith.addi %offset, %i : index
    %v = memref.load %x[%at] : memref<?xf32>
    %r = func.call @nhc_round_to_dtype(%v, %toF16) : (f32, i1) -> f32
    memref.store %r, %x[%at] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%wholeCount) step (%c1) {
    %at = arith.addi %offset, %i : index
    %v = memref.load %x[%at] : memref<?xf32>
    %r = func.call @nhc_round_activate_round(%v, %act, %toF16) : (f32, index, i1) -> f32
    memref.store %r, %x[%at] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%otherCount) step (%c1) {
    %t = arith.divui %i, %K : index
    %j = arith.remui %i, %K : index
    %row = arith.muli %t, %stride : index
    %rowOffset = arith.addi %row, %offset : index
    %at = arith.addi %rowOffset, %j : index
    %v = memref.load %x[%at] : memref<?xf32>
    %r = func.call @nhc_round_activate_round(%v, %act, %toF16) : (f32, index, i1) -> f32
    memref.store %r, %x[%at] : memref<?xf32>
    scf.reduce
  }
  return
}

// round(act(round(v))): v stored in the dtype, activated, stored again.
func.func private @nhc_round_activate_round(%v: f32, %act: index,
                                            %toF16: i1) -> f32 {
  %true = arith.constant true
  %stored = func.call @nhc_round_to_dtype(%v, %toF16) : (f32, i1) -> f32
  %a = func.call @nhc_maybe_activate(%stored, %true, %act) : (f32, i1, index) -> f32
  %r = func.call @nhc_round_to_dtype(%a, %toF16) : (f32, i1) -> f32
  return %r : f32
}

// v rounded to the nearest f16 if `toF16`, else to the nearest bf16: both
// computed and one selected, so loops over it stay branch-free.
func.func private @nhc_round_to_dtype(%v: f32, %toF16: i1) -> f32 {
  %h = func.call @nhc_round_to_f16(%v) : (f32) -> f32
  %b = func.call @nhc_round_to_bf16(%v) : (f32) -> f32
  %r = arith.select %toF16, %h, %b : f32
  return %r : f32
}

// v rounded to the nearest f16 (ties to even), kept in f32, as torch's
// .to(torch.float16): |v| >= 65520 (the midpoint past 65504) becomes an
// infinity, |v| below 2^-14 goes to the subnormals' 2^-24 grid (adding and
// subtracting 0.75, whose f32 ulp is 2^-24), the rest keeps 10 fraction
// bits; NaN stays NaN, the sign stays (-0 too).
func.func private @nhc_round_to_f16(%v: f32) -> f32 {
  %c1 = arith.constant 1 : i32
  %c13 = arith.constant 13 : i32
  %cHalf = arith.constant 4095 : i32    // 0xfff
  %cKeep = arith.constant -8192 : i32   // ~0x1fff
  %overflow = arith.constant 65520.0 : f32
  %minNormal = arith.constant 6.103515625e-05 : f32 // 2^-14
  %grid = arith.constant 0.75 : f32
  %inf = arith.constant 0x7F800000 : f32
  %a = math.absf %v : f32
  %bits = arith.bitcast %a : f32 to i32
  %shifted = arith.shrui %bits, %c13 : i32
  %lsb = arith.andi %shifted, %c1 : i32
  %bias = arith.addi %cHalf, %lsb : i32
  %biased = arith.addi %bits, %bias : i32
  %kept = arith.andi %biased, %cKeep : i32
  %normal = arith.bitcast %kept : i32 to f32
  %onGrid = arith.addf %a, %grid : f32
  %subnormal = arith.subf %onGrid, %grid : f32
  %isSubnormal = arith.cmpf olt, %a, %minNormal : f32
  %isOverflow = arith.cmpf oge, %a, %overflow : f32
  %finite = arith.select %isSubnormal, %subnormal, %normal : f32
  %magnitude = arith.select %isOverflow, %inf, %finite : f32
  %signed = math.copysign %magnitude, %v : f32
  %isNan = arith.cmpf uno, %v, %v : f32
  %r = arith.select %isNan, %v, %signed : f32
  return %r : f32
}
