//===- NemotronOps.h - nemotron operations ----------------------*- C++ -*-===//

#ifndef NHC_DIALECT_NEMOTRON_IR_NEMOTRONOPS_H
#define NHC_DIALECT_NEMOTRON_IR_NEMOTRONOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.h"
#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h"
#include "nhc/Dialect/Nemotron/IR/NemotronTypes.h"

namespace mlir::nemotron {
/// Per-request state owned by a layer: conv and SSM state, KV cache.
struct RequestStateResource
    : public SideEffects::Resource::Base<RequestStateResource> {
  StringRef getName() override { return "RequestState"; }
};

/// True for an activation quantized for an FP8 GEMM (f8E4M3FN elements).
inline bool isQuantizedActivation(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<Float8E4M3FNType>(type.getElementType());
}

/// Verifies that `scale` (named `role` in the message) is one f32 element:
/// a per-tensor static FP8 scale.
LogicalResult verifyFP8Scale(Operation *op, Value scale, StringRef role);

/// Verifies the result of an op that may quantize for an FP8 GEMM: with a
/// `scale` (one f32 element) the result is `input`'s shape in f8E4M3FN,
/// without one it has `input`'s type.
LogicalResult verifyQuantizedResult(Operation *op, Value input, Value scale,
                                    Value result);
} // namespace mlir::nemotron

#define GET_OP_CLASSES
#include "nhc/Dialect/Nemotron/IR/NemotronOps.h.inc"

#endif // NHC_DIALECT_NEMOTRON_IR_NEMOTRONOPS_H
