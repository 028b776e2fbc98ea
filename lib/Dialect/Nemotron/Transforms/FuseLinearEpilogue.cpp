//===- FuseLinearEpilogue.cpp - fold relu2 into its GEMM --------*- C++ -*-===//

#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nemotron {

#define GEN_PASS_DEF_NEMOTRONFUSELINEAREPILOGUEPASS
#include "nhc/Dialect/Nemotron/Transforms/Passes.h.inc"

namespace {
struct FoldRelu2IntoLinear : OpRewritePattern<Relu2Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Relu2Op relu,
                                PatternRewriter &rewriter) const override {
    auto linear = relu.getInput().getDefiningOp<LinearOp>();
    if (!linear || linear.getEpilogue() != Epilogue::none)
      return rewriter.notifyMatchFailure(relu, "input is not a plain linear");
    // Other users need the value before the activation.
    if (!linear->hasOneUse())
      return rewriter.notifyMatchFailure(relu, "linear has other users");
    rewriter.modifyOpInPlace(linear, [&] {
      linear.setEpilogueAttr(
          EpilogueAttr::get(rewriter.getContext(), Epilogue::relu2));
      linear->setLoc(rewriter.getFusedLoc({linear.getLoc(), relu.getLoc()}));
    });
    rewriter.replaceOp(relu, linear.getResult());
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
  patterns.add<FoldRelu2IntoLinear>(patterns.getContext());
}

} // namespace mlir::nemotron
