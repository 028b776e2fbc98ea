//===- FuseLinearEpilogue.cpp - fold activations into GEMMs ---*- C++ -*-===//

#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nemotron {

#define GEN_PASS_DEF_NEMOTRONFUSELINEAREPILOGUEPASS
#include "nhc/Dialect/Nemotron/Transforms/Passes.h.inc"

namespace {
struct FoldActivationIntoLinear : OpRewritePattern<ActivateOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ActivateOp activation,
                                PatternRewriter &rewriter) const override {
    auto linear = activation.getInput().getDefiningOp<LinearOp>();
    if (!linear || linear.getEpilogue())
      return rewriter.notifyMatchFailure(activation, "input is not a plain linear");
    // Other users need the value before the activation.
    if (!linear->hasOneUse())
      return rewriter.notifyMatchFailure(activation, "linear has other users");
    rewriter.modifyOpInPlace(linear, [&] {
      linear.setEpilogueAttr(activation.getActivationAttr());
      linear->setLoc(rewriter.getFusedLoc({linear.getLoc(), activation.getLoc()}));
    });
    rewriter.replaceOp(activation, linear.getResult());
    return success();
  }
};

struct NemotronFuseLinearEpiloguePass
    : impl::NemotronFuseLinearEpiloguePassBase<NemotronFuseLinearEpiloguePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseLinearEpiloguePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void populateFuseLinearEpiloguePatterns(RewritePatternSet &patterns) {
  patterns.add<FoldActivationIntoLinear>(patterns.getContext());
}

} // namespace mlir::nemotron
