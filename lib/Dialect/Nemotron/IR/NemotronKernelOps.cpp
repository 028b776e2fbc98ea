//===- NemotronKernelOps.cpp - verifiers of decomposed ops ------*- C++ -*-===//

#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::nemotron;

namespace {
/// Columns of a [tokens, columns] tensor; -1 when not rank-2 static.
int64_t columnsOf(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() != 2 || type.isDynamicDim(1))
    return -1;
  return type.getDimSize(1);
}

int64_t elementsOf(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return type.hasStaticShape() ? type.getNumElements() : -1;
}

LogicalResult expectColumns(Operation *op, StringRef role, Value value,
                            int64_t expected) {
  int64_t actual = columnsOf(value);
  if (actual == expected)
    return success();
  return op->emitOpError() << role << " must be [tokens, " << expected
                           << "], got " << value.getType();
}

LogicalResult expectElements(Operation *op, StringRef role, Value value,
                             int64_t expected) {
  if (elementsOf(value) == expected)
    return success();
  return op->emitOpError() << role << " must have " << expected
                           << " elements, got " << value.getType();
}
} // namespace

LogicalResult LinearOp::verify() {
  auto weight = cast<LinearType>(getWeight().getType());
  if (weight.isStacked())
    return emitOpError() << "takes a single [out, in] weight, not an expert stack";
  if (failed(expectColumns(*this, "input", getInput(), weight.getInFeatures())) ||
      failed(expectColumns(*this, "result", getResult(),
                           weight.getOutFeatures())))
    return failure();
  if (isQuantizedActivation(getInput()) && !weight.isFP8())
    return emitOpError() << "an e4m3 input needs an FP8 weight, got "
                         << weight;
  Value scale = getQuantScale();
  if (scale && failed(verifyFP8Scale(*this, scale, "quantize scale")))
    return failure();
  if (isQuantizedActivation(getResult()) != static_cast<bool>(scale))
    return emitOpError() << (scale ? "quantizes, so its result must be e4m3"
                                   : "result is e4m3 but no quantize scale "
                                     "is given");
  return success();
}

LogicalResult QuantizeFP8Op::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (input.getShape() != result.getShape())
    return emitOpError() << "result shape must equal the input's, got "
                         << result << " for " << input;
  return verifyFP8Scale(*this, getScale(), "scale");
}

LogicalResult SplitOp::verify() {
  ArrayRef<int64_t> sizes = getSizes();
  if (sizes.size() != getResults().size())
    return emitOpError() << "has " << sizes.size() << " sizes but "
                         << getResults().size() << " results";
  int64_t total = 0;
  for (auto [size, result] : llvm::zip(sizes, getResults())) {
    if (size <= 0)
      return emitOpError() << "sizes must be positive";
    if (failed(expectColumns(*this, "each result", result, size)))
      return failure();
    total += size;
  }
  return expectColumns(*this, "input (the sum of sizes)", getInput(), total);
}

LogicalResult Conv1dActOp::verify() {
  int64_t channels = columnsOf(getInput());
  auto weight = cast<RankedTensorType>(getWeight().getType());
  if (weight.getRank() != 3 || weight.getDimSize(0) != channels ||
      weight.getDimSize(1) != 1)
    return emitOpError() << "weight must be [" << channels
                         << ", 1, kernel], got " << weight;
  if (getBias() && failed(expectElements(*this, "bias", getBias(), channels)))
    return failure();
  return expectColumns(*this, "result", getResult(), channels);
}

LogicalResult SSDScanOp::verify() {
  int64_t heads = getNumHeads(), headDim = getHeadDim();
  int64_t state = getStateSize(), groups = getNGroups();
  if (heads % groups != 0)
    return emitOpError() << "num_heads (" << heads
                         << ") must be divisible by n_groups (" << groups << ")";
  int64_t inner = heads * headDim;
  if (failed(expectColumns(*this, "xbc", getXbc(),
                           inner + 2 * groups * state)) ||
      failed(expectColumns(*this, "dt", getDt(), heads)) ||
      failed(expectElements(*this, "dt_bias", getDtBias(), heads)) ||
      failed(expectElements(*this, "a_log", getALog(), heads)) ||
      failed(expectElements(*this, "d", getD(), heads)))
    return failure();
  return expectColumns(*this, "result", getResult(), inner);
}

LogicalResult GatedRMSNormOp::verify() {
  int64_t width = columnsOf(getInput());
  if (width <= 0 || width % static_cast<int64_t>(getNGroups()) != 0)
    return emitOpError() << "width " << width
                         << " must be a positive multiple of n_groups ("
                         << getNGroups() << ")";
  if (failed(expectElements(*this, "weight", getWeight(), width)))
    return failure();
  return verifyQuantizedResult(*this, getInput(), getQuantScale(), getResult());
}

LogicalResult AttentionCoreOp::verify() {
  int64_t heads = getNumHeads(), kvHeads = getNumKvHeads(),
          headDim = getHeadDim();
  if (heads % kvHeads != 0)
    return emitOpError() << "num_kv_heads (" << kvHeads
                         << ") must divide num_heads (" << heads << ")";
  if (failed(expectColumns(*this, "q", getQ(), heads * headDim)) ||
      failed(expectColumns(*this, "k", getK(), kvHeads * headDim)) ||
      failed(expectColumns(*this, "v", getV(), kvHeads * headDim)))
    return failure();
  return expectColumns(*this, "result", getResult(), heads * headDim);
}

LogicalResult MoERouteOp::verify() {
  int64_t experts = columnsOf(getLogits());
  int64_t groups = getNGroup(), topK = getTopK();
  if (experts <= 0 || experts % groups != 0 || experts / groups < 2)
    return emitOpError() << "n_group (" << groups << ") must split the "
                         << experts << " experts into groups of at least 2";
  if (static_cast<int64_t>(getTopkGroup()) > groups ||
      topK > static_cast<int64_t>(getTopkGroup()) * (experts / groups))
    return emitOpError() << "top_k (" << topK
                         << ") exceeds the experts in the selected groups";
  if (failed(expectElements(*this, "bias", getBias(), experts)) ||
      failed(expectColumns(*this, "indices", getIndices(), topK)))
    return failure();
  return expectColumns(*this, "weights", getWeights(), topK);
}

LogicalResult MoEExpertsOp::verify() {
  auto up = cast<LinearType>(getUp().getType());
  auto down = cast<LinearType>(getDown().getType());
  int64_t width = columnsOf(getInput());
  if (!up.isStacked() || !down.isStacked() ||
      up.getNumExperts() != down.getNumExperts() ||
      up.getInFeatures() != width || down.getOutFeatures() != width ||
      down.getInFeatures() != up.getOutFeatures())
    return emitOpError() << "expert stacks must be [E, I, " << width
                         << "] and [E, " << width << ", I]";
  if (columnsOf(getIndices()) != columnsOf(getWeights()))
    return emitOpError() << "indices and weights must have the same top_k";
  return success();
}
