// RUN: nhc-opt %s --split-input-file --nhc-select-kernel-variants=target=gpu --verify-diagnostics

// A GPU form must name a kernel of the same type.
func.func @kernel(%x: memref<?xf32>) {
  return
}
// expected-error @below {{GPU form of 'kernel' has type '(memref<?xf32>, index) -> ()', the kernel '(memref<?xf32>) -> ()'}}
func.func private @kernel_gpu(%x: memref<?xf32>, %n: index)
    attributes {nhc.gpu_variant_of = "kernel"} {
  return
}

// -----

// expected-error @below {{GPU form of no kernel: 'nhc.gpu_variant_of' must name a kernel of the library}}
func.func private @orphan_gpu(%x: memref<?xf32>)
    attributes {nhc.gpu_variant_of = "missing"} {
  return
}

