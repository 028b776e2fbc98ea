// Mamba-2 causal depthwise conv1d + activation over variable-length requests.
//
// For request r and channel c the conv input is the sequence
//   [state(K-1 oldest-first inputs), src[off + 0, c], ..., src[off + n-1, c]]
// and output t is act(b[c] + sum_j w[c*K + j] * seq[t + j]), with b[c] read
// only when %has_bias != 0 (otherwise %b is any memref and unused). %act is
// the nemotron dialect's Activation case value (see @nhc_conv_activate).
// Afterwards the slot's state holds the last K-1 entries of that sequence.
// Tokens of one request are visited in order inside a parallel loop over
// (request, channel).
func.func @nhc_conv1d_act(%src: memref<?xf32>, %src_stride: index,
                          %src_offset: index, %out: memref<?xf32>,
                          %w: memref<?xf32>, %b: memref<?xf32>,
                          %has_bias: index, %act: index,
                          %conv_state: memref<?xf32>, %req: memref<?xi64>,
                          %R: index, %C: index, %K: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %km1 = arith.subi %K, %c1 : index
  %slotElems = arith.muli %C, %km1 : index
  scf.parallel (%r, %c) = (%c0, %c0) to (%R, %C) step (%c1, %c1) {
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
    %cState = arith.muli %c, %km1 : index
    %sbase = arith.addi %slotBase, %cState : index
    %col = arith.addi %src_offset, %c : index
    %wbase = arith.muli %c, %K : index
    %useBias = arith.cmpi ne, %has_bias, %c0 : index
    %bias = scf.if %useBias -> (f32) {
      %bv = memref.load %b[%c] : memref<?xf32>
      scf.yield %bv : f32
    } else {
      scf.yield %zero : f32
    }
    scf.for %t = %c0 to %n step %c1 {
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
      %pre = arith.addf %acc, %bias : f32
      %activated = func.call @nhc_conv_activate(%pre, %act)
          : (f32, index) -> f32
      %tok = arith.addi %off, %t : index
      %orow = arith.muli %tok, %C : index
      %oi = arith.addi %orow, %c : index
      memref.store %activated, %out[%oi] : memref<?xf32>
    }
    // New state[j] = seq[n + j]. Writing j upwards only overwrites entries
    // that later iterations no longer read (they read n + j' > j).
    scf.for %j = %c0 to %km1 step %c1 {
      %q = arith.addi %n, %j : index
      %v = func.call @nhc_conv_seq_at(%q, %km1, %sbase, %conv_state, %src,
                                      %off, %src_stride, %col)
          : (index, index, index, memref<?xf32>, memref<?xf32>, index, index,
             index) -> f32
      %si = arith.addi %sbase, %j : index
      memref.store %v, %conv_state[%si] : memref<?xf32>
    }
    scf.reduce
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
// 5 quick_gelu, 6 relu6. Any other code yields NaN, so a bad plan is loud.
func.func private @nhc_conv_activate(%x: f32, %act: index) -> f32 {
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
    %rsqrt2 = arith.constant 0.707106781186547524 : f32
    %u = arith.mulf %x, %rsqrt2 : f32
    %erf = math.erf %u : f32
    %onePlus = arith.addf %one, %erf : f32
    %hx = arith.mulf %half, %x : f32
    %y = arith.mulf %hx, %onePlus : f32
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
