//===- NemotronExecDialect.cpp - nemotron_exec dialect ----------*- C++ -*-===//

#include "nhc/Dialect/NemotronExec/IR/NemotronExec.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::nemotron_exec;

#include "nhc/Dialect/NemotronExec/IR/NemotronExecDialect.cpp.inc"
#include "nhc/Dialect/NemotronExec/IR/NemotronExecEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "nhc/Dialect/NemotronExec/IR/NemotronExecAttrs.cpp.inc"

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
