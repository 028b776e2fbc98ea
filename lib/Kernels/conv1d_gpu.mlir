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
// is the same grid as a block per (request, channel block); with K = 4 its
// thread loads every tap, weight and state element at once
// (@nhc_conv1d_decode_k4) instead of one round trip per tap and per state
// element. Each output is @nhc_conv_pre_activation's sum then
// @nhc_conv_activate: the host form's arithmetic.
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
      %c4 = arith.constant 4 : index
      %oneToken = arith.cmpi eq, %q#1, %one : index
      %k4 = arith.cmpi eq, %K, %c4 : index
      %decodeK4 = arith.andi %oneToken, %k4 : i1
      scf.if %lead {
        scf.if %decodeK4 {
          func.call @nhc_conv1d_decode_k4(%c, %src, %src_stride, %src_offset, %out, %w, %b, %has_bias, %act, %conv_state, %slotBase, %q#0, %C)
              : (index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, index, index, index) -> ()
        } else {
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
    }
    gpu.terminator
  }
  return
}

// A decode token (the request's only one) of channel c with K = 4 (every
// published config): the three state taps, the input, the four weights and
// the bias loaded at once (the loops above wait for each tap's load, then
// for each state element's before storing it), then @nhc_conv_pre_value's
// sum in its order, the activation, the output and the new state
// (s1, s2, x) from registers.
func.func private @nhc_conv1d_decode_k4(%c: index, %src: memref<?xf32>,
                                        %src_stride: index,
                                        %src_offset: index,
                                        %out: memref<?xf32>,
                                        %w: memref<?xf32>, %b: memref<?xf32>,
                                        %has_bias: index, %act: index,
                                        %conv_state: memref<?xf32>,
                                        %slotBase: index, %off: index,
                                        %C: index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %cState = arith.muli %c, %c3 : index
  %s0i = arith.addi %slotBase, %cState : index
  %s1i = arith.addi %s0i, %c1 : index
  %s2i = arith.addi %s0i, %c2 : index
  %row = arith.muli %off, %src_stride : index
  %col = arith.addi %src_offset, %c : index
  %xi = arith.addi %row, %col : index
  %w0i = arith.muli %c, %c4 : index
  %w1i = arith.addi %w0i, %c1 : index
  %w2i = arith.addi %w0i, %c2 : index
  %w3i = arith.addi %w0i, %c3 : index
  %s0 = memref.load %conv_state[%s0i] : memref<?xf32>
  %s1 = memref.load %conv_state[%s1i] : memref<?xf32>
  %s2 = memref.load %conv_state[%s2i] : memref<?xf32>
  %x = memref.load %src[%xi] : memref<?xf32>
  %w0 = memref.load %w[%w0i] : memref<?xf32>
  %w1 = memref.load %w[%w1i] : memref<?xf32>
  %w2 = memref.load %w[%w2i] : memref<?xf32>
  %w3 = memref.load %w[%w3i] : memref<?xf32>
  %bias = func.call @nhc_conv_bias(%b, %c, %has_bias) : (memref<?xf32>, index, index) -> f32
  %p0 = arith.mulf %w0, %s0 : f32
  %a0 = arith.addf %zero, %p0 : f32
  %p1 = arith.mulf %w1, %s1 : f32
  %a1 = arith.addf %a0, %p1 : f32
  %p2 = arith.mulf %w2, %s2 : f32
  %a2 = arith.addf %a1, %p2 : f32
  %p3 = arith.mulf %w3, %x : f32
  %a3 = arith.addf %a2, %p3 : f32
  %pre = arith.addf %a3, %bias : f32
  %activated = func.call @nhc_conv_activate(%pre, %act) : (f32, index) -> f32
  %orow = arith.muli %off, %C : index
  %oi = arith.addi %orow, %c : index
  memref.store %activated, %out[%oi] : memref<?xf32>
  memref.store %s1, %conv_state[%s0i] : memref<?xf32>
  memref.store %s2, %conv_state[%s1i] : memref<?xf32>
  memref.store %x, %conv_state[%s2i] : memref<?xf32>
  return
}
