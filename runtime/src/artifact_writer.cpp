//===- artifact_writer.cpp - Serialize artifact files ---------------------===//

#include "nhc/runtime/artifact_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "error.h"

namespace nhc::runtime {

namespace {

constexpr const char *kManifestName = "manifest";

void validateSections(const std::vector<uint32_t> &kinds,
                      const std::vector<std::string> &names) {
  size_t manifests = 0;
  for (size_t i = 0; i < kinds.size(); ++i) {
    std::string at = cat("artifact writer: section ", i, " ('", names[i], "')");
    NHC_CHECK(kinds[i] >= NHC_SECTION_KIND_MIN &&
                  kinds[i] <= NHC_SECTION_KIND_MAX,
              NHC_INVALID_ARGUMENT, cat(at, ": unknown kind ", kinds[i]));
    NHC_CHECK(!names[i].empty(), NHC_INVALID_ARGUMENT, at + ": empty name");
    NHC_CHECK(names[i].size() < NHC_ARTIFACT_SECTION_NAME_SIZE,
              NHC_INVALID_ARGUMENT,
              cat(at, ": name is ", names[i].size(), " bytes, at most ",
                  NHC_ARTIFACT_SECTION_NAME_SIZE - 1, " allowed"));
    NHC_CHECK(names[i].find('\0') == std::string::npos, NHC_INVALID_ARGUMENT,
              at + ": name contains a NUL byte");
    for (size_t j = 0; j < i; ++j)
      NHC_CHECK(kinds[j] != kinds[i] || names[j] != names[i],
                NHC_INVALID_ARGUMENT,
                cat(at, ": duplicate ",
                    nhc_artifact_section_kind_name(kinds[i]), " section name"));
    if (kinds[i] == NHC_SECTION_MANIFEST_JSON)
      ++manifests;
  }
  NHC_CHECK(
      manifests == 1, NHC_INVALID_ARGUMENT,
      cat("artifact writer: exactly one MANIFEST_JSON section is required, ",
          manifests, " given"));
}

} // namespace

void ArtifactWriter::setManifest(std::string_view json) {
  for (Section &section : sections_) {
    if (section.kind == NHC_SECTION_MANIFEST_JSON) {
      section.data.assign(json.begin(), json.end());
      return;
    }
  }
  addSection(NHC_SECTION_MANIFEST_JSON, kManifestName, json.data(),
             json.size());
}

void ArtifactWriter::addSection(uint32_t kind, std::string_view name,
                                const void *data, size_t size) {
  const uint8_t *bytes = static_cast<const uint8_t *>(data);
  sections_.push_back(Section{kind, std::string(name),
                              std::vector<uint8_t>(bytes, bytes + size)});
}

nhc_status_t ArtifactWriter::serialize(std::vector<uint8_t> &out) const {
  return guard("ArtifactWriter::serialize", [&] {
    std::vector<uint32_t> kinds;
    std::vector<std::string> names;
    for (const Section &section : sections_) {
      kinds.push_back(section.kind);
      names.push_back(section.name);
    }
    validateSections(kinds, names);

    // Layout: header | section table | 64-byte aligned section data.
    const uint64_t tableOffset = NHC_ARTIFACT_HEADER_SIZE;
    uint64_t cursor =
        tableOffset +
        sections_.size() * uint64_t{NHC_ARTIFACT_SECTION_ENTRY_SIZE};
    std::vector<nhc_artifact_section_entry_t> entries(sections_.size());
    for (size_t i = 0; i < sections_.size(); ++i) {
      nhc_artifact_section_entry_t &entry = entries[i];
      std::memset(&entry, 0, sizeof(entry));
      entry.kind = sections_[i].kind;
      entry.flags = 0;
      entry.offset =
          nhc_artifact_align_up(cursor, NHC_ARTIFACT_SECTION_ALIGNMENT);
      entry.size = sections_[i].data.size();
      std::memcpy(entry.name, sections_[i].name.data(),
                  sections_[i].name.size());
      cursor = entry.offset + entry.size;
    }

    std::vector<uint8_t> bytes(cursor, 0);
    std::memcpy(bytes.data() + tableOffset, entries.data(),
                entries.size() * sizeof(nhc_artifact_section_entry_t));
    for (size_t i = 0; i < sections_.size(); ++i)
      if (!sections_[i].data.empty())
        std::memcpy(bytes.data() + entries[i].offset, sections_[i].data.data(),
                    sections_[i].data.size());

    nhc_artifact_header_t header;
    std::memset(&header, 0, sizeof(header));
    std::memcpy(header.magic, NHC_ARTIFACT_MAGIC, NHC_ARTIFACT_MAGIC_SIZE);
    header.format_version = NHC_ARTIFACT_FORMAT_VERSION;
    header.section_count = static_cast<uint32_t>(sections_.size());
    header.file_size = bytes.size();
    header.section_table_offset = tableOffset;
    header.checksum = nhc_fnv1a64(bytes.data() + NHC_ARTIFACT_HEADER_SIZE,
                                  bytes.size() - NHC_ARTIFACT_HEADER_SIZE,
                                  NHC_FNV1A64_OFFSET_BASIS);
    std::memcpy(bytes.data(), &header, sizeof(header));
    out = std::move(bytes);
  });
}

nhc_status_t ArtifactWriter::writeFile(const std::string &path) const {
  std::vector<uint8_t> bytes;
  nhc_status_t status = serialize(bytes);
  if (status != NHC_OK)
    return status;
  return guard("ArtifactWriter::writeFile", [&] {
    std::FILE *file = std::fopen(path.c_str(), "wb");
    NHC_CHECK(file != nullptr, NHC_IO_ERROR,
              cat("artifact writer: cannot open '", path,
                  "' for writing: ", std::strerror(errno)));
    size_t written = std::fwrite(bytes.data(), 1, bytes.size(), file);
    int closeResult = std::fclose(file);
    NHC_CHECK(written == bytes.size() && closeResult == 0, NHC_IO_ERROR,
              cat("artifact writer: cannot write '", path,
                  "': ", std::strerror(errno)));
  });
}

} // namespace nhc::runtime
