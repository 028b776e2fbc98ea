// GPU form of conv1d.mlir's nhc_conv1d_act (nhc-select-kernel-variants): a
// block per (token of the step, 256 consecutive channels), so a warp's loads
// of a token's row are consecutive and a prefill fills the device (one block
// per request and channel block, tokens in turn, left a long prompt on a
// few SMs, each thread waiting on a load per token). Each thread finds its
// token's request (@nhc_request_of_token). A token whose taps are all new
// inputs (t >= K-1) is computed by its own thread; the request's first
// token's thread computes the tokens t < K-1, whose taps read the state,
// and then writes the new state: the only thread that reads or writes the
// slot's state for its channel, so the old state is read before it is
// replaced without a second launch. A decode step (one token per request)
// is the same grid as a block per (request, channel block). Each output is
// @nhc_conv_pre_activation then @nhc_conv_activate: the host form's
// arithmetic.
func.func private @nhc_conv1d_act_gpu(%src: memref<?xf32>, %src_stride: index,
                                      %src_offset: index, %out: memref<?xf32>,
                                      %w: memref<?xf32>, %b: memref<?xf32>,
                                      %has_bias: index, %act: index,
                                      %conv_state: memref<?xf32>,
                                      %req: memref<?xi64>, %R: index,
                                      %C: index, %K: index, %T: index)
    attributes {nhc.gpu_variant_of = "nhc_conv1d_act"} {
  %c1 = arith.constant 1 : index
  %c255 = arith.constant 255 : index
  %c256 = arith.constant 256 : index
  %padded = arith.addi %C, %c255 : index
  %channelBlocks = arith.divui %padded, %c256 : index
  // No request, no token: an empty grid.
  %some = arith.cmpi uge, %R, %c1 : index
  %none = arith.constant 0 : index
  %T1 = arith.select %some, %T, %none : index
  %blocks = arith.muli %channelBlocks, %T1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %blocks, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %step = arith.constant 256 : index
    %tok = arith.divui %bx, %channelBlocks : index
    %cb = arith.remui %bx, %channelBlocks : index
    %base = arith.muli %cb, %step : index
    %c = arith.addi %base, %tx : index
    %inside = arith.cmpi ult, %c, %C : index
    scf.if %inside {
      %r = func.call @nhc_request_of_token(%req, %R, %tok)
          : (memref<?xi64>, index, index) -> index
      %q:4 = func.call @nhc_request(%req, %r)
          : (memref<?xi64>, index) -> (index, index, index, index)
      %km1 = arith.subi %K, %one : index
      %slotElems = arith.muli %C, %km1 : index
      %slotBase = arith.muli %q#3, %slotElems : index
      // Wraps past n where tok precedes the request (never, for a table
      // the runtime made).
      %t = arith.subi %tok, %q#0 : index
      %ofRequest = arith.cmpi ult, %t, %q#1 : index
      %first = arith.cmpi eq, %t, %c0 : index
      %fromInputs = arith.cmpi uge, %t, %km1 : index
      %own = arith.andi %ofRequest, %fromInputs : i1
      %notFirst = arith.cmpi ne, %t, %c0 : index
      %ownOnly = arith.andi %own, %notFirst : i1
      scf.if %ownOnly {
        func.call @nhc_conv1d_token(%t, %c, %src, %src_stride, %src_offset, %out, %w, %b, %has_bias, %act, %conv_state, %slotBase, %q#0, %C, %K)
            : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, index, index, index, index) -> ()
      }
      %lead = arith.andi %ofRequest, %first : i1
      scf.if %lead {
        // Tokens t < K-1 (and t = 0 when K = 1), then the state.
        %head0 = arith.minui %q#1, %km1 : index
        %head = arith.maxui %head0, %one : index
        scf.for %u = %c0 to %head step %one {
          func.call @nhc_conv1d_token(%u, %c, %src, %src_stride, %src_offset, %out, %w, %b, %has_bias, %act, %conv_state, %slotBase, %q#0, %C, %K)
              : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, index, index, index, index) -> ()
        }
        func.call @nhc_conv_update_state(%c, %q#1, %src, %src_stride, %src_offset, %conv_state, %slotBase, %q#0, %K)
            : (index, index, memref<?xf32>, index, index, memref<?xf32>, index, index, index) -> ()
      }
    }
    gpu.terminator
  }
  return
}
