//===- NemotronTypes.cpp - nemotron types -----------------------*- C++ -*-===//

#include "nhc/Dialect/Nemotron/IR/NemotronTypes.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::nemotron;

#define GET_TYPEDEF_CLASSES
#include "nhc/Dialect/Nemotron/IR/NemotronTypes.cpp.inc"

// !nemotron.linear<OUTxINxT[, bias]> or !nemotron.linear<EXPERTSxOUTxINxT>
Type LinearType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  Type elementType;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/true) ||
      parser.parseType(elementType))
    return {};
  bool hasBias = succeeded(parser.parseOptionalComma());
  if ((hasBias && parser.parseKeyword("bias")) || parser.parseGreater())
    return {};
  return LinearType::getChecked(
      [&] { return parser.emitError(parser.getNameLoc()); },
      parser.getContext(), shape, elementType, hasBias);
}

void LinearType::print(AsmPrinter &printer) const {
  printer << '<';
  for (int64_t dim : getShape())
    printer << dim << 'x';
  printer << getElementType();
  if (getHasBias())
    printer << ", bias";
  printer << '>';
}

LogicalResult
LinearType::verify(function_ref<InFlightDiagnostic()> emitError,
                   ArrayRef<int64_t> shape, Type elementType, bool hasBias) {
  if (hasBias && shape.size() != 2)
    return emitError() << "a stack of experts has no bias";
  if (shape.size() != 2 && shape.size() != 3)
    return emitError() << "linear weight must have shape [out, in] or "
                          "[experts, out, in], got rank "
                       << shape.size();
  for (int64_t dim : shape)
    if (dim <= 0)
      return emitError() << "linear weight dimensions must be positive";
  if (!isa<BFloat16Type, Float16Type, Float32Type, Float8E4M3FNType>(
          elementType))
    return emitError() << "linear weight element type must be bf16, f16, "
                          "f32 or f8E4M3FN, got "
                       << elementType;
  return success();
}

void NemotronDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "nhc/Dialect/Nemotron/IR/NemotronTypes.cpp.inc"
      >();
}
