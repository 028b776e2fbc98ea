//===- FuseResidualNorm.cpp - fuse residual add into RMS norm ---*- C++ -*-===//

#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nemotron {

#define GEN_PASS_DEF_NEMOTRONFUSERESIDUALNORMPASS
#include "nhc/Dialect/Nemotron/Transforms/Passes.h.inc"

namespace {
struct FuseAddIntoRMSNorm : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormOp norm,
                                PatternRewriter &rewriter) const override {
    auto add = norm.getInput().getDefiningOp<AddOp>();
    if (!add)
      return rewriter.notifyMatchFailure(norm, "input is not a residual add");
    // The fused op replaces the add everywhere and sits at the norm (whose
    // weight may be defined after the add), so every other user of the sum
    // must come after the norm.
    for (Operation *user : add->getUsers())
      if (user != norm && (user->getBlock() != norm->getBlock() ||
                           !norm->isBeforeInBlock(user)))
        return rewriter.notifyMatchFailure(norm, "sum is used before the norm");
    rewriter.setInsertionPoint(norm);
    auto fused = AddRMSNormOp::create(
        rewriter, rewriter.getFusedLoc({add.getLoc(), norm.getLoc()}),
        add.getType(), add.getType(), add.getLhs(), add.getRhs(),
        norm.getWeight(), /*quant_scale=*/Value(), norm.getEpsilonAttr());
    rewriter.replaceOp(norm, fused.getNormalized());
    rewriter.replaceOp(add, fused.getSum());
    return success();
  }
};

struct NemotronFuseResidualNormPass
    : impl::NemotronFuseResidualNormPassBase<NemotronFuseResidualNormPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseResidualNormPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void populateFuseResidualNormPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseAddIntoRMSNorm>(patterns.getContext());
}

} // namespace mlir::nemotron
