// RUN: nhc-opt %s -nhc-gpu-merge-modules | FileCheck %s

// Kernels take their module's name, launches follow, and the merged module
// goes after the host code.
// CHECK-LABEL: func.func @host
// CHECK:         gpu.launch_func @nhc_kernels::@f_kernel
// CHECK:         gpu.launch_func @nhc_kernels::@g_kernel_a
// CHECK:         gpu.launch_func @nhc_kernels::@g_kernel_b
// CHECK:       gpu.module @nhc_kernels {
// CHECK-NEXT:    gpu.func @f_kernel(%{{.*}}: f32) kernel
// CHECK:         gpu.func @g_kernel_a() kernel
// CHECK:         gpu.func @g_kernel_b() kernel
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  gpu.module @f_kernel {
    gpu.func @f_kernel(%a: f32) kernel {
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
  func.func @host(%a: f32) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : f32)
    gpu.launch_func @g_kernel::@a blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @g_kernel::@b blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
