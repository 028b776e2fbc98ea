//===- FuseFP8Quantize.cpp - quantize in the producing kernel -------------===//

#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nemotron {

#define GEN_PASS_DEF_NEMOTRONFUSEFP8QUANTIZEPASS
#include "nhc/Dialect/Nemotron/Transforms/Passes.h.inc"

namespace {
/// True when `producer`, which defines `input`, can quantize its output.
bool canQuantize(Operation *producer, Value input) {
  if (auto norm = dyn_cast<RMSNormOp>(producer))
    return !norm.getQuantScale();
  if (auto norm = dyn_cast<GatedRMSNormOp>(producer))
    return !norm.getQuantScale();
  if (auto norm = dyn_cast<AddRMSNormOp>(producer))
    return !norm.getQuantScale() && input == norm.getNormalized();
  if (auto linear = dyn_cast<LinearOp>(producer))
    return !linear.getQuantScale();
  return false;
}

struct FoldQuantizeIntoProducer : OpRewritePattern<QuantizeFP8Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeFP8Op quantize,
                                PatternRewriter &rewriter) const override {
    Value input = quantize.getInput();
    // Other users need the unquantized values.
    if (!input.hasOneUse())
      return rewriter.notifyMatchFailure(quantize, "input has other users");
    Operation *producer = input.getDefiningOp();
    if (!producer || !canQuantize(producer, input))
      return rewriter.notifyMatchFailure(quantize, "producer cannot quantize");
    // The scale must be available at the producer: a block argument, a
    // value defined before it, or a checkpoint parameter (no operands) that
    // can move up.
    Value scale = quantize.getScale();
    Operation *scaleOp = scale.getDefiningOp();
    bool moveScale = false;
    if (scaleOp) {
      if (scaleOp->getBlock() != producer->getBlock())
        return rewriter.notifyMatchFailure(quantize, "scale in another block");
      moveScale = producer->isBeforeInBlock(scaleOp);
      if (moveScale && scaleOp->getNumOperands() != 0)
        return rewriter.notifyMatchFailure(quantize, "scale is computed");
    } else if (cast<BlockArgument>(scale).getOwner() != producer->getBlock()) {
      return rewriter.notifyMatchFailure(quantize, "scale in another block");
    }
    if (moveScale)
      rewriter.moveOpBefore(scaleOp, producer);

    Type type = quantize.getType();
    Location loc =
        rewriter.getFusedLoc({producer->getLoc(), quantize.getLoc()});
    rewriter.setInsertionPoint(producer);
    Value fused;
    if (auto norm = dyn_cast<RMSNormOp>(producer)) {
      fused = RMSNormOp::create(rewriter, loc, type, norm.getInput(),
                                norm.getWeight(), scale, norm.getEpsilonAttr());
    } else if (auto norm = dyn_cast<GatedRMSNormOp>(producer)) {
      fused = GatedRMSNormOp::create(rewriter, loc, type, norm.getInput(),
                                     norm.getGate(), norm.getWeight(), scale,
                                     norm.getNGroupsAttr(),
                                     norm.getEpsilonAttr());
    } else if (auto norm = dyn_cast<AddRMSNormOp>(producer)) {
      auto add = AddRMSNormOp::create(
          rewriter, loc, norm.getSum().getType(), type, norm.getResidual(),
          norm.getUpdate(), norm.getWeight(), scale, norm.getEpsilonAttr());
      rewriter.replaceAllUsesWith(norm.getSum(), add.getSum());
      fused = add.getNormalized();
    } else {
      auto linear = cast<LinearOp>(producer);
      fused = LinearOp::create(rewriter, loc, type, linear.getInput(),
                               linear.getWeight(), scale,
                               linear.getEpilogueAttr());
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
