// RUN: nhc-opt %s --nhc-select-kernel-variants=target=gpu | FileCheck %s --check-prefix=GPU
// RUN: nhc-opt %s --nhc-select-kernel-variants=target=host | FileCheck %s --check-prefix=HOST
// RUN: nhc-kernels --emit=cuda-launches | FileCheck %s --check-prefix=LIBRARY
// RUN: nhc-kernels --emit=cuda-launches | FileCheck %s --check-prefix=HOST-ONLY

// For the GPU, host-only kernels go; a kernel with a GPU form gets that
// form's body, its calls inside the launch inlined (the GPU dialect's
// inliner leaves them); the form itself goes. Helpers stay (symbol-dce drops
// them later). For the host, every kernel stays and the GPU forms go.
// GPU-NOT: @host_kernel
// GPU-LABEL: func.func @norm(
// GPU: gpu.launch
// GPU: workgroup(
// GPU: gpu.barrier
// GPU: nvgpu.mma.sync
// GPU-NOT: call @block_sum
// GPU: gpu.terminator
// GPU-NOT: @norm_gpu
// GPU: func.func private @block_sum(
// HOST-LABEL: func.func @host_kernel(
// HOST-LABEL: func.func @norm(
// HOST: scf.parallel
// HOST-NOT: gpu.launch
// HOST-NOT: @norm_gpu

func.func @host_kernel(%x: memref<?xf32>) attributes {nhc.host_only} {
  return
}

func.func @norm(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %x[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

func.func private @block_sum(%v: f32, %tx: index,
    %partial: memref<32xf32, #gpu.address_space<workgroup>>) -> f32 {
  memref.store %v, %partial[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
  gpu.barrier
  %c0 = arith.constant 0 : index
  %s = memref.load %partial[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
  // A warp-level op (nvgpu declares no inliner interface) inlines too.
  %a = arith.constant dense<1.0> : vector<4x1xf32>
  %b = arith.constant dense<1.0> : vector<2x1xf32>
  %acc = arith.constant dense<0.0> : vector<2x2xf32>
  %d = nvgpu.mma.sync (%a, %b, %acc) {mmaShape = [16, 8, 8], tf32Enabled}
      : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
  %d0 = vector.extract %d[0, 0] : f32 from vector<2x2xf32>
  %sum = arith.addf %s, %d0 : f32
  return %sum : f32
}

func.func private @norm_gpu(%x: memref<?xf32>, %n: index)
    attributes {nhc.gpu_variant_of = "norm"} {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%b, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
             threads(%t, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<32xf32, #gpu.address_space<workgroup>>) {
    %v = memref.load %x[%b] : memref<?xf32>
    %s = func.call @block_sum(%v, %t, %partial)
        : (f32, index, memref<32xf32, #gpu.address_space<workgroup>>) -> f32
    memref.store %s, %x[%b] : memref<?xf32>
    gpu.terminator
  }
  return
}

// The library's f16 and e4m3 decode GEMV kernels are host only: not in the
// launch table; its RMS norms and its BF16 GEMV launch their GPU forms.
// LIBRARY: "nhc_rms_norm"
// LIBRARY: "nhc_gemv_bf16"
// HOST-ONLY-NOT: nhc_gemv_f16
// HOST-ONLY-NOT: nhc_gemv_e4m3
