// RUN: nhc-translate --nemotron-to-manifest %s | FileCheck %s

// Each part of the manifest comes from one construct of the IR.

// CHECK: "buffers": [
// CHECK-NEXT:   {
// CHECK-NEXT:     "dtype": "F32",
// CHECK-NEXT:     "elems": 8,
// CHECK-NEXT:     "name": "b0",
// CHECK-NEXT:     "per": "token"
// The config's values as the import read them (config_values, parsed), and
// the default used for each absent one (config_defaults).
// CHECK: "config": {
// CHECK-NEXT:   "defaults": {
// CHECK-NEXT:     "mamba_n_groups|n_groups": 1
// CHECK-NEXT:   },
// CHECK-NEXT:   "fnv1a64": "0011223344556677",
// CHECK-NEXT:   "read": {
// CHECK-NEXT:     "hidden_size": 8,
// CHECK-NEXT:     "mamba_n_groups|n_groups": null,
// CHECK-NEXT:     "quantization_config.quant_algo": "FP8",
// CHECK-NEXT:     "time_step_limit": [
// CHECK-NEXT:       0.0,
// CHECK-NEXT:       1.0
// CHECK-NEXT:     ]
// CHECK-NEXT:   },
// CHECK-NEXT:   "source": "config.json"
// CHECK: "format": "nhc-manifest",
// Each called kernel with its parameter kinds and memrefs' element types,
// by name.
// CHECK: "kernels": [
// CHECK-NEXT:   {
// CHECK-NEXT:     "name": "nhc_add",
// CHECK-NEXT:     "param_elements": [
// CHECK-NEXT:       "f32",
// CHECK-NEXT:       "f32",
// CHECK-NEXT:       null
// CHECK-NEXT:     ],
// CHECK-NEXT:     "params": [
// CHECK-NEXT:       "memref",
// CHECK-NEXT:       "memref",
// CHECK-NEXT:       "index"
// CHECK-NEXT:     ]
// CHECK-NEXT:   },
// CHECK-NEXT:   {
// CHECK-NEXT:     "name": "nhc_attention",
// CHECK-NEXT:     "param_elements": [
// CHECK-NEXT:       "f32",
// CHECK-NEXT:       null,
// CHECK-NEXT:       null,
// CHECK-NEXT:       null,
// CHECK-NEXT:       null,
// CHECK-NEXT:       "f32",
// CHECK-NEXT:       "f32",
// CHECK-NEXT:       "f32",
// CHECK-NEXT:       "f32",
// CHECK-NEXT:       "i64",
// CHECK:          "params": [
// CHECK-NEXT:       "memref",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "memref",
// CHECK-NEXT:       "memref",
// CHECK-NEXT:       "memref",
// CHECK-NEXT:       "memref",
// CHECK-NEXT:       "memref",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "f32",
// CHECK-NEXT:       "index",
// CHECK-NEXT:       "index"
// CHECK-NEXT:     ]
// CHECK: "layers": [
// CHECK-NEXT:   {
// CHECK-NEXT:     "index": 0,
// CHECK-NEXT:     "kind": "mamba"
// CHECK: "kind": "attention"
// CHECK: "model": {
// CHECK-NEXT:   "compute_dtype": "F32",
// CHECK-NEXT:   "dtype": "BF16",
// CHECK-NEXT:   "hidden_size": 8,
// CHECK-NEXT:   "layer_pattern": "M*",
// CHECK-NEXT:   "max_position_embeddings": 64,
// CHECK-NEXT:   "num_layers": 2,
// CHECK-NEXT:   "vocab_size": 16
// CHECK: "schedules": {
// CHECK-NEXT:   "body": [
// CHECK-NEXT:     {
// CHECK-NEXT:       "hidden": 8,
// CHECK-NEXT:       "library": "embedding",
// CHECK-NEXT:       "output": "b0",
// CHECK-NEXT:       "table": "emb"
// CHECK-NEXT:     },
// CHECK-NEXT:     {
// CHECK-NEXT:       "args": [
// CHECK-NEXT:         {
// CHECK-NEXT:           "buffer": "b0"
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "buffer": "b0"
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "dim": "tokens",
// CHECK-NEXT:           "times": 8
// CHECK-NEXT:         }
// CHECK-NEXT:       ],
// CHECK-NEXT:       "kernel": "nhc_add"
// CHECK-NEXT:     },
// CHECK-NEXT:     {
// CHECK-NEXT:       "args": [
// CHECK-NEXT:         {
// CHECK-NEXT:           "buffer": "b0"
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "index": 8
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "index": 0
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "index": 0
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "index": 0
// CHECK-NEXT:         },
// A state argument names its tensor.
// CHECK-NEXT:         {
// CHECK-NEXT:           "state": "layers.1.k_cache"
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "state": "layers.1.v_cache"
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "buffer": "b0"
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "buffer": "b0"
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "requests": true
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "dim": "requests"
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "index": 2
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "index": 2
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "index": 4
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "dim": "max_seq_len"
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "index": 16
// CHECK-NEXT:         },
// An unbounded f32 becomes the largest finite one (JSON has no infinity).
// CHECK-NEXT:         {
// CHECK-NEXT:           "f32": 3.4028234663852886e+38
// CHECK-NEXT:         },
// The session's gemm precision, spelled from the format library:
// CHECK-NEXT:         {
// CHECK-NEXT:           "dim": "gemm_precision"
// CHECK-NEXT:         },
// CHECK-NEXT:         {
// CHECK-NEXT:           "dim": "tokens"
// CHECK-NEXT:         }
// CHECK-NEXT:       ],
// CHECK-NEXT:       "kernel": "nhc_attention"
// CHECK-NEXT:     }
// CHECK-NEXT:   ],
// CHECK-NEXT:   "head_all": [
// CHECK-NEXT:     {
// CHECK-NEXT:       "a": "b0",
// CHECK-NEXT:       "a_offset": 0,
// CHECK-NEXT:       "accumulate": false,
// CHECK-NEXT:       "bias": "head.bias",
// CHECK-NEXT:       "c": "logits",
// CHECK-NEXT:       "c_offset": 0,
// CHECK-NEXT:       "epilogue": "none",
// CHECK-NEXT:       "k": 8,
// CHECK-NEXT:       "lda": 8,
// CHECK-NEXT:       "ldc": 16,
// CHECK-NEXT:       "library": "gemm",
// CHECK-NEXT:       "m": "tokens",
// CHECK-NEXT:       "n": 16,
// CHECK-NEXT:       "quantize_output": "s",
// CHECK-NEXT:       "scale": [
// CHECK-NEXT:         "s",
// CHECK-NEXT:         "s"
// CHECK-NEXT:       ],
// CHECK-NEXT:       "w": "emb"
// CHECK-NEXT:     }
// CHECK-NEXT:   ],
// CHECK-NEXT:   "head_last": []
// Every state tensor by name, in module order; a KV cache's leading `?` is
// the pool's max_seq_len.
// CHECK: "state": [
// CHECK-NEXT:   {
// CHECK-NEXT:     "dtype": "F32",
// CHECK-NEXT:     "layer": 0,
// CHECK-NEXT:     "name": "layers.0.conv_state",
// CHECK-NEXT:     "shape": [
// CHECK-NEXT:       24,
// CHECK-NEXT:       3
// CHECK-NEXT:     ]
// CHECK-NEXT:   },
// CHECK-NEXT:   {
// CHECK-NEXT:     "dtype": "F32",
// CHECK-NEXT:     "layer": 0,
// CHECK-NEXT:     "name": "layers.0.ssm_state",
// CHECK-NEXT:     "shape": [
// CHECK-NEXT:       2,
// CHECK-NEXT:       4,
// CHECK-NEXT:       4
// CHECK-NEXT:     ]
// CHECK-NEXT:   },
// CHECK-NEXT:   {
// CHECK-NEXT:     "dtype": "F32",
// CHECK-NEXT:     "layer": 1,
// CHECK-NEXT:     "name": "layers.1.k_cache",
// CHECK-NEXT:     "shape": [
// CHECK-NEXT:       "max_seq_len",
// CHECK-NEXT:       2,
// CHECK-NEXT:       4
// CHECK-NEXT:     ]
// CHECK-NEXT:   },
// CHECK-NEXT:   {
// CHECK-NEXT:     "dtype": "F32",
// CHECK-NEXT:     "layer": 1,
// CHECK-NEXT:     "name": "layers.1.v_cache",
// CHECK-NEXT:     "shape": [
// CHECK-NEXT:       "max_seq_len",
// CHECK-NEXT:       2,
// CHECK-NEXT:       4
// CHECK-NEXT:     ]
// CHECK-NEXT:   }
// CHECK-NEXT: ],
// The tap follows entry 0 (the embedding).
// CHECK: "taps": [
// CHECK-NEXT:   {
// CHECK-NEXT:     "after": 0,
// CHECK-NEXT:     "buffer": "b0",
// CHECK-NEXT:     "kind": "embeddings",
// CHECK-NEXT:     "ld": 8,
// CHECK-NEXT:     "offset": 0,
// CHECK-NEXT:     "width": 8
// CHECK: "targets": [
// CHECK-NEXT:   "cpu",
// CHECK-NEXT:   "cuda:sm_90"
// CHECK-NEXT: ],
// CHECK-NEXT: "version": 1,
// CHECK-NEXT: "weights": [
// CHECK-NEXT:   {
// CHECK-NEXT:     "dtype": "BF16",
// CHECK-NEXT:     "name": "emb",
// CHECK-NEXT:     "shape": [
// CHECK-NEXT:       16,
// CHECK-NEXT:       8
// CHECK-NEXT:     ]
// CHECK-NEXT:   },
// CHECK-NEXT:   {
// CHECK-NEXT:     "alternatives": [
// CHECK-NEXT:       {
// CHECK-NEXT:         "count": 2,
// CHECK-NEXT:         "index": 1,
// CHECK-NEXT:         "name": "stacked"
// CHECK-NEXT:       }
// CHECK-NEXT:     ],
// CHECK-NEXT:     "dtype": "F32",
// CHECK-NEXT:     "name": "head.bias",
// CHECK:          "dtype": "F32",
// CHECK-NEXT:     "name": "s",
// CHECK-NEXT:     "positive": true,
// CHECK-NEXT:     "shape": []

module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h", source = "config.json", config_hash = "0011223344556677", layer_pattern = "M*", hidden_size = 8, vocab_size = 16, max_position_embeddings = 64, dtype = bf16, ssm_state_dtype = f32, tie_word_embeddings = false, residual_in_fp32 = false, time_step_limit = [0.0, 1.0], config_values = {hidden_size = "8", "mamba_n_groups|n_groups" = "null", "quantization_config.quant_algo" = "\"FP8\"", time_step_limit = "[0.0,1.0]"}, config_defaults = {"mamba_n_groups|n_groups" = "1"}>, nemotron_exec.targets = ["cpu", "cuda:sm_90"]} {
  func.func private @nhc_add(memref<?xf32>, memref<?xf32>, index)
  func.func private @nhc_attention(memref<?xf32>, index, index, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xi64>, index, index, index, index, index, index, f32, index, index)
  nemotron_exec.weight @emb : tensor<16x8xbf16>
  nemotron_exec.weight @head.bias : tensor<16xf32> {alternatives = [{name = "stacked", index = 1, count = 2}]}
  nemotron_exec.weight @s : tensor<f32> {positive}
  nemotron_exec.state @layers.0.conv_state conv_state layer 0 : tensor<24x3xf32>
  nemotron_exec.state @layers.0.ssm_state ssm_state layer 0 : tensor<2x4x4xf32>
  nemotron_exec.state @layers.1.k_cache k_cache layer 1 : tensor<?x2x4xf32>
  nemotron_exec.state @layers.1.v_cache v_cache layer 1 : tensor<?x2x4xf32>
  nemotron_exec.buffer @b0 per token : tensor<8xf32>
  nemotron_exec.schedule @body {
    %b0 = nemotron_exec.buffer_ref @b0 : memref<?xf32>
    nemotron_exec.embedding @emb into %b0 hidden 8 : memref<?xf32>
    nemotron_exec.tap "embeddings" %b0[0, 8] width 8 : memref<?xf32>
    %n = nemotron_exec.dim tokens times 8
    nemotron_exec.call @nhc_add(%b0, %b0, %n) : (memref<?xf32>, memref<?xf32>, index) -> ()
    %k = nemotron_exec.state_ref @layers.1.k_cache : memref<?xf32>
    %v = nemotron_exec.state_ref @layers.1.v_cache : memref<?xf32>
    %r = nemotron_exec.request_table : memref<?xi64>
    %rows = nemotron_exec.dim requests
    %max = nemotron_exec.dim max_seq_len
    %precision = nemotron_exec.dim gemm_precision
    %ntok = nemotron_exec.dim tokens
    %c0 = arith.constant 0 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %c16 = arith.constant 16 : index
    %inf = arith.constant 0x7F800000 : f32
    nemotron_exec.call @nhc_attention(%b0, %c8, %c0, %c0, %c0, %k, %v, %b0, %b0, %r, %rows, %c2, %c2, %c4, %max, %c16, %inf, %precision, %ntok) : (memref<?xf32>, index, index, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xi64>, index, index, index, index, index, index, f32, index, index) -> ()
  }
  nemotron_exec.schedule @head_last {
  }
  nemotron_exec.schedule @head_all {
    %logits = nemotron_exec.logits : memref<?xf32>
    %tokens = nemotron_exec.dim tokens
    %b0 = nemotron_exec.buffer_ref @b0 : memref<?xf32>
    nemotron_exec.gemm @emb rows %tokens a %b0[0, 8] c %logits[0, 16] {bias = @head.bias, epilogue = "none", k = 8, n = 16, scale = [@s, @s], quantize_output = @s} : memref<?xf32>, memref<?xf32>
  }
}
