//===- NemotronExecOps.cpp - nemotron_exec ops and verifiers ----*- C++ -*-===//

#include "nhc/Dialect/NemotronExec/IR/NemotronExec.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "nhc/format/manifest_schema.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::nemotron_exec;

namespace {
/// The manifest's fixed values, shared with the runtime.
namespace value = ::nhc::format::manifest::value;

/// The declaration `ref` names, if it is an `Decl`; else an error on `user`.
template <typename Decl>
FailureOr<Decl> lookupDecl(Operation *user, SymbolTableCollection &tables,
                           FlatSymbolRefAttr ref, StringRef what) {
  Operation *symbol = tables.lookupNearestSymbolFrom(user, ref);
  auto decl = dyn_cast_or_null<Decl>(symbol);
  if (!decl)
    return user->emitOpError()
           << "'" << ref.getValue() << "' is not a declared " << what;
  return decl;
}

RankedTensorType weightType(WeightOp weight) {
  return cast<RankedTensorType>(weight.getType());
}

/// A declared weight of exactly `shape`.
LogicalResult checkWeightShape(Operation *user, SymbolTableCollection &tables,
                               FlatSymbolRefAttr ref, ArrayRef<int64_t> shape,
                               StringRef role) {
  FailureOr<WeightOp> weight = lookupDecl<WeightOp>(user, tables, ref, "weight");
  if (failed(weight))
    return failure();
  if (weightType(*weight).getShape() != shape) {
    InFlightDiagnostic diag = user->emitOpError()
                              << role << " '" << ref.getValue() << "' is "
                              << weightType(*weight) << ", expected shape [";
    llvm::interleaveComma(shape, diag);
    return diag << "]";
  }
  return success();
}

/// A declared FP8 scale: one f32 marked `positive`.
LogicalResult checkScale(Operation *user, SymbolTableCollection &tables,
                         FlatSymbolRefAttr ref) {
  FailureOr<WeightOp> weight = lookupDecl<WeightOp>(user, tables, ref, "weight");
  if (failed(weight))
    return failure();
  if (!weight->getPositive())
    return user->emitOpError() << "scale '" << ref.getValue()
                               << "' must be a positive scale weight";
  return success();
}

/// An activation the runtime knows (`none` excluded).
bool isActivationName(StringRef name) {
  return llvm::is_contained(value::kActivations, name);
}
/// What is wrong with calling `kernel` with `operands`; empty when nothing.
std::string describeKernelMismatch(func::FuncOp kernel, TypeRange operands) {
  std::string message;
  llvm::raw_string_ostream os(message);
  FunctionType type = kernel.getFunctionType();
  if (type.getNumResults() != 0)
    os << "kernel '" << kernel.getName() << "' returns values";
  else if (type.getNumInputs() != operands.size())
    os << "calls '" << kernel.getName() << "' with " << operands.size()
       << " arguments, but it takes " << type.getNumInputs();
  else
    for (auto [i, pair] : llvm::enumerate(llvm::zip(type.getInputs(), operands)))
      if (std::get<0>(pair) != std::get<1>(pair)) {
        os << "argument " << i << " of '" << kernel.getName() << "' is '"
           << std::get<1>(pair) << "', but the kernel takes '"
           << std::get<0>(pair) << "'";
        break;
      }
  return message;
}

} // namespace

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (std::optional<ArrayAttr> alternatives = getAlternatives()) {
    for (Attribute entry : *alternatives) {
      auto dict = cast<DictionaryAttr>(entry);
      if (!dict.getAs<StringAttr>("name"))
        return emitOpError() << "each alternative needs a string 'name'";
      auto index = dict.getAs<IntegerAttr>("index");
      auto count = dict.getAs<IntegerAttr>("count");
      if (!index != !count)
        return emitOpError()
               << "an alternative slice needs both 'index' and 'count'";
      if (index && (index.getInt() < 0 || index.getInt() >= count.getInt()))
        return emitOpError() << "alternative slice index " << index.getInt()
                             << " is outside [0, " << count.getInt() << ")";
    }
  }
  auto type = cast<RankedTensorType>(getType());
  if (getPositive() && (type.getRank() != 0 || !type.getElementType().isF32()))
    return emitOpError() << "a positive scale must be tensor<f32>, got "
                         << type;
  if (getFinite() && !isa<FloatType>(type.getElementType()))
    return emitOpError() << "only a float tensor can be required finite, got "
                         << type;
  return success();
}

LogicalResult StateOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (!isa<FloatType>(type.getElementType()))
    return emitOpError() << "state must have float elements, got " << type;
  bool isCache =
      getKind() == StateKind::k_cache || getKind() == StateKind::v_cache;
  if (isCache) {
    if (type.getRank() != 3 || !type.isDynamicDim(0) ||
        type.isDynamicDim(1) || type.isDynamicDim(2))
      return emitOpError()
             << "a KV cache must be tensor<?xKVxDxT> (sequence, kv heads, "
                "head dim), got "
             << type;
  } else if (!type.hasStaticShape()) {
    return emitOpError() << stringifyStateKind(getKind())
                         << " must have a static shape, got " << type;
  }
  return success();
}

LogicalResult BufferOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (type.isDynamicDim(0) || type.getDimSize(0) <= 0)
    return emitOpError() << "a row must have a positive static size, got "
                         << type;
  if (getWithin().has_value() != getColumn().has_value())
    return emitOpError() << "'within' and 'column' go together";
  return success();
}

LogicalResult BufferOp::verifySymbolUses(SymbolTableCollection &tables) {
  FlatSymbolRefAttr within = getWithinAttr();
  if (!within)
    return success();
  FailureOr<BufferOp> outer = lookupDecl<BufferOp>(*this, tables, within, "buffer");
  if (failed(outer))
    return failure();
  auto type = cast<RankedTensorType>(getType());
  auto outerType = cast<RankedTensorType>(outer->getType());
  if (outer->getWithin())
    return emitOpError() << "is packed into '" << within.getValue()
                         << "', which is packed itself";
  if (outer->getRows() != getRows() ||
      outerType.getElementType() != type.getElementType())
    return emitOpError() << "differs from '" << within.getValue()
                         << "' in rows or element type";
  if (int64_t(*getColumn()) + type.getDimSize(0) > outerType.getDimSize(0))
    return emitOpError() << "columns [" << *getColumn() << ", "
                         << int64_t(*getColumn()) + type.getDimSize(0)
                         << ") do not fit in '" << within.getValue()
                         << "' rows of " << outerType.getDimSize(0);
  return success();
}

LogicalResult ScheduleOp::verifyRegions() {
  StringRef name = getSymName();
  if (name != kBodySchedule && name != kHeadLastSchedule &&
      name != kHeadAllSchedule)
    return emitOpError() << "schedule '" << name
                         << "' is not one of body, head_last, head_all";
  for (Operation &op : getBody().front())
    if (!isa<NemotronExecDialect>(op.getDialect()) &&
        !isa<arith::ConstantOp>(op))
      return op.emitOpError() << "cannot run in a schedule (only "
                                 "nemotron_exec ops and arith.constant)";
  return success();
}

//===----------------------------------------------------------------------===//
// Operands
//===----------------------------------------------------------------------===//

LogicalResult WeightRefOp::verifySymbolUses(SymbolTableCollection &tables) {
  if (failed(lookupDecl<WeightOp>(*this, tables, getNameAttr(), "weight")))
    return failure();
  if (!cast<MemRefType>(getType()).getElementType().isF32())
    return emitOpError() << "kernels read weights as f32, not "
                         << cast<MemRefType>(getType()).getElementType();
  return success();
}

LogicalResult StateRefOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<StateOp> state =
      lookupDecl<StateOp>(*this, tables, getNameAttr(), "state tensor");
  if (failed(state))
    return failure();
  Type element = cast<RankedTensorType>(state->getType()).getElementType();
  Type got = cast<MemRefType>(getType()).getElementType();
  // Kernels take bf16 as its bits (the kernel library's convention).
  bool bf16Bits = element.isBF16() && got.isInteger(16);
  if (got != element && !bf16Bits)
    return emitOpError() << "element type " << got
                         << " differs from the state's " << element
                         << (element.isBF16() ? " (or i16, its bits)" : "");
  return success();
}

LogicalResult BufferRefOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<BufferOp> buffer =
      lookupDecl<BufferOp>(*this, tables, getNameAttr(), "buffer");
  if (failed(buffer))
    return failure();
  Type element = cast<RankedTensorType>(buffer->getType()).getElementType();
  if (cast<MemRefType>(getType()).getElementType() != element)
    return emitOpError() << "element type " << cast<MemRefType>(getType()).getElementType()
                         << " differs from the buffer's " << element;
  return success();
}

//===----------------------------------------------------------------------===//
// What runs
//===----------------------------------------------------------------------===//

LogicalResult CallOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<func::FuncOp> kernel =
      lookupDecl<func::FuncOp>(*this, tables, getCalleeAttr(), "kernel");
  if (failed(kernel))
    return failure();
  if (!kernel->isDeclaration())
    return emitOpError() << "kernel '" << getCallee()
                         << "' must be a declaration (the kernel library "
                            "holds its body)";
  std::string mismatch = describeKernelMismatch(*kernel, getArgs().getTypes());
  if (!mismatch.empty())
    return emitOpError() << mismatch;
  return success();
}

LogicalResult GemmOp::verify() {
  if (getLda() < getAOffset() + getK())
    return emitOpError() << "rows of a are " << getLda()
                         << " apart but the GEMM reads columns up to "
                         << getAOffset() + getK();
  if (getLdc() < getCOffset() + getN())
    return emitOpError() << "rows of c are " << getLdc()
                         << " apart but the GEMM writes columns up to "
                         << getCOffset() + getN();
  if (getEpilogue() != value::kActivationNone &&
      !isActivationName(getEpilogue()))
    return emitOpError() << "unknown epilogue '" << getEpilogue() << "'";
  if (std::optional<ArrayAttr> scale = getScale(); scale && scale->size() != 2)
    return emitOpError() << "scale must be [input_scale, weight_scale]";
  auto dim = getM().getDefiningOp<DimOp>();
  if (!dim || dim.getTimes() ||
      (dim.getDim() != Dim::tokens && dim.getDim() != Dim::requests))
    return emitOpError() << "rows must be the step's tokens or requests";
  return success();
}

LogicalResult DimOp::verify() {
  if (getDim() == Dim::gemm_precision && getTimes())
    return emitOpError() << "gemm_precision is not a size: it takes no "
                            "'times'";
  return success();
}

LogicalResult GemmOp::verifySymbolUses(SymbolTableCollection &tables) {
  if (failed(checkWeightShape(*this, tables, getWeightAttr(),
                              {int64_t(getN()), int64_t(getK())}, "weight")))
    return failure();
  if (FlatSymbolRefAttr bias = getBiasAttr())
    if (failed(checkWeightShape(*this, tables, bias, {int64_t(getN())}, "bias")))
      return failure();
  if (std::optional<ArrayAttr> scale = getScale())
    for (Attribute ref : *scale)
      if (failed(checkScale(*this, tables, cast<FlatSymbolRefAttr>(ref))))
        return failure();
  if (FlatSymbolRefAttr quantize = getQuantizeOutputAttr())
    return checkScale(*this, tables, quantize);
  return success();
}

LogicalResult EmbeddingOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<WeightOp> table =
      lookupDecl<WeightOp>(*this, tables, getTableAttr(), "weight");
  if (failed(table))
    return failure();
  RankedTensorType type = weightType(*table);
  if (type.getRank() != 2 || type.getDimSize(1) != int64_t(getHidden()))
    return emitOpError() << "table '" << getTable() << "' is " << type
                         << ", expected [vocab, " << getHidden() << "]";
  return success();
}

LogicalResult MoEExpertsOp::verifySymbolUses(SymbolTableCollection &tables) {
  auto expertName = [](StringRef pattern, int64_t e) {
    return ::nhc::format::manifest::expertName(pattern.str(), e);
  };
  auto hasHole = [&](StringRef pattern, StringRef role) -> LogicalResult {
    if (pattern.contains(value::kExpertIndex))
      return success();
    return emitOpError() << role << " '" << pattern
                         << "' has no {e} for the expert index";
  };
  const int64_t experts = getNumExperts();
  for (auto [pattern, shape] :
       {std::pair<StringRef, SmallVector<int64_t>>{
            getUp(), {int64_t(getIntermediate()), int64_t(getHidden())}},
        {getDown(), {int64_t(getHidden()), int64_t(getIntermediate())}}}) {
    if (failed(hasHole(pattern, "expert weight")))
      return failure();
    for (int64_t e = 0; e < experts; ++e)
      if (failed(checkWeightShape(
              *this, tables,
              FlatSymbolRefAttr::get(getContext(), expertName(pattern, e)),
              shape, "expert weight")))
        return failure();
    // Scales belong to e4m3 experts, and e4m3 experts need them.
    FailureOr<WeightOp> first = lookupDecl<WeightOp>(
        *this, tables,
        FlatSymbolRefAttr::get(getContext(), expertName(pattern, 0)), "weight");
    if (failed(first))
      return failure();
    bool fp8 = isa<Float8E4M3FNType>(weightType(*first).getElementType());
    std::optional<ArrayAttr> scale =
        pattern == getUp() ? getUpScale() : getDownScale();
    StringRef key = pattern == getUp() ? "up_scale" : "down_scale";
    if (fp8 != scale.has_value())
      return emitOpError() << "expert weight '" << expertName(pattern, 0)
                           << (fp8 ? "' is e4m3 and needs " : "' is not e4m3, "
                                                             "so it takes no ")
                           << key;
    if (!scale)
      continue;
    if (scale->size() != 2)
      return emitOpError() << key << " must be [input_scale, weight_scale]";
    for (Attribute attr : *scale) {
      StringRef scalePattern = cast<StringAttr>(attr).getValue();
      if (failed(hasHole(scalePattern, key)))
        return failure();
      for (int64_t e = 0; e < experts; ++e)
        if (failed(checkScale(*this, tables,
                              FlatSymbolRefAttr::get(
                                  getContext(), expertName(scalePattern, e)))))
          return failure();
    }
  }
  if (getTopK() > getNumExperts())
    return emitOpError() << "top_k " << getTopK() << " exceeds the "
                         << getNumExperts() << " experts";
  if (!isActivationName(getActivation()))
    return emitOpError() << "unknown activation '" << getActivation() << "'";
  return success();
}

LogicalResult AliasOp::verifySymbolUses(SymbolTableCollection &tables) {
  FailureOr<BufferOp> result =
      lookupDecl<BufferOp>(*this, tables, getResultAttr(), "buffer");
  FailureOr<BufferOp> source =
      lookupDecl<BufferOp>(*this, tables, getSourceAttr(), "buffer");
  if (failed(result) || failed(source))
    return failure();
  if (result->getRows() != source->getRows() ||
      result->getType() != source->getType())
    return emitOpError() << "buffers '" << getResult() << "' and '"
                         << getSource()
                         << "' differ in rows or row type, so one cannot "
                            "hold the other";
  return success();
}

LogicalResult TapOp::verify() {
  if (!llvm::is_contained({"embeddings", "mixer", "residual", "final_norm"},
                          getKind()))
    return emitOpError() << "unknown tap kind '" << getKind() << "'";
  bool perLayer = getKind() == "mixer" || getKind() == "residual";
  if (perLayer != getLayer().has_value())
    return emitOpError() << "a " << getKind() << " tap "
                         << (perLayer ? "needs" : "takes no") << " layer";
  if (getOffset() + getWidth() > getLd())
    return emitOpError() << "columns [" << getOffset() << ", "
                         << getOffset() + getWidth()
                         << ") do not fit in rows " << getLd() << " apart";
  return success();
}

#define GET_OP_CLASSES
#include "nhc/Dialect/NemotronExec/IR/NemotronExecOps.cpp.inc"
