//===- nhc/format/container.h - The artifact container ----------*- C++ -*-===//
//
// The only writer and reader of the .nhc container (nhc/runtime/artifact.h,
// docs/artifact-format.md): header, section table, 64-byte aligned
// sections, FNV-1a checksum. Shared by the compiler (which writes) and the
// runtime (which reads); no oneDNN, no dl, no LLVM, and no exceptions out:
// every check returns a ContainerError naming the file and the problem.
// It does not interpret the sections (the manifest is the runtime's).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_FORMAT_CONTAINER_H
#define NHC_FORMAT_CONTAINER_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nhc/runtime/artifact.h"
#include "nhc/runtime/status.h"

namespace nhc::format {

/// Sections an artifact may have, readers and the writer alike (an artifact
/// has tens: manifest, launch table, a host library per x86-64 level, a
/// cubin or PTX per chip).
constexpr uint32_t kMaxSections = 4096;

/// NHC_OK, or a status and a complete message.
struct ContainerError {
  nhc_status_t status = NHC_OK;
  std::string message;

  bool failed() const { return status != NHC_OK; }
  static ContainerError ok() { return {}; }
};

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

/// Builds artifact bytes. Sections are written in the order added, each at
/// a 64-byte aligned offset.
class ContainerWriter {
public:
  /// Adds (or replaces) the MANIFEST_JSON section, named "manifest".
  void setManifest(std::string_view json);
  /// Appends a section; the bytes are copied.
  void addSection(uint32_t kind, std::string_view name, std::string_view bytes);

  /// Lays out the file: header, section table at offset 64, then the data.
  /// NHC_INVALID_ARGUMENT on an unknown kind, an empty name, one longer
  /// than 39 bytes or holding a NUL, a duplicate (kind, name), or not
  /// exactly one manifest.
  ContainerError serialize(std::string &out) const;
  /// serialize() and write `path` (NHC_IO_ERROR on failure).
  ContainerError writeFile(const std::string &path) const;

private:
  struct Section {
    uint32_t kind;
    std::string name;
    std::string data;
  };
  std::vector<Section> sections_;
};

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

/// One section table entry, checked on its own and against the others.
struct SectionRecord {
  uint32_t kind = 0;
  uint32_t flags = 0;
  std::string name;
  uint64_t offset = 0;
  uint64_t size = 0;
};

/// Checks the header in the first `available` bytes of a file of
/// `fileSize` bytes: size, magic, version, reserved bytes. `where` prefixes
/// messages ("artifact '/a.nhc'").
ContainerError readHeader(const uint8_t *data, uint64_t available,
                          uint64_t fileSize, const std::string &where,
                          nhc_artifact_header_t &header);

/// Checks the checksum, then every section table entry and the rules
/// between them (no overlaps with the header, the table or each other; no
/// duplicate (kind, name)), on the whole file (`size` bytes, header already
/// checked).
ContainerError readSections(const uint8_t *data, uint64_t size,
                            const nhc_artifact_header_t &header,
                            const std::string &where,
                            std::vector<SectionRecord> &sections);

/// The index of the one MANIFEST_JSON section.
ContainerError findManifest(const std::vector<SectionRecord> &sections,
                            const std::string &where, size_t &index);

} // namespace nhc::format

#endif // NHC_FORMAT_CONTAINER_H
