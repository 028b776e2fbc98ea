// RUN: nhc-opt %s -nhc-gpu-merge-modules -split-input-file | FileCheck %s

// A module launched from one host function takes the function's name and
// its place among the modules that function launches (outlining's own
// suffixes count across the whole module, so they would shift when another
// function gains a launch); a module of several kernels names each after
// the module; launches follow, and the merged module goes after the host
// code.
// CHECK-LABEL: func.func @host
// CHECK:         gpu.launch_func @nhc_kernels::@host_kernel
// CHECK:         gpu.launch_func @nhc_kernels::@g_kernel_a
// CHECK:         gpu.launch_func @nhc_kernels::@g_kernel_b
// CHECK:         gpu.launch_func @nhc_kernels::@host_kernel_2
// CHECK:       gpu.module @nhc_kernels {
// CHECK-NEXT:    gpu.func @host_kernel(%{{.*}}: f32) kernel
// CHECK:         gpu.func @g_kernel_a() kernel
// CHECK:         gpu.func @g_kernel_b() kernel
// CHECK:         gpu.func @host_kernel_2() kernel
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  gpu.module @f_kernel_7 {
    gpu.func @f_kernel_7(%a: f32) kernel {
      gpu.return
    }
  }
  gpu.module @g_kernel {
    gpu.func @a() kernel {
      gpu.return
    }
    gpu.func @b() kernel {
      gpu.return
    }
  }
  gpu.module @h_kernel_0 {
    gpu.func @h_kernel_0() kernel {
      gpu.return
    }
  }
  func.func @host(%a: f32) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel_7::@f_kernel_7 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : f32)
    gpu.launch_func @g_kernel::@a blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @g_kernel::@b blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @h_kernel_0::@h_kernel_0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}

// -----

// A module two functions launch keeps its own name.
// CHECK-LABEL: func.func @first
// CHECK:         gpu.launch_func @nhc_kernels::@shared_kernel
// CHECK-LABEL: func.func @second
// CHECK:         gpu.launch_func @nhc_kernels::@shared_kernel
// CHECK:       gpu.module @nhc_kernels {
// CHECK-NEXT:    gpu.func @shared_kernel() kernel
module attributes {gpu.container_module} {
  gpu.module @shared_kernel {
    gpu.func @shared_kernel() kernel {
      gpu.return
    }
  }
  func.func @first() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @shared_kernel::@shared_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
  func.func @second() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @shared_kernel::@shared_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
