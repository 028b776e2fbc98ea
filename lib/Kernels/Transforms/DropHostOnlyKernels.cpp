//===- DropHostOnlyKernels.cpp - erase kernels the GPU does not get -------===//

#include "nhc/Kernels/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCDROPHOSTONLYKERNELSPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {
constexpr StringLiteral kHostOnly = "nhc.host_only";

struct NHCDropHostOnlyKernelsPass
    : impl::NHCDropHostOnlyKernelsPassBase<NHCDropHostOnlyKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (fn->hasAttr(kHostOnly))
        fn.erase();
  }
};
} // namespace

} // namespace mlir::nhc
