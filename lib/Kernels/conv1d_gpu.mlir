// GPU form of conv1d.mlir's nhc_conv1d_act (nhc-select-kernel-variants): a
// thread per (request, channel), blocks of 256 consecutive channels, so a
// warp's loads of a token's row are consecutive; each thread runs its
// channel's tokens in order, then its state (@nhc_conv1d_channel, the host
// form's arithmetic).
func.func private @nhc_conv1d_act_gpu(%src: memref<?xf32>, %src_stride: index,
                                      %src_offset: index, %out: memref<?xf32>,
                                      %w: memref<?xf32>, %b: memref<?xf32>,
                                      %has_bias: index, %act: index,
                                      %conv_state: memref<?xf32>,
                                      %req: memref<?xi64>, %R: index,
                                      %C: index, %K: index)
    attributes {nhc.gpu_variant_of = "nhc_conv1d_act"} {
  %c1 = arith.constant 1 : index
  %c255 = arith.constant 255 : index
  %c256 = arith.constant 256 : index
  %padded = arith.addi %C, %c255 : index
  %blocks = arith.divui %padded, %c256 : index
  gpu.launch blocks(%bx, %r, %bz) in (%gx = %blocks, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %step = arith.constant 256 : index
    %base = arith.muli %bx, %step : index
    %c = arith.addi %base, %tx : index
    %inside = arith.cmpi ult, %c, %C : index
    scf.if %inside {
      func.call @nhc_conv1d_channel(%r, %c, %src, %src_stride, %src_offset, %out, %w, %b, %has_bias, %act, %conv_state, %req, %C, %K)
          : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, memref<?xi64>, index, index) -> ()
    }
    gpu.terminator
  }
  return
}
