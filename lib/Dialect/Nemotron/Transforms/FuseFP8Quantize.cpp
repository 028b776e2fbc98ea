//===- FuseFP8Quantize.cpp - quantize in the producing kernel -------------===//

#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nemotron {

#define GEN_PASS_DEF_NEMOTRONFUSEFP8QUANTIZEPASS
#include "nhc/Dialect/Nemotron/Transforms/Passes.h.inc"

namespace {
struct FoldQuantizeIntoProducer : OpRewritePattern<QuantizeFP8Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeFP8Op quantize,
                                PatternRewriter &rewriter) const override {
    Value input = quantize.getInput();
    // Other users need the unquantized values.
    if (!input.hasOneUse())
      return rewriter.notifyMatchFailure(quantize, "input has other users");
    Operation *producer = input.getDefiningOp();
    if (!producer)
      return rewriter.notifyMatchFailure(quantize, "input is an argument");
    Value scale = quantize.getScale();
    // The scale is a checkpoint parameter, possibly defined after the
    // producer: move it up so the fused op can use it.
    if (Operation *scaleOp = scale.getDefiningOp();
        scaleOp && producer->isBeforeInBlock(scaleOp)) {
      if (scaleOp->getNumOperands() != 0)
        return rewriter.notifyMatchFailure(quantize, "scale is computed");
      rewriter.moveOpBefore(scaleOp, producer);
    }
    Type type = quantize.getType();
    Location loc =
        rewriter.getFusedLoc({producer->getLoc(), quantize.getLoc()});
    rewriter.setInsertionPoint(producer);
    Value fused;
    if (auto norm = dyn_cast<RMSNormOp>(producer); norm && !norm.getQuantScale()) {
      fused = RMSNormOp::create(rewriter, loc, type, norm.getInput(),
                                norm.getWeight(), scale, norm.getEpsilonAttr());
    } else if (auto norm = dyn_cast<GatedRMSNormOp>(producer);
               norm && !norm.getQuantScale()) {
      fused = GatedRMSNormOp::create(rewriter, loc, type, norm.getInput(),
                                     norm.getGate(), norm.getWeight(), scale,
                                     norm.getNGroupsAttr(),
                                     norm.getEpsilonAttr());
    } else if (auto norm = dyn_cast<AddRMSNormOp>(producer);
               norm && !norm.getQuantScale() &&
               input == norm.getNormalized()) {
      auto add = AddRMSNormOp::create(
          rewriter, loc, norm.getSum().getType(), type, norm.getResidual(),
          norm.getUpdate(), norm.getWeight(), scale, norm.getEpsilonAttr());
      rewriter.replaceAllUsesWith(norm.getSum(), add.getSum());
      fused = add.getNormalized();
    } else if (auto linear = dyn_cast<LinearOp>(producer);
               linear && !linear.getQuantScale()) {
      fused = LinearOp::create(rewriter, loc, type, linear.getInput(),
                               linear.getWeight(), scale,
                               linear.getEpilogueAttr());
    } else {
      return rewriter.notifyMatchFailure(quantize, "producer cannot quantize");
    }
    rewriter.replaceOp(quantize, fused);
    rewriter.eraseOp(producer);
    return success();
  }
};

struct NemotronFuseFP8QuantizePass
    : impl::NemotronFuseFP8QuantizePassBase<NemotronFuseFP8QuantizePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseFP8QuantizePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void populateFuseFP8QuantizePatterns(RewritePatternSet &patterns) {
  patterns.add<FoldQuantizeIntoProducer>(patterns.getContext());
}

} // namespace mlir::nemotron
