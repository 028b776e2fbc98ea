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
    // Routed experts run in the moe_experts library op, which has no FP8
    // path yet: refuse rather than compute them unquantized.
    WalkResult refused = getOperation().walk([](MoEExpertsOp experts) {
      for (Value stack : {experts.getUp(), experts.getDown()})
        if (cast<LinearType>(stack.getType()).isFP8()) {
          auto module = stack.getDefiningOp<LinearParamOp>();
          experts.emitOpError()
              << "FP8 routed experts"
              << (module ? " ('" + module.getName().str() + "')" : "")
              << " are not supported yet; list them in the checkpoint's "
                 "exclude_modules to keep them in the base dtype";
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (refused.wasInterrupted())
      return signalPassFailure();
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
