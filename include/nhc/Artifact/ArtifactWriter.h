//===- ArtifactWriter.h - write the versioned nhc artifact ------*- C++ -*-===//
//
// The compiler's side of runtime/include/nhc/runtime/artifact.h (the only
// runtime header the compiler includes): header, section table, 64-byte
// aligned sections, FNV-1a checksum.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_ARTIFACT_ARTIFACTWRITER_H
#define NHC_ARTIFACT_ARTIFACTWRITER_H

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::nhc {

struct ArtifactSection {
  uint32_t kind; // nhc_artifact_section_kind_t
  std::string name;
  std::string data;
};

/// Serializes `sections` into artifact bytes. The manifest must be one of the
/// sections (kind NHC_SECTION_MANIFEST_JSON).
std::string serializeArtifact(const std::vector<ArtifactSection> &sections);

} // namespace mlir::nhc

#endif // NHC_ARTIFACT_ARTIFACTWRITER_H
