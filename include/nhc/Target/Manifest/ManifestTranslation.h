//===- ManifestTranslation.h - nemotron_exec to the manifest ----*- C++ -*-===//
//
// The artifact's JSON manifest (docs/artifact-format.md) is a translation of
// the execution-level IR, registered like mlir-translate's targets as
// `--nemotron-to-manifest`.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_TARGET_MANIFEST_MANIFESTTRANSLATION_H
#define NHC_TARGET_MANIFEST_MANIFESTTRANSLATION_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <nlohmann/json.hpp>

namespace mlir::nhc {

/// The manifest of `module` (nemotron_exec, with `nemotron.model`). Emits a
/// diagnostic on the offending op and fails on IR the manifest cannot
/// express.
FailureOr<nlohmann::json> translateToManifest(ModuleOp module);

/// The manifest as `nhc compile --emit=manifest` prints it: two-space
/// indented JSON and a newline.
std::string printManifest(const nlohmann::json &manifest);

/// Registers `--nemotron-to-manifest` with mlir-translate's registry.
void registerToManifestTranslation();

} // namespace mlir::nhc

#endif // NHC_TARGET_MANIFEST_MANIFESTTRANSLATION_H
