// Helpers of the GPU forms' 64 x 64 tensor-core products
// (tools/scripts/gen-gpu-tiles.py writes the tiles that call them): partial
// sums in global memory between stages, the 3xTF32 operand split. GPU only: the host
// pipeline drops them with the forms.

// memory[i] if the element exists and an earlier stage wrote it, else 0.
func.func private @nhc_tile_load_partial(%memory: memref<?xf32>, %i: index,
                                         %valid: i1, %first: i1) -> f32 {
  %zero = arith.constant 0.0 : f32
  %true = arith.constant true
  %notFirst = arith.xori %first, %true : i1
  %load = arith.andi %valid, %notFirst : i1
  %v = scf.if %load -> (f32) {
    %old = memref.load %memory[%i] : memref<?xf32>
    scf.yield %old : f32
  } else {
    scf.yield %zero : f32
  }
  return %v : f32
}

// memory[i] = v if the element exists.
func.func private @nhc_tile_store_if(%memory: memref<?xf32>, %i: index,
                                     %valid: i1, %v: f32) {
  scf.if %valid {
    memref.store %v, %memory[%i] : memref<?xf32>
  }
  return
}

// v rounded to the nearest tf32 (ties away from zero, as cvt.rna.tf32.f32):
// its low 13 mantissa bits cleared, so the tensor cores use it exactly.
func.func private @nhc_tf32_round(%v: f32) -> f32 {
  %half = arith.constant 4096 : i32 // 0x1000: half of the dropped bits
  %mask = arith.constant -8192 : i32 // 0xffffe000
  %bits = arith.bitcast %v : f32 to i32
  %biased = arith.addi %bits, %half : i32
  %kept = arith.andi %biased, %mask : i32
  %r = arith.bitcast %kept : i32 to f32
  return %r : f32
}

// 3xTF32 (Ootomo and Yokota, "Recovering single precision accuracy from
// Tensor Cores while surpassing the FP32 theoretical peak performance",
// 2022): v = hi + lo with hi = tf32(v), lo = tf32(v - hi), so that
// a b ~ a.hi b.lo + a.lo b.hi + a.hi b.hi to about f32's accuracy.
// Infinities and NaN are not rounded (a NaN's payload could carry into its
// sign and leave a zero): hi = v, a NaN as 0x7fc00000 (its payload above
// the bits the tensor cores drop), lo = 0.
func.func private @nhc_tf32_split(%v: f32) -> (f32, f32) {
  %inf = arith.constant 0x7F800000 : f32
  %nan = arith.constant 0x7FC00000 : f32
  %zero = arith.constant 0.0 : f32
  %hiR = func.call @nhc_tf32_round(%v) : (f32) -> f32
  %rest = arith.subf %v, %hiR : f32
  %loR = func.call @nhc_tf32_round(%rest) : (f32) -> f32
  %abs = math.absf %v : f32
  %finite = arith.cmpf olt, %abs, %inf : f32
  %isNan = arith.cmpf uno, %v, %v : f32
  %special = arith.select %isNan, %nan, %v : f32
  %hi = arith.select %finite, %hiR, %special : f32
  %lo = arith.select %finite, %loR, %zero : f32
  return %hi, %lo : f32, f32
}

// An m16n8k8 A fragment's four elements split (nhc_tf32_split): (hi, lo).
func.func private @nhc_tf32_split4(%a0: f32, %a1: f32, %a2: f32, %a3: f32)
    -> (vector<4x1xf32>, vector<4x1xf32>) {
  %s0:2 = func.call @nhc_tf32_split(%a0) : (f32) -> (f32, f32)
  %s1:2 = func.call @nhc_tf32_split(%a1) : (f32) -> (f32, f32)
  %s2:2 = func.call @nhc_tf32_split(%a2) : (f32) -> (f32, f32)
  %s3:2 = func.call @nhc_tf32_split(%a3) : (f32) -> (f32, f32)
  %hi = vector.from_elements %s0#0, %s1#0, %s2#0, %s3#0 : vector<4x1xf32>
  %lo = vector.from_elements %s0#1, %s1#1, %s2#1, %s3#1 : vector<4x1xf32>
  return %hi, %lo : vector<4x1xf32>, vector<4x1xf32>
}

// An m16n8k8 B fragment's two elements split: (hi, lo).
func.func private @nhc_tf32_split2(%b0: f32, %b1: f32)
    -> (vector<2x1xf32>, vector<2x1xf32>) {
  %s0:2 = func.call @nhc_tf32_split(%b0) : (f32) -> (f32, f32)
  %s1:2 = func.call @nhc_tf32_split(%b1) : (f32) -> (f32, f32)
  %hi = vector.from_elements %s0#0, %s1#0 : vector<2x1xf32>
  %lo = vector.from_elements %s0#1, %s1#1 : vector<2x1xf32>
  return %hi, %lo : vector<2x1xf32>, vector<2x1xf32>
}
