// RMS norms, as transformers computes them in f32:
//   out = w * (x * rsqrt(mean(x^2) + eps)).
// One parallel iteration per row (token or token x group); the row is reduced
// within the iteration (reassociated so it vectorizes, in an order fixed by
// the code), so the result is independent of the batch and the threads.
// With `quantize` non-zero each kernel stores sat_e4m3(out / qscale[0]) for
// an FP8 GEMM (@nhc_maybe_quantize of fp8.mlir); otherwise `qscale` is any
// non-empty memref.

func.func @nhc_rms_norm(%x: memref<?xf32>, %w: memref<?xf32>,
                        %out: memref<?xf32>, %T: index, %H: index,
                        %eps: f32, %qscale: memref<?xf32>, %quantize: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  %zero = arith.constant 0.0 : f32
  %H64 = arith.index_cast %H : index to i64
  %Hf = arith.sitofp %H64 : i64 to f32
  scf.parallel (%t) = (%c0) to (%T) step (%c1) {
    %row = arith.muli %t, %H : index
    %ss = scf.for %j = %c0 to %H step %c1 iter_args(%acc = %zero) -> (f32) {
      %i = arith.addi %row, %j : index
      %v = memref.load %x[%i] : memref<?xf32>
      %sq = arith.mulf %v, %v : f32
      %a = arith.addf %acc, %sq fastmath<reassoc> : f32
      scf.yield %a : f32
    }
    %mean = arith.divf %ss, %Hf : f32
    %var = arith.addf %mean, %eps : f32
    %rs = math.rsqrt %var : f32
    scf.for %j = %c0 to %H step %c1 {
      %i = arith.addi %row, %j : index
      %v = memref.load %x[%i] : memref<?xf32>
      %wj = memref.load %w[%j] : memref<?xf32>
      %nv = arith.mulf %v, %rs : f32
      %o = arith.mulf %wj, %nv : f32
      %st = func.call @nhc_maybe_quantize(%o, %doq, %qs) : (f32, i1, f32) -> f32
      memref.store %st, %out[%i] : memref<?xf32>
    }
    scf.reduce
  }
  return
}

// residual += update; out = rms_norm(residual).
func.func @nhc_add_rms_norm(%residual: memref<?xf32>, %update: memref<?xf32>,
                            %w: memref<?xf32>, %out: memref<?xf32>,
                            %T: index, %H: index, %eps: f32,
                            %qscale: memref<?xf32>, %quantize: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  %zero = arith.constant 0.0 : f32
  %H64 = arith.index_cast %H : index to i64
  %Hf = arith.sitofp %H64 : i64 to f32
  scf.parallel (%t) = (%c0) to (%T) step (%c1) {
    %row = arith.muli %t, %H : index
    %ss = scf.for %j = %c0 to %H step %c1 iter_args(%acc = %zero) -> (f32) {
      %i = arith.addi %row, %j : index
      %a = memref.load %residual[%i] : memref<?xf32>
      %b = memref.load %update[%i] : memref<?xf32>
      %v = arith.addf %a, %b : f32
      memref.store %v, %residual[%i] : memref<?xf32>
      %sq = arith.mulf %v, %v : f32
      %s = arith.addf %acc, %sq fastmath<reassoc> : f32
      scf.yield %s : f32
    }
    %mean = arith.divf %ss, %Hf : f32
    %var = arith.addf %mean, %eps : f32
    %rs = math.rsqrt %var : f32
    scf.for %j = %c0 to %H step %c1 {
      %i = arith.addi %row, %j : index
      %v = memref.load %residual[%i] : memref<?xf32>
      %wj = memref.load %w[%j] : memref<?xf32>
      %nv = arith.mulf %v, %rs : f32
      %o = arith.mulf %wj, %nv : f32
      %st = func.call @nhc_maybe_quantize(%o, %doq, %qs) : (f32, i1, f32) -> f32
      memref.store %st, %out[%i] : memref<?xf32>
    }
    scf.reduce
  }
  return
}

// Mamba-2 gated norm (Zamba2RMSNormGated, norm_before_gate=False):
//   g = y * silu(z), z = proj[t, 0:I]; RMS-normalized within each of G groups
//   of I/G channels; times w. `out` holds g between the two passes.
func.func @nhc_gated_rms_norm(%y: memref<?xf32>, %proj: memref<?xf32>,
                              %proj_stride: index, %w: memref<?xf32>,
                              %out: memref<?xf32>, %T: index, %I: index,
                              %G: index, %eps: f32, %qscale: memref<?xf32>,
                              %quantize: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %gs = arith.divui %I, %G : index
  %gs64 = arith.index_cast %gs : index to i64
  %gsf = arith.sitofp %gs64 : i64 to f32
  %rows = arith.muli %T, %G : index
  scf.parallel (%tg) = (%c0) to (%rows) step (%c1) {
    %t = arith.divui %tg, %G : index
    %g = arith.remui %tg, %G : index
    %k0 = arith.muli %g, %gs : index
    %k1 = arith.addi %k0, %gs : index
    %yrow = arith.muli %t, %I : index
    %zrow = arith.muli %t, %proj_stride : index
    %ss = scf.for %k = %k0 to %k1 step %c1 iter_args(%acc = %zero) -> (f32) {
      %yi = arith.addi %yrow, %k : index
      %zi = arith.addi %zrow, %k : index
      %yv = memref.load %y[%yi] : memref<?xf32>
      %zv = memref.load %proj[%zi] : memref<?xf32>
      // silu(z) = z / (1 + exp(-z))
      %nz = arith.negf %zv : f32
      %ez = math.exp %nz : f32
      %den = arith.addf %one, %ez : f32
      %sz = arith.divf %zv, %den : f32
      %gv = arith.mulf %yv, %sz : f32
      memref.store %gv, %out[%yi] : memref<?xf32>
      %sq = arith.mulf %gv, %gv : f32
      %s = arith.addf %acc, %sq fastmath<reassoc> : f32
      scf.yield %s : f32
    }
    %mean = arith.divf %ss, %gsf : f32
    %var = arith.addf %mean, %eps : f32
    %rs = math.rsqrt %var : f32
    scf.for %k = %k0 to %k1 step %c1 {
      %i = arith.addi %yrow, %k : index
      %gv = memref.load %out[%i] : memref<?xf32>
      %wk = memref.load %w[%k] : memref<?xf32>
      %nv = arith.mulf %gv, %rs : f32
      %o = arith.mulf %wk, %nv : f32
      %st = func.call @nhc_maybe_quantize(%o, %doq, %qs) : (f32, i1, f32) -> f32
      memref.store %st, %out[%i] : memref<?xf32>
    }
    scf.reduce
  }
  return
}
