//===- DecomposeLayers.cpp - mixers to kernel-level ops ---------*- C++ -*-===//

#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nemotron {

#define GEN_PASS_DEF_NEMOTRONDECOMPOSELAYERSPASS
#include "nhc/Dialect/Nemotron/Transforms/Passes.h.inc"

namespace {
/// `tensor<?xWxT>` with the element type of `like`.
RankedTensorType tokensBy(Value like, int64_t width) {
  auto type = cast<RankedTensorType>(like.getType());
  return RankedTensorType::get({ShapedType::kDynamic, width},
                               type.getElementType());
}

Value linear(PatternRewriter &rewriter, Location loc, Value input,
             Value weight) {
  auto type = cast<LinearType>(weight.getType());
  return LinearOp::create(rewriter, loc,
                          tokensBy(input, type.getOutFeatures()), input,
                          weight, /*quant_scale=*/Value(), ActivationAttr());
}

/// `down(act(up(x)))`.
Value activatedMLP(PatternRewriter &rewriter, Location loc, Value input,
                   Value up, Value down, ActivationAttr activation) {
  Value hidden = linear(rewriter, loc, input, up);
  Value activated = ActivateOp::create(rewriter, loc, hidden, activation);
  return linear(rewriter, loc, activated, down);
}

/// The router weight as a checkpoint parameter `<module>.weight`, or null.
ParamOp routerParamOf(MoEOp op) {
  auto param = op.getRouterWeight().getDefiningOp<ParamOp>();
  return param && param.getName().ends_with(".weight") ? param : ParamOp();
}

/// Why `op` survived decomposition.
void reportLeftover(Operation *op) {
  if (auto moe = dyn_cast<MoEOp>(op); moe && !routerParamOf(moe)) {
    op->emitOpError() << "router weight must be a checkpoint parameter named "
                         "'<module>.weight'";
    return;
  }
  op->emitOpError() << "could not be decomposed into kernel-level ops";
}

struct DecomposeMamba2 : OpRewritePattern<Mamba2Op> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Mamba2Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t inner = op.getIntermediateSize(), convDim = op.getConvDim();
    int64_t heads = op.getNumHeads();
    Value proj = linear(rewriter, loc, op.getInput(), op.getInProj());
    auto split = SplitOp::create(
        rewriter, loc,
        TypeRange{tokensBy(proj, inner), tokensBy(proj, convDim),
                  tokensBy(proj, heads)},
        proj, rewriter.getDenseI64ArrayAttr({inner, convDim, heads}));
    Value z = split.getResult(0), xbc = split.getResult(1),
          dt = split.getResult(2);
    Value conv = Conv1dActOp::create(rewriter, loc, xbc.getType(), xbc,
                                     op.getConvWeight(), op.getConvBias(),
                                     op.getLayerAttr(), op.getActivationAttr());
    Value y = SSDScanOp::create(
        rewriter, loc, tokensBy(proj, inner), conv, dt, op.getDtBias(),
        op.getALog(), op.getD(), op.getLayerAttr(), op.getNumHeadsAttr(),
        op.getHeadDimAttr(), op.getStateSizeAttr(), op.getNGroupsAttr(),
        op.getChunkSizeAttr(), op.getDtMinAttr(), op.getDtMaxAttr());
    Value gated = GatedRMSNormOp::create(rewriter, loc, y.getType(), y, z,
                                         op.getNormWeight(),
                                         /*quant_scale=*/Value(),
                                         op.getNGroupsAttr(),
                                         op.getEpsilonAttr());
    rewriter.replaceOp(op, linear(rewriter, loc, gated, op.getOutProj()));
    return success();
  }
};

struct DecomposeAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value q = linear(rewriter, loc, op.getInput(), op.getQProj());
    Value k = linear(rewriter, loc, op.getInput(), op.getKProj());
    Value v = linear(rewriter, loc, op.getInput(), op.getVProj());
    Value attended = AttentionCoreOp::create(
        rewriter, loc, q.getType(), q, k, v, op.getLayerAttr(),
        op.getNumHeadsAttr(), op.getNumKvHeadsAttr(), op.getHeadDimAttr(),
        op.getScaleAttr());
    rewriter.replaceOp(op, linear(rewriter, loc, attended, op.getOProj()));
    return success();
  }
};

struct DecomposeMLP : OpRewritePattern<MLPOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MLPOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, activatedMLP(rewriter, op.getLoc(), op.getInput(),
                                        op.getUpProj(), op.getDownProj(),
                                        op.getActivationAttr()));
    return success();
  }
};

struct DecomposeMoE : OpRewritePattern<MoEOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MoEOp op,
                                PatternRewriter &rewriter) const override {
    ParamOp routerParam = routerParamOf(op);
    if (!routerParam)
      return rewriter.notifyMatchFailure(op, "router is not a parameter");
    Location loc = op.getLoc();
    // The router is a linear module of the checkpoint; routing runs in f32.
    auto routerType = routerParam.getType();
    Value router = LinearParamOp::create(
        rewriter, routerParam.getLoc(),
        LinearType::get(getContext(), routerType.getShape(),
                        routerType.getElementType()),
        routerParam.getName().drop_back(strlen(".weight")));
    int64_t experts = op.getNumExperts(), topK = op.getTopK();
    auto f32Logits = RankedTensorType::get({ShapedType::kDynamic, experts},
                                           rewriter.getF32Type());
    Value logits = LinearOp::create(rewriter, loc, f32Logits, op.getInput(),
                                    router, /*quant_scale=*/Value(),
                                    ActivationAttr());
    auto route = MoERouteOp::create(
        rewriter, loc,
        TypeRange{RankedTensorType::get({ShapedType::kDynamic, topK},
                                        rewriter.getI32Type()),
                  RankedTensorType::get({ShapedType::kDynamic, topK},
                                        rewriter.getF32Type())},
        logits, op.getRouterBias(), op.getTopKAttr(), op.getNGroupAttr(),
        op.getTopkGroupAttr(), op.getNormTopkProbAttr(),
        op.getRoutedScalingFactorAttr());
    Value expertInput = op.getInput();
    if (op.getLatentIn())
      expertInput = linear(rewriter, loc, expertInput, op.getLatentIn());
    Value routed = MoEExpertsOp::create(
        rewriter, loc, expertInput.getType(), expertInput, route.getIndices(),
        route.getWeights(), op.getExpertsUp(), op.getExpertsDown(),
        op.getActivationAttr());
    if (op.getLatentOut())
      routed = linear(rewriter, loc, routed, op.getLatentOut());
    Value shared = activatedMLP(rewriter, loc, op.getInput(), op.getSharedUp(),
                                op.getSharedDown(), op.getActivationAttr());
    rewriter.replaceOp(op, AddOp::create(rewriter, loc, routed, shared));
    return success();
  }
};

struct NemotronDecomposeLayersPass
    : impl::NemotronDecomposeLayersPassBase<NemotronDecomposeLayersPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeLayersPatterns(patterns);
    // Every mixer must be decomposed: anything left is an error.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult leftover = getOperation().walk([](Operation *op) {
      if (isa<Mamba2Op, AttentionOp, MLPOp, MoEOp>(op)) {
        reportLeftover(op);
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace

void populateDecomposeLayersPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeMamba2, DecomposeAttention, DecomposeMLP,
               DecomposeMoE>(patterns.getContext());
}

} // namespace mlir::nemotron
