// RUN: nhc-opt %s --split-input-file --nhc-emulate-gpu-kernels --verify-diagnostics | FileCheck %s
// The library's kernels all emulate, and each entry of the launch table gets
// a packed entry and its parameter count:
// RUN: nhc-kernels --emit=gpu-emulation-so -o %t.so
// RUN: %python -c "import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); slots = ctypes.CFUNCTYPE(ctypes.c_int64)(('nhc_add_kernel_abi_slots', lib)); sys.exit(0 if slots() == 11 else 1)" %t.so

// A kernel becomes a host function over every block and thread of its
// launch: six more index arguments (grid x, y, z, block x, y, z), loops
// z, y, x over blocks then threads, the ids replaced by the loop indices.
// CHECK-LABEL: func.func @scale_kernel(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?xf32>, %[[N:[a-z0-9]+]]: index,
// CHECK-SAME: %[[GX:[a-z0-9]+]]: index, %[[GY:[a-z0-9]+]]: index, %[[GZ:[a-z0-9]+]]: index,
// CHECK-SAME: %[[BX:[a-z0-9]+]]: index, %[[BY:[a-z0-9]+]]: index, %[[BZ:[a-z0-9]+]]: index)
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[GZ]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[GY]]
// CHECK: scf.for %[[BID:[a-z0-9]+]] = %{{.*}} to %[[GX]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[BZ]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[BY]]
// CHECK: scf.for %[[TID:[a-z0-9]+]] = %{{.*}} to %[[BX]]
// CHECK: arith.muli %[[BID]], %[[BX]]
// CHECK: arith.addi %{{.*}}, %[[TID]]
// CHECK: memref.store
// CHECK-NOT: gpu.
// Its parameter count: memref (5) + index (1).
// CHECK-LABEL: func.func @scale_kernel_abi_slots() -> i64
// CHECK: arith.constant 6 : i64
// The host side and the gpu.module are gone.
// CHECK-NOT: @scale(
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

// Threads that wait for each other cannot run one after another.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'sync_kernel': it uses 'gpu.barrier', which needs threads running together}}
    gpu.func @sync_kernel(%x: memref<?xf32>) kernel {
      gpu.barrier
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'shared_kernel': it has workgroup or private memory attributions}}
    gpu.func @shared_kernel(%x: memref<?xf32>)
        workgroup(%tile: memref<32xf32, #gpu.address_space<workgroup>>) kernel {
      gpu.return
    }
  }
}
