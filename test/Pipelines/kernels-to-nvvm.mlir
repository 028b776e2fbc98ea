// RUN: nhc-opt %nhc_src_root/lib/Kernels/elementwise.mlir --pass-pipeline='builtin.module(nhc-kernels-to-nvvm-pipeline{chip=sm_90})' | FileCheck %s
// RUN: cat %nhc_src_root/lib/Kernels/request.mlir %nhc_src_root/lib/Kernels/attention.mlir %nhc_src_root/lib/Kernels/attention_prefill.mlir | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-nvvm-pipeline{chip=sm_80,sm_90 block-size=64})' | FileCheck %s --check-prefix=ATTN
// RUN: cat %nhc_src_root/lib/Kernels/fp8.mlir %nhc_src_root/lib/Kernels/norms.mlir %nhc_src_root/lib/Kernels/device_ops.mlir %nhc_src_root/lib/Kernels/conv1d.mlir | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-nvvm-pipeline{format=})' | FileCheck %s --check-prefix=NVVM

// The host functions keep the grid computation and launch blocks of 128
// threads; one gpu.binary after them holds the PTX of every kernel.
// CHECK-LABEL: func.func @nhc_add(
// CHECK:         %[[C128:.*]] = arith.constant 128 : index
// CHECK:         gpu.launch_func @nhc_kernels::@nhc_add_kernel blocks in ({{.*}}) threads in (%[[C128]], %{{.*}}, %{{.*}})
// CHECK:       gpu.binary @nhc_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
// CHECK-SAME:    .target sm_90
// CHECK-SAME:    .entry nhc_add_kernel(

// nhc_attention launches two kernels (append K/V, then attend), one object
// per chip.
// ATTN-LABEL: func.func @nhc_attention(
// ATTN:         %[[C64:.*]] = arith.constant 64 : index
// ATTN:         gpu.launch_func @nhc_kernels::@nhc_attention_kernel blocks in {{.*}} threads in (%[[C64]],
// ATTN:         gpu.launch_func @nhc_kernels::@nhc_attention_kernel_1 blocks in {{.*}} threads in (%[[C64]],
// ATTN:       gpu.binary @nhc_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">
// ATTN-SAME:    .target sm_80
// ATTN-SAME:    #gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
// ATTN-SAME:    .target sm_90

// Without a format the kernels stay in NVVM (libdevice calls for math).
// NVVM:       gpu.module @nhc_kernels [#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">]
// NVVM:         llvm.func @nhc_rms_norm_kernel(
// NVVM-SAME:      nvvm.kernel
// NVVM:           nvvm.read.ptx.sreg.ctaid.x
// NVVM:           nvvm.read.ptx.sreg.tid.x
// NVVM:           llvm.call @__nv_rsqrtf
