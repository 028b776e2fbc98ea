//===- Passes.h - nhc conversion passes -------------------------*- C++ -*-===//

#ifndef NHC_CONVERSION_PASSES_H
#define NHC_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "nhc/Conversion/ActivationDtype.h"
#include "nhc/Conversion/StateDtype.h"
#include "nhc/Dialect/NemotronExec/IR/NemotronExec.h"

namespace mlir::nhc {

#define GEN_PASS_DECL
#include "nhc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nhc/Conversion/Passes.h.inc"

} // namespace mlir::nhc

#endif // NHC_CONVERSION_PASSES_H
