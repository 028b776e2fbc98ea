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


// -----

func.func @twice(%x: memref<?xf32>) {
  return
}
func.func private @twice_gpu(%x: memref<?xf32>)
    attributes {nhc.gpu_variant_of = "twice"} {
  return
}
// expected-error @below {{a second GPU form of 'twice'}}
func.func private @twice_gpu_again(%x: memref<?xf32>)
    attributes {nhc.gpu_variant_of = "twice"} {
  return
}

// -----

// A GPU form's launch may not call what the GPU does not get.
func.func @caller(%x: memref<?xf32>) {
  return
}
func.func @host_helper(%x: memref<?xf32>) attributes {nhc.host_only} {
  return
}
func.func private @caller_gpu(%x: memref<?xf32>)
    attributes {nhc.gpu_variant_of = "caller"} {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%b, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%t, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @below {{cannot inline 'host_helper' into a GPU form's launch}}
    func.call @host_helper(%x) : (memref<?xf32>) -> ()
    gpu.terminator
  }
  return
}
