// RUN: nhc-opt %s -split-input-file -verify-diagnostics

func.func @param_dynamic_shape() {
  // expected-error @+1 {{'nemotron.param' op requires a static shape, got 'tensor<?x64xbf16>'}}
  %0 = nemotron.param "w" : tensor<?x64xbf16>
  return
}

// -----

func.func @param_empty_name() {
  // expected-error @+1 {{requires a non-empty checkpoint tensor name}}
  %0 = nemotron.param "" : tensor<64xbf16>
  return
}

// -----

func.func @stacked_without_placeholder() {
  // expected-error @+1 {{stacked expert weights need '{e}' in the module name, got 'backbone.layers.1.mixer.experts.up_proj'}}
  %0 = nemotron.linear_param "backbone.layers.1.mixer.experts.up_proj" : !nemotron.linear<8x48x64xbf16>
  return
}

// -----

func.func @placeholder_without_stack() {
  // expected-error @+1 {{'{e}' in module name 'experts.{e}.up_proj' needs a stacked [experts, out, in] type}}
  %0 = nemotron.linear_param "experts.{e}.up_proj" : !nemotron.linear<48x64xbf16>
  return
}

// -----

func.func @linear_rank() {
  // expected-error @+1 {{linear weight must have shape [out, in] or [experts, out, in], got rank 1}}
  %0 = nemotron.linear_param "x" : !nemotron.linear<64xbf16>
  return
}

// -----

func.func @linear_element_type() {
  // expected-error @+1 {{linear weight element type must be bf16, f16, f32 or f8E4M3FN, got 'i8'}}
  %0 = nemotron.linear_param "x" : !nemotron.linear<64x64xi8>
  return
}

// -----

func.func @embedding_hidden(%ids: tensor<?xi32>) {
  %t = nemotron.param "backbone.embeddings.weight" : tensor<256x64xbf16>
  // expected-error @+1 {{result 'tensor<?x32xbf16>' must be [tokens, 64]}}
  %0 = nemotron.embedding %ids, %t : tensor<?xi32>, tensor<256x64xbf16> -> tensor<?x32xbf16>
  return
}

// -----

func.func @norm_weight(%x: tensor<?x64xbf16>) {
  %w = nemotron.param "n" : tensor<32xbf16>
  // expected-error @+1 {{weight has shape [32] but the hidden size requires [64]}}
  %0 = nemotron.rms_norm %x, %w {epsilon = 1.0e-5 : f64} : tensor<?x64xbf16>, tensor<32xbf16>
  return
}

// -----

func.func @norm_epsilon(%x: tensor<?x64xbf16>) {
  %w = nemotron.param "n" : tensor<64xbf16>
  // expected-error @+1 {{epsilon must be finite and >= 0, got -1}}
  %0 = nemotron.rms_norm %x, %w {epsilon = -1.0 : f64} : tensor<?x64xbf16>, tensor<64xbf16>
  return
}

// -----

func.func @norm_dynamic_hidden(%x: tensor<?x?xbf16>) {
  %w = nemotron.param "n" : tensor<64xbf16>
  // expected-error @+1 {{expects activations of shape [tokens, hidden] with a static hidden size}}
  %0 = nemotron.rms_norm %x, %w {epsilon = 1.0e-5 : f64} : tensor<?x?xbf16>, tensor<64xbf16>
  return
}

// -----

func.func @mamba_groups(%x: tensor<?x64xbf16>) {
  %in = nemotron.linear_param "in_proj" : !nemotron.linear<328x64xbf16>
  %cw = nemotron.param "cw" : tensor<192x1x4xbf16>
  %h = nemotron.param "h" : tensor<8xbf16>
  %gn = nemotron.param "gn" : tensor<128xbf16>
  %out = nemotron.linear_param "out_proj" : !nemotron.linear<64x128xbf16>
  // expected-error @+1 {{num_heads (8) must be divisible by n_groups (3)}}
  %0 = nemotron.mamba2 %x[in_proj %in, conv_weight %cw, dt_bias %h, a_log %h, d %h, norm_weight %gn, out_proj %out] {layer = 0 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 3 : i64, conv_kernel = 4 : i64, chunk_size = 8 : i64, epsilon = 1.0e-5 : f64, dt_min = 0.0 : f64, dt_max = 1.0 : f64} : (tensor<?x64xbf16>, !nemotron.linear<328x64xbf16>, tensor<192x1x4xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<128xbf16>, !nemotron.linear<64x128xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @mamba_in_proj(%x: tensor<?x64xbf16>) {
  %in = nemotron.linear_param "in_proj" : !nemotron.linear<320x64xbf16>
  %cw = nemotron.param "cw" : tensor<192x1x4xbf16>
  %h = nemotron.param "h" : tensor<8xbf16>
  %gn = nemotron.param "gn" : tensor<128xbf16>
  %out = nemotron.linear_param "out_proj" : !nemotron.linear<64x128xbf16>
  // expected-error @+1 {{in_proj has shape [320, 64] but [2*num_heads*head_dim + 2*n_groups*state_size + num_heads, hidden] requires [328, 64]}}
  %0 = nemotron.mamba2 %x[in_proj %in, conv_weight %cw, dt_bias %h, a_log %h, d %h, norm_weight %gn, out_proj %out] {layer = 0 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, conv_kernel = 4 : i64, chunk_size = 8 : i64, epsilon = 1.0e-5 : f64, dt_min = 0.0 : f64, dt_max = 1.0 : f64} : (tensor<?x64xbf16>, !nemotron.linear<320x64xbf16>, tensor<192x1x4xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<128xbf16>, !nemotron.linear<64x128xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @mamba_conv_weight(%x: tensor<?x64xbf16>) {
  %in = nemotron.linear_param "in_proj" : !nemotron.linear<328x64xbf16>
  %cw = nemotron.param "cw" : tensor<192x1x3xbf16>
  %h = nemotron.param "h" : tensor<8xbf16>
  %gn = nemotron.param "gn" : tensor<128xbf16>
  %out = nemotron.linear_param "out_proj" : !nemotron.linear<64x128xbf16>
  // expected-error @+1 {{conv_weight has shape [192, 1, 3] but [conv_dim, 1, conv_kernel] requires [192, 1, 4]}}
  %0 = nemotron.mamba2 %x[in_proj %in, conv_weight %cw, dt_bias %h, a_log %h, d %h, norm_weight %gn, out_proj %out] {layer = 0 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, conv_kernel = 4 : i64, chunk_size = 8 : i64, epsilon = 1.0e-5 : f64, dt_min = 0.0 : f64, dt_max = 1.0 : f64} : (tensor<?x64xbf16>, !nemotron.linear<328x64xbf16>, tensor<192x1x3xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<128xbf16>, !nemotron.linear<64x128xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @mamba_gated_norm_size(%x: tensor<?x64xbf16>) {
  %in = nemotron.linear_param "in_proj" : !nemotron.linear<328x64xbf16>
  %cw = nemotron.param "cw" : tensor<192x1x4xbf16>
  %h = nemotron.param "h" : tensor<8xbf16>
  %gn = nemotron.param "gn" : tensor<16xbf16>
  %out = nemotron.linear_param "out_proj" : !nemotron.linear<64x128xbf16>
  // expected-error @+1 {{norm_weight has shape [16] but [num_heads*head_dim] requires [128]}}
  %0 = nemotron.mamba2 %x[in_proj %in, conv_weight %cw, dt_bias %h, a_log %h, d %h, norm_weight %gn, out_proj %out] {layer = 0 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, conv_kernel = 4 : i64, chunk_size = 8 : i64, epsilon = 1.0e-5 : f64, dt_min = 0.0 : f64, dt_max = 1.0 : f64} : (tensor<?x64xbf16>, !nemotron.linear<328x64xbf16>, tensor<192x1x4xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<16xbf16>, !nemotron.linear<64x128xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @mamba_dt_range(%x: tensor<?x64xbf16>) {
  %in = nemotron.linear_param "in_proj" : !nemotron.linear<328x64xbf16>
  %cw = nemotron.param "cw" : tensor<192x1x4xbf16>
  %h = nemotron.param "h" : tensor<8xbf16>
  %gn = nemotron.param "gn" : tensor<128xbf16>
  %out = nemotron.linear_param "out_proj" : !nemotron.linear<64x128xbf16>
  // expected-error @+1 {{requires 0 <= dt_min <= dt_max, got [2.000000e+00, 1.000000e+00]}}
  %0 = nemotron.mamba2 %x[in_proj %in, conv_weight %cw, dt_bias %h, a_log %h, d %h, norm_weight %gn, out_proj %out] {layer = 0 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, conv_kernel = 4 : i64, chunk_size = 8 : i64, epsilon = 1.0e-5 : f64, dt_min = 2.0 : f64, dt_max = 1.0 : f64} : (tensor<?x64xbf16>, !nemotron.linear<328x64xbf16>, tensor<192x1x4xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<128xbf16>, !nemotron.linear<64x128xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @mamba_zero_heads(%x: tensor<?x64xbf16>) {
  %in = nemotron.linear_param "in_proj" : !nemotron.linear<328x64xbf16>
  %cw = nemotron.param "cw" : tensor<192x1x4xbf16>
  %h = nemotron.param "h" : tensor<8xbf16>
  %gn = nemotron.param "gn" : tensor<128xbf16>
  %out = nemotron.linear_param "out_proj" : !nemotron.linear<64x128xbf16>
  // expected-error @+1 {{attribute 'num_heads' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1}}
  %0 = nemotron.mamba2 %x[in_proj %in, conv_weight %cw, dt_bias %h, a_log %h, d %h, norm_weight %gn, out_proj %out] {layer = 0 : i64, num_heads = 0 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, conv_kernel = 4 : i64, chunk_size = 8 : i64, epsilon = 1.0e-5 : f64, dt_min = 0.0 : f64, dt_max = 1.0 : f64} : (tensor<?x64xbf16>, !nemotron.linear<328x64xbf16>, tensor<192x1x4xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<128xbf16>, !nemotron.linear<64x128xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @attention_kv_heads(%x: tensor<?x64xbf16>) {
  %q = nemotron.linear_param "q" : !nemotron.linear<64x64xbf16>
  %k = nemotron.linear_param "k" : !nemotron.linear<48x64xbf16>
  %o = nemotron.linear_param "o" : !nemotron.linear<64x64xbf16>
  // expected-error @+1 {{num_kv_heads (3) must divide num_heads (4)}}
  %0 = nemotron.attention %x[q %q, k %k, v %k, o %o] {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 3 : i64, head_dim = 16 : i64, scale = 0.25 : f64} : (tensor<?x64xbf16>, !nemotron.linear<64x64xbf16>, !nemotron.linear<48x64xbf16>, !nemotron.linear<48x64xbf16>, !nemotron.linear<64x64xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @attention_k_proj(%x: tensor<?x64xbf16>) {
  %q = nemotron.linear_param "q" : !nemotron.linear<64x64xbf16>
  %k = nemotron.linear_param "k" : !nemotron.linear<64x64xbf16>
  %o = nemotron.linear_param "o" : !nemotron.linear<64x64xbf16>
  // expected-error @+1 {{k_proj has shape [64, 64] but [num_kv_heads*head_dim, hidden] requires [32, 64]}}
  %0 = nemotron.attention %x[q %q, k %k, v %k, o %o] {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64, scale = 0.25 : f64} : (tensor<?x64xbf16>, !nemotron.linear<64x64xbf16>, !nemotron.linear<64x64xbf16>, !nemotron.linear<64x64xbf16>, !nemotron.linear<64x64xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @mlp_down(%x: tensor<?x64xbf16>) {
  %up = nemotron.linear_param "up" : !nemotron.linear<192x64xbf16>
  %down = nemotron.linear_param "down" : !nemotron.linear<64x128xbf16>
  // expected-error @+1 {{down_proj has shape [64, 128] but [hidden, intermediate] requires [64, 192]}}
  %0 = nemotron.mlp %x[up %up, down %down] {layer = 0 : i64, activation = #nemotron.activation<relu2>} : (tensor<?x64xbf16>, !nemotron.linear<192x64xbf16>, !nemotron.linear<64x128xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @moe_groups(%x: tensor<?x64xbf16>) {
  %rw = nemotron.param "rw" : tensor<8x64xbf16>
  %rb = nemotron.param "rb" : tensor<8xf32>
  %eu = nemotron.linear_param "e.{e}.up" : !nemotron.linear<8x48x64xbf16>
  %ed = nemotron.linear_param "e.{e}.down" : !nemotron.linear<8x64x48xbf16>
  %su = nemotron.linear_param "su" : !nemotron.linear<96x64xbf16>
  %sd = nemotron.linear_param "sd" : !nemotron.linear<64x96xbf16>
  // expected-error @+1 {{n_group (3) must divide num_experts (8)}}
  %0 = nemotron.moe %x[router %rw, router_bias %rb, experts_up %eu, experts_down %ed, shared_up %su, shared_down %sd] {layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64, n_group = 3 : i64, topk_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64, activation = #nemotron.activation<relu2>} : (tensor<?x64xbf16>, tensor<8x64xbf16>, tensor<8xf32>, !nemotron.linear<8x48x64xbf16>, !nemotron.linear<8x64x48xbf16>, !nemotron.linear<96x64xbf16>, !nemotron.linear<64x96xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @moe_top_k(%x: tensor<?x64xbf16>) {
  %rw = nemotron.param "rw" : tensor<8x64xbf16>
  %rb = nemotron.param "rb" : tensor<8xf32>
  %eu = nemotron.linear_param "e.{e}.up" : !nemotron.linear<8x48x64xbf16>
  %ed = nemotron.linear_param "e.{e}.down" : !nemotron.linear<8x64x48xbf16>
  %su = nemotron.linear_param "su" : !nemotron.linear<96x64xbf16>
  %sd = nemotron.linear_param "sd" : !nemotron.linear<64x96xbf16>
  // expected-error @+1 {{top_k (3) exceeds the 2 experts in the topk_group selected groups}}
  %0 = nemotron.moe %x[router %rw, router_bias %rb, experts_up %eu, experts_down %ed, shared_up %su, shared_down %sd] {layer = 0 : i64, num_experts = 8 : i64, top_k = 3 : i64, n_group = 4 : i64, topk_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64, activation = #nemotron.activation<relu2>} : (tensor<?x64xbf16>, tensor<8x64xbf16>, tensor<8xf32>, !nemotron.linear<8x48x64xbf16>, !nemotron.linear<8x64x48xbf16>, !nemotron.linear<96x64xbf16>, !nemotron.linear<64x96xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @moe_topk_group(%x: tensor<?x64xbf16>) {
  %rw = nemotron.param "rw" : tensor<8x64xbf16>
  %rb = nemotron.param "rb" : tensor<8xf32>
  %eu = nemotron.linear_param "e.{e}.up" : !nemotron.linear<8x48x64xbf16>
  %ed = nemotron.linear_param "e.{e}.down" : !nemotron.linear<8x64x48xbf16>
  %su = nemotron.linear_param "su" : !nemotron.linear<96x64xbf16>
  %sd = nemotron.linear_param "sd" : !nemotron.linear<64x96xbf16>
  // expected-error @+1 {{topk_group (5) exceeds n_group (4)}}
  %0 = nemotron.moe %x[router %rw, router_bias %rb, experts_up %eu, experts_down %ed, shared_up %su, shared_down %sd] {layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64, n_group = 4 : i64, topk_group = 5 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64, activation = #nemotron.activation<relu2>} : (tensor<?x64xbf16>, tensor<8x64xbf16>, tensor<8xf32>, !nemotron.linear<8x48x64xbf16>, !nemotron.linear<8x64x48xbf16>, !nemotron.linear<96x64xbf16>, !nemotron.linear<64x96xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @moe_experts_up(%x: tensor<?x64xbf16>) {
  %rw = nemotron.param "rw" : tensor<8x64xbf16>
  %rb = nemotron.param "rb" : tensor<8xf32>
  %eu = nemotron.linear_param "e.{e}.up" : !nemotron.linear<4x48x64xbf16>
  %ed = nemotron.linear_param "e.{e}.down" : !nemotron.linear<8x64x48xbf16>
  %su = nemotron.linear_param "su" : !nemotron.linear<96x64xbf16>
  %sd = nemotron.linear_param "sd" : !nemotron.linear<64x96xbf16>
  // expected-error @+1 {{experts_up has shape [4, 48, 64] but must be [8, intermediate, 64]}}
  %0 = nemotron.moe %x[router %rw, router_bias %rb, experts_up %eu, experts_down %ed, shared_up %su, shared_down %sd] {layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64, n_group = 1 : i64, topk_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64, activation = #nemotron.activation<relu2>} : (tensor<?x64xbf16>, tensor<8x64xbf16>, tensor<8xf32>, !nemotron.linear<4x48x64xbf16>, !nemotron.linear<8x64x48xbf16>, !nemotron.linear<96x64xbf16>, !nemotron.linear<64x96xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @moe_latent_pair(%x: tensor<?x64xbf16>) {
  %rw = nemotron.param "rw" : tensor<8x64xbf16>
  %rb = nemotron.param "rb" : tensor<8xf32>
  %eu = nemotron.linear_param "e.{e}.up" : !nemotron.linear<8x48x32xbf16>
  %ed = nemotron.linear_param "e.{e}.down" : !nemotron.linear<8x32x48xbf16>
  %su = nemotron.linear_param "su" : !nemotron.linear<96x64xbf16>
  %sd = nemotron.linear_param "sd" : !nemotron.linear<64x96xbf16>
  %li = nemotron.linear_param "li" : !nemotron.linear<32x64xbf16>
  // expected-error @+1 {{latent_in and latent_out must be given together}}
  %0 = "nemotron.moe"(%x, %rw, %rb, %eu, %ed, %su, %sd, %li) <{layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64, n_group = 1 : i64, topk_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 1.0 : f64, activation = #nemotron.activation<relu2>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 0>}> : (tensor<?x64xbf16>, tensor<8x64xbf16>, tensor<8xf32>, !nemotron.linear<8x48x32xbf16>, !nemotron.linear<8x32x48xbf16>, !nemotron.linear<96x64xbf16>, !nemotron.linear<64x96xbf16>, !nemotron.linear<32x64xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @lm_head_vocab(%x: tensor<?x64xbf16>) {
  %w = nemotron.param "lm_head.weight" : tensor<256x64xbf16>
  // expected-error @+1 {{result 'tensor<?x512xf32>' must be [tokens, 256]}}
  %0 = nemotron.lm_head %x, %w : tensor<?x64xbf16>, tensor<256x64xbf16> -> tensor<?x512xf32>
  return
}

// -----

// expected-error @+1 {{unsupported quantization algorithm 'NVFP4' (supported: FP8)}}
func.func @bad_quantization() attributes {test.quantization = #nemotron.quantization<algo = "NVFP4", exclude_modules = []>} {
  return
}

// -----

func.func @split_sizes(%p: tensor<?x328xf32>) {
  // expected-error @+1 {{input (the sum of sizes) must be [tokens, 336]}}
  %z, %xbc, %dt = nemotron.split %p [128, 200, 8] : tensor<?x328xf32> -> tensor<?x128xf32>, tensor<?x200xf32>, tensor<?x8xf32>
  return
}

// -----

func.func @linear_input_width(%x: tensor<?x32xf32>) {
  %w = nemotron.linear_param "w" : !nemotron.linear<16x64xf32>
  // expected-error @+1 {{input must be [tokens, 64]}}
  %0 = nemotron.linear %x, %w : tensor<?x32xf32>, !nemotron.linear<16x64xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @ssd_xbc_width(%xbc: tensor<?x100xf32>, %dt: tensor<?x8xf32>) {
  %h = nemotron.param "h" : tensor<8xf32>
  // expected-error @+1 {{xbc must be [tokens, 192]}}
  %y = nemotron.ssd_scan %xbc, %dt, %h, %h, %h {layer = 0 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, chunk_size = 8 : i64, dt_min = 0.0 : f64, dt_max = 1.0 : f64} : (tensor<?x100xf32>, tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x128xf32>
  return
}

// -----

func.func @attention_core_kv(%q: tensor<?x64xf32>, %k: tensor<?x48xf32>) {
  // expected-error @+1 {{k must be [tokens, 32]}}
  %a = nemotron.attention_core %q, %k, %k {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64, scale = 0.25 : f64} : (tensor<?x64xf32>, tensor<?x48xf32>, tensor<?x48xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @gated_norm_groups(%y: tensor<?x128xf32>) {
  %w = nemotron.param "w" : tensor<128xf32>
  // expected-error @+1 {{width 128 must be a positive multiple of n_groups (3)}}
  %g = nemotron.gated_rms_norm %y, %y, %w {n_groups = 3 : i64, epsilon = 1.0e-5 : f64} : tensor<?x128xf32>, tensor<128xf32>
  return
}

// -----

func.func @param_falls_back_to_itself() {
  // expected-error @+1 {{fallback must name another checkpoint tensor}}
  %0 = nemotron.param "lm_head.weight" or "lm_head.weight" : tensor<64x8xbf16>
  return
}

// -----

func.func @stacked_experts_with_bias() {
  // expected-error @+1 {{a stack of experts has no bias}}
  %0 = nemotron.linear_param "p.experts.{e}.up_proj" : !nemotron.linear<4x8x16xbf16, bias>
  return
}

// -----

func.func @quantize_vector_scale(%x: tensor<?x8xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{scale must be one f32 element (a per-tensor static scale), got 'tensor<8xf32>'}}
  %q = nemotron.quantize_fp8 %x, %s : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf8E4M3FN>
  return
}

// -----

func.func @quantize_changes_shape(%x: tensor<?x8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{result shape must equal the input's}}
  %q = nemotron.quantize_fp8 %x, %s : tensor<?x8xf32>, tensor<f32> -> tensor<?x4xf8E4M3FN>
  return
}

// -----

func.func @e4m3_input_needs_fp8_weight(%x: tensor<?x8xf8E4M3FN>) {
  %w = nemotron.linear_param "p.up_proj" : !nemotron.linear<4x8xbf16>
  // expected-error @+1 {{an e4m3 input needs an FP8 weight, got '!nemotron.linear<4x8xbf16>'}}
  %y = nemotron.linear %x, %w : tensor<?x8xf8E4M3FN>, !nemotron.linear<4x8xbf16> -> tensor<?x4xf32>
  return
}

// -----

func.func @quantizing_linear_result(%x: tensor<?x8xf32>, %s: tensor<f32>) {
  %w = nemotron.linear_param "p.up_proj" : !nemotron.linear<4x8xf32>
  // expected-error @+1 {{quantizes, so its result must be e4m3}}
  %y = nemotron.linear %x, %w quantize %s : tensor<?x8xf32>, !nemotron.linear<4x8xf32>, tensor<f32> -> tensor<?x4xf32>
  return
}

// -----

func.func @e4m3_result_without_scale(%x: tensor<?x8xf32>) {
  %w = nemotron.linear_param "p.up_proj" : !nemotron.linear<4x8xf32>
  // expected-error @+1 {{result is e4m3 but no quantize scale is given}}
  %y = nemotron.linear %x, %w : tensor<?x8xf32>, !nemotron.linear<4x8xf32> -> tensor<?x4xf8E4M3FN>
  return
}

// -----

func.func @linear_vector_quantize_scale(%x: tensor<?x8xf32>, %s: tensor<2xf32>) {
  %w = nemotron.linear_param "p.up_proj" : !nemotron.linear<4x8xf32>
  // expected-error @+1 {{quantize scale must be one f32 element (a per-tensor static scale), got 'tensor<2xf32>'}}
  %y = nemotron.linear %x, %w quantize %s : tensor<?x8xf32>, !nemotron.linear<4x8xf32>, tensor<2xf32> -> tensor<?x4xf8E4M3FN>
  return
}

// -----

func.func @norm_bf16_quantize_scale(%x: tensor<?x8xf32>, %w: tensor<8xf32>, %s: tensor<bf16>) {
  // expected-error @+1 {{quantize scale must be one f32 element (a per-tensor static scale), got 'tensor<bf16>'}}
  %n = nemotron.rms_norm %x, %w quantize %s {epsilon = 1.0e-5 : f64} : tensor<?x8xf32>, tensor<8xf32>, tensor<bf16>
  return
}

// -----

// A conv of no taps (one tap runs: a per-channel scale, no conv state).
func.func @mamba_conv_kernel_zero(%x: tensor<?x64xbf16>) {
  %in = nemotron.linear_param "in_proj" : !nemotron.linear<328x64xbf16>
  %cw = nemotron.param "cw" : tensor<192x1x0xbf16>
  %h = nemotron.param "h" : tensor<8xbf16>
  %gn = nemotron.param "gn" : tensor<128xbf16>
  %out = nemotron.linear_param "out_proj" : !nemotron.linear<64x128xbf16>
  // expected-error @+1 {{attribute 'conv_kernel' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1}}
  %0 = nemotron.mamba2 %x[in_proj %in, conv_weight %cw, dt_bias %h, a_log %h, d %h, norm_weight %gn, out_proj %out] {layer = 0 : i64, num_heads = 8 : i64, head_dim = 16 : i64, state_size = 16 : i64, n_groups = 2 : i64, conv_kernel = 0 : i64, chunk_size = 8 : i64, epsilon = 1.0e-5 : f64, dt_min = 0.0 : f64, dt_max = 1.0 : f64} : (tensor<?x64xbf16>, !nemotron.linear<328x64xbf16>, tensor<192x1x0xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<128xbf16>, !nemotron.linear<64x128xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @moe_infinite_scaling(%x: tensor<?x64xbf16>) {
  %rw = nemotron.param "rw" : tensor<8x64xbf16>
  %rb = nemotron.param "rb" : tensor<8xf32>
  %eu = nemotron.linear_param "e.{e}.up" : !nemotron.linear<8x48x64xbf16>
  %ed = nemotron.linear_param "e.{e}.down" : !nemotron.linear<8x64x48xbf16>
  %su = nemotron.linear_param "su" : !nemotron.linear<96x64xbf16>
  %sd = nemotron.linear_param "sd" : !nemotron.linear<64x96xbf16>
  // expected-error @+1 {{routed_scaling_factor must be finite, got INF}}
  %0 = nemotron.moe %x[router %rw, router_bias %rb, experts_up %eu, experts_down %ed, shared_up %su, shared_down %sd] {layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64, n_group = 1 : i64, topk_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 0x7FF0000000000000 : f64, activation = #nemotron.activation<relu2>} : (tensor<?x64xbf16>, tensor<8x64xbf16>, tensor<8xf32>, !nemotron.linear<8x48x64xbf16>, !nemotron.linear<8x64x48xbf16>, !nemotron.linear<96x64xbf16>, !nemotron.linear<64x96xbf16>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @moe_nan_scaling(%x: tensor<?x64xbf16>) {
  %rw = nemotron.param "rw" : tensor<8x64xbf16>
  %rb = nemotron.param "rb" : tensor<8xf32>
  %eu = nemotron.linear_param "e.{e}.up" : !nemotron.linear<8x48x64xbf16>
  %ed = nemotron.linear_param "e.{e}.down" : !nemotron.linear<8x64x48xbf16>
  %su = nemotron.linear_param "su" : !nemotron.linear<96x64xbf16>
  %sd = nemotron.linear_param "sd" : !nemotron.linear<64x96xbf16>
  // expected-error @+1 {{routed_scaling_factor must be finite, got nan}}
  %0 = nemotron.moe %x[router %rw, router_bias %rb, experts_up %eu, experts_down %ed, shared_up %su, shared_down %sd] {layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64, n_group = 1 : i64, topk_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 0x7FF8000000000000 : f64, activation = #nemotron.activation<relu2>} : (tensor<?x64xbf16>, tensor<8x64xbf16>, tensor<8xf32>, !nemotron.linear<8x48x64xbf16>, !nemotron.linear<8x64x48xbf16>, !nemotron.linear<96x64xbf16>, !nemotron.linear<64x96xbf16>) -> tensor<?x64xbf16>
  return
}
