// RUN: nhc-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{each alternative needs a string 'name'}}
nemotron_exec.weight @w : tensor<4xf32> {alternatives = [{index = 0}]}

// -----

// expected-error @+1 {{an alternative slice needs both 'index' and 'count'}}
nemotron_exec.weight @w : tensor<4xf32> {alternatives = [{name = "s", index = 0}]}

// -----

// expected-error @+1 {{alternative slice index 2 is outside [0, 2)}}
nemotron_exec.weight @w : tensor<4xf32> {alternatives = [{name = "s", index = 2, count = 2}]}

// -----

// expected-error @+1 {{a positive scale must be tensor<f32>, got 'tensor<2xf32>'}}
nemotron_exec.weight @s : tensor<2xf32> {positive}

// -----

// expected-error @+1 {{only a float tensor can be required finite, got 'tensor<4x2xi32>'}}
nemotron_exec.weight @ids : tensor<4x2xi32> {finite}

// -----

// expected-error @+1 {{state must have float elements, got 'tensor<4xi32>'}}
nemotron_exec.state @s conv_state layer 0 : tensor<4xi32>

// -----

// expected-error @+1 {{a KV cache must be tensor<?xKVxDxT> (sequence, kv heads, head dim), got 'tensor<8x2x16xf32>'}}
nemotron_exec.state @k k_cache layer 0 : tensor<8x2x16xf32>

// -----

// expected-error @+1 {{ssm_state must have a static shape, got 'tensor<?x4x4xf32>'}}
nemotron_exec.state @s ssm_state layer 0 : tensor<?x4x4xf32>

// -----

// expected-error @+1 {{a row must have a positive static size, got 'tensor<0xf32>'}}
nemotron_exec.buffer @b per token : tensor<0xf32>

// -----

// expected-error @+1 {{schedule 'prologue' is not one of body, head_last, head_all}}
nemotron_exec.schedule @prologue {
}

// -----

nemotron_exec.schedule @body {
  // expected-error @+1 {{cannot run in a schedule (only nemotron_exec ops and arith.constant)}}
  %0 = arith.addi %a, %a : index
  %a = arith.constant 1 : index
}

// -----

nemotron_exec.buffer @b per token : tensor<4xf32>
nemotron_exec.schedule @body {
  // expected-error @+1 {{'w' is not a declared weight}}
  %0 = nemotron_exec.weight_ref @w : memref<?xf32>
}

// -----

nemotron_exec.weight @w : tensor<4xbf16>
nemotron_exec.schedule @body {
  // expected-error @+1 {{result #0 must be}}
  %0 = nemotron_exec.weight_ref @w : memref<?xbf16>
}

// -----

nemotron_exec.weight @w : tensor<4xf32>
nemotron_exec.schedule @body {
  // expected-error @+1 {{kernels read weights as f32, not 'i32'}}
  %0 = nemotron_exec.weight_ref @w : memref<?xi32>
}

// -----

nemotron_exec.weight @w : tensor<4xf32>
nemotron_exec.schedule @body {
  // expected-error @+1 {{'w' is not a declared state tensor}}
  %0 = nemotron_exec.state_ref @w : memref<?xf32>
}

// -----

nemotron_exec.state @s conv_state layer 0 : tensor<4x3xf32>
nemotron_exec.schedule @body {
  // expected-error @+1 {{element type 'i32' differs from the state's 'f32'}}
  %0 = nemotron_exec.state_ref @s : memref<?xi32>
}

// -----

nemotron_exec.schedule @body {
  // expected-error @+1 {{'b' is not a declared buffer}}
  %0 = nemotron_exec.buffer_ref @b : memref<?xf32>
}

// -----

nemotron_exec.buffer @b per token : tensor<4xi32>
nemotron_exec.schedule @body {
  // expected-error @+1 {{element type 'f32' differs from the buffer's 'i32'}}
  %0 = nemotron_exec.buffer_ref @b : memref<?xf32>
}

// -----

nemotron_exec.schedule @body {
  %n = nemotron_exec.dim tokens
  // expected-error @+1 {{'nhc_add' is not a declared kernel}}
  nemotron_exec.call @nhc_add(%n) : (index) -> ()
}

// -----

func.func @nhc_add(%n: index) {
  return
}
nemotron_exec.schedule @body {
  %n = nemotron_exec.dim tokens
  // expected-error @+1 {{kernel 'nhc_add' must be a declaration (the kernel library holds its body)}}
  nemotron_exec.call @nhc_add(%n) : (index) -> ()
}

// -----

func.func private @nhc_add(memref<?xf32>, memref<?xf32>, index)
nemotron_exec.buffer @b per token : tensor<4xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %n = nemotron_exec.dim tokens
  // expected-error @+1 {{calls 'nhc_add' with 2 arguments, but it takes 3}}
  nemotron_exec.call @nhc_add(%b, %n) : (memref<?xf32>, index) -> ()
}

// -----

func.func private @nhc_add(memref<?xf32>, memref<?xf32>, index)
nemotron_exec.buffer @b per token : tensor<4xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %n = nemotron_exec.dim tokens
  %f = arith.constant 1.0 : f32
  // expected-error @+1 {{argument 2 of 'nhc_add' is 'f32', but the kernel takes 'index'}}
  nemotron_exec.call @nhc_add(%b, %b, %f) : (memref<?xf32>, memref<?xf32>, f32) -> ()
}

// -----

func.func private @nhc_bad() -> index
nemotron_exec.schedule @body {
  // expected-error @+1 {{kernel 'nhc_bad' returns values}}
  nemotron_exec.call @nhc_bad() : () -> ()
}

// -----

nemotron_exec.weight @w : tensor<4x8xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %t = nemotron_exec.dim tokens
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{rows of a are 8 apart but the GEMM reads columns up to 9}}
  nemotron_exec.gemm @w rows %t a %b[1, 8] c %b[0, 8] {epilogue = "none", k = 8, n = 4} : memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @w : tensor<4x8xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %t = nemotron_exec.dim tokens
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{rows of c are 8 apart but the GEMM writes columns up to 9}}
  nemotron_exec.gemm @w rows %t a %b[0, 8] c %b[5, 8] {epilogue = "none", k = 8, n = 4} : memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @w : tensor<4x8xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %t = nemotron_exec.dim tokens
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{unknown epilogue 'swiglu'}}
  nemotron_exec.gemm @w rows %t a %b[0, 8] c %b[0, 8] {epilogue = "swiglu", k = 8, n = 4} : memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @w : tensor<4x8xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %t = nemotron_exec.dim tokens
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{scale must be [input_scale, weight_scale]}}
  nemotron_exec.gemm @w rows %t a %b[0, 8] c %b[0, 8] {epilogue = "none", k = 8, n = 4, scale = [@w]} : memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @w : tensor<4x8xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %t = nemotron_exec.dim tokens times 2
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{rows must be the step's tokens or requests}}
  nemotron_exec.gemm @w rows %t a %b[0, 8] c %b[0, 8] {epilogue = "none", k = 8, n = 4} : memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @w : tensor<4x8xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %g = nemotron_exec.dim gemm_precision
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{rows must be the step's tokens or requests}}
  nemotron_exec.gemm @w rows %g a %b[0, 8] c %b[0, 8] {epilogue = "none", k = 8, n = 4} : memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.schedule @body {
  // expected-error @+1 {{gemm_precision is not a size: it takes no 'times'}}
  %g = nemotron_exec.dim gemm_precision times 2
}

// -----

nemotron_exec.weight @w : tensor<4x6xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %t = nemotron_exec.dim tokens
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{weight 'w' is 'tensor<4x6xf32>', expected shape [4, 8]}}
  nemotron_exec.gemm @w rows %t a %b[0, 8] c %b[0, 8] {epilogue = "none", k = 8, n = 4} : memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @w : tensor<4x8xf32>
nemotron_exec.weight @bias : tensor<8xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %t = nemotron_exec.dim tokens
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{bias 'bias' is 'tensor<8xf32>', expected shape [4]}}
  nemotron_exec.gemm @w rows %t a %b[0, 8] c %b[0, 8] {bias = @bias, epilogue = "none", k = 8, n = 4} : memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @w : tensor<4x8xf32>
nemotron_exec.weight @s : tensor<f32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %t = nemotron_exec.dim tokens
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{scale 's' must be a positive scale weight}}
  nemotron_exec.gemm @w rows %t a %b[0, 8] c %b[0, 8] {epilogue = "none", k = 8, n = 4, quantize_output = @s} : memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @emb : tensor<16x4xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{table 'emb' is 'tensor<16x4xf32>', expected [vocab, 8]}}
  nemotron_exec.embedding @emb into %b hidden 8 : memref<?xf32>
}

// -----

nemotron_exec.weight @"experts.0.up" : tensor<6x8xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.buffer @i per token : tensor<2xi32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %i = nemotron_exec.buffer_ref @i : memref<?xi32>
  // expected-error @+1 {{'experts.1.up' is not a declared weight}}
  nemotron_exec.moe_experts %b, %i, %b into %b {activation = "relu2", down = "experts.{e}.down", hidden = 8, intermediate = 6, num_experts = 2, top_k = 2, up = "experts.{e}.up"} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.buffer @i per token : tensor<2xi32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %i = nemotron_exec.buffer_ref @i : memref<?xi32>
  // expected-error @+1 {{expert weight 'experts.up' has no {e} for the expert index}}
  nemotron_exec.moe_experts %b, %i, %b into %b {activation = "relu2", down = "experts.{e}.down", hidden = 8, intermediate = 6, num_experts = 2, top_k = 2, up = "experts.up"} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @"e.0.up" : tensor<6x8xf32>
nemotron_exec.weight @"e.0.down" : tensor<8x6xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.buffer @i per token : tensor<2xi32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %i = nemotron_exec.buffer_ref @i : memref<?xi32>
  // expected-error @+1 {{top_k 2 exceeds the 1 experts}}
  nemotron_exec.moe_experts %b, %i, %b into %b {activation = "relu2", down = "e.{e}.down", hidden = 8, intermediate = 6, num_experts = 1, top_k = 2, up = "e.{e}.up"} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @"e.0.up" : tensor<6x8xf32>
nemotron_exec.weight @"e.0.down" : tensor<8x6xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.buffer @i per token : tensor<2xi32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %i = nemotron_exec.buffer_ref @i : memref<?xi32>
  // expected-error @+1 {{unknown activation 'none'}}
  nemotron_exec.moe_experts %b, %i, %b into %b {activation = "none", down = "e.{e}.down", hidden = 8, intermediate = 6, num_experts = 1, top_k = 1, up = "e.{e}.up"} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @"e.0.up" : tensor<6x8xf8E4M3FN>
nemotron_exec.weight @"e.0.down" : tensor<8x6xf8E4M3FN>
nemotron_exec.weight @"e.0.up.in" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.up.w" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.down.in" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.down.w" : tensor<f32> {positive}
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.buffer @i per token : tensor<1xi32>
nemotron_exec.buffer @g per token : tensor<1xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %i = nemotron_exec.buffer_ref @i : memref<?xi32>
  %g = nemotron_exec.buffer_ref @g : memref<?xf32>
  // expected-error @+1 {{expert weight 'e.0.up' is e4m3 and needs up_scale}}
  nemotron_exec.moe_experts %b, %i, %g into %b {activation = "relu2", down = "e.{e}.down", hidden = 8, intermediate = 6, num_experts = 1, top_k = 1, up = "e.{e}.up"} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @"e.0.up" : tensor<6x8xf32>
nemotron_exec.weight @"e.0.down" : tensor<8x6xf32>
nemotron_exec.weight @"e.0.up.in" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.up.w" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.down.in" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.down.w" : tensor<f32> {positive}
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.buffer @i per token : tensor<1xi32>
nemotron_exec.buffer @g per token : tensor<1xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %i = nemotron_exec.buffer_ref @i : memref<?xi32>
  %g = nemotron_exec.buffer_ref @g : memref<?xf32>
  // expected-error @+1 {{expert weight 'e.0.up' is not e4m3, so it takes no up_scale}}
  nemotron_exec.moe_experts %b, %i, %g into %b {activation = "relu2", down = "e.{e}.down", hidden = 8, intermediate = 6, num_experts = 1, top_k = 1, up = "e.{e}.up", up_scale = ["e.{e}.up.in", "e.{e}.up.w"], down_scale = ["e.{e}.down.in", "e.{e}.down.w"]} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @"e.0.up" : tensor<6x8xf8E4M3FN>
nemotron_exec.weight @"e.0.down" : tensor<8x6xf8E4M3FN>
nemotron_exec.weight @"e.0.up.in" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.up.w" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.down.in" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.down.w" : tensor<f32> {positive}
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.buffer @i per token : tensor<1xi32>
nemotron_exec.buffer @g per token : tensor<1xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %i = nemotron_exec.buffer_ref @i : memref<?xi32>
  %g = nemotron_exec.buffer_ref @g : memref<?xf32>
  // expected-error @+1 {{up_scale must be [input_scale, weight_scale]}}
  nemotron_exec.moe_experts %b, %i, %g into %b {activation = "relu2", down = "e.{e}.down", hidden = 8, intermediate = 6, num_experts = 1, top_k = 1, up = "e.{e}.up", up_scale = ["e.{e}.up.in"], down_scale = ["e.{e}.down.in", "e.{e}.down.w"]} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @"e.0.up" : tensor<6x8xf8E4M3FN>
nemotron_exec.weight @"e.0.down" : tensor<8x6xf8E4M3FN>
nemotron_exec.weight @"e.0.up.in" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.up.w" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.down.in" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.down.w" : tensor<f32> {positive}
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.buffer @i per token : tensor<1xi32>
nemotron_exec.buffer @g per token : tensor<1xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %i = nemotron_exec.buffer_ref @i : memref<?xi32>
  %g = nemotron_exec.buffer_ref @g : memref<?xf32>
  // expected-error @+1 {{up_scale 'e.0.up.in' has no {e} for the expert index}}
  nemotron_exec.moe_experts %b, %i, %g into %b {activation = "relu2", down = "e.{e}.down", hidden = 8, intermediate = 6, num_experts = 1, top_k = 1, up = "e.{e}.up", up_scale = ["e.0.up.in", "e.{e}.up.w"], down_scale = ["e.{e}.down.in", "e.{e}.down.w"]} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.weight @"e.0.up" : tensor<6x8xf8E4M3FN>
nemotron_exec.weight @"e.0.down" : tensor<8x6xf8E4M3FN>
nemotron_exec.weight @"e.0.up.in" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.up.w" : tensor<f32> 
nemotron_exec.weight @"e.0.down.in" : tensor<f32> {positive}
nemotron_exec.weight @"e.0.down.w" : tensor<f32> {positive}
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.buffer @i per token : tensor<1xi32>
nemotron_exec.buffer @g per token : tensor<1xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  %i = nemotron_exec.buffer_ref @i : memref<?xi32>
  %g = nemotron_exec.buffer_ref @g : memref<?xf32>
  // expected-error @+1 {{scale 'e.0.up.w' must be a positive scale weight}}
  nemotron_exec.moe_experts %b, %i, %g into %b {activation = "relu2", down = "e.{e}.down", hidden = 8, intermediate = 6, num_experts = 1, top_k = 1, up = "e.{e}.up", up_scale = ["e.{e}.up.in", "e.{e}.up.w"], down_scale = ["e.{e}.down.in", "e.{e}.down.w"]} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
}

// -----

nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{unknown tap kind 'logits'}}
  nemotron_exec.tap "logits" %b[0, 8] width 8 : memref<?xf32>
}

// -----

nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{a mixer tap needs layer}}
  nemotron_exec.tap "mixer" %b[0, 8] width 8 : memref<?xf32>
}

// -----

nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{a embeddings tap takes no layer}}
  nemotron_exec.tap "embeddings" layer 0 %b[0, 8] width 8 : memref<?xf32>
}

// -----

nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  %b = nemotron_exec.buffer_ref @b : memref<?xf32>
  // expected-error @+1 {{columns [4, 12) do not fit in rows 8 apart}}
  nemotron_exec.tap "embeddings" %b[4, 8] width 8 : memref<?xf32>
}

// -----

// expected-error @+1 {{'within' and 'column' go together}}
nemotron_exec.buffer @q per token : tensor<8xf32> {column = 0}

// -----

nemotron_exec.buffer @qkv per token : tensor<16xf32>
// expected-error @+1 {{columns [12, 20) do not fit in 'qkv' rows of 16}}
nemotron_exec.buffer @q per token : tensor<8xf32> {within = @qkv, column = 12}

// -----

nemotron_exec.buffer @qkv per request : tensor<16xf32>
// expected-error @+1 {{differs from 'qkv' in rows or element type}}
nemotron_exec.buffer @q per token : tensor<8xf32> {within = @qkv, column = 0}

// -----

nemotron_exec.buffer @outer per token : tensor<32xf32>
nemotron_exec.buffer @qkv per token : tensor<16xf32> {within = @outer, column = 0}
// expected-error @+1 {{is packed into 'qkv', which is packed itself}}
nemotron_exec.buffer @q per token : tensor<8xf32> {within = @qkv, column = 0}

// -----

// expected-error @+1 {{'nowhere' is not a declared buffer}}
nemotron_exec.buffer @q per token : tensor<8xf32> {within = @nowhere, column = 0}

// -----

// expected-error @+1 {{'nemotron_exec.targets' must be a non-empty list of target names}}
module attributes {nemotron_exec.targets = []} {
}

// -----

// expected-error @+1 {{'nemotron_exec.targets' must be a non-empty list of target names}}
module attributes {nemotron_exec.targets = "cpu"} {
}

// -----

// expected-error @+1 {{'nemotron_exec.targets' lists "cuda:90"; expected "cpu" or "cuda:sm_NN"}}
module attributes {nemotron_exec.targets = ["cpu", "cuda:90"]} {
}

// -----

// expected-error @+1 {{'nemotron_exec.targets' lists 90 : i64; expected "cpu" or "cuda:sm_NN"}}
module attributes {nemotron_exec.targets = [90]} {
}

// -----

// expected-error @+1 {{'nemotron_exec.targets' belongs on a builtin.module}}
func.func @not_on_a_module() attributes {nemotron_exec.targets = ["cpu"]} {
  return
}

// -----

// expected-error @+1 {{unknown nemotron_exec attribute 'nemotron_exec.target'}}
module attributes {nemotron_exec.target = ["cpu"]} {
}
