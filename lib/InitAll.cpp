//===- InitAll.cpp - register nhc dialects and passes -----------*- C++ -*-===//

#include "nhc/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"
#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"

void mlir::nhc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<nemotron::NemotronDialect, func::FuncDialect>();
}

void mlir::nhc::registerAllPasses() {
  nemotron::registerNemotronTransformsPasses();
  nemotron::registerNemotronPipelines();
  // Generic cleanups that tests and pipelines use.
  registerCanonicalizerPass();
  registerCSEPass();
}
