// RUN: nhc-translate --no-implicit-module --nemotron-to-manifest %s -split-input-file -verify-diagnostics

// Every diagnostic of the nemotron-to-manifest translation.

// expected-error @+1 {{expected a builtin.module}}
func.func @not_a_module() {
  return
}

// -----

// expected-error @+1 {{module has no 'nemotron.model' attribute}}
module attributes {nemotron_exec.targets = ["cpu"]} {
}

// -----

// expected-error @+1 {{nemotron.model config_values['hidden_size'] is not JSON the manifest can hold}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0], config_values = {hidden_size = "1e400"}>} {
}

// -----

// expected-error @+1 {{module has no 'nemotron_exec.targets' list of target names}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
}

// -----

// expected-error @+1 {{module has no schedule @head_last}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  nemotron_exec.schedule @body {
  }
}

// -----

// Kernel declarations are the library's: the manifest's `params` come from
// them.
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  // expected-error @+1 {{'nhc_i32' is not a kernel of the library}}
  func.func private @nhc_i32(i32)
  nemotron_exec.schedule @body {
    %c = arith.constant 1 : i32
    nemotron_exec.call @nhc_i32(%c) : (i32) -> ()
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  // expected-error @+1 {{declaration of 'nhc_add' differs from the kernel library's: expected '(memref<?xf32>, memref<?xf32>, index) -> ()', got '(memref<?xf32>, index) -> ()'}}
  func.func private @nhc_add(memref<?xf32>, index)
  nemotron_exec.buffer @b per token : tensor<8xf32>
  nemotron_exec.schedule @body {
    %b = nemotron_exec.buffer_ref @b : memref<?xf32>
    %n = nemotron_exec.dim tokens times 8
    nemotron_exec.call @nhc_add(%b, %n) : (memref<?xf32>, index) -> ()
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

// A private helper of the library is no kernel.
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  // expected-error @+1 {{'nhc_maybe_quantize' is not a kernel of the library}}
  func.func private @nhc_maybe_quantize(f32, i1, f32) -> f32
  nemotron_exec.schedule @body {
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  func.func private @nhc_rms_norm(memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, f32, memref<?xf32>, index)
  nemotron_exec.weight @w : tensor<8xf32>
  nemotron_exec.buffer @b per token : tensor<8xf32>
  nemotron_exec.schedule @body {
    %b = nemotron_exec.buffer_ref @b : memref<?xf32>
    %w = nemotron_exec.weight_ref @w : memref<?xf32>
    %t = nemotron_exec.dim tokens
    %c8 = arith.constant 8 : index
    %c0 = arith.constant 0 : index
    %eps = arith.constant 0x7FC00000 : f32
    // expected-error @+1 {{f32 argument is NaN, which the manifest cannot carry}}
    nemotron_exec.call @nhc_rms_norm(%b, %w, %b, %t, %c8, %eps, %b, %c0) : (memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, f32, memref<?xf32>, index) -> ()
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  func.func private @nhc_add(memref<?xf32>, memref<?xf32>, index)
  nemotron_exec.schedule @body {
    %l = nemotron_exec.logits : memref<?xf32>
    %n = nemotron_exec.dim tokens times 16
    // expected-error @+1 {{argument comes from 'nemotron_exec.logits', which the manifest cannot express}}
    nemotron_exec.call @nhc_add(%l, %l, %n) : (memref<?xf32>, memref<?xf32>, index) -> ()
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  nemotron_exec.buffer @b per token : tensor<8xf32>
  nemotron_exec.schedule @body {
    %b = nemotron_exec.buffer_ref @b : memref<?xf32>
    // expected-error @+1 {{a tap must follow the entry that wrote its rows}}
    nemotron_exec.tap "embeddings" %b[0, 8] width 8 : memref<?xf32>
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  nemotron_exec.buffer @b per token : tensor<8xf32>
  nemotron_exec.schedule @body {
  }
  nemotron_exec.schedule @head_last {
    %b = nemotron_exec.buffer_ref @b : memref<?xf32>
    // expected-error @+1 {{taps belong in @body}}
    nemotron_exec.tap "embeddings" %b[0, 8] width 8 : memref<?xf32>
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  nemotron_exec.weight @w : tensor<8x8xf32>
  nemotron_exec.schedule @body {
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
    %t = nemotron_exec.dim tokens
    %l = nemotron_exec.logits : memref<?xf32>
    // expected-error @+1 {{a must be a buffer}}
    nemotron_exec.gemm @w rows %t a %l[0, 8] c %l[0, 8] {epilogue = "none", k = 8, n = 8} : memref<?xf32>, memref<?xf32>
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  nemotron_exec.weight @w : tensor<8x8xf32>
  nemotron_exec.buffer @b per token : tensor<8xf32>
  nemotron_exec.schedule @body {
    %t = nemotron_exec.dim tokens
    %b = nemotron_exec.buffer_ref @b : memref<?xf32>
    %w = nemotron_exec.weight_ref @w : memref<?xf32>
    // expected-error @+1 {{c must be a buffer or the logits}}
    nemotron_exec.gemm @w rows %t a %b[0, 8] c %w[0, 8] {epilogue = "none", k = 8, n = 8} : memref<?xf32>, memref<?xf32>
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  nemotron_exec.weight @e : tensor<16x8xf32>
  nemotron_exec.schedule @body {
    %l = nemotron_exec.logits : memref<?xf32>
    // expected-error @+1 {{output must be a buffer}}
    nemotron_exec.embedding @e into %l hidden 8 : memref<?xf32>
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  nemotron_exec.weight @"e.0.up" : tensor<6x8xf32>
  nemotron_exec.weight @"e.0.down" : tensor<8x6xf32>
  nemotron_exec.buffer @b per token : tensor<8xf32>
  nemotron_exec.buffer @i per token : tensor<1xi32>
  nemotron_exec.schedule @body {
    %b = nemotron_exec.buffer_ref @b : memref<?xf32>
    %i = nemotron_exec.buffer_ref @i : memref<?xi32>
    %l = nemotron_exec.logits : memref<?xf32>
    // expected-error @+1 {{output must be a buffer}}
    nemotron_exec.moe_experts %b, %i, %b into %l {activation = "relu2", down = "e.{e}.down", hidden = 8, intermediate = 6, num_experts = 1, top_k = 1, up = "e.{e}.up"} : memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xf32>
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  nemotron_exec.buffer @b per token : tensor<8xf32>
  nemotron_exec.weight @e : tensor<16x8xf32>
  nemotron_exec.schedule @body {
    %b = nemotron_exec.buffer_ref @b : memref<?xf32>
    nemotron_exec.embedding @e into %b hidden 8 : memref<?xf32>
    %l = nemotron_exec.logits : memref<?xf32>
    // expected-error @+1 {{tapped rows must be a buffer}}
    nemotron_exec.tap "embeddings" %l[0, 8] width 8 : memref<?xf32>
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  nemotron_exec.buffer @a per token : tensor<8xf32>
  nemotron_exec.buffer @b per token : tensor<8xf32>
  nemotron_exec.schedule @body {
    // expected-error @+1 {{is an unplanned in-place update; run nemotron-exec-plan-buffers first}}
    nemotron_exec.alias @b = @a
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}

// -----

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "-", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>, nemotron_exec.targets = ["cpu"]} {
  nemotron_exec.buffer @qkv per token : tensor<16xf32>
  // expected-error @+1 {{is an unplaced packed buffer; run nemotron-exec-plan-buffers first}}
  nemotron_exec.buffer @q per token : tensor<8xf32> {within = @qkv, column = 0}
  nemotron_exec.schedule @body {
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
  }
}
