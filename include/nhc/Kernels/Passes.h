//===- Passes.h - kernel library lowering passes ----------------*- C++ -*-===//

#ifndef NHC_KERNELS_PASSES_H
#define NHC_KERNELS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::nhc {

#define GEN_PASS_DECL
#include "nhc/Kernels/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nhc/Kernels/Passes.h.inc"

/// Whether `chip` ("sm_<n>", with or without an "a"/"f" suffix) has PTX's
/// griddepcontrol (sm_90 or newer): the chips
/// nhc-insert-grid-dependency-control accepts.
bool chipHasGridDependencyControl(StringRef chip);

/// What nhc-add-bf16-state-kernels does, for the library parser: adds the
/// bf16 state form of every kernel marked `nhc.bf16_state_form`. Reports
/// through diagnostics and fails on a use it cannot narrow.
LogicalResult addBf16StateKernels(ModuleOp module);

} // namespace mlir::nhc

#endif // NHC_KERNELS_PASSES_H
