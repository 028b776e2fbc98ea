//===- NemotronExec.h - the nemotron_exec dialect ---------------*- C++ -*-===//
//
// One step of a model as kernel and library calls over named weights, state
// tensors and buffers (dialects/NemotronExec, docs/dialect.md).
//
//===----------------------------------------------------------------------===//

#ifndef NHC_DIALECT_NEMOTRONEXEC_IR_NEMOTRONEXEC_H
#define NHC_DIALECT_NEMOTRONEXEC_IR_NEMOTRONEXEC_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "nhc/Dialect/NemotronExec/IR/NemotronExecDialect.h.inc"
#include "nhc/Dialect/NemotronExec/IR/NemotronExecEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "nhc/Dialect/NemotronExec/IR/NemotronExecAttrs.h.inc"

#define GET_OP_CLASSES
#include "nhc/Dialect/NemotronExec/IR/NemotronExecOps.h.inc"

namespace mlir::nemotron_exec {

/// The names of the schedules of a step, in the order a step may run them.
inline constexpr llvm::StringLiteral kBodySchedule = "body";
inline constexpr llvm::StringLiteral kHeadLastSchedule = "head_last";
inline constexpr llvm::StringLiteral kHeadAllSchedule = "head_all";

/// The module attribute listing the artifact's targets ("cpu",
/// "cuda:sm_90", ...).
inline constexpr llvm::StringLiteral kTargetsAttrName = "nemotron_exec.targets";

} // namespace mlir::nemotron_exec

#endif // NHC_DIALECT_NEMOTRONEXEC_IR_NEMOTRONEXEC_H
