// RUN: nhc-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(gpu.module(nhc-align-workgroup-memory))' | FileCheck %s

// Every workgroup buffer gets llvm.align 16; a larger alignment is kept,
// a smaller one raised (test/Target/CUDA/workgroup-alignment.test checks
// the PTX).
// CHECK-LABEL: gpu.func @k
// CHECK-SAME: workgroup(%{{.*}} : memref<1024xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<1xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<8xi32, #gpu.address_space<workgroup>> {llvm.align = 64 : i64}, %{{.*}} : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
gpu.module @kernels {
  gpu.func @k(%out: memref<4xf32>)
      workgroup(%a : memref<1024xf32, #gpu.address_space<workgroup>>,
                %b : memref<1xf32, #gpu.address_space<workgroup>>,
                %c : memref<8xi32, #gpu.address_space<workgroup>> {llvm.align = 64 : i64},
                %d : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 4 : i64}) kernel {
    %c0 = arith.constant 0 : index
    %v = memref.load %a[%c0] : memref<1024xf32, #gpu.address_space<workgroup>>
    memref.store %v, %b[%c0] : memref<1xf32, #gpu.address_space<workgroup>>
    %w = memref.load %d[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
    memref.store %w, %out[%c0] : memref<4xf32>
    gpu.return
  }
}

// -----

// A kernel without workgroup memory is left as it is.
// CHECK-LABEL: gpu.func @plain
// CHECK-SAME: kernel
// CHECK-NOT: llvm.align
gpu.module @kernels {
  gpu.func @plain(%out: memref<4xf32>) kernel {
    gpu.return
  }
}
