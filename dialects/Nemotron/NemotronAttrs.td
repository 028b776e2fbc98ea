//===- NemotronAttrs.td - nemotron attributes and enums ----*- tablegen -*-===//

#ifndef NHC_DIALECT_NEMOTRON_NEMOTRONATTRS_TD
#define NHC_DIALECT_NEMOTRON_NEMOTRONATTRS_TD

include "Nemotron/NemotronDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

// transformers' ACT2FN entries (activations.py) that Nemotron-H configs may
// name; the config reader maps aliases (swish, gelu_new, gelu_pytorch_tanh,
// gelu_fast, gelu_python) onto these. The case values are also the codes the
// kernel library's @nhc_activate switches on (lib/Kernels/activation.mlir).
def Nemotron_Activation : I32EnumAttr<"Activation", "pointwise activation", [
    I32EnumAttrCase<"relu2", 0>, I32EnumAttrCase<"relu", 1>,
    I32EnumAttrCase<"silu", 2>, I32EnumAttrCase<"gelu", 3>,
    I32EnumAttrCase<"gelu_tanh", 4>, I32EnumAttrCase<"quick_gelu", 5>,
    I32EnumAttrCase<"relu6", 6>]> {
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
                        "::mlir::ArrayAttr":$excludeModules);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // NHC_DIALECT_NEMOTRON_NEMOTRONATTRS_TD
