//===- artifact_reader.cpp - Load and validate an artifact file -----------===//
//
// The container (header, checksum, section table) is checked by nhc_format,
// the one owner of the format; this file adds the manifest and the C API.
//
// The file is read into memory the artifact owns, not mapped: the checksum
// is verified on exactly the bytes that sessions later use (the host
// library), so changing or truncating the file after nhc_artifact_load
// can neither slip unverified code in nor raise SIGBUS.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "error.h"
#include "manifest.h"
#include "mapped_file.h"
#include "nhc/format/container.h"
#include "nhc/runtime/artifact.h"
#include "nhc/runtime/artifact_reader.h"
#include "nhc/runtime/checked_math.h"

namespace {
using SectionRecord = nhc::format::SectionRecord;
} // namespace

struct nhc_artifact_t {
  std::string path;
  std::unique_ptr<nhc::runtime::FileBytes> file; // the verified bytes
  std::vector<SectionRecord> sections;
  std::string manifestJson; // NUL-terminated copy for the C accessor
  std::unique_ptr<nhc_manifest_t> manifest;
};

namespace nhc::runtime {
namespace {

/// Throws the container library's error, if any.
void check(const format::ContainerError &error) {
  if (error.failed())
    throw Error(error.status, error.message);
}

std::unique_ptr<nhc_artifact_t> loadArtifact(const std::string &path) {
  std::string where = cat("artifact '", path, "'");
  auto artifact = std::make_unique<nhc_artifact_t>();
  artifact->path = path;
  // The header is checked as soon as it is read: a file that is not an
  // artifact (or not this size) is refused before the rest is read. The
  // read proves the file still has the size the header was checked against.
  nhc_artifact_header_t header;
  artifact->file = FileBytes::read(
      path, "artifact", UINT64_MAX, "",
      [&](const uint8_t *data, uint64_t available, uint64_t size) {
        check(format::readHeader(data, available, size, where, header));
      },
      NHC_ARTIFACT_HEADER_SIZE);
  const FileBytes &file = *artifact->file;

  std::vector<format::SectionRecord> records;
  check(format::readSections(file.data(), file.size(), header, where,
                             records));
  artifact->sections = std::move(records);
  size_t manifestIndex = 0;
  check(format::findManifest(artifact->sections, where, manifestIndex));
  const SectionRecord &manifest = artifact->sections[manifestIndex];
  artifact->manifestJson.assign(
      reinterpret_cast<const char *>(file.data() + manifest.offset),
      manifest.size);
  artifact->manifest =
      parseManifest(artifact->manifestJson.data(),
                    artifact->manifestJson.size(), where + ": manifest", where);
  artifact->manifest->ownedByArtifact = true;
  return artifact;
}

nhc_section_t toSection(const nhc_artifact_t &artifact,
                        const SectionRecord &record) {
  nhc_section_t section{};
  section.kind = record.kind;
  section.flags = record.flags;
  section.name = record.name.c_str();
  section.data = artifact.file->data() + record.offset;
  section.size = record.size;
  return section;
}

} // namespace
} // namespace nhc::runtime

using namespace nhc::runtime;

extern "C" {

nhc_status_t nhc_artifact_load(const char *path,
                               nhc_artifact_t **out_artifact) {
  return guard("nhc_artifact_load", [&] {
    NHC_CHECK_ARG(path, "nhc_artifact_load");
    NHC_CHECK_ARG(out_artifact, "nhc_artifact_load");
    *out_artifact = loadArtifact(path).release();
  });
}

void nhc_artifact_release(nhc_artifact_t *artifact) { delete artifact; }

const char *nhc_artifact_path(const nhc_artifact_t *artifact) {
  return artifact ? artifact->path.c_str() : "";
}

const char *nhc_artifact_manifest_json(const nhc_artifact_t *artifact,
                                       size_t *out_size) {
  if (!artifact) {
    if (out_size)
      *out_size = 0;
    return "";
  }
  if (out_size)
    *out_size = artifact->manifestJson.size();
  return artifact->manifestJson.c_str();
}

const nhc_manifest_t *nhc_artifact_manifest(const nhc_artifact_t *artifact) {
  return artifact ? artifact->manifest.get() : nullptr;
}

size_t nhc_artifact_section_count(const nhc_artifact_t *artifact) {
  return artifact ? artifact->sections.size() : 0;
}

nhc_status_t nhc_artifact_section_at(const nhc_artifact_t *artifact,
                                     size_t index, nhc_section_t *out_section) {
  return guard("nhc_artifact_section_at", [&] {
    NHC_CHECK_ARG(artifact, "nhc_artifact_section_at");
    NHC_CHECK_ARG(out_section, "nhc_artifact_section_at");
    NHC_CHECK(index < artifact->sections.size(), NHC_INVALID_ARGUMENT,
              cat("nhc_artifact_section_at: index ", index,
                  " out of range: artifact '", artifact->path, "' has ",
                  artifact->sections.size(), " sections"));
    *out_section = toSection(*artifact, artifact->sections[index]);
  });
}

nhc_status_t nhc_artifact_find_section(const nhc_artifact_t *artifact,
                                       uint32_t kind, const char *name,
                                       nhc_section_t *out_section) {
  return guard("nhc_artifact_find_section", [&] {
    NHC_CHECK_ARG(artifact, "nhc_artifact_find_section");
    NHC_CHECK_ARG(out_section, "nhc_artifact_find_section");
    for (const SectionRecord &record : artifact->sections) {
      if (record.kind == kind && (!name || record.name == name)) {
        *out_section = toSection(*artifact, record);
        return;
      }
    }
    throw Error(NHC_NOT_FOUND,
                cat("artifact '", artifact->path, "': no ",
                    nhc_artifact_section_kind_name(kind), " section (kind ",
                    kind, ")", name ? cat(" named '", name, "'") : ""));
  });
}

} // extern "C"
