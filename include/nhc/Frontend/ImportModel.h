//===- ImportModel.h - build the nemotron module of a config ----*- C++ -*-===//

#ifndef NHC_FRONTEND_IMPORTMODEL_H
#define NHC_FRONTEND_IMPORTMODEL_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "nhc/Config/ModelConfig.h"

namespace mlir::nhc {

/// Builds `func.func @forward(%ids: tensor<?xi32>) -> tensor<?xVxf32>` made of
/// nemotron ops, one block per layer in pattern order, with the model-wide
/// settings as `nemotron.*` module attributes. Emits a diagnostic and returns
/// null if the result does not verify.
OwningOpRef<ModuleOp> importModel(MLIRContext &context,
                                  const nhc::ModelConfig &config);

} // namespace mlir::nhc

#endif // NHC_FRONTEND_IMPORTMODEL_H
