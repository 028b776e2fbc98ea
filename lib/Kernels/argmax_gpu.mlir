// GPU form of argmax.mlir (nhc-select-kernel-variants): one block of 256
// threads per row. Thread t takes the row's elements t, t + 256, ...
// (neighbouring threads, neighbouring elements), keeping its best
// candidate; the 256 candidates meet in workgroup memory and thread 0
// picks among them. nhc_argmax_better is a total order, so the result is
// the portable form's exactly.
func.func private @nhc_argmax_rows_gpu(%logits: memref<?xf32>,
                                       %out: memref<?xi32>, %R: index,
                                       %V: index)
    attributes {nhc.gpu_variant_of = "nhc_argmax_rows"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%r, %by, %bz) in (%gx = %R, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%values : memref<256xf32, #gpu.address_space<workgroup>>,
                       %indices : memref<256xi32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %step = arith.constant 256 : index
    %row = arith.muli %r, %V : index
    // A thread past the row's end holds -inf at index V, which every
    // candidate beats (a real -inf by its smaller index).
    %none = arith.constant 0xFF800000 : f32
    %best:2 = scf.for %j = %tx to %V step %step
        iter_args(%bv = %none, %bi = %V) -> (f32, index) {
      %at = arith.addi %row, %j : index
      %v = memref.load %logits[%at] : memref<?xf32>
      %n:2 = func.call @nhc_argmax_better(%v, %j, %bv, %bi)
          : (f32, index, f32, index) -> (f32, index)
      scf.yield %n#0, %n#1 : f32, index
    }
    %bi32 = arith.index_cast %best#1 : index to i32
    memref.store %best#0, %values[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
    memref.store %bi32, %indices[%tx] : memref<256xi32, #gpu.address_space<workgroup>>
    gpu.barrier
    %leader = arith.cmpi eq, %tx, %c0 : index
    scf.if %leader {
      %v0 = memref.load %values[%c0] : memref<256xf32, #gpu.address_space<workgroup>>
      %i0 = memref.load %indices[%c0] : memref<256xi32, #gpu.address_space<workgroup>>
      %i0x = arith.index_cast %i0 : i32 to index
      %all:2 = scf.for %t = %one to %step step %one
          iter_args(%av = %v0, %ai = %i0x) -> (f32, index) {
        %v = memref.load %values[%t] : memref<256xf32, #gpu.address_space<workgroup>>
        %i = memref.load %indices[%t] : memref<256xi32, #gpu.address_space<workgroup>>
        %ix = arith.index_cast %i : i32 to index
        %n:2 = func.call @nhc_argmax_better(%v, %ix, %av, %ai)
            : (f32, index, f32, index) -> (f32, index)
        scf.yield %n#0, %n#1 : f32, index
      }
      %id = func.call @nhc_argmax_id(%all#0, %all#1) : (f32, index) -> i32
      memref.store %id, %out[%r] : memref<?xi32>
    }
    gpu.terminator
  }
  return
}
