//===- NemotronTypes.td - nemotron types -------------------*- tablegen -*-===//

#ifndef NHC_DIALECT_NEMOTRON_NEMOTRONTYPES_TD
#define NHC_DIALECT_NEMOTRON_NEMOTRONTYPES_TD

include "Nemotron/NemotronDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

class Nemotron_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Nemotron_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Nemotron_LinearType : Nemotron_Type<"Linear", "linear"> {
  let summary = "A linear layer's weight (and optional bias), bound from a checkpoint";
  let description = [{
    The weight of `nn.Linear(in, out, bias=...)` as stored in a checkpoint:
    shape `[out, in]`, or `[experts, out, in]` for a stack of routed experts.
    `bias` marks a module that also binds `<module>.bias` of shape `[out]`
    (Mamba `use_bias`, MLP `mlp_bias`); stacks of experts have no bias.
    The element type is the storage type of the weight: `bf16`, `f16`, `f32`,
    or `f8E4M3FN` for FP8 (modelopt per-tensor static) layers, which also bind
    the scalar `weight_scale` and `input_scale` tensors of the module.

    ```mlir
    !nemotron.linear<17504x4096xbf16>
    !nemotron.linear<128x1856x2688xf8E4M3FN>
    !nemotron.linear<4096x64xf32, bias>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape, "::mlir::Type":$elementType,
                        "bool":$hasBias);
  let builders = [
    TypeBuilder<(ins "::llvm::ArrayRef<int64_t>":$shape, "::mlir::Type":$elementType), [{
      return $_get($_ctxt, shape, elementType, false);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isStacked() const { return getShape().size() == 3; }
    int64_t getNumExperts() const { return isStacked() ? getShape()[0] : 1; }
    int64_t getOutFeatures() const { return getShape()[getShape().size() - 2]; }
    int64_t getInFeatures() const { return getShape().back(); }
    bool isFP8() const { return ::llvm::isa<::mlir::Float8E4M3FNType>(getElementType()); }
  }];
}

#endif // NHC_DIALECT_NEMOTRON_NEMOTRONTYPES_TD
