// RMS norms, as transformers computes them in f32:
//   out = w * (x * rsqrt(mean(x^2) + eps)).
// One parallel iteration per row (token or token x group); the row is reduced
// within the iteration (reassociated so it vectorizes, in an order fixed by
// the code), so the result is independent of the batch and the threads.
// With `quantize` non-zero each kernel stores sat_e4m3(out / qscale[0]) for
// an FP8 GEMM (@nhc_maybe_quantize of fp8.mlir); otherwise `qscale` is any
// non-empty memref.
//
// The `_bf16` kernels (named in nhc/format/library_kernels.h; not called by
// plans) take a plan norm's arguments and one more, `bits` (memref<?xi16>):
// they run the norm, then also store its output rows rounded to bf16
// (@nhc_bf16_bits: torch's rounding) contiguously, bits[t * width + j], the
// activations of the bf16 x bf16 product that reads `out` next, so that a
// device backend needs no rounding pass of its own there.

func.func @nhc_rms_norm(%x: memref<?xf32>, %w: memref<?xf32>,
                        %out: memref<?xf32>, %T: index, %H: index,
                        %eps: f32, %qscale: memref<?xf32>, %quantize: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  scf.parallel (%t) = (%c0) to (%T) step (%c1) {
    func.call @nhc_rms_norm_row(%x, %w, %out, %t, %H, %eps, %qs, %doq)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, f32,
           f32, i1) -> ()
    scf.reduce
  }
  return
}

func.func @nhc_rms_norm_bf16(%x: memref<?xf32>, %w: memref<?xf32>,
                             %out: memref<?xf32>, %T: index, %H: index,
                             %eps: f32, %qscale: memref<?xf32>,
                             %quantize: index, %bits: memref<?xi16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  scf.parallel (%t) = (%c0) to (%T) step (%c1) {
    func.call @nhc_rms_norm_row(%x, %w, %out, %t, %H, %eps, %qs, %doq)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, f32,
           f32, i1) -> ()
    %row = arith.muli %t, %H : index
    %end = arith.addi %row, %H : index
    func.call @nhc_bits_of(%out, %bits, %row, %end, %c1)
        : (memref<?xf32>, memref<?xi16>, index, index, index) -> ()
    scf.reduce
  }
  return
}

// Row t of nhc_rms_norm.
func.func private @nhc_rms_norm_row(%x: memref<?xf32>, %w: memref<?xf32>,
                                    %out: memref<?xf32>, %t: index,
                                    %H: index, %eps: f32, %qs: f32,
                                    %doq: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %H64 = arith.index_cast %H : index to i64
  %Hf = arith.sitofp %H64 : i64 to f32
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
  scf.parallel (%t) = (%c0) to (%T) step (%c1) {
    func.call @nhc_add_rms_norm_row(%residual, %update, %w, %out, %t, %H,
                                    %eps, %qs, %doq)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index,
           index, f32, f32, i1) -> ()
    scf.reduce
  }
  return
}

func.func @nhc_add_rms_norm_bf16(%residual: memref<?xf32>,
                                 %update: memref<?xf32>, %w: memref<?xf32>,
                                 %out: memref<?xf32>, %T: index, %H: index,
                                 %eps: f32, %qscale: memref<?xf32>,
                                 %quantize: index, %bits: memref<?xi16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  scf.parallel (%t) = (%c0) to (%T) step (%c1) {
    func.call @nhc_add_rms_norm_row(%residual, %update, %w, %out, %t, %H,
                                    %eps, %qs, %doq)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index,
           index, f32, f32, i1) -> ()
    %row = arith.muli %t, %H : index
    %end = arith.addi %row, %H : index
    func.call @nhc_bits_of(%out, %bits, %row, %end, %c1)
        : (memref<?xf32>, memref<?xi16>, index, index, index) -> ()
    scf.reduce
  }
  return
}

// Row t of nhc_add_rms_norm.
func.func private @nhc_add_rms_norm_row(%residual: memref<?xf32>,
                                        %update: memref<?xf32>,
                                        %w: memref<?xf32>, %out: memref<?xf32>,
                                        %t: index, %H: index, %eps: f32,
                                        %qs: f32, %doq: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %H64 = arith.index_cast %H : index to i64
  %Hf = arith.sitofp %H64 : i64 to f32
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
  %rows = arith.muli %T, %G : index
  scf.parallel (%tg) = (%c0) to (%rows) step (%c1) {
    func.call @nhc_gated_rms_norm_row(%y, %proj, %proj_stride, %w, %out, %tg,
                                      %I, %G, %eps, %qs, %doq)
        : (memref<?xf32>, memref<?xf32>, index, memref<?xf32>, memref<?xf32>,
           index, index, index, f32, f32, i1) -> ()
    scf.reduce
  }
  return
}

func.func @nhc_gated_rms_norm_bf16(%y: memref<?xf32>, %proj: memref<?xf32>,
                                   %proj_stride: index, %w: memref<?xf32>,
                                   %out: memref<?xf32>, %T: index, %I: index,
                                   %G: index, %eps: f32,
                                   %qscale: memref<?xf32>, %quantize: index,
                                   %bits: memref<?xi16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  %rows = arith.muli %T, %G : index
  %gs = arith.divui %I, %G : index
  scf.parallel (%tg) = (%c0) to (%rows) step (%c1) {
    func.call @nhc_gated_rms_norm_row(%y, %proj, %proj_stride, %w, %out, %tg,
                                      %I, %G, %eps, %qs, %doq)
        : (memref<?xf32>, memref<?xf32>, index, memref<?xf32>, memref<?xf32>,
           index, index, index, f32, f32, i1) -> ()
    %t = arith.divui %tg, %G : index
    %g = arith.remui %tg, %G : index
    %yrow = arith.muli %t, %I : index
    %k0 = arith.muli %g, %gs : index
    %begin = arith.addi %yrow, %k0 : index
    %end = arith.addi %begin, %gs : index
    func.call @nhc_bits_of(%out, %bits, %begin, %end, %c1)
        : (memref<?xf32>, memref<?xi16>, index, index, index) -> ()
    scf.reduce
  }
  return
}

// Row tg (token tg / G, group tg % G) of nhc_gated_rms_norm.
func.func private @nhc_gated_rms_norm_row(%y: memref<?xf32>,
                                          %proj: memref<?xf32>,
                                          %proj_stride: index,
                                          %w: memref<?xf32>,
                                          %out: memref<?xf32>, %tg: index,
                                          %I: index, %G: index, %eps: f32,
                                          %qs: f32, %doq: i1) {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %gs = arith.divui %I, %G : index
  %gs64 = arith.index_cast %gs : index to i64
  %gsf = arith.sitofp %gs64 : i64 to f32
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
  return
}

// bits[i] = bf16(out[i]) for i = begin, begin + step, ... < end (a norm's
// rows are contiguous in `out`, so `bits` shares their indices).
func.func private @nhc_bits_of(%out: memref<?xf32>, %bits: memref<?xi16>,
                               %begin: index, %end: index, %step: index) {
  scf.for %i = %begin to %end step %step {
    %v = memref.load %out[%i] : memref<?xf32>
    %b = func.call @nhc_bf16_bits(%v) : (f32) -> i32
    %b16 = arith.trunci %b : i32 to i16
    memref.store %b16, %bits[%i] : memref<?xi16>
  }
  return
}
