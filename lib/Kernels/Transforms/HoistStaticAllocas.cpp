//===- HoistStaticAllocas.cpp - stack buffers to the entry block ----------===//

#include "nhc/Kernels/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCHOISTSTATICALLOCASPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {

/// Whether `buffer` or a view of it leaves the region that defines it (is
/// yielded, returned or passed to a successor block), so that one buffer
/// per function call could be seen by two iterations at once.
bool escapesItsRegion(Value buffer) {
  SmallVector<Value> pending{buffer};
  while (!pending.empty()) {
    Value value = pending.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (user->hasTrait<OpTrait::IsTerminator>())
        return true;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == value)
          llvm::append_range(pending, user->getResults());
    }
  }
  return false;
}

struct NHCHoistStaticAllocasPass
    : impl::NHCHoistStaticAllocasPassBase<NHCHoistStaticAllocasPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    Block &entry = function.getBody().front();
    SmallVector<memref::AllocaOp> nested;
    function.walk([&](memref::AllocaOp alloca) {
      if (alloca->getBlock() != &entry)
        nested.push_back(alloca);
    });
    bool failedAny = false;
    for (memref::AllocaOp alloca : nested) {
      if (!alloca->getOperands().empty()) {
        // Outside loops it runs at most once per call.
        if (!alloca->getParentOfType<LoopLikeOpInterface>())
          continue;
        alloca.emitOpError()
            << "has a dynamic size inside a loop of host code; its stack "
               "memory would not be released per iteration (give it a "
               "static shape)";
        failedAny = true;
        continue;
      }
      if (escapesItsRegion(alloca.getResult())) {
        alloca.emitOpError() << "is yielded or branched out of its region; "
                                "it cannot become one buffer per call";
        failedAny = true;
        continue;
      }
      alloca->moveBefore(&entry, entry.begin());
    }
    if (failedAny)
      return signalPassFailure();

    // Scopes left without allocations are plain regions now; inline them
    // (innermost first) so that no scope holds the loops scf-to-cf unrolls
    // into blocks.
    SmallVector<memref::AllocaScopeOp> scopes;
    function.walk<WalkOrder::PostOrder>(
        [&](memref::AllocaScopeOp scope) { scopes.push_back(scope); });
    IRRewriter rewriter(function.getContext());
    for (memref::AllocaScopeOp scope : scopes) {
      bool allocates =
          scope->walk([&](memref::AllocaOp) { return WalkResult::interrupt(); })
              .wasInterrupted();
      if (allocates)
        continue;
      Block *body = &scope.getBodyRegion().front();
      Operation *terminator = body->getTerminator();
      SmallVector<Value> results(terminator->getOperands());
      rewriter.eraseOp(terminator);
      rewriter.inlineBlockBefore(body, scope);
      rewriter.replaceOp(scope, results);
    }
  }
};

} // namespace
} // namespace mlir::nhc
