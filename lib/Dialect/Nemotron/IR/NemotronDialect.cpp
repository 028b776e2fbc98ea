//===- NemotronDialect.cpp - nemotron dialect -------------------*- C++ -*-===//

#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.h"
#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"
#include "nhc/Dialect/Nemotron/IR/NemotronTypes.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::nemotron;

#include "nhc/Dialect/Nemotron/IR/NemotronDialect.cpp.inc"

void NemotronDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "nhc/Dialect/Nemotron/IR/NemotronOps.cpp.inc"
      >();
  registerTypes();
  registerAttributes();
}
