//===- NemotronDialect.td - nemotron dialect definition ----*- tablegen -*-===//
//
// Part of nhc. The `nemotron` dialect models a Nemotron-H network at the level
// of its layers, as read from a Hugging Face config.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_DIALECT_NEMOTRON_NEMOTRONDIALECT_TD
#define NHC_DIALECT_NEMOTRON_NEMOTRONDIALECT_TD

include "mlir/IR/OpBase.td"

def Nemotron_Dialect : Dialect {
  let name = "nemotron";
  let cppNamespace = "::mlir::nemotron";
  let summary = "Model-level ops of Nemotron-H hybrid Mamba-2 / Transformer networks.";
  let description = [{
    The `nemotron` dialect is the entry level of nhc. `nhc compile` imports a
    Hugging Face `config.json` into one `func.func @forward` made of model-level
    ops: `nemotron.embedding`, `nemotron.rms_norm`, the four mixers
    (`nemotron.mamba2`, `nemotron.attention`, `nemotron.mlp`, `nemotron.moe`),
    residual `nemotron.add`, and `nemotron.lm_head`.

    Every hyper-parameter is a typed attribute on the op that uses it, and
    verifiers check that the shapes of the weights agree with them.

    Weights are never materialized in the IR. `nemotron.param` and
    `nemotron.linear_param` name a checkpoint tensor (or, for a linear layer,
    the module whose `.weight` and, under FP8, `.weight_scale` and
    `.input_scale` tensors are bound at load time) and give it a type, so the
    expected weight table of a model is the set of its parameter ops.

    Activations are `tensor<?xHxT>`: the leading dimension is the number of
    tokens of a step and stays dynamic.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  // `nemotron.model` on a module must be a #nemotron.model.
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

class Nemotron_Op<string mnemonic, list<Trait> traits = []>
    : Op<Nemotron_Dialect, mnemonic, traits>;

#endif // NHC_DIALECT_NEMOTRON_NEMOTRONDIALECT_TD
