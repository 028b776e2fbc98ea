//===- LaunchTable.h - how to launch each GPU kernel ------------*- C++ -*-===//

#ifndef NHC_LIB_TARGET_CUDA_LAUNCHTABLE_H
#define NHC_LIB_TARGET_CUDA_LAUNCHTABLE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <nlohmann/json.hpp>

#include <string>

namespace mlir::nhc {

/// The launch table of `host`, the kernel library after
/// nhc-kernels-to-nvvm-pipeline (public kernel functions whose bodies are
/// index arithmetic and gpu.launch_func). Fails, with a diagnostic on the
/// op, on host code it cannot express. `waitingChips` (a subset of
/// `chips`) are those whose kernels start with griddepcontrol
/// (`grid_dependency_control`).
FailureOr<nlohmann::json> buildLaunchTable(ModuleOp host,
                                           ArrayRef<std::string> chips,
                                           ArrayRef<std::string> waitingChips);

} // namespace mlir::nhc

#endif // NHC_LIB_TARGET_CUDA_LAUNCHTABLE_H
