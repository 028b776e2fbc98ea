// Mamba-2 causal depthwise conv1d + activation over variable-length requests.
//
// For request r and channel c the conv input is the sequence
//   [state(K-1 oldest-first inputs), src[off + 0, c], ..., src[off + n-1, c]]
// and output t is act(b[c] + sum_j w[c*K + j] * seq[t + j]) (the sum from
// j = 0 up, then the bias), with b[c] read only when %has_bias != 0
// (otherwise %b is any memref and unused). %act is the nemotron dialect's
// Activation case value (see @nhc_conv_activate). Afterwards the slot's
// state holds the last K-1 entries of that sequence.
//
// Host form: a parallel loop over (request, block of 64 channels), each
// block's tokens in order, the channels innermost so that LLVM vectorizes
// them: first the pre-activations of tokens t < K-1 (their taps reach into
// the state), then those of the rest (every tap a row of src; K = 4, every
// published config, spelled out), then the activation over the block's
// rows (one loop per activation: vector expf through libmvec), then the
// state. The GPU form (conv1d_gpu.mlir) is a thread per (token, channel),
// @nhc_conv1d_token. %T (the step's tokens) sizes the GPU form's grid; the
// host form does not read it.
func.func @nhc_conv1d_act(%src: memref<?xf32>, %src_stride: index,
                          %src_offset: index, %out: memref<?xf32>,
                          %w: memref<?xf32>, %b: memref<?xf32>,
                          %has_bias: index, %act: index,
                          %conv_state: memref<?xf32>, %req: memref<?xi64>,
                          %R: index, %C: index, %K: index, %T: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %km1 = arith.subi %K, %c1 : index
  %slotElems = arith.muli %C, %km1 : index
  %blocks = arith.ceildivui %C, %c64 : index
  scf.parallel (%r, %blk) = (%c0, %c0) to (%R, %blocks) step (%c1, %c1) {
    %r4 = arith.muli %r, %c4 : index
    %off64 = memref.load %req[%r4] : memref<?xi64>
    %r4n = arith.addi %r4, %c1 : index
    %n64 = memref.load %req[%r4n] : memref<?xi64>
    %r4s = arith.addi %r4, %c3 : index
    %slot64 = memref.load %req[%r4s] : memref<?xi64>
    %off = arith.index_cast %off64 : i64 to index
    %n = arith.index_cast %n64 : i64 to index
    %slot = arith.index_cast %slot64 : i64 to index
    %slotBase = arith.muli %slot, %slotElems : index
    %cBegin = arith.muli %blk, %c64 : index
    %cLimit = arith.addi %cBegin, %c64 : index
    %cEnd = arith.minui %cLimit, %C : index
    // Tokens whose taps reach into the state, then the rest.
    %head = arith.minui %n, %km1 : index
    scf.for %t = %c0 to %head step %c1 {
      scf.for %c = %cBegin to %cEnd step %c1 {
        func.call @nhc_conv_pre_activation(%t, %c, %src, %src_stride, %src_offset, %out, %w, %b, %has_bias, %conv_state, %slotBase, %off, %C, %K)
            : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, memref<?xf32>, index, index, index, index) -> ()
      }
    }
    %isK4 = arith.cmpi eq, %K, %c4 : index
    scf.if %isK4 {
      func.call @nhc_conv_rows_k4(%src, %src_stride, %src_offset, %out, %w, %b, %has_bias, %off, %head, %n, %cBegin, %cEnd, %C)
          : (memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, index, index, index, index, index) -> ()
    } else {
      scf.for %t = %head to %n step %c1 {
        scf.for %c = %cBegin to %cEnd step %c1 {
          func.call @nhc_conv_pre_activation(%t, %c, %src, %src_stride, %src_offset, %out, %w, %b, %has_bias, %conv_state, %slotBase, %off, %C, %K)
              : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, memref<?xf32>, index, index, index, index) -> ()
        }
      }
    }
    func.call @nhc_conv_activate_block(%out, %off, %n, %C, %cBegin, %cEnd, %act)
        : (memref<?xf32>, index, index, index, index, index, index) -> ()
    scf.for %c = %cBegin to %cEnd step %c1 {
      func.call @nhc_conv_update_state(%c, %n, %src, %src_stride, %src_offset, %conv_state, %slotBase, %off, %K)
          : (index, index, memref<?xf32>, index, index, memref<?xf32>, index, index, index) -> ()
    }
    scf.reduce
  }
  return
}

// Token t of the request whose first token is row off, channel c: its
// pre-activation, activated and stored once (the GPU form's thread; the
// same arithmetic as the host form).
func.func private @nhc_conv1d_token(%t: index, %c: index,
                                    %src: memref<?xf32>, %src_stride: index,
                                    %src_offset: index, %out: memref<?xf32>,
                                    %w: memref<?xf32>, %b: memref<?xf32>,
                                    %has_bias: index, %act: index,
                                    %conv_state: memref<?xf32>,
                                    %slotBase: index, %off: index, %C: index,
                                    %K: index) {
  %pre = func.call @nhc_conv_pre_value(%t, %c, %src, %src_stride, %src_offset, %w, %b, %has_bias, %conv_state, %slotBase, %off, %K)
      : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, index, memref<?xf32>, index, index, index) -> f32
  %activated = func.call @nhc_conv_activate(%pre, %act) : (f32, index) -> f32
  %tok = arith.addi %off, %t : index
  %orow = arith.muli %tok, %C : index
  %oi = arith.addi %orow, %c : index
  memref.store %activated, %out[%oi] : memref<?xf32>
  return
}

// out[off + t, c] = b[c] + sum_j w[c*K + j] * seq[t + j], before the
// activation; any t (the taps read the state where t + j < K-1).
func.func private @nhc_conv_pre_activation(%t: index, %c: index,
                                           %src: memref<?xf32>,
                                           %src_stride: index,
                                           %src_offset: index,
                                           %out: memref<?xf32>,
                                           %w: memref<?xf32>,
                                           %b: memref<?xf32>, %has_bias: index,
                                           %conv_state: memref<?xf32>,
                                           %slotBase: index, %off: index,
                                           %C: index, %K: index) {
  %pre = func.call @nhc_conv_pre_value(%t, %c, %src, %src_stride, %src_offset, %w, %b, %has_bias, %conv_state, %slotBase, %off, %K)
      : (index, index, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, index, memref<?xf32>, index, index, index) -> f32
  %tok = arith.addi %off, %t : index
  %orow = arith.muli %tok, %C : index
  %oi = arith.addi %orow, %c : index
  memref.store %pre, %out[%oi] : memref<?xf32>
  return
}

// b[c] + sum_j w[c*K + j] * seq[t + j] (the sum from j = 0 up, then the
// bias): token t's pre-activation for channel c.
func.func private @nhc_conv_pre_value(%t: index, %c: index,
                                      %src: memref<?xf32>, %src_stride: index,
                                      %src_offset: index, %w: memref<?xf32>,
                                      %b: memref<?xf32>, %has_bias: index,
                                      %conv_state: memref<?xf32>,
                                      %slotBase: index, %off: index,
                                      %K: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %km1 = arith.subi %K, %c1 : index
  %cState = arith.muli %c, %km1 : index
  %sbase = arith.addi %slotBase, %cState : index
  %col = arith.addi %src_offset, %c : index
  %wbase = arith.muli %c, %K : index
  %acc = scf.for %j = %c0 to %K step %c1 iter_args(%a = %zero) -> (f32) {
    %q = arith.addi %t, %j : index
    %v = func.call @nhc_conv_seq_at(%q, %km1, %sbase, %conv_state, %src,
                                    %off, %src_stride, %col)
        : (index, index, index, memref<?xf32>, memref<?xf32>, index,
           index, index) -> f32
    %wi = arith.addi %wbase, %j : index
    %wj = memref.load %w[%wi] : memref<?xf32>
    %p = arith.mulf %wj, %v : f32
    %s = arith.addf %a, %p : f32
    scf.yield %s : f32
  }
  %bias = func.call @nhc_conv_bias(%b, %c, %has_bias) : (memref<?xf32>, index, index) -> f32
  %pre = arith.addf %acc, %bias : f32
  return %pre : f32
}

// b[c], or 0 without a bias (%b is then not read).
func.func private @nhc_conv_bias(%b: memref<?xf32>, %c: index,
                                 %has_bias: index) -> f32 {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %useBias = arith.cmpi ne, %has_bias, %c0 : index
  %bias = scf.if %useBias -> (f32) {
    %bv = memref.load %b[%c] : memref<?xf32>
    scf.yield %bv : f32
  } else {
    scf.yield %zero : f32
  }
  return %bias : f32
}

// The pre-activations of tokens [t0, n) (each >= 3, so every tap a row of
// src) for channels [c0, c1), K = 4: the sum of
// @nhc_conv_pre_activation in the same order, channels innermost.
func.func private @nhc_conv_rows_k4(%src: memref<?xf32>, %src_stride: index,
                                    %src_offset: index, %out: memref<?xf32>,
                                    %w: memref<?xf32>, %b: memref<?xf32>,
                                    %has_bias: index, %off: index, %t0: index,
                                    %n: index, %c0: index, %c1: index,
                                    %C: index) {
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %i2 = arith.constant 2 : index
  %i3 = arith.constant 3 : index
  %i4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.for %t = %t0 to %n step %i1 {
    %tok = arith.addi %off, %t : index
    %tok3 = arith.subi %tok, %i3 : index
    %row3 = arith.muli %tok3, %src_stride : index
    %row2 = arith.addi %row3, %src_stride : index
    %row1 = arith.addi %row2, %src_stride : index
    %row0 = arith.addi %row1, %src_stride : index
    %orow = arith.muli %tok, %C : index
    scf.for %c = %c0 to %c1 step %i1 {
      %col = arith.addi %src_offset, %c : index
      %x0i = arith.addi %row3, %col : index
      %x1i = arith.addi %row2, %col : index
      %x2i = arith.addi %row1, %col : index
      %x3i = arith.addi %row0, %col : index
      %x0 = memref.load %src[%x0i] : memref<?xf32>
      %x1 = memref.load %src[%x1i] : memref<?xf32>
      %x2 = memref.load %src[%x2i] : memref<?xf32>
      %x3 = memref.load %src[%x3i] : memref<?xf32>
      %wb = arith.muli %c, %i4 : index
      %w1i = arith.addi %wb, %i1 : index
      %w2i = arith.addi %wb, %i2 : index
      %w3i = arith.addi %wb, %i3 : index
      %w0 = memref.load %w[%wb] : memref<?xf32>
      %w1 = memref.load %w[%w1i] : memref<?xf32>
      %w2 = memref.load %w[%w2i] : memref<?xf32>
      %w3 = memref.load %w[%w3i] : memref<?xf32>
      %p0 = arith.mulf %w0, %x0 : f32
      %p1 = arith.mulf %w1, %x1 : f32
      %p2 = arith.mulf %w2, %x2 : f32
      %p3 = arith.mulf %w3, %x3 : f32
      %s0 = arith.addf %zero, %p0 : f32
      %s1 = arith.addf %s0, %p1 : f32
      %s2 = arith.addf %s1, %p2 : f32
      %s3 = arith.addf %s2, %p3 : f32
      %bias = func.call @nhc_conv_bias(%b, %c, %has_bias) : (memref<?xf32>, index, index) -> f32
      %pre = arith.addf %s3, %bias : f32
      %oi = arith.addi %orow, %c : index
      memref.store %pre, %out[%oi] : memref<?xf32>
    }
  }
  return
}

// act over out's rows off .. off+n-1, columns [c0, c1): one loop per
// activation code of 0-6, so that each is a plain loop LLVM vectorizes
// (silu's exp as libmvec's vector expf); the rarer codes switch per element,
// and an unknown code gives NaN as @nhc_conv_activate does.
func.func private @nhc_conv_activate_block(%out: memref<?xf32>, %off: index,
                                           %n: index, %C: index, %c0: index,
                                           %c1: index, %act: index) {
  %relu2 = arith.constant 0 : index
  %relu = arith.constant 1 : index
  %silu = arith.constant 2 : index
  %gelu = arith.constant 3 : index
  %geluTanh = arith.constant 4 : index
  %quickGelu = arith.constant 5 : index
  %relu6 = arith.constant 6 : index
  scf.index_switch %act
  case 0 {
    func.call @nhc_conv_activate_rows(%out, %off, %n, %C, %c0, %c1, %relu2) : (memref<?xf32>, index, index, index, index, index, index) -> ()
    scf.yield
  }
  case 1 {
    func.call @nhc_conv_activate_rows(%out, %off, %n, %C, %c0, %c1, %relu) : (memref<?xf32>, index, index, index, index, index, index) -> ()
    scf.yield
  }
  case 2 {
    func.call @nhc_conv_activate_rows(%out, %off, %n, %C, %c0, %c1, %silu) : (memref<?xf32>, index, index, index, index, index, index) -> ()
    scf.yield
  }
  case 3 {
    func.call @nhc_conv_activate_rows(%out, %off, %n, %C, %c0, %c1, %gelu) : (memref<?xf32>, index, index, index, index, index, index) -> ()
    scf.yield
  }
  case 4 {
    func.call @nhc_conv_activate_rows(%out, %off, %n, %C, %c0, %c1, %geluTanh) : (memref<?xf32>, index, index, index, index, index, index) -> ()
    scf.yield
  }
  case 5 {
    func.call @nhc_conv_activate_rows(%out, %off, %n, %C, %c0, %c1, %quickGelu) : (memref<?xf32>, index, index, index, index, index, index) -> ()
    scf.yield
  }
  case 6 {
    func.call @nhc_conv_activate_rows(%out, %off, %n, %C, %c0, %c1, %relu6) : (memref<?xf32>, index, index, index, index, index, index) -> ()
    scf.yield
  }
  default {
    func.call @nhc_conv_activate_rows(%out, %off, %n, %C, %c0, %c1, %act) : (memref<?xf32>, index, index, index, index, index, index) -> ()
  }
  return
}

func.func private @nhc_conv_activate_rows(%out: memref<?xf32>, %off: index,
                                          %n: index, %C: index, %c0: index,
                                          %c1: index, %act: index) {
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  scf.for %t = %i0 to %n step %i1 {
    %tok = arith.addi %off, %t : index
    %orow = arith.muli %tok, %C : index
    scf.for %c = %c0 to %c1 step %i1 {
      %oi = arith.addi %orow, %c : index
      %x = memref.load %out[%oi] : memref<?xf32>
      %y = func.call @nhc_conv_activate(%x, %act) : (f32, index) -> f32
      memref.store %y, %out[%oi] : memref<?xf32>
    }
  }
  return
}

// Channel c's new state: state[j] = seq[n + j] for j < K-1. Writing j
// upwards only overwrites entries that later iterations no longer read
// (they read n + j' > j).
func.func private @nhc_conv_update_state(%c: index, %n: index,
                                         %src: memref<?xf32>,
                                         %src_stride: index,
                                         %src_offset: index,
                                         %conv_state: memref<?xf32>,
                                         %slotBase: index, %off: index,
                                         %K: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %km1 = arith.subi %K, %c1 : index
  %cState = arith.muli %c, %km1 : index
  %sbase = arith.addi %slotBase, %cState : index
  %col = arith.addi %src_offset, %c : index
  scf.for %j = %c0 to %km1 step %c1 {
    %q = arith.addi %n, %j : index
    %v = func.call @nhc_conv_seq_at(%q, %km1, %sbase, %conv_state, %src,
                                    %off, %src_stride, %col)
        : (index, index, index, memref<?xf32>, memref<?xf32>, index, index,
           index) -> f32
    %si = arith.addi %sbase, %j : index
    memref.store %v, %conv_state[%si] : memref<?xf32>
  }
  return
}

// Element q of the conv input sequence: the state for q < K-1, else a new
// input row. A private helper: both pipelines inline it first.
func.func private @nhc_conv_seq_at(%q: index, %km1: index, %sbase: index,
                                   %state: memref<?xf32>, %src: memref<?xf32>,
                                   %off: index, %stride: index, %col: index)
    -> f32 {
  %inState = arith.cmpi ult, %q, %km1 : index
  %v = scf.if %inState -> (f32) {
    %si = arith.addi %sbase, %q : index
    %sv = memref.load %state[%si] : memref<?xf32>
    scf.yield %sv : f32
  } else {
    %i = arith.subi %q, %km1 : index
    %tok = arith.addi %off, %i : index
    %row = arith.muli %tok, %stride : index
    %xi = arith.addi %row, %col : index
    %xv = memref.load %src[%xi] : memref<?xf32>
    scf.yield %xv : f32
  }
  return %v : f32
}

// transformers' ACT2FN formulas (activations.py), by the nemotron dialect's
// Activation case value: 0 relu2, 1 relu, 2 silu, 3 gelu (erf), 4 gelu_tanh,
// 5 quick_gelu, 6 relu6, 7 gelu_10 (gelu clipped to [-10, 10]), 8 laplace
// (0.5 (1 + erf((x - 0.707107) / (0.282095 sqrt 2)))), 9 leaky_relu (slope
// 0.01), 10 linear, 11 mish (x tanh(softplus x)), 12 sigmoid, 13 tanh,
// 14 hardswish (x relu6(x + 3) / 6), 15 sqrtsoftplus. Any other code
// yields NaN, so a bad plan is loud.
func.func private @nhc_conv_activate(%x: f32, %act: index) -> f32 {
  %c7 = arith.constant 7 : index
  %common = arith.cmpi ult, %act, %c7 : index
  %r = scf.if %common -> (f32) {
    %y = func.call @nhc_activate_common(%x, %act) : (f32, index) -> f32
    scf.yield %y : f32
  } else {
    %y = func.call @nhc_activate_rare(%x, %act) : (f32, index) -> f32
    scf.yield %y : f32
  }
  return %r : f32
}

// Codes 0-6 of nhc_conv_activate, the activations Nemotron-H models use (NaN
// for any other code): what the GPU gemv takes (gemv_gpu.mlir).
func.func private @nhc_activate_common(%x: f32, %act: index) -> f32 {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %six = arith.constant 6.0 : f32
  %r = scf.index_switch %act -> f32
  case 0 {
    %p = arith.maximumf %x, %zero : f32
    %sq = arith.mulf %p, %p : f32
    scf.yield %sq : f32
  }
  case 1 {
    %p = arith.maximumf %x, %zero : f32
    scf.yield %p : f32
  }
  case 2 {
    %neg = arith.negf %x : f32
    %e = math.exp %neg : f32
    %den = arith.addf %one, %e : f32
    %y = arith.divf %x, %den : f32
    scf.yield %y : f32
  }
  case 3 {
    %y = func.call @nhc_gelu_erf(%x) : (f32) -> f32
    scf.yield %y : f32
  }
  case 4 {
    %k = arith.constant 0.797884560802865355 : f32
    %c = arith.constant 0.044715 : f32
    %x2 = arith.mulf %x, %x : f32
    %x3 = arith.mulf %x2, %x : f32
    %cx3 = arith.mulf %c, %x3 : f32
    %inner = arith.addf %x, %cx3 : f32
    %u = arith.mulf %k, %inner : f32
    %t = math.tanh %u : f32
    %onePlus = arith.addf %one, %t : f32
    %hx = arith.mulf %half, %x : f32
    %y = arith.mulf %hx, %onePlus : f32
    scf.yield %y : f32
  }
  case 5 {
    %k = arith.constant -1.702 : f32
    %u = arith.mulf %k, %x : f32
    %e = math.exp %u : f32
    %den = arith.addf %one, %e : f32
    %y = arith.divf %x, %den : f32
    scf.yield %y : f32
  }
  case 6 {
    %p = arith.maximumf %x, %zero : f32
    %y = arith.minimumf %p, %six : f32
    scf.yield %y : f32
  }
  default {
    %nan = arith.constant 0x7FC00000 : f32
    scf.yield %nan : f32
  }
  return %r : f32
}

// nhc_conv_activate's codes 7-15 (NaN for any other code).
func.func private @nhc_activate_rare(%x: f32, %act: index) -> f32 {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %six = arith.constant 6.0 : f32
  %r = scf.index_switch %act -> f32
  case 7 {
    %g = func.call @nhc_gelu_erf(%x) : (f32) -> f32
    %ten = arith.constant 10.0 : f32
    %minusTen = arith.constant -10.0 : f32
    %lo = arith.maximumf %g, %minusTen : f32
    %y = arith.minimumf %lo, %ten : f32
    scf.yield %y : f32
  }
  case 8 {
    // sigma sqrt(2) as transformers computes it in double, then f32.
    %mu = arith.constant 0.707107 : f32
    %s = arith.constant 0.39894257487763823 : f32
    %d = arith.subf %x, %mu : f32
    %u = arith.divf %d, %s : f32
    %erf = math.erf %u : f32
    %onePlus = arith.addf %one, %erf : f32
    %y = arith.mulf %half, %onePlus : f32
    scf.yield %y : f32
  }
  case 9 {
    %slope = arith.constant 0.01 : f32
    %pos = arith.cmpf ogt, %x, %zero : f32
    %s = arith.mulf %x, %slope : f32
    %y = arith.select %pos, %x, %s : f32
    scf.yield %y : f32
  }
  case 10 {
    scf.yield %x : f32
  }
  case 11 {
    %sp = func.call @nhc_softplus(%x) : (f32) -> f32
    %t = math.tanh %sp : f32
    %y = arith.mulf %x, %t : f32
    scf.yield %y : f32
  }
  case 12 {
    %neg = arith.negf %x : f32
    %e = math.exp %neg : f32
    %den = arith.addf %one, %e : f32
    %y = arith.divf %one, %den : f32
    scf.yield %y : f32
  }
  case 13 {
    %y = math.tanh %x : f32
    scf.yield %y : f32
  }
  case 14 {
    %three = arith.constant 3.0 : f32
    %shifted = arith.addf %x, %three : f32
    %lo = arith.maximumf %shifted, %zero : f32
    %r6 = arith.minimumf %lo, %six : f32
    %xr = arith.mulf %x, %r6 : f32
    %y = arith.divf %xr, %six : f32
    scf.yield %y : f32
  }
  case 15 {
    %sp = func.call @nhc_softplus(%x) : (f32) -> f32
    %y = math.sqrt %sp : f32
    scf.yield %y : f32
  }
  default {
    %nan = arith.constant 0x7FC00000 : f32
    scf.yield %nan : f32
  }
  return %r : f32
}

// torch.nn.functional.softplus (beta 1, threshold 20): x above 20, else
// log1p(exp(x)).
func.func private @nhc_softplus(%x: f32) -> f32 {
  %twenty = arith.constant 20.0 : f32
  %big = arith.cmpf ogt, %x, %twenty : f32
  %e = math.exp %x : f32
  %lp = math.log1p %e : f32
  %y = arith.select %big, %x, %lp : f32
  return %y : f32
}

// 0.5 x (1 + erf(x / sqrt 2)): gelu, exact.
func.func private @nhc_gelu_erf(%x: f32) -> f32 {
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %rsqrt2 = arith.constant 0.707106781186547524 : f32
  %u = arith.mulf %x, %rsqrt2 : f32
  %erf = math.erf %u : f32
  %onePlus = arith.addf %one, %erf : f32
  %hx = arith.mulf %half, %x : f32
  %y = arith.mulf %hx, %onePlus : f32
  return %y : f32
}
