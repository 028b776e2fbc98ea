//===- NemotronAttrs.cpp - nemotron attributes ------------------*- C++ -*-===//

#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"

#include <cmath>
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::nemotron;

#include "nhc/Dialect/Nemotron/IR/NemotronEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.cpp.inc"

LogicalResult
QuantizationAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         StringAttr algo, ArrayAttr excludeModules) {
  if (!algo || algo.getValue() != "FP8")
    return emitError() << "unsupported quantization algorithm '"
                       << (algo ? algo.getValue() : "")
                       << "' (supported: FP8)";
  for (Attribute module : excludeModules)
    if (!isa<StringAttr>(module))
      return emitError() << "exclude_modules must be strings";
  return success();
}

LogicalResult ModelAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, StringRef modelType,
    StringRef source, StringRef configHash, StringRef layerPattern,
    int64_t hiddenSize, int64_t vocabSize, int64_t maxPositionEmbeddings,
    Type dtype, Type ssmStateDtype, bool, bool,
    ArrayAttr timeStepLimit, StringRef mtpLayerPattern,
    int64_t numNextnPredictLayers, QuantizationAttr,
    DictionaryAttr configValues, DictionaryAttr configDefaults) {
  if (modelType.empty())
    return emitError() << "model_type must not be empty";
  if (source.contains('/'))
    return emitError() << "source '" << source
                       << "' must be a file name, not a path";
  if (configHash.size() != 16 ||
      !llvm::all_of(configHash, [](char c) { return llvm::isHexDigit(c); }))
    return emitError() << "config_hash must be 16 hex digits";
  for (StringRef pattern : {layerPattern, mtpLayerPattern})
    for (char c : pattern)
      if (!StringRef("M*-E").contains(c))
        return emitError() << "layer pattern '" << pattern
                           << "' has '" << c << "' (expected M, *, - or E)";
  if (layerPattern.empty())
    return emitError() << "layer_pattern must name at least one layer";
  for (auto [name, value] :
       {std::pair<StringRef, int64_t>{"hidden_size", hiddenSize},
        {"vocab_size", vocabSize},
        {"max_position_embeddings", maxPositionEmbeddings}})
    if (value <= 0)
      return emitError() << name << " must be positive, got " << value;
  if (numNextnPredictLayers < 0)
    return emitError() << "num_nextn_predict_layers must not be negative";
  if (!dtype.isF32() && !dtype.isBF16() && !dtype.isF16())
    return emitError() << "dtype must be f32, bf16 or f16, got " << dtype;
  if (!isa<FloatType>(ssmStateDtype))
    return emitError() << "ssm_state_dtype must be a float type";
  auto limitAt = [&](unsigned i) {
    auto bound = dyn_cast<FloatAttr>(timeStepLimit[i]);
    return bound ? bound.getValueAsDouble() : std::nan("");
  };
  if (!timeStepLimit || timeStepLimit.size() != 2 ||
      !(limitAt(0) <= limitAt(1)))
    return emitError() << "time_step_limit must be [min, max] with min <= max";
  for (auto [name, dict] : {std::pair<StringRef, DictionaryAttr>{
                                "config_values", configValues},
                            {"config_defaults", configDefaults}}) {
    if (!dict)
      continue;
    for (NamedAttribute entry : dict) {
      auto notJson = [&, name = name] {
        return emitError() << name << "['" << entry.getName().getValue()
                           << "'] must be the JSON text of a value";
      };
      auto text = dyn_cast<StringAttr>(entry.getValue());
      if (!text)
        return notJson();
      llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text.getValue());
      if (!parsed) {
        llvm::consumeError(parsed.takeError());
        return notJson();
      }
    }
  }
  return success();
}

ModelAttr ModelAttr::of(Operation *module) {
  return module->getAttrOfType<ModelAttr>(kAttrName);
}

LogicalResult NemotronDialect::verifyOperationAttribute(Operation *op,
                                                        NamedAttribute attr) {
  if (attr.getName() != ModelAttr::kAttrName)
    return op->emitError() << "unknown nemotron attribute '"
                           << attr.getName().getValue() << "'";
  if (!isa<ModuleOp>(op))
    return op->emitError() << "'" << ModelAttr::kAttrName
                           << "' belongs on a builtin.module";
  if (!isa<ModelAttr>(attr.getValue()))
    return op->emitError() << "'" << ModelAttr::kAttrName
                           << "' must be a #nemotron.model";
  return success();
}

void NemotronDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.cpp.inc"
      >();
}
