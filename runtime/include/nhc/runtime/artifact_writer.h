//===- nhc/runtime/artifact_writer.h - Build artifact files -*- C++ -*-===//
//
// A small C++ writer for the artifact format of nhc/runtime/artifact.h.
// Used by the runtime tests and available to the compiler. It checks the
// format-level rules (section kinds, names, exactly one manifest) and
// computes the layout and checksum; it does not interpret the manifest.
// No exceptions escape: failures return a status and set nhc_last_error().
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_ARTIFACT_WRITER_H
#define NHC_RUNTIME_ARTIFACT_WRITER_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nhc/runtime/artifact.h"
#include "nhc/runtime/status.h"

namespace nhc::runtime {

class NHC_API ArtifactWriter {
public:
  /// Adds (or replaces) the MANIFEST_JSON section, named "manifest".
  void setManifest(std::string_view json);

  /// Appends a section; the bytes are copied. Sections are written in the
  /// order they were added, each at a 64-byte aligned offset.
  void addSection(uint32_t kind, std::string_view name, const void *data,
                  size_t size);
  void addSection(uint32_t kind, std::string_view name,
                  std::string_view bytes) {
    addSection(kind, name, bytes.data(), bytes.size());
  }

  /// Lays out the file: header, section table at offset 64, then the data.
  /// Fails (NHC_INVALID_ARGUMENT) on an unknown kind, an empty or too long
  /// name (max 39 bytes), a duplicate (kind, name), or not exactly one
  /// manifest.
  nhc_status_t serialize(std::vector<uint8_t> &out) const;

  /// serialize() and write the bytes to `path` (NHC_IO_ERROR on failure).
  nhc_status_t writeFile(const std::string &path) const;

private:
  struct Section {
    uint32_t kind;
    std::string name;
    std::vector<uint8_t> data;
  };
  std::vector<Section> sections_;
};

} // namespace nhc::runtime

#endif // NHC_RUNTIME_ARTIFACT_WRITER_H
