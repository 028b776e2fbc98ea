//===- QuantizeFP8Linears.cpp - explicit FP8 activation quantization ------===//

#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nemotron {

#define GEN_PASS_DEF_NEMOTRONQUANTIZEFP8LINEARSPASS
#include "nhc/Dialect/Nemotron/Transforms/Passes.h.inc"

namespace {
struct QuantizeFP8LinearInput : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp linear,
                                PatternRewriter &rewriter) const override {
    auto weightType = cast<LinearType>(linear.getWeight().getType());
    if (!weightType.isFP8() || isQuantizedActivation(linear.getInput()))
      return rewriter.notifyMatchFailure(linear, "not an unquantized FP8 linear");
    auto module = linear.getWeight().getDefiningOp<LinearParamOp>();
    if (!module)
      return rewriter.notifyMatchFailure(linear, "weight is not a module");
    rewriter.setInsertionPoint(linear);
    Location loc = linear.getLoc();
    auto scaleType = RankedTensorType::get({}, rewriter.getF32Type());
    Value scale = ParamOp::create(
        rewriter, loc, scaleType,
        rewriter.getStringAttr(module.getName() + ".input_scale"),
        StringAttr());
    auto input = cast<RankedTensorType>(linear.getInput().getType());
    Value quantized = QuantizeFP8Op::create(
        rewriter, loc,
        input.clone(Float8E4M3FNType::get(rewriter.getContext())),
        linear.getInput(), scale);
    rewriter.modifyOpInPlace(
        linear, [&] { linear.getInputMutable().assign(quantized); });
    return success();
  }
};

struct NemotronQuantizeFP8LinearsPass
    : impl::NemotronQuantizeFP8LinearsPassBase<NemotronQuantizeFP8LinearsPass> {
  using Base::Base;
  void runOnOperation() override {
    // Routed experts quantize inside the moe_experts library op, with
    // each expert's own input_scale: nothing to rewrite for them here.
    RewritePatternSet patterns(&getContext());
    populateQuantizeFP8LinearsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void populateQuantizeFP8LinearsPatterns(RewritePatternSet &patterns) {
  patterns.add<QuantizeFP8LinearInput>(patterns.getContext());
}

} // namespace mlir::nemotron
