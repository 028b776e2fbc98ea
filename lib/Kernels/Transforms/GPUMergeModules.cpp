//===- GPUMergeModules.cpp - merge outlined gpu.modules ---------*- C++ -*-===//

#include "nhc/Kernels/Passes.h"

#include "mlir/IR/OperationSupport.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCGPUMERGEMODULESPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {
struct NHCGPUMergeModulesPass
    : impl::NHCGPUMergeModulesPassBase<NHCGPUMergeModulesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp top = getOperation();
    SmallVector<gpu::GPUModuleOp> modules(top.getOps<gpu::GPUModuleOp>());
    if (modules.empty())
      return;

    // At the end of the module, after every host function.
    auto b = OpBuilder::atBlockEnd(top.getBody());
    auto merged =
        gpu::GPUModuleOp::create(b, modules.front().getLoc(), moduleName);
    SymbolTable mergedSymbols(merged);
    MLIRContext *ctx = &getContext();
    for (gpu::GPUModuleOp module : modules) {
      StringRef moduleSym = module.getSymName();
      unsigned numKernels =
          llvm::count_if(module.getOps<gpu::GPUFuncOp>(),
                         [](gpu::GPUFuncOp f) { return f.isKernel(); });
      for (Operation &op :
           llvm::make_early_inc_range(module.getBody()->getOperations())) {
        if (op.hasTrait<OpTrait::IsTerminator>())
          continue;
        auto sym = dyn_cast<SymbolOpInterface>(op);
        std::string newName = sym ? sym.getName().str() : std::string();
        auto kernel = dyn_cast<gpu::GPUFuncOp>(op);
        if (kernel && kernel.isKernel())
          newName = numKernels == 1
                        ? moduleSym.str()
                        : (moduleSym + "_" + kernel.getName()).str();
        if (Operation *existing = sym ? mergedSymbols.lookup(newName) : nullptr) {
          // Outlining copies a helper into every kernel's module that calls
          // it: one copy stays.
          if (!(kernel && kernel.isKernel()) && OperationEquivalence::isEquivalentTo(
                             &op, existing, OperationEquivalence::IgnoreLocations)) {
            op.erase();
            continue;
          }
          op.emitError("symbol '")
              << newName << "' already exists in '@" << moduleName
              << "' and differs";
          return signalPassFailure();
        }
        if (sym) {
          auto oldRef = SymbolRefAttr::get(
              ctx, moduleSym, {FlatSymbolRefAttr::get(ctx, sym.getName())});
          auto newRef = SymbolRefAttr::get(
              ctx, moduleName, {FlatSymbolRefAttr::get(ctx, newName)});
          replaceNestedUses(top, oldRef, newRef);
          sym.setName(StringAttr::get(ctx, newName));
        }
        op.remove();
        mergedSymbols.insert(&op);
      }
      module.erase();
    }
  }

  /// Rewrites every attribute equal to the nested reference `from` (the
  /// `kernel` of gpu.launch_func) into `to`.
  static void replaceNestedUses(ModuleOp top, SymbolRefAttr from,
                                SymbolRefAttr to) {
    top.walk([&](Operation *op) {
      for (NamedAttribute attr : op->getAttrs())
        if (attr.getValue() == from)
          op->setAttr(attr.getName(), to);
    });
  }
};
} // namespace

} // namespace mlir::nhc
