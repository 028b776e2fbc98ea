//===- NemotronDialect.h - nemotron dialect ---------------------*- C++ -*-===//

#ifndef NHC_DIALECT_NEMOTRON_IR_NEMOTRONDIALECT_H
#define NHC_DIALECT_NEMOTRON_IR_NEMOTRONDIALECT_H

#include "mlir/IR/Dialect.h"

#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h.inc"

#endif // NHC_DIALECT_NEMOTRON_IR_NEMOTRONDIALECT_H
