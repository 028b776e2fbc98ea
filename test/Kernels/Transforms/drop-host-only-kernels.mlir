// RUN: nhc-opt %s --nhc-drop-host-only-kernels | FileCheck %s
// RUN: nhc-kernels --emit=cuda-launches | FileCheck %s --check-prefix=LIBRARY

// Kernels marked nhc.host_only go; the others and every private helper stay
// (the GPU pipeline's symbol-dce drops the helpers nothing calls).
// CHECK-NOT: @host_kernel
// CHECK: func.func @gpu_kernel(
// CHECK: func.func private @helper(
// CHECK-NOT: @host_kernel

func.func @host_kernel(%x: memref<?xf32>) attributes {nhc.host_only} {
  func.call @helper(%x) : (memref<?xf32>) -> ()
  return
}

func.func @gpu_kernel(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %x[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

func.func private @helper(%x: memref<?xf32>) {
  return
}

// The library's decode GEMV kernels are host only: not in the launch table.
// LIBRARY: "nhc_rms_norm"
// LIBRARY-NOT: nhc_gemv
