// RUN: nhc-opt %s -split-input-file -verify-diagnostics -pass-pipeline='builtin.module(func.func(nemotron-quantize-fp8-linears))'

// Routed experts have no FP8 path yet: refused, not run unquantized.

func.func @fp8_experts(%x: tensor<?x16xf32>, %i: tensor<?x2xi32>, %g: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %up = nemotron.linear_param "p.experts.{e}.up_proj" : !nemotron.linear<4x8x16xf8E4M3FN>
  %down = nemotron.linear_param "p.experts.{e}.down_proj" : !nemotron.linear<4x16x8xf8E4M3FN>
  // expected-error @+1 {{FP8 routed experts ('p.experts.{e}.up_proj') are not supported yet; list them in the checkpoint's exclude_modules to keep them in the base dtype}}
  %y = nemotron.moe_experts %x, %i, %g, %up, %down {activation = #nemotron.activation<relu2>} : (tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !nemotron.linear<4x8x16xf8E4M3FN>, !nemotron.linear<4x16x8xf8E4M3FN>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
