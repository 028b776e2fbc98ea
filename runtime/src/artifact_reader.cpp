//===- artifact_reader.cpp - Load and validate an artifact file -----------===//
//
// Validation order matters: sizes and magic first (so nothing is read past
// the end), then version, then the checksum (which covers the section
// table), then every section's bounds, and only then the manifest bytes.
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
#include "nhc/runtime/artifact.h"
#include "nhc/runtime/artifact_reader.h"
#include "nhc/runtime/checked_math.h"

namespace {

struct SectionRecord {
  uint32_t kind;
  uint32_t flags;
  std::string name;
  uint64_t offset;
  uint64_t size;
};

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

/// Renders the magic bytes found so a wrong file type is recognisable.
std::string describeMagic(const char magic[8]) {
  std::string text;
  for (int i = 0; i < 8; ++i) {
    unsigned char c = static_cast<unsigned char>(magic[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      text += static_cast<char>(c);
    } else {
      static const char digits[] = "0123456789abcdef";
      text += "\\x";
      text += digits[c >> 4];
      text += digits[c & 15];
    }
  }
  return text;
}

/// Checks the header in the first bytes of a file of `actual` bytes.
nhc_artifact_header_t readHeader(const uint8_t *data, uint64_t actual,
                                 const std::string &where) {
  NHC_CHECK(actual >= NHC_ARTIFACT_HEADER_SIZE, NHC_INVALID_FORMAT,
            cat(where, ": file is truncated or not an artifact: ", actual,
                " bytes, smaller than the ", NHC_ARTIFACT_HEADER_SIZE,
                "-byte header"));
  nhc_artifact_header_t header;
  std::memcpy(&header, data, sizeof(header));
  NHC_CHECK(std::memcmp(header.magic, NHC_ARTIFACT_MAGIC,
                        NHC_ARTIFACT_MAGIC_SIZE) == 0,
            NHC_INVALID_FORMAT,
            cat(where, ": bad magic '", describeMagic(header.magic),
                "', expected 'NHCARTF\\x00' (not an nhc artifact)"));
  NHC_CHECK(header.format_version == NHC_ARTIFACT_FORMAT_VERSION,
            NHC_UNSUPPORTED_VERSION,
            cat(where, ": artifact format version ", header.format_version,
                " is not supported (this runtime reads version ",
                NHC_ARTIFACT_FORMAT_VERSION, ")"));
  NHC_CHECK(actual >= header.file_size, NHC_INVALID_FORMAT,
            cat(where, ": file is truncated: header says ", header.file_size,
                " bytes, file has ", actual));
  NHC_CHECK(actual == header.file_size, NHC_INVALID_FORMAT,
            cat(where, ": file has ", actual, " bytes but its header says ",
                header.file_size, " (trailing data)"));
  for (uint8_t byte : header.reserved)
    NHC_CHECK(byte == 0, NHC_INVALID_FORMAT,
              cat(where, ": reserved header bytes are not zero"));
  return header;
}

void verifyChecksum(const FileBytes &file, const nhc_artifact_header_t &header,
                    const std::string &where) {
  uint64_t actual = nhc_fnv1a64(file.data() + NHC_ARTIFACT_HEADER_SIZE,
                                header.file_size - NHC_ARTIFACT_HEADER_SIZE,
                                NHC_FNV1A64_OFFSET_BASIS);
  NHC_CHECK(actual == header.checksum, NHC_CHECKSUM_MISMATCH,
            cat(where, ": checksum mismatch: header says ",
                hex64(header.checksum), ", bytes [64, ", header.file_size,
                ") hash to ", hex64(actual),
                " (file is corrupted or was modified)"));
}

/// Reads and checks one table entry on its own; cross-entry rules follow.
SectionRecord readEntry(const FileBytes &file, uint64_t entryOffset,
                        uint32_t index, const std::string &where) {
  nhc_artifact_section_entry_t entry;
  std::memcpy(&entry, file.data() + entryOffset, sizeof(entry));
  std::string at = cat(where, ": section ", index);

  const char *nul = static_cast<const char *>(
      std::memchr(entry.name, '\0', NHC_ARTIFACT_SECTION_NAME_SIZE));
  NHC_CHECK(nul != nullptr, NHC_INVALID_FORMAT,
            cat(at, ": name is not NUL-terminated within ",
                NHC_ARTIFACT_SECTION_NAME_SIZE, " bytes"));
  SectionRecord record{
      entry.kind, entry.flags,
      std::string(entry.name, static_cast<size_t>(nul - entry.name)),
      entry.offset, entry.size};
  NHC_CHECK(!record.name.empty(), NHC_INVALID_FORMAT, at + ": name is empty");
  at = cat(at, " ('", record.name, "')");

  NHC_CHECK(record.kind >= NHC_SECTION_KIND_MIN &&
                record.kind <= NHC_SECTION_KIND_MAX,
            NHC_INVALID_FORMAT,
            cat(at, ": unknown kind ", record.kind, " (format version ",
                NHC_ARTIFACT_FORMAT_VERSION, " defines kinds ",
                NHC_SECTION_KIND_MIN, "..", NHC_SECTION_KIND_MAX, ")"));
  NHC_CHECK(record.flags == 0, NHC_INVALID_FORMAT,
            cat(at, ": flags ", record.flags, " must be 0 in format version ",
                NHC_ARTIFACT_FORMAT_VERSION));
  NHC_CHECK(record.offset % NHC_ARTIFACT_SECTION_ALIGNMENT == 0,
            NHC_INVALID_FORMAT,
            cat(at, ": offset ", record.offset, " is not a multiple of ",
                NHC_ARTIFACT_SECTION_ALIGNMENT));
  uint64_t fileSize = file.size();
  NHC_CHECK(
      rangeWithin(record.offset, record.size, fileSize), NHC_INVALID_FORMAT,
      cat(at, ": data at offset ", record.offset, " with size ", record.size,
          " extends past the end of the file (", fileSize, " bytes)"));
  NHC_CHECK(record.offset >= NHC_ARTIFACT_HEADER_SIZE, NHC_INVALID_FORMAT,
            cat(at, ": data offset ", record.offset, " overlaps the ",
                NHC_ARTIFACT_HEADER_SIZE, "-byte header"));
  return record;
}

std::vector<SectionRecord> readSectionTable(const FileBytes &file,
                                            const nhc_artifact_header_t &header,
                                            const std::string &where) {
  NHC_CHECK(header.section_count > 0, NHC_INVALID_FORMAT,
            cat(where, ": no sections (a MANIFEST_JSON section is required)"));
  uint64_t tableOffset = header.section_table_offset;
  uint64_t tableSize =
      uint64_t{header.section_count} * NHC_ARTIFACT_SECTION_ENTRY_SIZE;
  NHC_CHECK(tableOffset >= NHC_ARTIFACT_HEADER_SIZE, NHC_INVALID_FORMAT,
            cat(where, ": section table offset ", tableOffset,
                " overlaps the header"));
  NHC_CHECK(rangeWithin(tableOffset, tableSize, header.file_size),
            NHC_INVALID_FORMAT,
            cat(where, ": section table (", header.section_count,
                " entries at offset ", tableOffset,
                ") extends past the end of the file (", header.file_size,
                " bytes)"));
  uint64_t tableEnd = tableOffset + tableSize;

  std::vector<SectionRecord> sections;
  sections.reserve(header.section_count);
  for (uint32_t i = 0; i < header.section_count; ++i)
    sections.push_back(readEntry(
        file, tableOffset + uint64_t{i} * NHC_ARTIFACT_SECTION_ENTRY_SIZE, i,
        where));

  // Sections must not overlap the table (the header was checked per entry).
  for (const SectionRecord &s : sections)
    NHC_CHECK(s.size == 0 || s.offset >= tableEnd ||
                  s.offset + s.size <= tableOffset,
              NHC_INVALID_FORMAT,
              cat(where, ": section '", s.name, "' data [", s.offset, ", ",
                  s.offset + s.size, ") overlaps the section table [",
                  tableOffset, ", ", tableEnd, ")"));

  // Overlap between sections: sort by offset and compare neighbours.
  std::vector<const SectionRecord *> byOffset;
  for (const SectionRecord &s : sections)
    if (s.size > 0)
      byOffset.push_back(&s);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const SectionRecord *a, const SectionRecord *b) {
              return a->offset < b->offset;
            });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const SectionRecord &prev = *byOffset[i - 1];
    const SectionRecord &cur = *byOffset[i];
    NHC_CHECK(cur.offset >= prev.offset + prev.size, NHC_INVALID_FORMAT,
              cat(where, ": sections '", prev.name, "' and '", cur.name,
                  "' overlap"));
  }

  for (size_t i = 0; i < sections.size(); ++i)
    for (size_t j = i + 1; j < sections.size(); ++j)
      NHC_CHECK(sections[i].kind != sections[j].kind ||
                    sections[i].name != sections[j].name,
                NHC_INVALID_FORMAT,
                cat(where, ": duplicate ",
                    nhc_artifact_section_kind_name(sections[i].kind),
                    " section named '", sections[i].name, "'"));
  return sections;
}

const SectionRecord &findManifest(const std::vector<SectionRecord> &sections,
                                  const std::string &where) {
  const SectionRecord *manifest = nullptr;
  for (const SectionRecord &s : sections) {
    if (s.kind != NHC_SECTION_MANIFEST_JSON)
      continue;
    NHC_CHECK(manifest == nullptr, NHC_INVALID_FORMAT,
              cat(where, ": more than one MANIFEST_JSON section ('",
                  manifest ? manifest->name : "", "' and '", s.name, "')"));
    manifest = &s;
  }
  NHC_CHECK(manifest != nullptr, NHC_INVALID_FORMAT,
            cat(where, ": missing MANIFEST_JSON section (kind ",
                NHC_SECTION_MANIFEST_JSON, ")"));
  return *manifest;
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
      [&](const uint8_t *data, uint64_t, uint64_t size) {
        header = readHeader(data, size, where);
      },
      NHC_ARTIFACT_HEADER_SIZE);
  const FileBytes &file = *artifact->file;

  verifyChecksum(file, header, where);
  artifact->sections = readSectionTable(file, header, where);

  const SectionRecord &manifest = findManifest(artifact->sections, where);
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
