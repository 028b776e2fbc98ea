//===- NemotronAttrs.h - nemotron attributes and enums ----------*- C++ -*-===//

#ifndef NHC_DIALECT_NEMOTRON_IR_NEMOTRONATTRS_H
#define NHC_DIALECT_NEMOTRON_IR_NEMOTRONATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "nhc/Dialect/Nemotron/IR/NemotronEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.h.inc"

#endif // NHC_DIALECT_NEMOTRON_IR_NEMOTRONATTRS_H
