//===- NemotronAttrs.td - nemotron attributes and enums ----*- tablegen -*-===//

#ifndef NHC_DIALECT_NEMOTRON_NEMOTRONATTRS_TD
#define NHC_DIALECT_NEMOTRON_NEMOTRONATTRS_TD

include "Nemotron/NemotronDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

// transformers' ACT2FN entries (activations.py) that Nemotron-H configs may
// name; the config reader maps aliases (swish, gelu_new, gelu_pytorch_tanh,
// gelu_fast, gelu_python) onto these. The case values are also the codes the
// kernel library's @nhc_conv_activate switches on (lib/Kernels/conv1d.mlir);
// the names and their order are nhc/format/manifest_schema.h's kActivations.
def Nemotron_Activation : I32EnumAttr<"Activation", "pointwise activation", [
    I32EnumAttrCase<"relu2", 0>, I32EnumAttrCase<"relu", 1>,
    I32EnumAttrCase<"silu", 2>, I32EnumAttrCase<"gelu", 3>,
    I32EnumAttrCase<"gelu_tanh", 4>, I32EnumAttrCase<"quick_gelu", 5>,
    I32EnumAttrCase<"relu6", 6>, I32EnumAttrCase<"gelu_10", 7>,
    I32EnumAttrCase<"laplace", 8>, I32EnumAttrCase<"leaky_relu", 9>,
    I32EnumAttrCase<"linear", 10>, I32EnumAttrCase<"mish", 11>,
    I32EnumAttrCase<"sigmoid", 12>, I32EnumAttrCase<"tanh", 13>,
    I32EnumAttrCase<"hardswish", 14>, I32EnumAttrCase<"sqrtsoftplus", 15>]> {
  let cppNamespace = "::mlir::nemotron";
  let genSpecializedAttr = 0;
}
def Nemotron_ActivationAttr
    : EnumAttr<Nemotron_Dialect, Nemotron_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

def Nemotron_QuantizationAttr : AttrDef<Nemotron_Dialect, "Quantization"> {
  let mnemonic = "quantization";
  let summary = "Checkpoint quantization recipe (modelopt)";
  let description = [{
    The quantization of a checkpoint, from `quantization_config` in
    `config.json` or from `hf_quant_config.json`. Only `FP8` (e4m3 weights and
    activations, per-tensor static scales) is supported. `exclude_modules`
    lists the module names or glob patterns kept in the base dtype.

    ```mlir
    #nemotron.quantization<algo = "FP8", exclude_modules = ["lm_head", "*q_proj*"]>
    ```
  }];
  let parameters = (ins "::mlir::StringAttr":$algo,
                        "::mlir::ArrayAttr":$exclude_modules);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Nemotron_ModelAttr : AttrDef<Nemotron_Dialect, "Model"> {
  let mnemonic = "model";
  let summary = "The model-wide facts of an imported config";
  let description = [{
    What `nhc compile` read from `config.json` that is not a hyper-parameter
    of one op: the layer pattern (`M` Mamba-2, `*` attention, `-` MLP, `E`
    MoE), the sizes the manifest reports, the checkpoint and SSM-state
    dtypes, the config's file name (never its directory) and the FNV-1a hash
    of the parsed config in canonical form (sorted keys, no whitespace), so
    two files that parse alike hash alike, and `config_values`: every value
    the import read, keyed by the key paths it tried (aliases `|`-joined,
    nested keys dotted), to the JSON text of the value (`"null"` where none
    was present), which the manifest carries so that binding can name what a
    checkpoint's own config.json says otherwise, and `config_defaults`: the
    default of each of those that has one, present or not (an absent key
    and its default written out compare equal). It lives on the module as the discardable
    attribute `nemotron.model`.

    ```mlir
    module attributes {nemotron.model = #nemotron.model<model_type = "nemotron_h",
        source = "config.json", config_hash = "b57e3449937e1bd6",
        layer_pattern = "M-M*-M-", hidden_size = 64, vocab_size = 384,
        max_position_embeddings = 256, dtype = f32, ssm_state_dtype = f32,
        tie_word_embeddings = false, residual_in_fp32 = false,
        time_step_limit = [0.0, 0x7FF0000000000000 : f64]>} {...}
    ```
  }];
  let parameters = (ins
    StringRefParameter<"`model_type` of the config">:$model_type,
    StringRefParameter<"file name of the config (no directory)">:$source,
    StringRefParameter<"16 hex digits: FNV-1a 64 of the canonical config">:$config_hash,
    StringRefParameter<"one character per decoder layer">:$layer_pattern,
    "int64_t":$hidden_size,
    "int64_t":$vocab_size,
    "int64_t":$max_position_embeddings,
    "::mlir::Type":$dtype,
    "::mlir::Type":$ssm_state_dtype,
    "bool":$tie_word_embeddings,
    "bool":$residual_in_fp32,
    "::mlir::ArrayAttr":$time_step_limit,
    StringRefParameter<"multi-token-prediction layers (not run)", "\"\"">:$mtp_layer_pattern,
    DefaultValuedParameter<"int64_t", "0">:$num_nextn_predict_layers,
    OptionalParameter<"::mlir::nemotron::QuantizationAttr">:$quantization,
    OptionalParameter<"::mlir::DictionaryAttr",
        "each value read: the key paths tried ('|'-joined) to its JSON text">:$config_values,
    OptionalParameter<"::mlir::DictionaryAttr",
        "the default of each key path of config_values that has one, as JSON text">:$config_defaults
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The discardable module attribute that carries it.
    static constexpr ::llvm::StringLiteral kAttrName = "nemotron.model";
    /// The module's model facts, or null.
    static ModelAttr of(::mlir::Operation *module);
    int64_t getNumLayers() const { return getLayerPattern().size(); }
  }];
}

#endif // NHC_DIALECT_NEMOTRON_NEMOTRONATTRS_TD
