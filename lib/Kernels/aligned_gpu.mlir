// Alignment tests for the GPU forms' 16-byte loads and stores
// (`vector.load`/`vector.store` with `alignment = 16`, ld.global.v4 and
// st.global.v4 in PTX: an address that is not a multiple of 16 faults). GPU
// only: the host pipeline drops them with the forms.

// Whether every row of a row-major buffer starts on a 16-byte boundary: its
// first byte at `address` (memref.extract_aligned_pointer_as_index: the
// buffers are memref<?xT>, offset 0) and rows `rowBytes` apart.
func.func private @nhc_rows_16_byte_aligned(%address: index, %rowBytes: index)
    -> i1 {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %addressRem = arith.remui %address, %c16 : index
  %rowRem = arith.remui %rowBytes, %c16 : index
  %either = arith.ori %addressRem, %rowRem : index
  %aligned = arith.cmpi eq, %either, %c0 : index
  return %aligned : i1
}

// Whether a row-major f32 buffer's rows of `width` elements can be read in
// 16-byte chunks: every row starts 16-byte aligned.
func.func private @nhc_f32_rows_in_chunks(%buf: memref<?xf32>, %width: index)
    -> i1 {
  %c4 = arith.constant 4 : index
  %address = memref.extract_aligned_pointer_as_index %buf : memref<?xf32> -> index
  %rowBytes = arith.muli %width, %c4 : index
  %aligned = func.call @nhc_rows_16_byte_aligned(%address, %rowBytes)
      : (index, index) -> i1
  return %aligned : i1
}
