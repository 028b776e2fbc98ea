//===- ArtifactWriter.cpp - write the versioned nhc artifact ----*- C++ -*-===//

#include "nhc/Artifact/ArtifactWriter.h"

#include "nhc/runtime/artifact.h"

#include <cstring>

namespace mlir::nhc {

namespace {
uint64_t alignUp(uint64_t value) {
  return (value + NHC_ARTIFACT_SECTION_ALIGNMENT - 1) /
         NHC_ARTIFACT_SECTION_ALIGNMENT * NHC_ARTIFACT_SECTION_ALIGNMENT;
}
} // namespace

std::string serializeArtifact(const std::vector<ArtifactSection> &sections) {
  // Layout: header, section table, then each section at a 64-byte boundary.
  uint64_t tableOffset = NHC_ARTIFACT_HEADER_SIZE;
  uint64_t cursor =
      alignUp(tableOffset + sections.size() * NHC_ARTIFACT_SECTION_ENTRY_SIZE);
  std::vector<nhc_artifact_section_entry_t> table(sections.size());
  for (size_t i = 0; i < sections.size(); ++i) {
    nhc_artifact_section_entry_t &entry = table[i];
    std::memset(&entry, 0, sizeof(entry));
    entry.kind = sections[i].kind;
    entry.offset = cursor;
    entry.size = sections[i].data.size();
    std::strncpy(entry.name, sections[i].name.c_str(),
                 NHC_ARTIFACT_SECTION_NAME_SIZE - 1);
    cursor = alignUp(cursor + entry.size);
  }
  // The file ends right after the last section's data.
  uint64_t fileSize = sections.empty()
                          ? tableOffset
                          : table.back().offset + table.back().size;

  std::string bytes(fileSize, '\0');
  std::memcpy(&bytes[tableOffset], table.data(),
              table.size() * sizeof(nhc_artifact_section_entry_t));
  for (size_t i = 0; i < sections.size(); ++i)
    std::memcpy(&bytes[table[i].offset], sections[i].data.data(),
                sections[i].data.size());

  nhc_artifact_header_t header;
  std::memset(&header, 0, sizeof(header));
  std::memcpy(header.magic, NHC_ARTIFACT_MAGIC, NHC_ARTIFACT_MAGIC_SIZE);
  header.format_version = NHC_ARTIFACT_FORMAT_VERSION;
  header.section_count = static_cast<uint32_t>(sections.size());
  header.file_size = fileSize;
  header.section_table_offset = tableOffset;
  header.checksum =
      nhc_fnv1a64(bytes.data() + NHC_ARTIFACT_HEADER_SIZE,
                  fileSize - NHC_ARTIFACT_HEADER_SIZE, NHC_FNV1A64_OFFSET_BASIS);
  std::memcpy(&bytes[0], &header, sizeof(header));
  return bytes;
}

} // namespace mlir::nhc
