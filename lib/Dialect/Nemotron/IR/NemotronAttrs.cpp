//===- NemotronAttrs.cpp - nemotron attributes ------------------*- C++ -*-===//

#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h"
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

void NemotronDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.cpp.inc"
      >();
}
