//===- GPUMergeModules.cpp - merge outlined gpu.modules ---------*- C++ -*-===//

#include "nhc/Kernels/Passes.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SetVector.h"

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

    DenseMap<StringRef, std::string> launchNames = namesByLaunch(top);

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
        if (kernel && kernel.isKernel()) {
          auto byLaunch = launchNames.find(moduleSym);
          newName = numKernels != 1 ? (moduleSym + "_" + kernel.getName()).str()
                    : byLaunch != launchNames.end() ? byLaunch->second
                                                    : moduleSym.str();
        }
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

  /// Per outlined module launched from exactly one host function F: F's
  /// i-th distinct launched module is named `F_kernel` (i = 0) or
  /// `F_kernel_<i>`, so a kernel's name depends only on its function and
  /// launch order (outlining's own suffixes count across the whole module).
  static DenseMap<StringRef, std::string> namesByLaunch(ModuleOp top) {
    DenseMap<StringRef, std::string> names;
    DenseMap<StringRef, unsigned> launchers;
    for (auto fn : top.getOps<FunctionOpInterface>()) {
      llvm::SetVector<StringRef> launched;
      fn->walk([&](gpu::LaunchFuncOp launch) {
        launched.insert(launch.getKernelModuleName().getValue());
      });
      for (auto [i, module] : llvm::enumerate(launched)) {
        ++launchers[module];
        names[module] = (fn.getName() + "_kernel" +
                         (i ? "_" + std::to_string(i) : std::string()))
                            .str();
      }
    }
    for (auto [module, count] : launchers)
      if (count != 1)
        names.erase(module);
    return names;
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
