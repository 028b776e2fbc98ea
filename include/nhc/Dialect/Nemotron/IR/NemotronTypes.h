//===- NemotronTypes.h - nemotron types -------------------------*- C++ -*-===//

#ifndef NHC_DIALECT_NEMOTRON_IR_NEMOTRONTYPES_H
#define NHC_DIALECT_NEMOTRON_IR_NEMOTRONTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "nhc/Dialect/Nemotron/IR/NemotronTypes.h.inc"

#endif // NHC_DIALECT_NEMOTRON_IR_NEMOTRONTYPES_H
