// RUN: nhc-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(gpu.module(nhc-insert-grid-dependency-control))' | FileCheck %s

// Every kernel starts with the wait, then lets its dependents launch,
// before any other op; a function that is not a kernel is unchanged.
// CHECK-LABEL: gpu.module @kernels
// CHECK:       gpu.func @scale(
// CHECK-NEXT:    nvvm.griddepcontrol wait
// CHECK-NEXT:    nvvm.griddepcontrol launch_dependents
// CHECK-NEXT:    gpu.thread_id x
// CHECK:       gpu.func @empty() kernel
// CHECK-NEXT:    nvvm.griddepcontrol wait
// CHECK-NEXT:    nvvm.griddepcontrol launch_dependents
// CHECK-NEXT:    gpu.return
// CHECK:       gpu.func @helper(
// CHECK-NOT:     griddepcontrol
// CHECK:         gpu.return
gpu.module @kernels [#nvvm.target<chip = "sm_90">, #nvvm.target<chip = "sm_100a">] {
  gpu.func @scale(%x: memref<?xf32>) kernel {
    %t = gpu.thread_id x
    %v = memref.load %x[%t] : memref<?xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %x[%t] : memref<?xf32>
    gpu.return
  }
  gpu.func @empty() kernel {
    gpu.return
  }
  gpu.func @helper(%x: f32) {
    gpu.return
  }
}

// -----

// A module without targets takes the ops too (the chips are checked
// where they are attached).
// CHECK-LABEL: gpu.module @untargeted
// CHECK:         nvvm.griddepcontrol wait
gpu.module @untargeted {
  gpu.func @k() kernel {
    gpu.return
  }
}

// -----

// griddepcontrol is an sm_90 instruction.
// expected-error @+1 {{griddepcontrol needs sm_90 or newer; the module targets sm_80}}
gpu.module @older [#nvvm.target<chip = "sm_90">, #nvvm.target<chip = "sm_80">] {
  gpu.func @k() kernel {
    gpu.return
  }
}

// -----

// ... and PTX ISA 7.8.
// expected-error @+1 {{griddepcontrol needs PTX ISA 7.8 or newer; the module's target has features '+ptx75'}}
gpu.module @oldPtx [#nvvm.target<chip = "sm_90", features = "+ptx75">] {
  gpu.func @k() kernel {
    gpu.return
  }
}
