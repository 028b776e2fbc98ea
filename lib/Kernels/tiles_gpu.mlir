// Helpers of the GPU forms' 64 x 64 register-blocked products
// (tools/scripts/gen-gpu-tiles.py writes the blocks that call them), whose
// partial sums live in global memory between stages. GPU only: the host
// pipeline drops them with the forms.

// memory[i] if the element exists and an earlier stage wrote it, else 0.
func.func private @nhc_tile_load_partial(%memory: memref<?xf32>, %i: index,
                                         %valid: i1, %first: i1) -> f32 {
  %zero = arith.constant 0.0 : f32
  %true = arith.constant true
  %notFirst = arith.xori %first, %true : i1
  %load = arith.andi %valid, %notFirst : i1
  %v = scf.if %load -> (f32) {
    %old = memref.load %memory[%i] : memref<?xf32>
    scf.yield %old : f32
  } else {
    scf.yield %zero : f32
  }
  return %v : f32
}

// memory[i] = v if the element exists.
func.func private @nhc_tile_store_if(%memory: memref<?xf32>, %i: index,
                                     %valid: i1, %v: f32) {
  scf.if %valid {
    memref.store %v, %memory[%i] : memref<?xf32>
  }
  return
}
