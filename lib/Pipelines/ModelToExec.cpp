//===- ModelToExec.cpp - imported model to nemotron_exec --------*- C++ -*-===//

#include "nhc/Conversion/Passes.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"
#include "nhc/Dialect/NemotronExec/Transforms/Passes.h"
#include "nhc/Pipelines/Pipelines.h"

using namespace mlir;

void mlir::nhc::buildModelToExecPipeline(
    OpPassManager &pm, const ModelToExecPipelineOptions &options) {
  nemotron::buildLowerToKernelsPipeline(pm);
  ConvertNemotronToExecPassOptions convert;
  convert.targets.assign(options.targets.begin(), options.targets.end());
  convert.kvCacheDtype = options.kvCacheDtype;
  convert.ssmStateDtype = options.ssmStateDtype;
  convert.activationDtype = options.activationDtype;
  pm.addPass(createConvertNemotronToExecPass(convert));
  pm.addPass(nemotron_exec::createNemotronExecPlanBuffersPass());
}
