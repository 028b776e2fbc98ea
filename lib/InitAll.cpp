//===- InitAll.cpp - register nhc dialects and passes -----------*- C++ -*-===//

#include "nhc/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"
#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h"
#include "nhc/Dialect/NemotronExec/IR/NemotronExec.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"
#include "nhc/Pipelines/Pipelines.h"

void mlir::nhc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<nemotron::NemotronDialect,
                  nemotron_exec::NemotronExecDialect, func::FuncDialect>();
  // The kernel library and what its pipelines lower it to.
  registerKernelLoweringDialects(registry);
}

void mlir::nhc::registerAllPasses() {
  nemotron::registerNemotronTransformsPasses();
  nemotron::registerNemotronPipelines();
  // Generic cleanups that tests and pipelines use.
  registerCanonicalizerPass();
  registerCSEPass();
  // nhc-kernels-to-{host,nvvm}-pipeline and the nhc kernel passes.
  registerKernelPipelines();
}
