// RUN: not nhc-opt %s --pass-pipeline='builtin.module(gpu.module(nhc-align-workgroup-memory{alignment=12}))' 2>&1 | FileCheck %s

// CHECK: nhc-align-workgroup-memory: alignment must be a power of two, got 12
gpu.module @kernels {
}
