//===- Passes.h - nemotron_exec passes --------------------------*- C++ -*-===//

#ifndef NHC_DIALECT_NEMOTRONEXEC_TRANSFORMS_PASSES_H
#define NHC_DIALECT_NEMOTRONEXEC_TRANSFORMS_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "nhc/Dialect/NemotronExec/IR/NemotronExec.h"

namespace mlir::nemotron_exec {

#define GEN_PASS_DECL
#include "nhc/Dialect/NemotronExec/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nhc/Dialect/NemotronExec/Transforms/Passes.h.inc"

} // namespace mlir::nemotron_exec

#endif // NHC_DIALECT_NEMOTRONEXEC_TRANSFORMS_PASSES_H
