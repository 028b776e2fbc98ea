//===- nhc-translate.cpp - translate nhc IR to other formats ----*- C++ -*-===//
//
// `nhc-translate --nemotron-to-manifest` writes the artifact manifest of
// execution-level IR (`nhc compile --emit=exec`).
//
//===----------------------------------------------------------------------===//

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "nhc/Target/Manifest/ManifestTranslation.h"

int main(int argc, char **argv) {
  mlir::nhc::registerToManifestTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "nhc translation driver\n"));
}
