// Elementwise kernels over a flat range of `n` elements.

// residual[i] += update[i]
func.func @nhc_add(%residual: memref<?xf32>, %update: memref<?xf32>,
                   %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %a = memref.load %residual[%i] : memref<?xf32>
    %b = memref.load %update[%i] : memref<?xf32>
    %s = arith.addf %a, %b : f32
    memref.store %s, %residual[%i] : memref<?xf32>
    scf.reduce
  }
  return
}
