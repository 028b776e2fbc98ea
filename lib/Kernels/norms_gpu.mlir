// GPU forms of norms.mlir's three RMS norms (nhc-select-kernel-variants):
// one block of 256 threads per row instead of one thread per row. Each thread
// sums the squares of the row's elements tx, tx + 256, ...; warp shuffles
// and workgroup memory add the 256 partial sums (nhc_block_reduce_256), in an
// order fixed by the code
// (the result does not depend on the batch); every thread then scales its
// elements. Same signatures and results as the portable forms up to the
// order of the sums.

// 1 / sqrt(sum / H + eps): the row's scale.
func.func private @nhc_rms_scale(%sum: f32, %H: index, %eps: f32) -> f32 {
  %H64 = arith.index_cast %H : index to i64
  %Hf = arith.sitofp %H64 : i64 to f32
  %mean = arith.divf %sum, %Hf : f32
  %var = arith.addf %mean, %eps : f32
  %rs = math.rsqrt %var : f32
  return %rs : f32
}

func.func private @nhc_rms_norm_gpu(%x: memref<?xf32>, %w: memref<?xf32>,
                                    %out: memref<?xf32>, %T: index, %H: index,
                                    %eps: f32, %qscale: memref<?xf32>,
                                    %quantize: index)
    attributes {nhc.gpu_variant_of = "nhc_rms_norm"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%t, %by, %bz) in (%gx = %T, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<256xf32, #gpu.address_space<workgroup>>) {
    func.call @nhc_rms_norm_block(%x, %w, %out, %t, %H, %eps, %qscale,
                                  %quantize, %tx, %partial)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, f32,
           memref<?xf32>, index, index,
           memref<256xf32, #gpu.address_space<workgroup>>) -> ()
    gpu.terminator
  }
  return
}

// nhc_rms_norm_bf16: the norm's block, then each thread's elements as bf16.
func.func private @nhc_rms_norm_bf16_gpu(%x: memref<?xf32>, %w: memref<?xf32>,
                                         %out: memref<?xf32>, %T: index,
                                         %H: index, %eps: f32,
                                         %qscale: memref<?xf32>,
                                         %quantize: index,
                                         %bits: memref<?xi16>)
    attributes {nhc.gpu_variant_of = "nhc_rms_norm_bf16"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%t, %by, %bz) in (%gx = %T, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<256xf32, #gpu.address_space<workgroup>>) {
    %step = arith.constant 256 : index
    func.call @nhc_rms_norm_block(%x, %w, %out, %t, %H, %eps, %qscale,
                                  %quantize, %tx, %partial)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, f32,
           memref<?xf32>, index, index,
           memref<256xf32, #gpu.address_space<workgroup>>) -> ()
    %row = arith.muli %t, %H : index
    %first = arith.addi %row, %tx : index
    %end = arith.addi %row, %H : index
    func.call @nhc_bits_of(%out, %bits, %first, %end, %step)
        : (memref<?xf32>, memref<?xi16>, index, index, index) -> ()
    gpu.terminator
  }
  return
}

// Row t of nhc_rms_norm by a block's thread tx: its elements tx, tx + 256,
// ... (which it also stores).
func.func private @nhc_rms_norm_block(%x: memref<?xf32>, %w: memref<?xf32>,
    %out: memref<?xf32>, %t: index, %H: index, %eps: f32,
    %qscale: memref<?xf32>, %quantize: index, %tx: index,
    %partial: memref<256xf32, #gpu.address_space<workgroup>>) {
  %c0 = arith.constant 0 : index
  %step = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %false = arith.constant false
  %row = arith.muli %t, %H : index
  %ss = scf.for %j = %tx to %H step %step iter_args(%acc = %zero) -> (f32) {
    %i = arith.addi %row, %j : index
    %v = memref.load %x[%i] : memref<?xf32>
    %sq = arith.mulf %v, %v : f32
    %a = arith.addf %acc, %sq : f32
    scf.yield %a : f32
  }
  %sum = func.call @nhc_block_reduce_256(%ss, %tx, %partial, %false)
      : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1) -> f32
  %rs = func.call @nhc_rms_scale(%sum, %H, %eps) : (f32, index, f32) -> f32
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  scf.for %j = %tx to %H step %step {
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
func.func private @nhc_add_rms_norm_gpu(%residual: memref<?xf32>,
                                        %update: memref<?xf32>,
                                        %w: memref<?xf32>, %out: memref<?xf32>,
                                        %T: index, %H: index, %eps: f32,
                                        %qscale: memref<?xf32>,
                                        %quantize: index)
    attributes {nhc.gpu_variant_of = "nhc_add_rms_norm"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%t, %by, %bz) in (%gx = %T, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<256xf32, #gpu.address_space<workgroup>>) {
    func.call @nhc_add_rms_norm_block(%residual, %update, %w, %out, %t, %H,
                                      %eps, %qscale, %quantize, %tx, %partial)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index,
           index, f32, memref<?xf32>, index, index,
           memref<256xf32, #gpu.address_space<workgroup>>) -> ()
    gpu.terminator
  }
  return
}

// nhc_add_rms_norm_bf16: the norm's block, then each thread's elements as
// bf16.
func.func private @nhc_add_rms_norm_bf16_gpu(%residual: memref<?xf32>,
                                             %update: memref<?xf32>,
                                             %w: memref<?xf32>,
                                             %out: memref<?xf32>, %T: index,
                                             %H: index, %eps: f32,
                                             %qscale: memref<?xf32>,
                                             %quantize: index,
                                             %bits: memref<?xi16>)
    attributes {nhc.gpu_variant_of = "nhc_add_rms_norm_bf16"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%t, %by, %bz) in (%gx = %T, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<256xf32, #gpu.address_space<workgroup>>) {
    %step = arith.constant 256 : index
    func.call @nhc_add_rms_norm_block(%residual, %update, %w, %out, %t, %H,
                                      %eps, %qscale, %quantize, %tx, %partial)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index,
           index, f32, memref<?xf32>, index, index,
           memref<256xf32, #gpu.address_space<workgroup>>) -> ()
    %row = arith.muli %t, %H : index
    %first = arith.addi %row, %tx : index
    %end = arith.addi %row, %H : index
    func.call @nhc_bits_of(%out, %bits, %first, %end, %step)
        : (memref<?xf32>, memref<?xi16>, index, index, index) -> ()
    gpu.terminator
  }
  return
}

// Row t of nhc_add_rms_norm by a block's thread tx: its elements tx,
// tx + 256, ... (which it also stores).
func.func private @nhc_add_rms_norm_block(%residual: memref<?xf32>,
    %update: memref<?xf32>, %w: memref<?xf32>, %out: memref<?xf32>,
    %t: index, %H: index, %eps: f32, %qscale: memref<?xf32>,
    %quantize: index, %tx: index,
    %partial: memref<256xf32, #gpu.address_space<workgroup>>) {
  %c0 = arith.constant 0 : index
  %step = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %false = arith.constant false
  %row = arith.muli %t, %H : index
  %ss = scf.for %j = %tx to %H step %step iter_args(%acc = %zero) -> (f32) {
    %i = arith.addi %row, %j : index
    %a = memref.load %residual[%i] : memref<?xf32>
    %b = memref.load %update[%i] : memref<?xf32>
    %v = arith.addf %a, %b : f32
    memref.store %v, %residual[%i] : memref<?xf32>
    %sq = arith.mulf %v, %v : f32
    %s = arith.addf %acc, %sq : f32
    scf.yield %s : f32
  }
  %sum = func.call @nhc_block_reduce_256(%ss, %tx, %partial, %false)
      : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1) -> f32
  %rs = func.call @nhc_rms_scale(%sum, %H, %eps) : (f32, index, f32) -> f32
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  // Each thread reads back the residual elements it wrote itself.
  scf.for %j = %tx to %H step %step {
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

// Mamba-2 gated norm: one block of 256 threads per (token, group) row of
// I / G channels; g = y * silu(z) is written to `out` by the thread that
// later reads it back.
func.func private @nhc_gated_rms_norm_gpu(%y: memref<?xf32>,
                                          %proj: memref<?xf32>,
                                          %proj_stride: index,
                                          %w: memref<?xf32>,
                                          %out: memref<?xf32>, %T: index,
                                          %I: index, %G: index, %eps: f32,
                                          %qscale: memref<?xf32>,
                                          %quantize: index)
    attributes {nhc.gpu_variant_of = "nhc_gated_rms_norm"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %rows = arith.muli %T, %G : index
  gpu.launch blocks(%tg, %by, %bz) in (%gx = %rows, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<256xf32, #gpu.address_space<workgroup>>) {
    func.call @nhc_gated_rms_norm_block(%y, %proj, %proj_stride, %w, %out,
                                        %tg, %I, %G, %eps, %qscale,
                                        %quantize, %tx, %partial)
        : (memref<?xf32>, memref<?xf32>, index, memref<?xf32>, memref<?xf32>,
           index, index, index, f32, memref<?xf32>, index, index,
           memref<256xf32, #gpu.address_space<workgroup>>) -> ()
    gpu.terminator
  }
  return
}

// nhc_gated_rms_norm_bf16: the norm's block, then each thread's elements as
// bf16.
func.func private @nhc_gated_rms_norm_bf16_gpu(%y: memref<?xf32>,
                                               %proj: memref<?xf32>,
                                               %proj_stride: index,
                                               %w: memref<?xf32>,
                                               %out: memref<?xf32>,
                                               %T: index, %I: index,
                                               %G: index, %eps: f32,
                                               %qscale: memref<?xf32>,
                                               %quantize: index,
                                               %bits: memref<?xi16>)
    attributes {nhc.gpu_variant_of = "nhc_gated_rms_norm_bf16"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %rows = arith.muli %T, %G : index
  gpu.launch blocks(%tg, %by, %bz) in (%gx = %rows, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<256xf32, #gpu.address_space<workgroup>>) {
    %step = arith.constant 256 : index
    func.call @nhc_gated_rms_norm_block(%y, %proj, %proj_stride, %w, %out,
                                        %tg, %I, %G, %eps, %qscale,
                                        %quantize, %tx, %partial)
        : (memref<?xf32>, memref<?xf32>, index, memref<?xf32>, memref<?xf32>,
           index, index, index, f32, memref<?xf32>, index, index,
           memref<256xf32, #gpu.address_space<workgroup>>) -> ()
    %gs = arith.divui %I, %G : index
    %t = arith.divui %tg, %G : index
    %g = arith.remui %tg, %G : index
    %k0 = arith.muli %g, %gs : index
    %yrow = arith.muli %t, %I : index
    %begin = arith.addi %yrow, %k0 : index
    %first = arith.addi %begin, %tx : index
    %end = arith.addi %begin, %gs : index
    func.call @nhc_bits_of(%out, %bits, %first, %end, %step)
        : (memref<?xf32>, memref<?xi16>, index, index, index) -> ()
    gpu.terminator
  }
  return
}

// Row tg of nhc_gated_rms_norm by a block's thread tx: its elements k0 + tx,
// k0 + tx + 256, ... (which it also stores).
func.func private @nhc_gated_rms_norm_block(%y: memref<?xf32>,
    %proj: memref<?xf32>, %proj_stride: index, %w: memref<?xf32>,
    %out: memref<?xf32>, %tg: index, %I: index, %G: index, %eps: f32,
    %qscale: memref<?xf32>, %quantize: index, %tx: index,
    %partial: memref<256xf32, #gpu.address_space<workgroup>>) {
  %c0 = arith.constant 0 : index
  %step = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %false = arith.constant false
  %one = arith.constant 1.0 : f32
  %gs = arith.divui %I, %G : index
  %t = arith.divui %tg, %G : index
  %g = arith.remui %tg, %G : index
  %k0 = arith.muli %g, %gs : index
  %k1 = arith.addi %k0, %gs : index
  %first = arith.addi %k0, %tx : index
  %yrow = arith.muli %t, %I : index
  %zrow = arith.muli %t, %proj_stride : index
  %ss = scf.for %k = %first to %k1 step %step iter_args(%acc = %zero) -> (f32) {
    %yi = arith.addi %yrow, %k : index
    %zi = arith.addi %zrow, %k : index
    %yv = memref.load %y[%yi] : memref<?xf32>
    %zv = memref.load %proj[%zi] : memref<?xf32>
    // silu(z) = z / (1 + exp(-z))
    %nz = arith.negf %zv : f32
    %ez = math.exp %nz : f32
    %den = arith.addf %one, %ez : f32
    %silu = arith.divf %zv, %den : f32
    %gv = arith.mulf %yv, %silu : f32
    memref.store %gv, %out[%yi] : memref<?xf32>
    %sq = arith.mulf %gv, %gv : f32
    %s = arith.addf %acc, %sq : f32
    scf.yield %s : f32
  }
  %sum = func.call @nhc_block_reduce_256(%ss, %tx, %partial, %false)
      : (f32, index, memref<256xf32, #gpu.address_space<workgroup>>, i1) -> f32
  %rs = func.call @nhc_rms_scale(%sum, %gs, %eps) : (f32, index, f32) -> f32
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  scf.for %k = %first to %k1 step %step {
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
