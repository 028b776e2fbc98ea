//===- ModelConfigTest.cpp - reading Nemotron-H configs -------------------===//

#include "nhc/Config/ModelConfig.h"

#include <chrono>
#include <cmath>
#include <map>
#include <gtest/gtest.h>

using mlir::nhc::LayerKind;
using mlir::nhc::ModelConfig;

namespace {
ModelConfig parseOk(const std::string &text) {
  ModelConfig config;
  std::string error;
  EXPECT_TRUE(mlir::nhc::parseModelConfig("config.json", text, config, error))
      << error;
  return config;
}

std::string parseError(const std::string &text) {
  ModelConfig config;
  std::string error;
  EXPECT_FALSE(mlir::nhc::parseModelConfig("config.json", text, config, error));
  return error;
}
} // namespace

TEST(ModelConfig, FillsTransformersDefaults) {
  ModelConfig c = parseOk(
      R"({"hybrid_override_pattern": "M*-E", "hidden_size": 64, "vocab_size": 256})");
  EXPECT_EQ(c.pattern(), "M*-E");
  EXPECT_EQ(c.mambaNumHeads, 128);
  EXPECT_EQ(c.mambaHeadDim, 64);
  EXPECT_EQ(c.ssmStateSize, 128);
  EXPECT_EQ(c.nGroups, 8);
  EXPECT_EQ(c.convKernel, 4);
  EXPECT_EQ(c.chunkSize, 128);
  EXPECT_EQ(c.numAttentionHeads, 32);
  EXPECT_EQ(c.numKeyValueHeads, 8);
  EXPECT_EQ(c.headDim, 128);
  EXPECT_EQ(c.intermediateSize, 21504);
  EXPECT_EQ(c.mlpHiddenAct, "relu2");
  EXPECT_DOUBLE_EQ(c.layerNormEpsilon, 1e-5);
  EXPECT_DOUBLE_EQ(c.timeStepMin, 0.001);
  EXPECT_EQ(c.timeStepLimit[0], 0.0);
  EXPECT_TRUE(std::isinf(c.timeStepLimit[1]));
  EXPECT_EQ(c.nRoutedExperts, 8);
  EXPECT_EQ(c.numExpertsPerTok, 2);
  EXPECT_FALSE(c.tieWordEmbeddings);
  EXPECT_EQ(c.dtype, mlir::nhc::DType::F32);
  EXPECT_FALSE(c.quantization.has_value());
}

TEST(ModelConfig, AliasesWinOverCanonicalKeysAsInTransformers) {
  ModelConfig c = parseOk(R"({"hybrid_override_pattern": "M", "hidden_size": 64,
    "vocab_size": 256, "n_groups": 8, "mamba_n_groups": 2, "mamba_d_conv": 3,
    "mamba_chunk_size": 16, "mamba_expand": 1, "mamba_dt_min": 0.01,
    "mamba_dt_limit": [0.0, 5.0], "mamba_conv_bias": false,
    "n_routed_experts": 4, "num_local_experts": 16, "attention_head_dim": 32,
    "torch_dtype": "bfloat16", "mamba_num_heads": 8, "mamba_head_dim": 16})");
  EXPECT_EQ(c.nGroups, 2);
  EXPECT_EQ(c.convKernel, 3);
  EXPECT_EQ(c.chunkSize, 16);
  EXPECT_EQ(c.expand, 1);
  EXPECT_DOUBLE_EQ(c.timeStepMin, 0.01);
  EXPECT_DOUBLE_EQ(c.timeStepLimit[1], 5.0);
  EXPECT_FALSE(c.useConvBias);
  EXPECT_EQ(c.nRoutedExperts, 16);
  EXPECT_EQ(c.headDim, 32);
  EXPECT_EQ(c.dtype, mlir::nhc::DType::BF16);
}

// readValues: each value a getter read, keyed by the aliases tried
// ('|'-joined), recorded once (a re-read of the picked alias is not a second
// entry); null where none is present; a value holding a non-finite number,
// and keys never read (_name_or_path), are left out.
TEST(ModelConfig, ReadValuesRecordWhatTheGettersRead) {
  ModelConfig c = parseOk(R"({"hybrid_override_pattern": "M", "hidden_size": 64,
    "vocab_size": 256, "mamba_n_groups": 2, "n_groups": 8, "torch_dtype": "bfloat16",
    "time_step_limit": [0.0, Infinity], "_name_or_path": "x", "layer_norm_epsilon": 1e-5})");
  std::map<std::string, std::string> read(c.readValues.begin(), c.readValues.end());
  EXPECT_EQ(read.size(), c.readValues.size()) << "a key recorded twice";
  EXPECT_EQ(read["mamba_n_groups|n_groups"], "2");
  EXPECT_EQ(read["dtype|torch_dtype"], "\"bfloat16\"");
  EXPECT_EQ(read.count("dtype"), 0u);
  EXPECT_EQ(read.count("torch_dtype"), 0u);
  EXPECT_EQ(read["hidden_size"], "64");
  EXPECT_EQ(read["layer_norm_epsilon"], "1e-05");
  EXPECT_EQ(read["hybrid_override_pattern"], "\"M\"");
  EXPECT_EQ(read["mamba_d_conv|conv_kernel"], "null");
  EXPECT_EQ(read.count("mamba_dt_limit|time_step_limit"), 0u);
  EXPECT_EQ(read.count("_name_or_path"), 0u);
}

TEST(ModelConfig, LayersBlockTypeAcceptsBothSpellings) {
  ModelConfig c = parseOk(R"({"layers_block_type": ["mamba", "attention",
    "linear_attention", "full_attention", "mlp", "moe"], "hidden_size": 64,
    "vocab_size": 256})");
  EXPECT_EQ(c.pattern(), "M*M*-E");
  // layers_block_type wins over hybrid_override_pattern, as in transformers.
  ModelConfig both = parseOk(R"({"layers_block_type": ["mlp"],
    "hybrid_override_pattern": "MM", "hidden_size": 64, "vocab_size": 256})");
  EXPECT_EQ(both.pattern(), "-");
  // Its alias layer_types wins over it (transformers' attribute_map).
  ModelConfig alias = parseOk(R"({"layers_block_type": ["mlp"],
    "layer_types": ["mamba", "mlp"], "hidden_size": 64, "vocab_size": 256})");
  EXPECT_EQ(alias.pattern(), "M-");
}

TEST(ModelConfig, NullKvHeadsMeansMultiHead) {
  ModelConfig c = parseOk(R"({"hybrid_override_pattern": "*", "hidden_size": 64,
    "vocab_size": 256, "num_attention_heads": 4, "num_key_value_heads": null})");
  EXPECT_EQ(c.numKeyValueHeads, 4);
}

// transformers 5.23's typed config fields refuse null (older versions fail
// in the layer using the value): no default may stand in for it.
TEST(ModelConfig, NullIsRefusedWhereTransformersDefinesNoMeaning) {
  const std::string head =
      R"({"hybrid_override_pattern": "M*-E", "hidden_size": 64,
          "vocab_size": 256, )";
  for (const char *key :
       {"mamba_num_heads", "ssm_state_size", "chunk_size", "mamba_chunk_size",
        "num_attention_heads", "intermediate_size", "layer_norm_epsilon",
        "mlp_hidden_act", "mamba_conv_bias", "tie_word_embeddings",
        "n_routed_experts", "routed_scaling_factor", "norm_topk_prob",
        "time_step_limit", "max_position_embeddings"}) {
    std::string error = parseError(head + "\"" + key + "\": null}");
    EXPECT_NE(error.find(std::string("'") + key + "' is null: give a value, "
                         "or leave the key out for transformers' default"),
              std::string::npos)
        << key << ": " << error;
  }
  // Positioned at the value, like every other config error.
  std::string error = parseError(
      "{\"hybrid_override_pattern\": \"M\",\n \"hidden_size\": null,\n"
      " \"vocab_size\": 256}");
  EXPECT_NE(error.find("config.json:2:17: error: 'hidden_size' is null"),
            std::string::npos)
      << error;
  error = parseError(R"({"hybrid_override_pattern": null, "hidden_size": 64,
    "vocab_size": 256})");
  EXPECT_NE(error.find("'hybrid_override_pattern' is null"), std::string::npos)
      << error;
  // An alias with a value wins over a null spelling, as in transformers.
  ModelConfig c = parseOk(head + R"("n_groups": null, "mamba_n_groups": 4,
    "mamba_num_heads": 8, "mamba_head_dim": 16})");
  EXPECT_EQ(c.nGroups, 4);
  // The nulls transformers defines keep their meaning.
  c = parseOk(head + R"("moe_latent_size": null, "head_dim": null,
    "num_attention_heads": 4, "num_key_value_heads": 2, "dtype": null,
    "sliding_window": null})");
  EXPECT_FALSE(c.moeLatentSize.has_value());
  EXPECT_EQ(c.headDim, 16);
}

TEST(ModelConfig, ReadsModeloptQuantization) {
  ModelConfig c = parseOk(R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
    "vocab_size": 256, "quantization_config": {"quant_method": "modelopt",
    "quant_algo": "FP8", "exclude_modules": ["lm_head", "*.mixer.q_proj"]}})");
  ASSERT_TRUE(c.quantization.has_value());
  EXPECT_EQ(c.quantization->algo, "FP8");
  EXPECT_EQ(c.quantization->excludeModules.size(), 2u);
  EXPECT_TRUE(mlir::nhc::isExcludedModule(c.quantization->excludeModules, "lm_head"));
  EXPECT_TRUE(mlir::nhc::isExcludedModule(c.quantization->excludeModules,
                                    "backbone.layers.3.mixer.q_proj"));
  EXPECT_FALSE(mlir::nhc::isExcludedModule(c.quantization->excludeModules,
                                     "backbone.layers.0.mixer.in_proj"));
}

TEST(ModelConfig, ErrorsNameKeyAndPosition) {
  std::string error = parseError(
      "{\n  \"hybrid_override_pattern\": \"M-X\",\n  \"hidden_size\": 64,\n"
      "  \"vocab_size\": 256\n}\n");
  // The unknown character X is at column 33 of line 2.
  EXPECT_NE(error.find("config.json:2:33: error: 'hybrid_override_pattern' has "
                       "unknown layer character 'X' at index 2"),
            std::string::npos)
      << error;

  error = parseError(R"({"hybrid_override_pattern": "M", "vocab_size": 256})");
  EXPECT_NE(error.find("missing required key 'hidden_size'"), std::string::npos)
      << error;

  error = parseError(R"({"hybrid_override_pattern": "M*", "hidden_size": 64,
    "vocab_size": 256, "num_attention_heads": 6, "num_key_value_heads": 4})");
  EXPECT_NE(error.find("'num_key_value_heads' (4) must divide "
                       "'num_attention_heads' (6)"),
            std::string::npos)
      << error;

  // transformers ignores num_hidden_layers and warns; nhc too.
  ModelConfig counted = parseOk(R"({"hybrid_override_pattern": "MM",
    "hidden_size": 64, "vocab_size": 256, "num_hidden_layers": 3})");
  EXPECT_EQ(counted.layers.size(), 2u);
  ASSERT_EQ(counted.warnings.size(), 1u);
  EXPECT_NE(counted.warnings[0].find("warning: 'num_hidden_layers' is 3 but "
                                     "the layer pattern 'MM' has 2 layers"),
            std::string::npos)
      << counted.warnings[0];
  EXPECT_TRUE(parseOk(R"({"hybrid_override_pattern": "MM", "hidden_size": 64,
    "vocab_size": 256, "num_hidden_layers": 2})").warnings.empty());
  error = parseError(R"({"hybrid_override_pattern": "MM", "hidden_size": 64,
    "vocab_size": 256, "num_hidden_layers": "two"})");
  EXPECT_NE(error.find("'num_hidden_layers' must be an integer"),
            std::string::npos)
      << error;
}

// Python's json (so transformers) reads numbers beyond double range as
// +-infinity; so does nhc, wherever they appear.
TEST(ModelConfig, NumbersBeyondDoubleRangeAreInfinite) {
  ModelConfig c = parseOk(R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
    "vocab_size": 256, "time_step_limit": [0.0, 1e400], "time_step_max": 1E309,
    "unused": [-1e999, {"deep": 123456789e400}]})");
  EXPECT_EQ(c.timeStepLimit[0], 0.0);
  EXPECT_TRUE(std::isinf(c.timeStepLimit[1]) && c.timeStepLimit[1] > 0);
  EXPECT_TRUE(std::isinf(c.timeStepMax) && c.timeStepMax > 0);
  // Positions of later keys are unchanged by the rewrite.
  std::string error = parseError(R"({"hybrid_override_pattern": "M-", "a": 1e400,
    "hidden_size": "x", "vocab_size": 256})");
  EXPECT_NE(error.find("config.json:2:20: error: 'hidden_size' must be an "
                       "integer"),
            std::string::npos)
      << error;
  // A negative overflow is -infinity: meaningless for an epsilon.
  error = parseError(R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
    "vocab_size": 256, "layer_norm_epsilon": -1e400})");
  EXPECT_NE(error.find("'layer_norm_epsilon' must be a finite number >= 0"),
            std::string::npos)
      << error;
  // Underflow is zero, as in Python, and a string holding 1e400 stays one.
  c = parseOk(R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
    "vocab_size": 256, "time_step_min": 1e-400, "model_type": "nemotron_h",
    "note": "1e400"})");
  EXPECT_EQ(c.timeStepMin, 0.0);
}

// nlohmann 3.11's callback parser walks the parent container at every
// object's end; a 1.2 MB config of empty objects took minutes with it. The
// bound is ~20x what the linear parser needs on a slow 2-core VM.
TEST(ModelConfig, ManySmallObjectsParseInLinearTime) {
  std::string text = R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
    "vocab_size": 256, "time_step_limit": [0.0, Infinity], "x": [)";
  for (int i = 0; i < 400000; ++i)
    text += i ? ",{}" : "{}";
  text += "]}";
  auto start = std::chrono::steady_clock::now();
  ModelConfig c = parseOk(text);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(std::isinf(c.timeStepLimit[1])); // placeholders restored
}

TEST(ModelConfig, NestingIsLimitedBeforeAnyWalk) {
  std::string deep = R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
    "vocab_size": 256, "x": )" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  std::string error = parseError(deep);
  EXPECT_NE(error.find("error: JSON nesting deeper than 64 levels"),
            std::string::npos)
      << error;
  std::string ok = R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
    "vocab_size": 256, "x": )" + std::string(60, '[') + std::string(60, ']') +
                   "}";
  parseOk(ok);
}

// modelopt's "KV cache only" recipe: quant_algo null means the weights are
// not quantized; the KV-cache setting is noted, not an error.
TEST(ModelConfig, NullQuantAlgoIsUnquantized) {
  ModelConfig c = parseOk(R"({"hybrid_override_pattern": "M*", "hidden_size": 64,
    "vocab_size": 256, "num_attention_heads": 4, "num_key_value_heads": 2,
    "head_dim": 16, "quantization_config": {"quant_method": "modelopt",
    "quant_algo": null, "kv_cache_quant_algo": "FP8"}})");
  EXPECT_FALSE(c.quantization.has_value());
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("'quantization_config' has no weight quantization "
                            "(quant_algo is null)"),
            std::string::npos)
      << c.notes[0];
  EXPECT_NE(c.notes[0].find("kv_cache_quant_algo 'FP8' is ignored"),
            std::string::npos);
  // Other algorithms keep their error.
  std::string error = parseError(R"({"hybrid_override_pattern": "M-",
    "hidden_size": 64, "vocab_size": 256,
    "quantization_config": {"quant_algo": "W4A16_AWQ"}})");
  EXPECT_NE(error.find("unsupported weight quantization \"W4A16_AWQ\""),
            std::string::npos)
      << error;
}

// modelopt's config_groups describe the scheme; nhc runs only FP8 with one
// static scale per tensor, and refuses any other scheme by its key.
TEST(ModelConfig, ConfigGroupsMustBeStaticPerTensorFp8) {
  auto config = [](const std::string &weights, const std::string &inputs) {
    return R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
      "vocab_size": 256, "quantization_config": {"quant_method": "modelopt",
      "quant_algo": "FP8", "config_groups": {"group_0": {"targets": ["Linear"],
      "weights": )" + weights + R"(, "input_activations": )" + inputs + "}}}}";
  };
  const std::string fp8 =
      R"({"dynamic": false, "num_bits": 8, "type": "float"})";
  // modelopt's own form, and with the strategy spelled out.
  EXPECT_TRUE(parseOk(config(fp8, fp8)).quantization.has_value());
  parseOk(config(R"({"num_bits": 8, "type": "float", "strategy": "tensor",
    "group_size": null})", fp8));

  struct Refused {
    std::string weights, inputs, message;
  };
  const Refused refused[] = {
      {fp8, R"({"dynamic": true, "num_bits": 8, "type": "float"})",
       "'quantization_config.config_groups.group_0.input_activations.dynamic' "
       "is true, but nhc supports only false (static scales"},
      {fp8, R"({"num_bits": 8, "type": "float", "strategy": "token"})",
       "'quantization_config.config_groups.group_0.input_activations."
       "strategy' is \"token\", but nhc supports only \"tensor\""},
      {R"({"num_bits": 8, "type": "float", "strategy": "channel"})", fp8,
       "'quantization_config.config_groups.group_0.weights.strategy' is "
       "\"channel\""},
      {R"({"num_bits": 8, "type": "float", "block_structure": [128, 128]})",
       fp8,
       "'quantization_config.config_groups.group_0.weights.block_structure' "
       "is [128,128], but nhc supports only one scale per tensor"},
      {R"({"num_bits": 4, "type": "float"})", fp8,
       "'quantization_config.config_groups.group_0.weights.num_bits' is 4, "
       "but nhc supports only 8 (FP8)"},
      {R"({"num_bits": 8, "type": "int"})", fp8,
       "'quantization_config.config_groups.group_0.weights.type' is \"int\""},
      {fp8, "null",
       "'quantization_config.config_groups.group_0.input_activations' is "
       "null (weight-only FP8 is not supported"},
      {"7", fp8,
       "'quantization_config.config_groups.group_0.weights' must be an "
       "object, got 7"},
  };
  for (const Refused &r : refused) {
    std::string error = parseError(config(r.weights, r.inputs));
    EXPECT_NE(error.find(r.message), std::string::npos)
        << r.weights << " / " << r.inputs << ": " << error;
  }
  // A group without the activations' entry is weight-only too.
  std::string error = parseError(R"({"hybrid_override_pattern": "M-",
    "hidden_size": 64, "vocab_size": 256, "quantization_config": {
    "quant_algo": "FP8", "config_groups": {"g": {"weights": )" +
                                 fp8 + "}}}}");
  EXPECT_NE(error.find("'quantization_config.config_groups.g' has no "
                       "'input_activations' (weight-only"),
            std::string::npos)
      << error;
  // Another algorithm's groups (NVFP4's 4-bit weights) are refused by the
  // algorithm's name first.
  error = parseError(R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
    "vocab_size": 256, "quantization_config": {"quant_algo": "NVFP4",
    "config_groups": {"g": {"weights": {"num_bits": 4, "group_size": 16}}}}})");
  EXPECT_NE(error.find("unsupported weight quantization \"NVFP4\""),
            std::string::npos)
      << error;
  // The KV-cache-only recipe (no weight quantization) reads no groups.
  parseOk(R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
    "vocab_size": 256, "quantization_config": {"quant_algo": null,
    "config_groups": {"g": {"weights": null}}}})");
}

// modelopt writes module names with or without the "backbone." prefix, with
// "model." instead, or as globs; all select the same modules.
TEST(ModelConfig, ExcludeModulesSpellings) {
  using mlir::nhc::isExcludedModule;
  const std::string q = "backbone.layers.3.mixer.q_proj";
  for (const char *pattern :
       {"backbone.layers.3.mixer.q_proj", "layers.3.mixer.q_proj",
        "model.layers.3.mixer.q_proj", "*.mixer.q_proj", "*", "*layers.3*",
        "model.layers.*.mixer.q_proj"})
    EXPECT_TRUE(isExcludedModule({pattern}, q)) << pattern;
  for (const char *pattern : {"model.layers.4.mixer.q_proj", "*.k_proj",
                              "backbone.layers.3.mixer", "lm_head"})
    EXPECT_FALSE(isExcludedModule({pattern}, q)) << pattern;
  EXPECT_TRUE(isExcludedModule({"lm_head"}, "lm_head"));
  EXPECT_EQ(mlir::nhc::matchingExclusion({"lm_head", "*.q_proj"}, q), 1);
}

TEST(ModelConfig, ActivationAliasesMapToOneName) {
  struct Case {
    const char *name, *canonical;
  } cases[] = {{"relu2", "relu2"},       {"swish", "silu"},
               {"gelu_new", "gelu_tanh"}, {"gelu_pytorch_tanh", "gelu_tanh"},
               {"gelu_fast", "gelu_tanh"}, {"gelu_python", "gelu"},
               {"quick_gelu", "quick_gelu"}, {"gelu_10", "gelu_10"},
               {"laplace", "laplace"},     {"leaky_relu", "leaky_relu"},
               {"linear", "linear"},       {"mish", "mish"},
               {"sigmoid", "sigmoid"},     {"tanh", "tanh"},
               {"hardswish", "hardswish"}, {"sqrtsoftplus", "sqrtsoftplus"}};
  for (const Case &k : cases) {
    ModelConfig c = parseOk(std::string(R"({"hybrid_override_pattern": "M-",
      "hidden_size": 64, "vocab_size": 256, "mlp_hidden_act": ")") +
                            k.name + R"(", "mamba_hidden_act": ")" + k.name +
                            "\"}");
    EXPECT_EQ(c.mlpHiddenAct, k.canonical) << k.name;
    EXPECT_EQ(c.mambaHiddenAct, k.canonical) << k.name;
  }
  // transformers looks an activation up only for layers that use it.
  ModelConfig c = parseOk(R"({"hybrid_override_pattern": "M*", "hidden_size": 64,
    "vocab_size": 256, "num_attention_heads": 4, "num_key_value_heads": 2,
    "head_dim": 16, "mlp_hidden_act": "swiglu"})");
  EXPECT_EQ(c.mlpHiddenAct, "swiglu");
}

TEST(ModelConfig, BiasFlags) {
  ModelConfig c = parseOk(R"({"hybrid_override_pattern": "M-", "hidden_size": 64,
    "vocab_size": 256, "use_bias": true, "mlp_bias": true,
    "attention_bias": true, "use_conv_bias": false})");
  EXPECT_TRUE(c.useBias);
  EXPECT_TRUE(c.mlpBias);
  EXPECT_FALSE(c.useConvBias);
}

TEST(ModelConfig, OtherQuantizersAreRefusedByName) {
  std::string error = parseError(R"({"hybrid_override_pattern": "M-",
    "hidden_size": 64, "vocab_size": 256, "quantization_config":
    {"quant_method": "compressed-tensors", "config_groups": {}}})");
  EXPECT_NE(error.find("'quantization_config.quant_method' is "
                       "\"compressed-tensors\", but nhc reads only modelopt"),
            std::string::npos)
      << error;
}

// Limits keep a small file from describing a model no machine holds; the
// error names the key (docs/security.md).
TEST(ModelConfig, SizesAndTheirProductsAreBounded) {
  std::string error = parseError(R"({"hybrid_override_pattern": "E",
    "hidden_size": 64, "vocab_size": 256, "n_routed_experts": 1000000000000000})");
  EXPECT_NE(error.find("'n_routed_experts' is 1000000000000000, above nhc's "
                       "limit of 4096"),
            std::string::npos)
      << error;
  error = parseError(R"({"hybrid_override_pattern": "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE",
    "hidden_size": 64, "vocab_size": 256, "n_routed_experts": 4096,
    "num_experts_per_tok": 2, "moe_intermediate_size": 8,
    "moe_shared_expert_intermediate_size": 8})");
  EXPECT_NE(error.find("'n_routed_experts' (4096) times the 65 MoE layers "
                       "exceeds nhc's limit of 131072 routed experts"),
            std::string::npos)
      << error;
  error = parseError(R"({"hybrid_override_pattern": "----------------",
    "hidden_size": 65536, "vocab_size": 256, "intermediate_size": 1048576})");
  EXPECT_NE(error.find("'intermediate_size' makes the model"),
            std::string::npos)
      << error;
  error = parseError(R"({"hybrid_override_pattern": "M-", "hidden_size": 1e400,
    "vocab_size": 256})");
  EXPECT_NE(error.find("'hidden_size' must be an integer, got Infinity"),
            std::string::npos)
      << error;
  error = parseError(std::string(R"({"hybrid_override_pattern": ")") +
                     std::string(1025, 'M') +
                     R"(", "hidden_size": 64, "vocab_size": 256})");
  EXPECT_NE(error.find("has 1025 layers, above nhc's limit of 1024"),
            std::string::npos)
      << error;
}
