// GPU forms of norms.mlir's three RMS norms (nhc-select-kernel-variants):
// one block of 1024 threads per row (a token, or a token's group for the
// gated norm) instead of one thread per row. Same signatures and results as
// the portable forms up to the order of the sums, which is fixed by the code
// (the result does not depend on the batch).
//
// A row of up to 8192 elements whose buffers allow 16-byte loads (the row
// length a multiple of 4, every buffer's rows 16-byte aligned) is held in
// registers: thread tx loads its two 16-byte chunks, elements 4 tx and
// 4 (tx + 1024), of every input at once, so the row costs one round trip to
// memory, then sums their squares, takes the block's sum
// (@nhc_block_sum_1024), scales and stores from the same registers (the
// _bf16 forms their bf16 bits too). At one decode token a norm is one
// block; the former form (256 threads, element loops) waited for a load per
// loop iteration in each of its passes: a row of 4480 (Nemotron Nano 9B v2)
// took three passes of 18 dependent round trips. Other rows take the
// element loops: elements tx, tx + 1024, ... of each pass.

// 1 / sqrt(sum / H + eps): the row's scale.
func.func private @nhc_rms_scale(%sum: f32, %H: index, %eps: f32) -> f32 {
  %H64 = arith.index_cast %H : index to i64
  %Hf = arith.sitofp %H64 : i64 to f32
  %mean = arith.divf %sum, %Hf : f32
  %var = arith.addf %mean, %eps : f32
  %rs = math.rsqrt %var : f32
  return %rs : f32
}

// Whether a row of `n` elements fits the registers of a 1024-thread block
// in 16-byte chunks (two per thread): n a multiple of 4, at most 8192.
func.func private @nhc_row_fits_two_chunks(%n: index) -> i1 {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8192 = arith.constant 8192 : index
  %rem = arith.remui %n, %c4 : index
  %whole = arith.cmpi eq, %rem, %c0 : index
  %small = arith.cmpi ule, %n, %c8192 : index
  %fits = arith.andi %whole, %small : i1
  return %fits : i1
}

// Thread tx's two 16-byte chunks of a row of `n` elements held in
// registers: whether each lies in the row, and its first element's offset
// in the row (4 tx and 4 (tx + 1024)).
func.func private @nhc_two_chunks(%tx: index, %n: index)
    -> (i1, i1, index, index) {
  %c4 = arith.constant 4 : index
  %step = arith.constant 1024 : index
  %n4 = arith.divui %n, %c4 : index
  %k1 = arith.addi %tx, %step : index
  %in0 = arith.cmpi ult, %tx, %n4 : index
  %in1 = arith.cmpi ult, %k1, %n4 : index
  %j0 = arith.muli %tx, %c4 : index
  %j1 = arith.muli %k1, %c4 : index
  return %in0, %in1, %j0, %j1 : i1, i1, index, index
}

// The 16-byte chunk of `buf` at element `at` where `inside`, else zeros.
func.func private @nhc_chunk_or_zero(%buf: memref<?xf32>, %at: index,
                                     %inside: i1) -> vector<4xf32> {
  %r = scf.if %inside -> (vector<4xf32>) {
    %v = vector.load %buf[%at] {alignment = 16} : memref<?xf32>, vector<4xf32>
    scf.yield %v : vector<4xf32>
  } else {
    %zero = arith.constant dense<0.0> : vector<4xf32>
    scf.yield %zero : vector<4xf32>
  }
  return %r : vector<4xf32>
}

// Stores the chunk `v` at element `at` of `buf` where `inside`.
func.func private @nhc_store_chunk(%v: vector<4xf32>, %buf: memref<?xf32>,
                                   %at: index, %inside: i1) {
  scf.if %inside {
    vector.store %v, %buf[%at] {alignment = 16} : memref<?xf32>, vector<4xf32>
  }
  return
}

// acc + v[0]^2 + v[1]^2 + v[2]^2 + v[3]^2, added in that order.
func.func private @nhc_add_squares(%acc: f32, %v: vector<4xf32>) -> f32 {
  %sq = arith.mulf %v, %v : vector<4xf32>
  %e0 = vector.extract %sq[0] : f32 from vector<4xf32>
  %e1 = vector.extract %sq[1] : f32 from vector<4xf32>
  %e2 = vector.extract %sq[2] : f32 from vector<4xf32>
  %e3 = vector.extract %sq[3] : f32 from vector<4xf32>
  %s0 = arith.addf %acc, %e0 : f32
  %s1 = arith.addf %s0, %e1 : f32
  %s2 = arith.addf %s1, %e2 : f32
  %s3 = arith.addf %s2, %e3 : f32
  return %s3 : f32
}

// @nhc_maybe_quantize of each element of `v`.
func.func private @nhc_maybe_quantize_chunk(%v: vector<4xf32>, %doq: i1,
                                            %qs: f32) -> vector<4xf32> {
  %e0 = vector.extract %v[0] : f32 from vector<4xf32>
  %e1 = vector.extract %v[1] : f32 from vector<4xf32>
  %e2 = vector.extract %v[2] : f32 from vector<4xf32>
  %e3 = vector.extract %v[3] : f32 from vector<4xf32>
  %q0 = func.call @nhc_maybe_quantize(%e0, %doq, %qs) : (f32, i1, f32) -> f32
  %q1 = func.call @nhc_maybe_quantize(%e1, %doq, %qs) : (f32, i1, f32) -> f32
  %q2 = func.call @nhc_maybe_quantize(%e2, %doq, %qs) : (f32, i1, f32) -> f32
  %q3 = func.call @nhc_maybe_quantize(%e3, %doq, %qs) : (f32, i1, f32) -> f32
  %r = vector.from_elements %q0, %q1, %q2, %q3 : vector<4xf32>
  return %r : vector<4xf32>
}

// A chunk's norm output, w * (v * rs) (the element loops' order) as
// @nhc_maybe_quantize gives it, stored to `out` at element `at` where
// `inside`; returned for the _bf16 forms' bits.
func.func private @nhc_norm_chunk(%v: vector<4xf32>, %w: vector<4xf32>,
    %rs: f32, %doq: i1, %qs: f32, %out: memref<?xf32>, %at: index,
    %inside: i1) -> vector<4xf32> {
  %rsv = vector.broadcast %rs : f32 to vector<4xf32>
  %nv = arith.mulf %v, %rsv : vector<4xf32>
  %o = arith.mulf %w, %nv : vector<4xf32>
  %st = func.call @nhc_maybe_quantize_chunk(%o, %doq, %qs)
      : (vector<4xf32>, i1, f32) -> vector<4xf32>
  func.call @nhc_store_chunk(%st, %out, %at, %inside)
      : (vector<4xf32>, memref<?xf32>, index, i1) -> ()
  return %st : vector<4xf32>
}

// The bf16 bits (@nhc_bf16_bits) of a chunk's 4 outputs, to `bits` from
// element `at` on, where `inside`.
func.func private @nhc_store_bits_chunk(%v: vector<4xf32>,
                                        %bits: memref<?xi16>, %at: index,
                                        %inside: i1) {
  scf.if %inside {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %e0 = vector.extract %v[0] : f32 from vector<4xf32>
    %e1 = vector.extract %v[1] : f32 from vector<4xf32>
    %e2 = vector.extract %v[2] : f32 from vector<4xf32>
    %e3 = vector.extract %v[3] : f32 from vector<4xf32>
    %b0 = func.call @nhc_bf16_bits(%e0) : (f32) -> i32
    %b1 = func.call @nhc_bf16_bits(%e1) : (f32) -> i32
    %b2 = func.call @nhc_bf16_bits(%e2) : (f32) -> i32
    %b3 = func.call @nhc_bf16_bits(%e3) : (f32) -> i32
    %h0 = arith.trunci %b0 : i32 to i16
    %h1 = arith.trunci %b1 : i32 to i16
    %h2 = arith.trunci %b2 : i32 to i16
    %h3 = arith.trunci %b3 : i32 to i16
    %a1 = arith.addi %at, %c1 : index
    %a2 = arith.addi %at, %c2 : index
    %a3 = arith.addi %at, %c3 : index
    memref.store %h0, %bits[%at] : memref<?xi16>
    memref.store %h1, %bits[%a1] : memref<?xi16>
    memref.store %h2, %bits[%a2] : memref<?xi16>
    memref.store %h3, %bits[%a3] : memref<?xi16>
  }
  return
}

// The _bf16 forms' bits of a row of `n` outputs from element `base` of
// `out` on, by thread tx: from the chunks the block kept in registers
// (`o0`, `o1`: elements 4 tx and 4 (tx + 1024) of the row) where
// `inRegisters`, else by the element loop over what the thread stored.
func.func private @nhc_norm_row_bits(%o0: vector<4xf32>, %o1: vector<4xf32>,
    %inRegisters: i1, %out: memref<?xf32>, %bits: memref<?xi16>,
    %base: index, %n: index, %tx: index) {
  %step = arith.constant 1024 : index
  scf.if %inRegisters {
    %in0, %in1, %j0, %j1 = func.call @nhc_two_chunks(%tx, %n)
        : (index, index) -> (i1, i1, index, index)
    %i0 = arith.addi %base, %j0 : index
    %i1 = arith.addi %base, %j1 : index
    func.call @nhc_store_bits_chunk(%o0, %bits, %i0, %in0)
        : (vector<4xf32>, memref<?xi16>, index, i1) -> ()
    func.call @nhc_store_bits_chunk(%o1, %bits, %i1, %in1)
        : (vector<4xf32>, memref<?xi16>, index, i1) -> ()
  } else {
    %first = arith.addi %base, %tx : index
    %end = arith.addi %base, %n : index
    func.call @nhc_bits_of(%out, %bits, %first, %end, %step)
        : (memref<?xf32>, memref<?xi16>, index, index, index) -> ()
  }
  return
}

func.func private @nhc_rms_norm_gpu(%x: memref<?xf32>, %w: memref<?xf32>,
                                    %out: memref<?xf32>, %T: index, %H: index,
                                    %eps: f32, %qscale: memref<?xf32>,
                                    %quantize: index)
    attributes {nhc.gpu_variant_of = "nhc_rms_norm"} {
  %c1 = arith.constant 1 : index
  %c1024 = arith.constant 1024 : index
  gpu.launch blocks(%t, %by, %bz) in (%gx = %T, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1024, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<32xf32, #gpu.address_space<workgroup>>) {
    %o:3 = func.call @nhc_rms_norm_block(%x, %w, %out, %t, %H, %eps, %qscale,
                                         %quantize, %tx, %partial)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, f32,
           memref<?xf32>, index, index,
           memref<32xf32, #gpu.address_space<workgroup>>)
        -> (vector<4xf32>, vector<4xf32>, i1)
    gpu.terminator
  }
  return
}

// nhc_rms_norm_bf16: the norm's block, then its outputs' bf16 bits.
func.func private @nhc_rms_norm_bf16_gpu(%x: memref<?xf32>, %w: memref<?xf32>,
                                         %out: memref<?xf32>, %T: index,
                                         %H: index, %eps: f32,
                                         %qscale: memref<?xf32>,
                                         %quantize: index,
                                         %bits: memref<?xi16>)
    attributes {nhc.gpu_variant_of = "nhc_rms_norm_bf16"} {
  %c1 = arith.constant 1 : index
  %c1024 = arith.constant 1024 : index
  gpu.launch blocks(%t, %by, %bz) in (%gx = %T, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1024, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<32xf32, #gpu.address_space<workgroup>>) {
    %o:3 = func.call @nhc_rms_norm_block(%x, %w, %out, %t, %H, %eps, %qscale,
                                         %quantize, %tx, %partial)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, f32,
           memref<?xf32>, index, index,
           memref<32xf32, #gpu.address_space<workgroup>>)
        -> (vector<4xf32>, vector<4xf32>, i1)
    %row = arith.muli %t, %H : index
    func.call @nhc_norm_row_bits(%o#0, %o#1, %o#2, %out, %bits, %row, %H, %tx)
        : (vector<4xf32>, vector<4xf32>, i1, memref<?xf32>, memref<?xi16>,
           index, index, index) -> ()
    gpu.terminator
  }
  return
}

// Row t of nhc_rms_norm by a block's thread tx. The block helpers return
// the chunks they stored (@nhc_two_chunks) and whether the row was held in
// registers, for @nhc_norm_row_bits.
func.func private @nhc_rms_norm_block(%x: memref<?xf32>, %w: memref<?xf32>,
    %out: memref<?xf32>, %t: index, %H: index, %eps: f32,
    %qscale: memref<?xf32>, %quantize: index, %tx: index,
    %partial: memref<32xf32, #gpu.address_space<workgroup>>)
    -> (vector<4xf32>, vector<4xf32>, i1) {
  %c0 = arith.constant 0 : index
  %step = arith.constant 1024 : index
  %zero = arith.constant 0.0 : f32
  %none = arith.constant dense<0.0> : vector<4xf32>
  %row = arith.muli %t, %H : index
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  %fits = func.call @nhc_row_fits_two_chunks(%H) : (index) -> i1
  %xc = func.call @nhc_f32_rows_in_chunks(%x, %H) : (memref<?xf32>, index) -> i1
  %wc = func.call @nhc_f32_rows_in_chunks(%w, %H) : (memref<?xf32>, index) -> i1
  %oc = func.call @nhc_f32_rows_in_chunks(%out, %H) : (memref<?xf32>, index) -> i1
  %a1 = arith.andi %fits, %xc : i1
  %a2 = arith.andi %a1, %wc : i1
  %inRegisters = arith.andi %a2, %oc : i1
  %o:2 = scf.if %inRegisters -> (vector<4xf32>, vector<4xf32>) {
    %in0, %in1, %j0, %j1 = func.call @nhc_two_chunks(%tx, %H)
        : (index, index) -> (i1, i1, index, index)
    %i0 = arith.addi %row, %j0 : index
    %i1 = arith.addi %row, %j1 : index
    %v0 = func.call @nhc_chunk_or_zero(%x, %i0, %in0) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %v1 = func.call @nhc_chunk_or_zero(%x, %i1, %in1) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %w0 = func.call @nhc_chunk_or_zero(%w, %j0, %in0) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %w1 = func.call @nhc_chunk_or_zero(%w, %j1, %in1) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %s0 = func.call @nhc_add_squares(%zero, %v0) : (f32, vector<4xf32>) -> f32
    %ss = func.call @nhc_add_squares(%s0, %v1) : (f32, vector<4xf32>) -> f32
    %sum = func.call @nhc_block_sum_1024(%ss, %tx, %partial)
        : (f32, index, memref<32xf32, #gpu.address_space<workgroup>>) -> f32
    %rs = func.call @nhc_rms_scale(%sum, %H, %eps) : (f32, index, f32) -> f32
    %o0 = func.call @nhc_norm_chunk(%v0, %w0, %rs, %doq, %qs, %out, %i0, %in0)
        : (vector<4xf32>, vector<4xf32>, f32, i1, f32, memref<?xf32>, index, i1) -> vector<4xf32>
    %o1 = func.call @nhc_norm_chunk(%v1, %w1, %rs, %doq, %qs, %out, %i1, %in1)
        : (vector<4xf32>, vector<4xf32>, f32, i1, f32, memref<?xf32>, index, i1) -> vector<4xf32>
    scf.yield %o0, %o1 : vector<4xf32>, vector<4xf32>
  } else {
    %ss = scf.for %j = %tx to %H step %step iter_args(%acc = %zero) -> (f32) {
      %i = arith.addi %row, %j : index
      %v = memref.load %x[%i] : memref<?xf32>
      %sq = arith.mulf %v, %v : f32
      %a = arith.addf %acc, %sq : f32
      scf.yield %a : f32
    }
    %sum = func.call @nhc_block_sum_1024(%ss, %tx, %partial)
        : (f32, index, memref<32xf32, #gpu.address_space<workgroup>>) -> f32
    %rs = func.call @nhc_rms_scale(%sum, %H, %eps) : (f32, index, f32) -> f32
    scf.for %j = %tx to %H step %step {
      %i = arith.addi %row, %j : index
      %v = memref.load %x[%i] : memref<?xf32>
      %wj = memref.load %w[%j] : memref<?xf32>
      %nv = arith.mulf %v, %rs : f32
      %o = arith.mulf %wj, %nv : f32
      %st = func.call @nhc_maybe_quantize(%o, %doq, %qs) : (f32, i1, f32) -> f32
      memref.store %st, %out[%i] : memref<?xf32>
    }
    scf.yield %none, %none : vector<4xf32>, vector<4xf32>
  }
  return %o#0, %o#1, %inRegisters : vector<4xf32>, vector<4xf32>, i1
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
  %c1024 = arith.constant 1024 : index
  gpu.launch blocks(%t, %by, %bz) in (%gx = %T, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1024, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<32xf32, #gpu.address_space<workgroup>>) {
    %o:3 = func.call @nhc_add_rms_norm_block(%residual, %update, %w, %out, %t,
                                             %H, %eps, %qscale, %quantize, %tx,
                                             %partial)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index,
           index, f32, memref<?xf32>, index, index,
           memref<32xf32, #gpu.address_space<workgroup>>)
        -> (vector<4xf32>, vector<4xf32>, i1)
    gpu.terminator
  }
  return
}

// nhc_add_rms_norm_bf16: the norm's block, then its outputs' bf16 bits.
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
  %c1024 = arith.constant 1024 : index
  gpu.launch blocks(%t, %by, %bz) in (%gx = %T, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1024, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<32xf32, #gpu.address_space<workgroup>>) {
    %o:3 = func.call @nhc_add_rms_norm_block(%residual, %update, %w, %out, %t,
                                             %H, %eps, %qscale, %quantize, %tx,
                                             %partial)
        : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index,
           index, f32, memref<?xf32>, index, index,
           memref<32xf32, #gpu.address_space<workgroup>>)
        -> (vector<4xf32>, vector<4xf32>, i1)
    %row = arith.muli %t, %H : index
    func.call @nhc_norm_row_bits(%o#0, %o#1, %o#2, %out, %bits, %row, %H, %tx)
        : (vector<4xf32>, vector<4xf32>, i1, memref<?xf32>, memref<?xi16>,
           index, index, index) -> ()
    gpu.terminator
  }
  return
}

// Row t of nhc_add_rms_norm by a block's thread tx. Each thread reads back
// only the residual elements it wrote itself.
func.func private @nhc_add_rms_norm_block(%residual: memref<?xf32>,
    %update: memref<?xf32>, %w: memref<?xf32>, %out: memref<?xf32>,
    %t: index, %H: index, %eps: f32, %qscale: memref<?xf32>,
    %quantize: index, %tx: index,
    %partial: memref<32xf32, #gpu.address_space<workgroup>>)
    -> (vector<4xf32>, vector<4xf32>, i1) {
  %c0 = arith.constant 0 : index
  %step = arith.constant 1024 : index
  %zero = arith.constant 0.0 : f32
  %none = arith.constant dense<0.0> : vector<4xf32>
  %row = arith.muli %t, %H : index
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  %fits = func.call @nhc_row_fits_two_chunks(%H) : (index) -> i1
  %rc = func.call @nhc_f32_rows_in_chunks(%residual, %H) : (memref<?xf32>, index) -> i1
  %uc = func.call @nhc_f32_rows_in_chunks(%update, %H) : (memref<?xf32>, index) -> i1
  %wc = func.call @nhc_f32_rows_in_chunks(%w, %H) : (memref<?xf32>, index) -> i1
  %oc = func.call @nhc_f32_rows_in_chunks(%out, %H) : (memref<?xf32>, index) -> i1
  %a1 = arith.andi %fits, %rc : i1
  %a2 = arith.andi %a1, %uc : i1
  %a3 = arith.andi %a2, %wc : i1
  %inRegisters = arith.andi %a3, %oc : i1
  %o:2 = scf.if %inRegisters -> (vector<4xf32>, vector<4xf32>) {
    %in0, %in1, %j0, %j1 = func.call @nhc_two_chunks(%tx, %H)
        : (index, index) -> (i1, i1, index, index)
    %i0 = arith.addi %row, %j0 : index
    %i1 = arith.addi %row, %j1 : index
    %r0 = func.call @nhc_chunk_or_zero(%residual, %i0, %in0) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %r1 = func.call @nhc_chunk_or_zero(%residual, %i1, %in1) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %u0 = func.call @nhc_chunk_or_zero(%update, %i0, %in0) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %u1 = func.call @nhc_chunk_or_zero(%update, %i1, %in1) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %w0 = func.call @nhc_chunk_or_zero(%w, %j0, %in0) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %w1 = func.call @nhc_chunk_or_zero(%w, %j1, %in1) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %v0 = arith.addf %r0, %u0 : vector<4xf32>
    %v1 = arith.addf %r1, %u1 : vector<4xf32>
    func.call @nhc_store_chunk(%v0, %residual, %i0, %in0) : (vector<4xf32>, memref<?xf32>, index, i1) -> ()
    func.call @nhc_store_chunk(%v1, %residual, %i1, %in1) : (vector<4xf32>, memref<?xf32>, index, i1) -> ()
    %s0 = func.call @nhc_add_squares(%zero, %v0) : (f32, vector<4xf32>) -> f32
    %ss = func.call @nhc_add_squares(%s0, %v1) : (f32, vector<4xf32>) -> f32
    %sum = func.call @nhc_block_sum_1024(%ss, %tx, %partial)
        : (f32, index, memref<32xf32, #gpu.address_space<workgroup>>) -> f32
    %rs = func.call @nhc_rms_scale(%sum, %H, %eps) : (f32, index, f32) -> f32
    %o0 = func.call @nhc_norm_chunk(%v0, %w0, %rs, %doq, %qs, %out, %i0, %in0)
        : (vector<4xf32>, vector<4xf32>, f32, i1, f32, memref<?xf32>, index, i1) -> vector<4xf32>
    %o1 = func.call @nhc_norm_chunk(%v1, %w1, %rs, %doq, %qs, %out, %i1, %in1)
        : (vector<4xf32>, vector<4xf32>, f32, i1, f32, memref<?xf32>, index, i1) -> vector<4xf32>
    scf.yield %o0, %o1 : vector<4xf32>, vector<4xf32>
  } else {
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
    %sum = func.call @nhc_block_sum_1024(%ss, %tx, %partial)
        : (f32, index, memref<32xf32, #gpu.address_space<workgroup>>) -> f32
    %rs = func.call @nhc_rms_scale(%sum, %H, %eps) : (f32, index, f32) -> f32
    scf.for %j = %tx to %H step %step {
      %i = arith.addi %row, %j : index
      %v = memref.load %residual[%i] : memref<?xf32>
      %wj = memref.load %w[%j] : memref<?xf32>
      %nv = arith.mulf %v, %rs : f32
      %o = arith.mulf %wj, %nv : f32
      %st = func.call @nhc_maybe_quantize(%o, %doq, %qs) : (f32, i1, f32) -> f32
      memref.store %st, %out[%i] : memref<?xf32>
    }
    scf.yield %none, %none : vector<4xf32>, vector<4xf32>
  }
  return %o#0, %o#1, %inRegisters : vector<4xf32>, vector<4xf32>, i1
}

// Mamba-2 gated norm: one block of 1024 threads per (token, group) row of
// I / G channels, g = y * silu(z); the element loops write g to `out` and
// the thread that wrote it reads it back.
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
  %c1024 = arith.constant 1024 : index
  %rows = arith.muli %T, %G : index
  gpu.launch blocks(%tg, %by, %bz) in (%gx = %rows, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1024, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<32xf32, #gpu.address_space<workgroup>>) {
    %o:3 = func.call @nhc_gated_rms_norm_block(%y, %proj, %proj_stride, %w,
                                               %out, %tg, %I, %G, %eps,
                                               %qscale, %quantize, %tx,
                                               %partial)
        : (memref<?xf32>, memref<?xf32>, index, memref<?xf32>, memref<?xf32>,
           index, index, index, f32, memref<?xf32>, index, index,
           memref<32xf32, #gpu.address_space<workgroup>>)
        -> (vector<4xf32>, vector<4xf32>, i1)
    gpu.terminator
  }
  return
}

// nhc_gated_rms_norm_bf16: the norm's block, then its outputs' bf16 bits.
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
  %c1024 = arith.constant 1024 : index
  %rows = arith.muli %T, %G : index
  gpu.launch blocks(%tg, %by, %bz) in (%gx = %rows, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1024, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<32xf32, #gpu.address_space<workgroup>>) {
    %o:3 = func.call @nhc_gated_rms_norm_block(%y, %proj, %proj_stride, %w,
                                               %out, %tg, %I, %G, %eps,
                                               %qscale, %quantize, %tx,
                                               %partial)
        : (memref<?xf32>, memref<?xf32>, index, memref<?xf32>, memref<?xf32>,
           index, index, index, f32, memref<?xf32>, index, index,
           memref<32xf32, #gpu.address_space<workgroup>>)
        -> (vector<4xf32>, vector<4xf32>, i1)
    %gs = arith.divui %I, %G : index
    %t = arith.divui %tg, %G : index
    %g = arith.remui %tg, %G : index
    %k0 = arith.muli %g, %gs : index
    %yrow = arith.muli %t, %I : index
    %base = arith.addi %yrow, %k0 : index
    func.call @nhc_norm_row_bits(%o#0, %o#1, %o#2, %out, %bits, %base, %gs, %tx)
        : (vector<4xf32>, vector<4xf32>, i1, memref<?xf32>, memref<?xi16>,
           index, index, index) -> ()
    gpu.terminator
  }
  return
}

// g = y * silu(z), silu(z) = z / (1 + exp(-z)), elementwise (the element
// loops' arithmetic).
func.func private @nhc_gate_chunk(%y: vector<4xf32>, %z: vector<4xf32>)
    -> vector<4xf32> {
  %one = arith.constant dense<1.0> : vector<4xf32>
  %nz = arith.negf %z : vector<4xf32>
  %ez = math.exp %nz : vector<4xf32>
  %den = arith.addf %one, %ez : vector<4xf32>
  %silu = arith.divf %z, %den : vector<4xf32>
  %g = arith.mulf %y, %silu : vector<4xf32>
  return %g : vector<4xf32>
}

// Row tg of nhc_gated_rms_norm by a block's thread tx.
func.func private @nhc_gated_rms_norm_block(%y: memref<?xf32>,
    %proj: memref<?xf32>, %proj_stride: index, %w: memref<?xf32>,
    %out: memref<?xf32>, %tg: index, %I: index, %G: index, %eps: f32,
    %qscale: memref<?xf32>, %quantize: index, %tx: index,
    %partial: memref<32xf32, #gpu.address_space<workgroup>>)
    -> (vector<4xf32>, vector<4xf32>, i1) {
  %c0 = arith.constant 0 : index
  %step = arith.constant 1024 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %none = arith.constant dense<0.0> : vector<4xf32>
  %gs = arith.divui %I, %G : index
  %t = arith.divui %tg, %G : index
  %g = arith.remui %tg, %G : index
  %k0 = arith.muli %g, %gs : index
  %k1 = arith.addi %k0, %gs : index
  %yrow = arith.muli %t, %I : index
  %zrow = arith.muli %t, %proj_stride : index
  %qs = memref.load %qscale[%c0] : memref<?xf32>
  %doq = arith.cmpi ne, %quantize, %c0 : index
  // Groups of whole chunks start on 16-byte boundaries in aligned rows.
  %fits = func.call @nhc_row_fits_two_chunks(%gs) : (index) -> i1
  %yc = func.call @nhc_f32_rows_in_chunks(%y, %I) : (memref<?xf32>, index) -> i1
  %zc = func.call @nhc_f32_rows_in_chunks(%proj, %proj_stride) : (memref<?xf32>, index) -> i1
  %wc = func.call @nhc_f32_rows_in_chunks(%w, %I) : (memref<?xf32>, index) -> i1
  %oc = func.call @nhc_f32_rows_in_chunks(%out, %I) : (memref<?xf32>, index) -> i1
  %a1 = arith.andi %fits, %yc : i1
  %a2 = arith.andi %a1, %zc : i1
  %a3 = arith.andi %a2, %wc : i1
  %inRegisters = arith.andi %a3, %oc : i1
  %o:2 = scf.if %inRegisters -> (vector<4xf32>, vector<4xf32>) {
    %in0, %in1, %d0, %d1 = func.call @nhc_two_chunks(%tx, %gs)
        : (index, index) -> (i1, i1, index, index)
    %kk0 = arith.addi %k0, %d0 : index
    %kk1 = arith.addi %k0, %d1 : index
    %yi0 = arith.addi %yrow, %kk0 : index
    %yi1 = arith.addi %yrow, %kk1 : index
    %zi0 = arith.addi %zrow, %kk0 : index
    %zi1 = arith.addi %zrow, %kk1 : index
    %y0 = func.call @nhc_chunk_or_zero(%y, %yi0, %in0) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %y1 = func.call @nhc_chunk_or_zero(%y, %yi1, %in1) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %z0 = func.call @nhc_chunk_or_zero(%proj, %zi0, %in0) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %z1 = func.call @nhc_chunk_or_zero(%proj, %zi1, %in1) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %w0 = func.call @nhc_chunk_or_zero(%w, %kk0, %in0) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %w1 = func.call @nhc_chunk_or_zero(%w, %kk1, %in1) : (memref<?xf32>, index, i1) -> vector<4xf32>
    %g0 = func.call @nhc_gate_chunk(%y0, %z0) : (vector<4xf32>, vector<4xf32>) -> vector<4xf32>
    %g1 = func.call @nhc_gate_chunk(%y1, %z1) : (vector<4xf32>, vector<4xf32>) -> vector<4xf32>
    // A chunk past the group is 0 * silu(0) = 0: it adds no square.
    %s0 = func.call @nhc_add_squares(%zero, %g0) : (f32, vector<4xf32>) -> f32
    %ss = func.call @nhc_add_squares(%s0, %g1) : (f32, vector<4xf32>) -> f32
    %sum = func.call @nhc_block_sum_1024(%ss, %tx, %partial)
        : (f32, index, memref<32xf32, #gpu.address_space<workgroup>>) -> f32
    %rs = func.call @nhc_rms_scale(%sum, %gs, %eps) : (f32, index, f32) -> f32
    %o0 = func.call @nhc_norm_chunk(%g0, %w0, %rs, %doq, %qs, %out, %yi0, %in0)
        : (vector<4xf32>, vector<4xf32>, f32, i1, f32, memref<?xf32>, index, i1) -> vector<4xf32>
    %o1 = func.call @nhc_norm_chunk(%g1, %w1, %rs, %doq, %qs, %out, %yi1, %in1)
        : (vector<4xf32>, vector<4xf32>, f32, i1, f32, memref<?xf32>, index, i1) -> vector<4xf32>
    scf.yield %o0, %o1 : vector<4xf32>, vector<4xf32>
  } else {
    %first = arith.addi %k0, %tx : index
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
    %sum = func.call @nhc_block_sum_1024(%ss, %tx, %partial)
        : (f32, index, memref<32xf32, #gpu.address_space<workgroup>>) -> f32
    %rs = func.call @nhc_rms_scale(%sum, %gs, %eps) : (f32, index, f32) -> f32
    scf.for %k = %first to %k1 step %step {
      %i = arith.addi %yrow, %k : index
      %gv = memref.load %out[%i] : memref<?xf32>
      %wk = memref.load %w[%k] : memref<?xf32>
      %nv = arith.mulf %gv, %rs : f32
      %o = arith.mulf %wk, %nv : f32
      %st = func.call @nhc_maybe_quantize(%o, %doq, %qs) : (f32, i1, f32) -> f32
      memref.store %st, %out[%i] : memref<?xf32>
    }
    scf.yield %none, %none : vector<4xf32>, vector<4xf32>
  }
  return %o#0, %o#1, %inRegisters : vector<4xf32>, vector<4xf32>, i1
}
