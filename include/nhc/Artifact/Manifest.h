//===- Manifest.h - assemble the artifact manifest --------------*- C++ -*-===//

#ifndef NHC_ARTIFACT_MANIFEST_H
#define NHC_ARTIFACT_MANIFEST_H

#include "mlir/IR/BuiltinOps.h"
#include "nhc/Artifact/ScheduleBuilder.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mlir::nhc {

struct ManifestInputs {
  ModuleOp model;                  // the imported module (nemotron.* attributes)
  const StepPlan *plan;            // from buildStepPlan
  const KernelSignatures *kernels; // of the kernel library
  std::vector<std::string> targets; // "cpu", "cuda:sm_90", ...
};

/// The JSON manifest (docs/artifact-format.md, docs/execution-model.md).
nlohmann::json buildManifest(const ManifestInputs &inputs);

} // namespace mlir::nhc

#endif // NHC_ARTIFACT_MANIFEST_H
