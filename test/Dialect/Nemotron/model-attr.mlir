// RUN: nhc-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// The model facts round-trip; defaulted fields (no MTP layers) stay unprinted.
// CHECK: module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M-M*-E", hidden_size = 64, vocab_size = 384, max_position_embeddings = 256, dtype = bf16, ssm_state_dtype = f32, tie_word_embeddings = true, residual_in_fp32 = false, time_step_limit = [0.000000e+00, 0x7FF0000000000000 : f64], quantization = <algo = "FP8", exclude_modules = ["lm_head"]>>}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M-M*-E", hidden_size = 64, vocab_size = 384, max_position_embeddings = 256, dtype = bf16, ssm_state_dtype = f32, tie_word_embeddings = true, residual_in_fp32 = false, time_step_limit = [0.0, 0x7FF0000000000000 : f64], mtp_layer_pattern = "", quantization = <algo = "FP8", exclude_modules = ["lm_head"]>>} {
}

// -----

// CHECK: mtp_layer_pattern = "*E", num_nextn_predict_layers = 1
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0], mtp_layer_pattern = "*E", num_nextn_predict_layers = 1>} {
}

// -----

// expected-error @+1 {{model_type must not be empty}}
module attributes {nemotron.model = #nemotron.model<model_type = "", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
}

// -----

// expected-error @+1 {{source '/home/me/config.json' must be a file name, not a path}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "/home/me/config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
}

// -----

// expected-error @+1 {{config_hash must be 16 hex digits}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "xyz", layer_pattern = "M", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
}

// -----

// expected-error @+1 {{layer pattern 'M-X' has 'X' (expected M, *, - or E)}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M-X", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
}

// -----

// expected-error @+1 {{layer_pattern must name at least one layer}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
}

// -----

// expected-error @+1 {{vocab_size must be positive, got 0}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 8, vocab_size = 0, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
}

// -----

// expected-error @+1 {{num_nextn_predict_layers must not be negative}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0], num_nextn_predict_layers = -1>} {
}

// -----

// expected-error @+1 {{dtype must be f32, bf16 or f16, got 'i8'}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = i8, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
}

// -----

// expected-error @+1 {{ssm_state_dtype must be a float type}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = i32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
}

// -----

// expected-error @+1 {{time_step_limit must be [min, max] with min <= max}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [1.0, 0.0]>} {
}

// -----

// expected-error @+1 {{'nemotron.model' belongs on a builtin.module}}
func.func @not_on_a_module() attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 8, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0]>} {
  return
}

// -----

// expected-error @+1 {{'nemotron.model' must be a #nemotron.model}}
module attributes {nemotron.model = 3 : i64} {
}

// -----

// expected-error @+1 {{unknown nemotron attribute 'nemotron.layer_pattern'}}
module attributes {nemotron.layer_pattern = "M"} {
}

// -----

// config_values: each key path to the JSON text of what the import read.
// CHECK: config_values = {hidden_size = "64", layer_norm_epsilon = "1e-05", quantization_config.quant_algo = "null"}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 64, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0], config_values = {hidden_size = "64", layer_norm_epsilon = "1e-05", "quantization_config.quant_algo" = "null"}>} {
}

// -----

// expected-error @+1 {{config_values['hidden_size'] must be the JSON text of a value}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 64, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0], config_values = {hidden_size = "64,"}>} {
}

// -----

// expected-error @+1 {{config_values['dtype'] must be the JSON text of a value}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 64, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0], config_values = {dtype = 3 : i64}>} {
}

// -----

// config_defaults: the default used for each absent key path, JSON text too.
// expected-error @+1 {{config_defaults['layer_norm_epsilon'] must be the JSON text of a value}}
module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "00112233445566aa", layer_pattern = "M", hidden_size = 64, vocab_size = 8, max_position_embeddings = 8, dtype = f32, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0], config_values = {layer_norm_epsilon = "null"}, config_defaults = {layer_norm_epsilon = "1e-05,"}>} {
}
