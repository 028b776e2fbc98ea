//===- NemotronExecDialect.cpp - nemotron_exec dialect ----------*- C++ -*-===//

#include "nhc/Dialect/NemotronExec/IR/NemotronExec.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::nemotron_exec;

#include "nhc/Dialect/NemotronExec/IR/NemotronExecDialect.cpp.inc"
#include "nhc/Dialect/NemotronExec/IR/NemotronExecEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "nhc/Dialect/NemotronExec/IR/NemotronExecAttrs.cpp.inc"

namespace {
/// "cpu" or "cuda:sm_NN", as nhc compile's --target names them.
bool isTargetName(StringRef name) {
  if (name == "cpu")
    return true;
  return name.consume_front("cuda:sm_") && !name.empty() &&
         llvm::all_of(name, llvm::isDigit);
}
} // namespace

LogicalResult
NemotronExecDialect::verifyOperationAttribute(Operation *op,
                                              NamedAttribute attr) {
  if (attr.getName() != kTargetsAttrName)
    return op->emitError() << "unknown nemotron_exec attribute '"
                           << attr.getName().getValue() << "'";
  if (!isa<ModuleOp>(op))
    return op->emitError() << "'" << kTargetsAttrName
                           << "' belongs on a builtin.module";
  auto targets = dyn_cast<ArrayAttr>(attr.getValue());
  if (!targets || targets.empty())
    return op->emitError() << "'" << kTargetsAttrName
                           << "' must be a non-empty list of target names";
  for (Attribute target : targets) {
    auto name = dyn_cast<StringAttr>(target);
    if (!name || !isTargetName(name.getValue()))
      return op->emitError() << "'" << kTargetsAttrName << "' lists " << target
                             << "; expected \"cpu\" or \"cuda:sm_NN\"";
  }
  return success();
}

void NemotronExecDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "nhc/Dialect/NemotronExec/IR/NemotronExecOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "nhc/Dialect/NemotronExec/IR/NemotronExecAttrs.cpp.inc"
      >();
}
