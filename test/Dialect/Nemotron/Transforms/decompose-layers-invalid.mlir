// RUN: nhc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nemotron-decompose-layers))' -verify-diagnostics

// The router must be a checkpoint parameter: it becomes a linear module.
func.func @router_not_a_param(%x: tensor<?x64xf32>, %rw: tensor<8x64xf32>) -> tensor<?x64xf32> {
  %rb = nemotron.param "p.gate.e_score_correction_bias" : tensor<8xf32>
  %eu = nemotron.linear_param "p.experts.{e}.up_proj" : !nemotron.linear<8x48x64xf32>
  %ed = nemotron.linear_param "p.experts.{e}.down_proj" : !nemotron.linear<8x64x48xf32>
  %su = nemotron.linear_param "p.shared_experts.up_proj" : !nemotron.linear<96x64xf32>
  %sd = nemotron.linear_param "p.shared_experts.down_proj" : !nemotron.linear<64x96xf32>
  // expected-error @+1 {{router weight must be a checkpoint parameter named '<module>.weight'}}
  %e = nemotron.moe %x[router %rw, router_bias %rb, experts_up %eu, experts_down %ed, shared_up %su, shared_down %sd] {layer = 4 : i64, num_experts = 8 : i64, top_k = 2 : i64, n_group = 4 : i64, topk_group = 2 : i64, norm_topk_prob = true, routed_scaling_factor = 2.5 : f64, activation = #nemotron.activation<relu2>} : (tensor<?x64xf32>, tensor<8x64xf32>, tensor<8xf32>, !nemotron.linear<8x48x64xf32>, !nemotron.linear<8x64x48xf32>, !nemotron.linear<96x64xf32>, !nemotron.linear<64x96xf32>) -> tensor<?x64xf32>
  return %e : tensor<?x64xf32>
}
