// RUN: nhc-opt %s -split-input-file -verify-diagnostics --convert-nemotron-to-exec

// Every diagnostic of convert-nemotron-to-exec.

// expected-error @+1 {{module has no @forward function to lower}}
module {
}

// -----

module {
  // expected-error @+1 {{forward has no nemotron.lm_head}}
  func.func @forward(%ids: tensor<?xi32>) {
    %emb = nemotron.param "emb" : tensor<32x8xf32>
    %h = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    return
  }
}

// -----

module {
  func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
    %emb = nemotron.param "emb" : tensor<32x8xf32>
    %h = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    %up = nemotron.linear_param "mlp.up_proj" : !nemotron.linear<16x8xf32>
    %down = nemotron.linear_param "mlp.down_proj" : !nemotron.linear<8x16xf32>
    // expected-error @+1 {{has no kernel; run the lowering pipeline (nemotron-lower-to-kernels-pipeline) first}}
    %m = nemotron.mlp %h[up %up, down %down] {activation = #nemotron.activation<relu2>, layer = 0 : i64} : (tensor<?x8xf32>, !nemotron.linear<16x8xf32>, !nemotron.linear<8x16xf32>) -> tensor<?x8xf32>
    return %m : tensor<?x8xf32>
  }
}

// -----

module {
  func.func @forward(%ids: tensor<?xi32>) -> tensor<?x32xf32> {
    %emb = nemotron.param "emb" : tensor<32x8xf32>
    %h = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    %a, %b = nemotron.split %h [4, 4] : tensor<?x8xf32> -> tensor<?x4xf32>, tensor<?x4xf32>
    %w = nemotron.param "norm" : tensor<4xf32>
    // expected-error @+1 {{input must be a whole buffer for its kernel}}
    %n = nemotron.rms_norm %b, %w {epsilon = 1.0e-5 : f64} : tensor<?x4xf32>, tensor<4xf32>
    %head = nemotron.param "lm_head.weight" : tensor<32x4xf32>
    %logits = nemotron.lm_head %n, %head : tensor<?x4xf32>, tensor<32x4xf32> -> tensor<?x32xf32>
    return %logits : tensor<?x32xf32>
  }
}

// -----

module {
  func.func @forward(%ids: tensor<?xi32>) -> tensor<?x32xf32> {
    %emb = nemotron.param "emb" : tensor<32x8xf32>
    %h = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    %e2 = nemotron.param "emb2" : tensor<32x16xf32>
    %y = nemotron.embedding %ids, %e2 : tensor<?xi32>, tensor<32x16xf32> -> tensor<?x16xf32>
    %z0, %z = nemotron.split %y [8, 8] : tensor<?x16xf32> -> tensor<?x8xf32>, tensor<?x8xf32>
    %w = nemotron.param "norm" : tensor<8xf32>
    // expected-error @+1 {{gate must start at column 0 of its buffer}}
    %n = nemotron.gated_rms_norm %h, %z, %w {epsilon = 1.0e-5 : f64, n_groups = 1 : i64} : tensor<?x8xf32>, tensor<8xf32>
    %head = nemotron.param "lm_head.weight" : tensor<32x8xf32>
    %logits = nemotron.lm_head %n, %head : tensor<?x8xf32>, tensor<32x8xf32> -> tensor<?x32xf32>
    return %logits : tensor<?x32xf32>
  }
}

// -----

module {
  func.func @forward(%ids: tensor<?xi32>) -> tensor<?x32xf32> {
    %emb = nemotron.param "emb" : tensor<32x8xf32>
    %q = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    %emb2 = nemotron.param "emb2" : tensor<32x8xf32>
    %h = nemotron.embedding %ids, %emb2 : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    %k, %v = nemotron.split %h [4, 4] : tensor<?x8xf32> -> tensor<?x4xf32>, tensor<?x4xf32>
    // expected-error @+1 {{q, k and v must be outputs of linears sharing one buffer}}
    %o = nemotron.attention_core %q, %k, %v {head_dim = 4 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 5.000000e-01 : f64} : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
    %head = nemotron.param "lm_head.weight" : tensor<32x8xf32>
    %logits = nemotron.lm_head %o, %head : tensor<?x8xf32>, tensor<32x8xf32> -> tensor<?x32xf32>
    return %logits : tensor<?x32xf32>
  }
}

// -----

module {
  func.func @forward(%ids: tensor<?xi32>) -> tensor<?x32xf32> {
    %emb = nemotron.param "emb" : tensor<32x8xf32>
    %h = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    %up = nemotron.linear_param "mlp.up_proj" : !nemotron.linear<8x8xf8E4M3FN>
    // expected-error @+1 {{FP8 linear 'mlp.up_proj' reads an unquantized input; run nemotron-quantize-fp8-linears first}}
    %y = nemotron.linear %h, %up : tensor<?x8xf32>, !nemotron.linear<8x8xf8E4M3FN> -> tensor<?x8xf32>
    %head = nemotron.param "lm_head.weight" : tensor<32x8xf32>
    %logits = nemotron.lm_head %y, %head : tensor<?x8xf32>, tensor<32x8xf32> -> tensor<?x32xf32>
    return %logits : tensor<?x32xf32>
  }
}

// -----

module {
  func.func @forward(%ids: tensor<?xi32>, %w: tensor<8xf32>) -> tensor<?x32xf32> {
    %emb = nemotron.param "emb" : tensor<32x8xf32>
    %h = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    // expected-error @+1 {{weight operand is not a checkpoint parameter}}
    %n = nemotron.rms_norm %h, %w {epsilon = 1.0e-5 : f64} : tensor<?x8xf32>, tensor<8xf32>
    %head = nemotron.param "lm_head.weight" : tensor<32x8xf32>
    %logits = nemotron.lm_head %n, %head : tensor<?x8xf32>, tensor<32x8xf32> -> tensor<?x32xf32>
    return %logits : tensor<?x32xf32>
  }
}
