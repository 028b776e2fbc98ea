// The residual %h is updated in place by the first add and read again by the
// second: nemotron-exec-plan-buffers reports it at the first add.
module {
  func.func @forward(%ids: tensor<?xi32>) -> tensor<?x32xf32> {
    %emb = nemotron.param "emb" : tensor<32x8xf32>
    %h = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    %g = nemotron.embedding %ids, %emb : tensor<?xi32>, tensor<32x8xf32> -> tensor<?x8xf32>
    // expected-error @+1 {{updates buffer 'v0' in place, but its old values are read later}}
    %s = nemotron.add %h, %g : tensor<?x8xf32>
    %t = nemotron.add %h, %s : tensor<?x8xf32>
    %head = nemotron.param "lm_head.weight" : tensor<32x8xf32>
    %logits = nemotron.lm_head %t, %head : tensor<?x8xf32>, tensor<32x8xf32> -> tensor<?x32xf32>
    return %logits : tensor<?x32xf32>
  }
}
