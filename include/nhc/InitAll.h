//===- InitAll.h - register nhc dialects and passes -------------*- C++ -*-===//

#ifndef NHC_INITALL_H
#define NHC_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir::nhc {

/// Inserts every dialect nhc parses or produces.
void registerAllDialects(DialectRegistry &registry);

/// Registers every nhc pass and pipeline (and the upstream ones they use).
void registerAllPasses();

} // namespace mlir::nhc

#endif // NHC_INITALL_H
