//===- NemotronOps.cpp - nemotron operations and verifiers ------*- C++ -*-===//

#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::nemotron;

//===----------------------------------------------------------------------===//
// Shape checking helpers
//===----------------------------------------------------------------------===//

namespace {
/// Formats a shape as `[a, b, c]` for diagnostics.
std::string ShapeStr(ArrayRef<int64_t> dims) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(dims, os);
  os << "]";
  return text;
}

ArrayRef<int64_t> shapeOf(Value value) {
  if (auto linear = dyn_cast<LinearType>(value.getType()))
    return linear.getShape();
  return cast<ShapedType>(value.getType()).getShape();
}

/// Checks that the weight operand `role` has exactly `expected` shape.
LogicalResult expectShape(Operation *op, StringRef role, Value value,
                          ArrayRef<int64_t> expected, StringRef why) {
  ArrayRef<int64_t> actual = shapeOf(value);
  if (actual == expected)
    return success();
  return op->emitOpError() << role << " has shape " << ShapeStr(actual)
                           << " but " << why << " requires "
                           << ShapeStr(expected);
}

/// Returns the hidden size of a `[tokens, hidden]` activation, or fails.
FailureOr<int64_t> hiddenSizeOf(Operation *op, Value activation) {
  auto type = cast<RankedTensorType>(activation.getType());
  if (type.getRank() != 2 || type.isDynamicDim(1)) {
    op->emitOpError() << "expects activations of shape [tokens, hidden] with "
                         "a static hidden size, got "
                      << type;
    return failure();
  }
  return type.getDimSize(1);
}

LogicalResult expectPositive(Operation *op, StringRef name, double value) {
  if (!(value > 0.0))
    return op->emitOpError() << name << " must be positive, got " << value;
  // An infinite scale or epsilon makes every output NaN or zero.
  if (!std::isfinite(value))
    return op->emitOpError() << name << " must be finite, got " << value;
  return success();
}

/// A norm's epsilon: transformers takes 0 too (`rsqrt(variance + 0)`).
LogicalResult expectEpsilon(Operation *op, double value) {
  if (!(value >= 0.0) || !std::isfinite(value))
    return op->emitOpError() << "epsilon must be finite and >= 0, got "
                             << value;
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// FP8 quantized results
//===----------------------------------------------------------------------===//

/// `input` with its element type replaced by e4m3 when quantized.
static Type quantizedResultType(Type input, bool quantized) {
  auto type = cast<RankedTensorType>(input);
  if (!quantized)
    return type;
  return type.clone(Float8E4M3FNType::get(type.getContext()));
}

/// The result type of a norm is implied by its input and whether it
/// quantizes, so the assembly format does not spell it.
static ParseResult parseNormResult(OpAsmParser &, Type input, Type quantScale,
                                   Type &result) {
  result = quantizedResultType(input, static_cast<bool>(quantScale));
  return success();
}

static void printNormResult(OpAsmPrinter &, Operation *, Type, Type, Type) {}

namespace mlir::nemotron {
LogicalResult verifyFP8Scale(Operation *op, Value scale, StringRef role) {
  auto type = cast<RankedTensorType>(scale.getType());
  if (type.hasStaticShape() && type.getNumElements() == 1 &&
      type.getElementType().isF32())
    return success();
  return op->emitOpError() << role
                           << " must be one f32 element (a per-tensor static "
                              "scale), got "
                           << type;
}

LogicalResult verifyQuantizedResult(Operation *op, Value input, Value scale,
                                    Value result) {
  if (scale && failed(verifyFP8Scale(op, scale, "quantize scale")))
    return failure();
  Type expected = quantizedResultType(input.getType(), static_cast<bool>(scale));
  if (result.getType() != expected)
    return op->emitOpError() << "result must be " << expected << ", got "
                             << result.getType();
  return success();
}
} // namespace mlir::nemotron

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  if (getName().empty())
    return emitOpError() << "requires a non-empty checkpoint tensor name";
  if (!getType().hasStaticShape())
    return emitOpError() << "requires a static shape, got " << getType();
  if (getFallback() && (getFallback()->empty() || *getFallback() == getName()))
    return emitOpError() << "fallback must name another checkpoint tensor";
  return success();
}

LogicalResult LinearParamOp::verify() {
  if (getName().empty())
    return emitOpError() << "requires a non-empty module name";
  bool hasExpertPlaceholder = getName().contains("{e}");
  if (getType().isStacked() && !hasExpertPlaceholder)
    return emitOpError() << "stacked expert weights need '{e}' in the module "
                            "name, got '"
                         << getName() << "'";
  if (!getType().isStacked() && hasExpertPlaceholder)
    return emitOpError() << "'{e}' in module name '" << getName()
                         << "' needs a stacked [experts, out, in] type";
  return success();
}

//===----------------------------------------------------------------------===//
// Model-level ops
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  RankedTensorType table = getTable().getType();
  if (table.getRank() != 2)
    return emitOpError() << "expects a [vocab, hidden] table, got " << table;
  RankedTensorType result = getResult().getType();
  if (result.getRank() != 2 || result.getDimSize(1) != table.getDimSize(1))
    return emitOpError() << "result " << result
                         << " must be [tokens, " << table.getDimSize(1) << "]";
  int64_t tokens = getIds().getType().getDimSize(0);
  if (!ShapedType::isDynamic(tokens) && !result.isDynamicDim(0) &&
      tokens != result.getDimSize(0))
    return emitOpError() << "result has " << result.getDimSize(0)
                         << " tokens but ids have " << tokens;
  if (result.getElementType() != table.getElementType())
    return emitOpError() << "result element type " << result.getElementType()
                         << " differs from the table's "
                         << table.getElementType();
  return success();
}

static LogicalResult verifyNorm(Operation *op, Value input, Value weight,
                                double epsilon) {
  FailureOr<int64_t> hidden = hiddenSizeOf(op, input);
  if (failed(hidden))
    return failure();
  if (failed(expectShape(op, "weight", weight, {*hidden}, "the hidden size")))
    return failure();
  return expectEpsilon(op, epsilon);
}

LogicalResult RMSNormOp::verify() {
  if (failed(verifyNorm(*this, getInput(), getWeight(),
                        getEpsilon().convertToDouble())))
    return failure();
  return verifyQuantizedResult(*this, getInput(), getQuantScale(), getResult());
}

LogicalResult AddRMSNormOp::verify() {
  if (failed(verifyNorm(*this, getResidual(), getWeight(),
                        getEpsilon().convertToDouble())))
    return failure();
  return verifyQuantizedResult(*this, getResidual(), getQuantScale(),
                               getNormalized());
}

LogicalResult Mamba2Op::verify() {
  FailureOr<int64_t> hidden = hiddenSizeOf(*this, getInput());
  if (failed(hidden))
    return failure();
  int64_t heads = getNumHeads();
  int64_t groups = getNGroups();
  if (heads % groups != 0)
    return emitOpError() << "num_heads (" << heads
                         << ") must be divisible by n_groups (" << groups
                         << ")";
  int64_t inner = getIntermediateSize(), convDim = getConvDim();
  int64_t projection = inner + convDim + heads;
  if (failed(expectShape(*this, "in_proj", getInProj(), {projection, *hidden},
                         "[2*num_heads*head_dim + 2*n_groups*state_size + "
                         "num_heads, hidden]")) ||
      failed(expectShape(*this, "conv_weight", getConvWeight(),
                         {convDim, 1, static_cast<int64_t>(getConvKernel())},
                         "[conv_dim, 1, conv_kernel]")) ||
      (getConvBias() && failed(expectShape(*this, "conv_bias", getConvBias(),
                                           {convDim}, "[conv_dim]"))) ||
      failed(expectShape(*this, "dt_bias", getDtBias(), {heads},
                         "[num_heads]")) ||
      failed(expectShape(*this, "a_log", getALog(), {heads}, "[num_heads]")) ||
      failed(expectShape(*this, "d", getD(), {heads}, "[num_heads]")) ||
      failed(expectShape(*this, "norm_weight", getNormWeight(), {inner},
                         "[num_heads*head_dim]")) ||
      failed(expectShape(*this, "out_proj", getOutProj(), {*hidden, inner},
                         "[hidden, num_heads*head_dim]")))
    return failure();
  double dtMin = getDtMin().convertToDouble();
  double dtMax = getDtMax().convertToDouble();
  if (!(dtMin >= 0.0) || !(dtMin <= dtMax))
    return emitOpError() << "requires 0 <= dt_min <= dt_max, got [" << dtMin
                         << ", " << dtMax << "]";
  return expectEpsilon(*this, getEpsilon().convertToDouble());
}

LogicalResult AttentionOp::verify() {
  FailureOr<int64_t> hidden = hiddenSizeOf(*this, getInput());
  if (failed(hidden))
    return failure();
  int64_t heads = getNumHeads();
  int64_t kvHeads = getNumKvHeads();
  int64_t headDim = getHeadDim();
  if (heads % kvHeads != 0)
    return emitOpError() << "num_kv_heads (" << kvHeads
                         << ") must divide num_heads (" << heads << ")";
  if (failed(expectShape(*this, "q_proj", getQProj(), {heads * headDim, *hidden},
                         "[num_heads*head_dim, hidden]")) ||
      failed(expectShape(*this, "k_proj", getKProj(),
                         {kvHeads * headDim, *hidden},
                         "[num_kv_heads*head_dim, hidden]")) ||
      failed(expectShape(*this, "v_proj", getVProj(),
                         {kvHeads * headDim, *hidden},
                         "[num_kv_heads*head_dim, hidden]")) ||
      failed(expectShape(*this, "o_proj", getOProj(), {*hidden, heads * headDim},
                         "[hidden, num_heads*head_dim]")))
    return failure();
  return expectPositive(*this, "scale", getScale().convertToDouble());
}

LogicalResult MLPOp::verify() {
  FailureOr<int64_t> hidden = hiddenSizeOf(*this, getInput());
  if (failed(hidden))
    return failure();
  auto up = cast<LinearType>(getUpProj().getType());
  if (up.isStacked() || up.getInFeatures() != *hidden)
    return emitOpError() << "up_proj has shape " << ShapeStr(up.getShape())
                         << " but must be [intermediate, " << *hidden << "]";
  return expectShape(*this, "down_proj", getDownProj(),
                     {*hidden, up.getOutFeatures()}, "[hidden, intermediate]");
}

LogicalResult MoEOp::verify() {
  FailureOr<int64_t> hidden = hiddenSizeOf(*this, getInput());
  if (failed(hidden))
    return failure();
  int64_t experts = getNumExperts();
  int64_t groups = getNGroup();
  int64_t topK = getTopK(), topkGroup = getTopkGroup();
  if (experts % groups != 0)
    return emitOpError() << "n_group (" << groups
                         << ") must divide num_experts (" << experts << ")";
  if (experts / groups < 2)
    return emitOpError() << "each of the n_group (" << groups
                         << ") groups needs at least 2 experts to be scored";
  if (topkGroup > groups)
    return emitOpError() << "topk_group (" << topkGroup
                         << ") exceeds n_group (" << groups << ")";
  int64_t selectable = topkGroup * (experts / groups);
  if (topK > selectable)
    return emitOpError() << "top_k (" << topK << ") exceeds the "
                         << selectable
                         << " experts in the topk_group selected groups";
  if (static_cast<bool>(getLatentIn()) != static_cast<bool>(getLatentOut()))
    return emitOpError() << "latent_in and latent_out must be given together";

  int64_t expertInput = *hidden;
  if (getLatentIn()) {
    auto latentIn = cast<LinearType>(getLatentIn().getType());
    expertInput = latentIn.getOutFeatures();
    if (failed(expectShape(*this, "latent_in", getLatentIn(),
                           {expertInput, *hidden}, "[latent, hidden]")) ||
        failed(expectShape(*this, "latent_out", getLatentOut(),
                           {*hidden, expertInput}, "[hidden, latent]")))
      return failure();
  }
  auto up = cast<LinearType>(getExpertsUp().getType());
  if (!up.isStacked() || up.getNumExperts() != experts ||
      up.getInFeatures() != expertInput)
    return emitOpError() << "experts_up has shape " << ShapeStr(up.getShape())
                         << " but must be [" << experts << ", intermediate, "
                         << expertInput << "]";
  auto sharedUp = cast<LinearType>(getSharedUp().getType());
  if (sharedUp.isStacked() || sharedUp.getInFeatures() != *hidden)
    return emitOpError() << "shared_up has shape "
                         << ShapeStr(sharedUp.getShape())
                         << " but must be [shared_intermediate, " << *hidden
                         << "]";
  if (failed(expectShape(*this, "experts_down", getExpertsDown(),
                         {experts, expertInput, up.getOutFeatures()},
                         "[experts, input, intermediate]")) ||
      failed(expectShape(*this, "shared_down", getSharedDown(),
                         {*hidden, sharedUp.getOutFeatures()},
                         "[hidden, shared_intermediate]")) ||
      failed(expectShape(*this, "router_weight", getRouterWeight(),
                         {experts, *hidden}, "[num_experts, hidden]")) ||
      failed(expectShape(*this, "router_bias", getRouterBias(), {experts},
                         "[num_experts]")))
    return failure();
  // Any finite factor (transformers multiplies by it: 0 drops the routed
  // experts' sum, a negative one negates it).
  double scaling = getRoutedScalingFactor().convertToDouble();
  if (!std::isfinite(scaling))
    return emitOpError() << "routed_scaling_factor must be finite, got "
                         << scaling;
  return success();
}

LogicalResult LMHeadOp::verify() {
  FailureOr<int64_t> hidden = hiddenSizeOf(*this, getInput());
  if (failed(hidden))
    return failure();
  RankedTensorType weight = getWeight().getType();
  if (weight.getRank() != 2 || weight.getDimSize(1) != *hidden)
    return emitOpError() << "weight " << weight << " must be [vocab, "
                         << *hidden << "]";
  RankedTensorType result = getResult().getType();
  if (result.getRank() != 2 || result.getDimSize(1) != weight.getDimSize(0))
    return emitOpError() << "result " << result << " must be [tokens, "
                         << weight.getDimSize(0) << "]";
  return success();
}

#define GET_OP_CLASSES
#include "nhc/Dialect/Nemotron/IR/NemotronOps.cpp.inc"
