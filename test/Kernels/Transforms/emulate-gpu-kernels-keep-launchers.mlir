// RUN: nhc-opt %s --split-input-file --nhc-emulate-gpu-kernels=keep-launchers --verify-diagnostics | FileCheck %s
// reverse-order runs blocks and threads from the last down: id = size - 1 - iv.
// RUN: nhc-opt %s --split-input-file --nhc-emulate-gpu-kernels="keep-launchers reverse-order" --verify-diagnostics | FileCheck %s --check-prefix=REV
// REV-LABEL: func.func private @scale_kernel(
// REV-SAME: memref<?xf32>, %{{[a-z0-9]+}}: index, %[[GX:[a-z0-9]+]]: index, %{{[a-z0-9]+}}: index, %{{[a-z0-9]+}}: index, %[[BX:[a-z0-9]+]]: index,
// REV: scf.for %[[IB:[a-z0-9]+]] = %{{.*}} to %[[GX]]
// REV: %[[LASTB:.*]] = arith.subi %[[GX]], %{{.*}} : index
// REV: %[[B:.*]] = arith.subi %[[LASTB]], %[[IB]] : index
// REV: scf.for %[[IT:[a-z0-9]+]] = %{{.*}} to %[[BX]]
// REV: %[[LASTT:.*]] = arith.subi %[[BX]], %{{.*}} : index
// REV: %[[T:.*]] = arith.subi %[[LASTT]], %[[IT]] : index
// REV: arith.muli %[[B]], %[[BX]]
// The whole library this way: each kernel keeps its entry and signature
// (the kernel unit tests' gpu-form run loads it the same way).
// RUN: nhc-kernels --emit=mlir | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers})' -o %t.lib.mlir
// RUN: FileCheck %s --check-prefix=LIB < %t.lib.mlir
// RUN: FileCheck %s --check-prefix=NONE < %t.lib.mlir

// The host function stays; its launch calls the emulated kernel (private,
// no _abi_slots twin) with the operands, then the grid's and block's sizes
// and the dynamic shared memory's bytes (0 without).
// CHECK-LABEL: func.func @scale(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?xf32>, %[[N:[a-z0-9]+]]: index)
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK: call @scale_kernel(%[[X]], %[[N]], %[[N]], %[[C1]], %[[C1]], %[[C128]], %[[C1]], %[[C1]], %[[C0]])
// CHECK-NOT: gpu.launch_func
// CHECK-LABEL: func.func private @scale_kernel(
// CHECK-NOT: abi_slots
// CHECK-NOT: gpu.module

module attributes {gpu.container_module} {
  func.func @scale(%x: memref<?xf32>, %n: index) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    gpu.launch_func @kernels::@scale_kernel blocks in (%n, %c1, %c1)
        threads in (%c128, %c1, %c1) args(%x : memref<?xf32>, %n : index)
    return
  }
  gpu.module @kernels {
    gpu.func @scale_kernel(%x: memref<?xf32>, %n: index) kernel {
      %bid = gpu.block_id x
      %tid = gpu.thread_id x
      %bdim = gpu.block_dim x
      %base = arith.muli %bid, %bdim : index
      %i = arith.addi %base, %tid : index
      %in = arith.cmpi ult, %i, %n : index
      scf.if %in {
        %v = memref.load %x[%i] : memref<?xf32>
        %two = arith.addf %v, %v : f32
        memref.store %two, %x[%i] : memref<?xf32>
      }
      gpu.return
    }
  }
}

// -----

// A launch's dynamic shared memory bytes become the call's last size.
// CHECK-LABEL: func.func @shared(
// CHECK-SAME: %[[SN:[a-z0-9]+]]: index, %[[BYTES:[a-z0-9]+]]: i32)
// CHECK: %[[B:.*]] = arith.index_cast %[[BYTES]] : i32 to index
// CHECK: call @k(%[[SN]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[B]])
module attributes {gpu.container_module} {
  func.func @shared(%n: index, %bytes: i32) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%n, %c1, %c1)
        threads in (%c1, %c1, %c1) dynamic_shared_memory_size %bytes
    return
  }
  gpu.module @kernels {
    gpu.func @k() kernel {
      gpu.return
    }
  }
}

// LIB-DAG: llvm.func @nhc_rms_norm(
// LIB-DAG: llvm.call @nhc_rms_norm_kernel(
// LIB-DAG: llvm.func @nhc_attention(
// LIB-DAG: llvm.call @nhc_attention_kernel_1(
// No GPU op is left, and host-only kernels are gone:
// NONE-NOT: gpu.
// NONE-NOT: @nhc_gemv_f16(
