//===- container_writer.cpp - Write the artifact container ----------------===//

#include "nhc/format/container.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "nhc/format/message.h"

namespace nhc::format {

namespace {

constexpr const char *kManifestName = "manifest";

ContainerError invalid(std::string message) {
  return {NHC_INVALID_ARGUMENT, std::move(message)};
}

} // namespace

void ContainerWriter::setManifest(std::string_view json) {
  for (Section &section : sections_) {
    if (section.kind == NHC_SECTION_MANIFEST_JSON) {
      section.data.assign(json.begin(), json.end());
      return;
    }
  }
  addSection(NHC_SECTION_MANIFEST_JSON, kManifestName, json);
}

void ContainerWriter::addSection(uint32_t kind, std::string_view name,
                                 std::string_view bytes) {
  sections_.push_back(Section{kind, std::string(name), std::string(bytes)});
}

ContainerError ContainerWriter::serialize(std::string &out) const {
  size_t manifests = 0;
  if (sections_.size() > kMaxSections)
    return invalid(cat("artifact writer: ", sections_.size(),
                       " sections, more than the limit ", kMaxSections));
  for (size_t i = 0; i < sections_.size(); ++i) {
    const Section &s = sections_[i];
    std::string at = cat("artifact writer: section ", i, " ('", s.name, "')");
    if (s.kind < NHC_SECTION_KIND_MIN || s.kind > NHC_SECTION_KIND_MAX)
      return invalid(cat(at, ": unknown kind ", s.kind));
    if (s.name.empty())
      return invalid(at + ": empty name");
    if (s.name.size() >= NHC_ARTIFACT_SECTION_NAME_SIZE)
      return invalid(cat(at, ": name is ", s.name.size(), " bytes, at most ",
                         NHC_ARTIFACT_SECTION_NAME_SIZE - 1, " allowed"));
    if (s.name.find('\0') != std::string::npos)
      return invalid(at + ": name contains a NUL byte");
    for (size_t j = 0; j < i; ++j)
      if (sections_[j].kind == s.kind && sections_[j].name == s.name)
        return invalid(cat(at, ": duplicate ",
                           nhc_artifact_section_kind_name(s.kind),
                           " section name"));
    if (s.kind == NHC_SECTION_MANIFEST_JSON)
      ++manifests;
  }
  if (manifests != 1)
    return invalid(
        cat("artifact writer: exactly one MANIFEST_JSON section is required, ",
            manifests, " given"));

  // Layout: header | section table | 64-byte aligned section data.
  const uint64_t tableOffset = NHC_ARTIFACT_HEADER_SIZE;
  uint64_t cursor = tableOffset + sections_.size() *
                                      uint64_t{NHC_ARTIFACT_SECTION_ENTRY_SIZE};
  std::vector<nhc_artifact_section_entry_t> entries(sections_.size());
  for (size_t i = 0; i < sections_.size(); ++i) {
    nhc_artifact_section_entry_t &entry = entries[i];
    std::memset(&entry, 0, sizeof(entry));
    entry.kind = sections_[i].kind;
    entry.offset = nhc_artifact_align_up(cursor, NHC_ARTIFACT_SECTION_ALIGNMENT);
    entry.size = sections_[i].data.size();
    std::memcpy(entry.name, sections_[i].name.data(), sections_[i].name.size());
    cursor = entry.offset + entry.size;
  }

  std::string bytes(cursor, '\0');
  std::memcpy(&bytes[tableOffset], entries.data(),
              entries.size() * sizeof(nhc_artifact_section_entry_t));
  for (size_t i = 0; i < sections_.size(); ++i)
    if (!sections_[i].data.empty())
      std::memcpy(&bytes[entries[i].offset], sections_[i].data.data(),
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
  std::memcpy(&bytes[0], &header, sizeof(header));
  out = std::move(bytes);
  return ContainerError::ok();
}

ContainerError ContainerWriter::writeFile(const std::string &path) const {
  std::string bytes;
  ContainerError error = serialize(bytes);
  if (error.failed())
    return error;
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return {NHC_IO_ERROR, cat("artifact writer: cannot open '", path,
                              "' for writing: ", std::strerror(errno))};
  size_t written = std::fwrite(bytes.data(), 1, bytes.size(), file);
  int closed = std::fclose(file);
  if (written != bytes.size() || closed != 0)
    return {NHC_IO_ERROR, cat("artifact writer: cannot write '", path,
                              "': ", std::strerror(errno))};
  return ContainerError::ok();
}

} // namespace nhc::format
