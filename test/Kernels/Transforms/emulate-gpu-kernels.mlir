// RUN: nhc-opt %s --split-input-file --nhc-emulate-gpu-kernels --verify-diagnostics | FileCheck %s
// The library's kernels all emulate, and each entry of the launch table gets
// a packed entry and its parameter count (%gpu_emulation_so: the build's
// nhc-kernels --emit=gpu-emulation-so):
// RUN: %python -c "import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); slots = ctypes.CFUNCTYPE(ctypes.c_int64)(('nhc_add_kernel_abi_slots', lib)); sys.exit(0 if slots() == 11 else 1)" %gpu_emulation_so

// A kernel becomes a host function over every block and thread of its
// launch: seven more index arguments (grid x, y, z, block x, y, z, dynamic
// shared memory bytes), loops
// z, y, x over blocks then threads, the ids replaced by the loop indices.
// CHECK-LABEL: func.func @scale_kernel(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?xf32>, %[[N:[a-z0-9]+]]: index,
// CHECK-SAME: %[[GX:[a-z0-9]+]]: index, %[[GY:[a-z0-9]+]]: index, %[[GZ:[a-z0-9]+]]: index,
// CHECK-SAME: %[[BX:[a-z0-9]+]]: index, %[[BY:[a-z0-9]+]]: index, %[[BZ:[a-z0-9]+]]: index,
// CHECK-SAME: %{{[a-z0-9]+}}: index)
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
// Its workgroup buffers' bytes (none):
// CHECK-LABEL: func.func @scale_kernel_static_shared_bytes() -> i64
// CHECK: arith.constant 0 : i64
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

// Threads that meet at barriers run in turns between them: a loop nest over
// the block's threads per stretch between barriers (a barrier in a loop
// without results splits that loop's body, the loop itself running once per
// block), workgroup memory allocated once before the block loops (each
// block reuses it: the stack must not grow with the grid), and a value that
// crosses a barrier kept per thread; constants are made again.
// CHECK-LABEL: func.func @sum_kernel(
// CHECK-NOT: scf.for
// CHECK: %[[TILE:.*]] = memref.alloca() : memref<32xf32>
// CHECK-NOT: scf.for
// CHECK: %[[KEPT:.*]] = memref.alloca(%{{.*}}) : memref<?xindex>
// CHECK-NOT: memref.alloca_scope
// The block loops; at each block's start the tile is filled with all-ones
// bits (NaN: shared memory starts undefined on a GPU); then the threads':
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[NAN:.*]] = arith.constant 0xFFFFFFFF : f32
// CHECK: scf.for %[[E:[a-z0-9]+]] =
// CHECK-NEXT: memref.store %[[NAN]], %[[TILE]][%[[E]]]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %[[T1:[a-z0-9]+]] =
// CHECK: memref.store %[[T1]], %[[KEPT]]
// CHECK: memref.store %{{.*}}, %[[TILE]][%[[T1]]]
// CHECK: scf.for %[[K:[a-z0-9]+]] =
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[T2:.*]] = memref.load %[[KEPT]]
// CHECK: arith.shrui %{{.*}}, %[[K]]
// CHECK: memref.load %[[TILE]][%[[T2]]]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.load %[[KEPT]]
// CHECK-NOT: gpu.barrier
// The static shared memory the CUDA test double reports: 32 floats.
// CHECK-LABEL: func.func @sum_kernel_static_shared_bytes() -> i64
// CHECK: arith.constant 128 : i64
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @sum_kernel(%x: memref<?xf32>)
        workgroup(%tile: memref<32xf32, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c5 = arith.constant 5 : index
      %c16 = arith.constant 16 : index
      %t = gpu.thread_id x
      %v = memref.load %x[%t] : memref<?xf32>
      memref.store %v, %tile[%t] : memref<32xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      scf.for %k = %c0 to %c5 step %c1 {
        %stride = arith.shrui %c16, %k : index
        %active = arith.cmpi ult, %t, %stride : index
        scf.if %active {
          %o = arith.addi %t, %stride : index
          %a = memref.load %tile[%t] : memref<32xf32, #gpu.address_space<workgroup>>
          %b = memref.load %tile[%o] : memref<32xf32, #gpu.address_space<workgroup>>
          %s = arith.addf %a, %b : f32
          memref.store %s, %tile[%t] : memref<32xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
      }
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        %sum = memref.load %tile[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
        memref.store %sum, %x[%c0] : memref<?xf32>
      }
      gpu.return
    }
  }
}

// -----

// A barrier under control flow the emulation does not take as a whole
// block (here a switch) cannot be emulated. (scf.if can: its condition is
// checked to be the same in every thread, emulate-gpu-kernels-races.mlir.)
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'switch_kernel': a 'gpu.barrier' is under 'scf.index_switch' (only the body, scf.for loops and scf.if branches may hold a gpu.barrier, an nvgpu.mma.sync or a gpu.shuffle)}}
    gpu.func @switch_kernel(%x: memref<?xf32>, %c: index) kernel {
      scf.index_switch %c
      case 0 {
        gpu.barrier
        scf.yield
      }
      default {
      }
      gpu.return
    }
  }
}

// -----

// Subgroup operations other than whole-warp shuffles are not emulated.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'reduce_kernel': it uses 'gpu.subgroup_reduce', which the emulation does not run (threads that exchange registers would need to run in lockstep)}}
    gpu.func @reduce_kernel(%x: memref<?xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %x[%c0] : memref<?xf32>
      %s = gpu.subgroup_reduce add %v : (f32) -> f32
      memref.store %s, %x[%c0] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

// Shuffles run over whole warps only: a width other than the constant 32 is
// refused.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'shuffle_kernel': a gpu.shuffle's width is not the constant 32 (the emulation runs shuffles over whole warps)}}
    gpu.func @shuffle_kernel(%x: memref<?xf32>) kernel {
      %c0 = arith.constant 0 : index
      %one = arith.constant 1 : i32
      %width = arith.constant 16 : i32
      %v = memref.load %x[%c0] : memref<?xf32>
      %s, %ok = gpu.shuffle xor %v, %one, %width : f32
      memref.store %s, %x[%c0] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

// A shuffle under control flow the emulation does not take as a whole block.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'shuffle_switch_kernel': a 'gpu.shuffle' is under 'scf.index_switch' (only the body, scf.for loops and scf.if branches may hold a gpu.barrier, an nvgpu.mma.sync or a gpu.shuffle)}}
    gpu.func @shuffle_switch_kernel(%x: memref<?xf32>, %c: index) kernel {
      %c0 = arith.constant 0 : index
      %one = arith.constant 1 : i32
      %width = arith.constant 32 : i32
      scf.index_switch %c
      case 0 {
        %v = memref.load %x[%c0] : memref<?xf32>
        %s, %ok = gpu.shuffle xor %v, %one, %width : f32
        memref.store %s, %x[%c0] : memref<?xf32>
        scf.yield
      }
      default {
      }
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'private_kernel': it has private memory attributions}}
    gpu.func @private_kernel(%x: memref<?xf32>)
        private(%tmp: memref<4xf32, #gpu.address_space<private>>) kernel {
      gpu.return
    }
  }
}

// -----

// Only scalars are kept across a barrier.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @view_kernel(%x: memref<?xf32>) kernel {
      %c0 = arith.constant 0 : index
      %c4 = arith.constant 4 : index
      // expected-error @below {{cannot emulate: a value of type 'memref<?xf32, strided<[1], offset: ?>>' is used across a gpu.barrier, an mma or a shuffle}}
      %view = memref.subview %x[%c0] [%c4] [1] : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
      gpu.barrier
      %v = memref.load %view[%c0] : memref<?xf32, strided<[1], offset: ?>>
      memref.store %v, %x[%c0] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

// A workgroup buffer becomes a stack buffer: only loads and stores of it.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'view_shared_kernel': a workgroup buffer is used by 'memref.subview' (only loads, stores and atomics are emulated)}}
    gpu.func @view_shared_kernel(%x: memref<?xf32>)
        workgroup(%tile: memref<32xf32, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %view = memref.subview %tile[0] [4] [1] : memref<32xf32, #gpu.address_space<workgroup>> to memref<4xf32, strided<[1]>, #gpu.address_space<workgroup>>
      %v = memref.load %view[%c0] : memref<4xf32, strided<[1]>, #gpu.address_space<workgroup>>
      memref.store %v, %x[%c0] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

// Dynamic shared memory is one host buffer seen through views made before
// the block loops: their offsets and sizes must not depend on a thread.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'thread_view_kernel': a view of dynamic shared memory has an offset or size that is not computed from the kernel's arguments and constants}}
    gpu.func @thread_view_kernel(%x: memref<?xf32>) kernel {
      %c0 = arith.constant 0 : index
      %t = gpu.thread_id x
      %dsm = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      %view = memref.view %dsm[%c0][%t] : memref<?xi8, #gpu.address_space<workgroup>> to memref<?xf32, #gpu.address_space<workgroup>>
      %v = memref.load %view[%c0] : memref<?xf32, #gpu.address_space<workgroup>>
      memref.store %v, %x[%c0] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

// Race tags are per 4-byte word: views of other element widths are refused.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'half_view_kernel': a view of dynamic shared memory is not 1-D of 32-bit elements}}
    gpu.func @half_view_kernel(%n: index) kernel {
      %c0 = arith.constant 0 : index
      %dsm = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      %view = memref.view %dsm[%c0][%n] : memref<?xi8, #gpu.address_space<workgroup>> to memref<?xf16, #gpu.address_space<workgroup>>
      gpu.return
    }
  }
}

// -----

// Only views of the dynamic shared memory, in the kernel's body.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'nested_view_kernel': dynamic shared memory is used by 'memref.view' (only memref.view ops in the kernel's body are emulated)}}
    gpu.func @nested_view_kernel(%n: index, %p: i1) kernel {
      %c0 = arith.constant 0 : index
      %dsm = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      scf.if %p {
        %view = memref.view %dsm[%c0][%n] : memref<?xi8, #gpu.address_space<workgroup>> to memref<?xf32, #gpu.address_space<workgroup>>
      }
      gpu.return
    }
  }
}

// -----

// A warp's mma exchanges fragments between its lanes: every lane must reach
// it, as a barrier.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'mma_region_kernel': a 'nvgpu.mma.sync' is under 'scf.execute_region' (only the body, scf.for loops and scf.if branches may hold a gpu.barrier, an nvgpu.mma.sync or a gpu.shuffle)}}
    gpu.func @mma_region_kernel(%x: memref<?xf32>, %p: i1) kernel {
      %a = arith.constant dense<1.0> : vector<4x1xf32>
      %b = arith.constant dense<1.0> : vector<2x1xf32>
      %c = arith.constant dense<0.0> : vector<2x2xf32>
      scf.execute_region {
        %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield
      }
      gpu.return
    }
  }
}

// -----

// bf16 fragments do not lower to NVVM in MLIR 22 (use tf32, which holds
// every bf16 value): not emulated either.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'mma_bf16_kernel': an nvgpu.mma.sync is neither m16n8k16 with f16 operands nor m16n8k8 with tf32 ones (f32 accumulators)}}
    gpu.func @mma_bf16_kernel(%x: memref<?xf32>) kernel {
      %a = arith.constant dense<1.0> : vector<4x2xbf16>
      %b = arith.constant dense<1.0> : vector<2x2xbf16>
      %c = arith.constant dense<0.0> : vector<2x2xf32>
      %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
          : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
      gpu.return
    }
  }
}

// -----

// The emulation's helpers take names with a reserved prefix; an input that
// already uses it is refused rather than mistaken for a helper.
module attributes {gpu.container_module} {
  // expected-error @below {{symbol '__nhc_emulated_mma_m16n8k8_tf32' uses the emulation's reserved prefix '__nhc_emulated_'}}
  memref.global "private" @__nhc_emulated_mma_m16n8k8_tf32 : memref<4xf32>
  gpu.module @kernels {
    gpu.func @plain_kernel(%x: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// A memory fence orders nothing more where blocks and threads run one after
// another: dropped. Other NVVM operations are refused by name.
// CHECK-LABEL: func.func @fenced_kernel(
// CHECK-NOT: nvvm.
// CHECK: memref.atomic_rmw addi
// CHECK-NOT: nvvm.
// CHECK: return
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @fenced_kernel(%count: memref<?xi32>) kernel {
      %c0 = arith.constant 0 : index
      %one = arith.constant 1 : i32
      nvvm.memory.barrier <gpu>
      %before = memref.atomic_rmw addi %one, %count[%c0] : (i32, memref<?xi32>) -> i32
      nvvm.memory.barrier <gpu>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{cannot emulate GPU kernel 'cluster_fence_kernel': it uses 'nvvm.fence.sc.cluster', which the emulation does not run}}
    gpu.func @cluster_fence_kernel(%x: memref<?xf32>) kernel {
      nvvm.fence.sc.cluster
      gpu.return
    }
  }
}
