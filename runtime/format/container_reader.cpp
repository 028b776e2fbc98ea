//===- container_reader.cpp - Check the artifact container ----------------===//
//
// Validation order matters: sizes and magic first (so nothing is read past
// the end), then version, then the checksum (which covers the section
// table), then every section's bounds, and only then may a caller read the
// sections.
//
//===----------------------------------------------------------------------===//

#include "nhc/format/container.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "nhc/format/message.h"
#include "nhc/runtime/checked_math.h"

namespace nhc::format {

namespace {

ContainerError bad(std::string message) {
  return {NHC_INVALID_FORMAT, std::move(message)};
}

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

/// Reads and checks one table entry on its own; cross-entry rules follow.
ContainerError readEntry(const uint8_t *data, uint64_t fileSize,
                         uint64_t entryOffset, uint32_t index,
                         uint32_t version, const std::string &where,
                         SectionRecord &record) {
  nhc_artifact_section_entry_t entry;
  std::memcpy(&entry, data + entryOffset, sizeof(entry));
  std::string at = cat(where, ": section ", index);

  const char *nul = static_cast<const char *>(
      std::memchr(entry.name, '\0', NHC_ARTIFACT_SECTION_NAME_SIZE));
  if (!nul)
    return bad(cat(at, ": name is not NUL-terminated within ",
                   NHC_ARTIFACT_SECTION_NAME_SIZE, " bytes"));
  record = SectionRecord{
      entry.kind, entry.flags,
      std::string(entry.name, static_cast<size_t>(nul - entry.name)),
      entry.offset, entry.size};
  if (record.name.empty())
    return bad(at + ": name is empty");
  at = cat(at, " ('", record.name, "')");

  uint32_t maxKind = nhc_artifact_max_section_kind(version);
  if (record.kind < NHC_SECTION_KIND_MIN || record.kind > maxKind)
    return bad(cat(at, ": unknown kind ", record.kind, " (format version ",
                   version, " defines kinds ", NHC_SECTION_KIND_MIN, "..",
                   maxKind, ")"));
  if (record.flags != 0)
    return bad(cat(at, ": flags ", record.flags, " must be 0 in format version ",
                   version));
  if (record.offset % NHC_ARTIFACT_SECTION_ALIGNMENT != 0)
    return bad(cat(at, ": offset ", record.offset, " is not a multiple of ",
                   NHC_ARTIFACT_SECTION_ALIGNMENT));
  if (!rangeWithin(record.offset, record.size, fileSize))
    return bad(cat(at, ": data at offset ", record.offset, " with size ",
                   record.size, " extends past the end of the file (",
                   fileSize, " bytes)"));
  if (record.offset < NHC_ARTIFACT_HEADER_SIZE)
    return bad(cat(at, ": data offset ", record.offset, " overlaps the ",
                   NHC_ARTIFACT_HEADER_SIZE, "-byte header"));
  return ContainerError::ok();
}

} // namespace

ContainerError readHeader(const uint8_t *data, uint64_t available,
                          uint64_t fileSize, const std::string &where,
                          nhc_artifact_header_t &header) {
  if (available < NHC_ARTIFACT_HEADER_SIZE || fileSize < NHC_ARTIFACT_HEADER_SIZE)
    return bad(cat(where, ": file is truncated or not an artifact: ", fileSize,
                   " bytes, smaller than the ", NHC_ARTIFACT_HEADER_SIZE,
                   "-byte header"));
  std::memcpy(&header, data, sizeof(header));
  if (std::memcmp(header.magic, NHC_ARTIFACT_MAGIC, NHC_ARTIFACT_MAGIC_SIZE) != 0)
    return bad(cat(where, ": bad magic '", describeMagic(header.magic),
                   "', expected 'NHCARTF\\x00' (not an nhc artifact)"));
  if (header.format_version < NHC_ARTIFACT_MIN_FORMAT_VERSION ||
      header.format_version > NHC_ARTIFACT_FORMAT_VERSION)
    return {NHC_UNSUPPORTED_VERSION,
            cat(where, ": artifact format version ", header.format_version,
                " is not supported (this runtime reads versions ",
                NHC_ARTIFACT_MIN_FORMAT_VERSION, " to ",
                NHC_ARTIFACT_FORMAT_VERSION, ")")};
  if (fileSize < header.file_size)
    return bad(cat(where, ": file is truncated: header says ", header.file_size,
                   " bytes, file has ", fileSize));
  if (fileSize != header.file_size)
    return bad(cat(where, ": file has ", fileSize,
                   " bytes but its header says ", header.file_size,
                   " (trailing data)"));
  for (uint8_t byte : header.reserved)
    if (byte != 0)
      return bad(cat(where, ": reserved header bytes are not zero"));
  return ContainerError::ok();
}

ContainerError readSections(const uint8_t *data, uint64_t size,
                            const nhc_artifact_header_t &header,
                            const std::string &where,
                            std::vector<SectionRecord> &sections) {
  uint64_t actual = nhc_fnv1a64(data + NHC_ARTIFACT_HEADER_SIZE,
                                header.file_size - NHC_ARTIFACT_HEADER_SIZE,
                                NHC_FNV1A64_OFFSET_BASIS);
  if (actual != header.checksum)
    return {NHC_CHECKSUM_MISMATCH,
            cat(where, ": checksum mismatch: header says ",
                hex64(header.checksum), ", bytes [64, ", header.file_size,
                ") hash to ", hex64(actual),
                " (file is corrupted or was modified)")};

  if (header.section_count == 0)
    return bad(cat(where, ": no sections (a MANIFEST_JSON section is required)"));
  if (header.section_count > kMaxSections)
    return bad(cat(where, ": ", header.section_count,
                   " sections, more than the limit ", kMaxSections,
                   " (nhc::format::kMaxSections)"));
  uint64_t tableOffset = header.section_table_offset;
  uint64_t tableSize =
      uint64_t{header.section_count} * NHC_ARTIFACT_SECTION_ENTRY_SIZE;
  if (tableOffset < NHC_ARTIFACT_HEADER_SIZE)
    return bad(cat(where, ": section table offset ", tableOffset,
                   " overlaps the header"));
  if (!rangeWithin(tableOffset, tableSize, header.file_size))
    return bad(cat(where, ": section table (", header.section_count,
                   " entries at offset ", tableOffset,
                   ") extends past the end of the file (", header.file_size,
                   " bytes)"));
  uint64_t tableEnd = tableOffset + tableSize;

  sections.clear();
  sections.reserve(header.section_count);
  for (uint32_t i = 0; i < header.section_count; ++i) {
    SectionRecord record;
    ContainerError error = readEntry(
        data, size, tableOffset + uint64_t{i} * NHC_ARTIFACT_SECTION_ENTRY_SIZE,
        i, header.format_version, where, record);
    if (error.failed())
      return error;
    sections.push_back(std::move(record));
  }

  // Sections must not overlap the table (the header was checked per entry).
  for (const SectionRecord &s : sections)
    if (!(s.size == 0 || s.offset >= tableEnd ||
          s.offset + s.size <= tableOffset))
      return bad(cat(where, ": section '", s.name, "' data [", s.offset, ", ",
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
    if (cur.offset < prev.offset + prev.size)
      return bad(cat(where, ": sections '", prev.name, "' and '", cur.name,
                     "' overlap"));
  }

  // Duplicates: sort by (kind, name) and compare neighbours.
  std::vector<const SectionRecord *> byName;
  for (const SectionRecord &s : sections)
    byName.push_back(&s);
  auto key = [](const SectionRecord *s) { return std::tie(s->kind, s->name); };
  std::sort(byName.begin(), byName.end(),
            [&](const SectionRecord *a, const SectionRecord *b) {
              return key(a) < key(b);
            });
  for (size_t i = 1; i < byName.size(); ++i)
    if (key(byName[i - 1]) == key(byName[i]))
      return bad(cat(where, ": duplicate ",
                     nhc_artifact_section_kind_name(byName[i]->kind),
                     " section named '", byName[i]->name, "'"));
  return ContainerError::ok();
}

ContainerError findManifest(const std::vector<SectionRecord> &sections,
                            const std::string &where, size_t &index) {
  const SectionRecord *manifest = nullptr;
  for (size_t i = 0; i < sections.size(); ++i) {
    const SectionRecord &s = sections[i];
    if (s.kind != NHC_SECTION_MANIFEST_JSON)
      continue;
    if (manifest)
      return bad(cat(where, ": more than one MANIFEST_JSON section ('",
                     manifest->name, "' and '", s.name, "')"));
    manifest = &s;
    index = i;
  }
  if (!manifest)
    return bad(cat(where, ": missing MANIFEST_JSON section (kind ",
                   NHC_SECTION_MANIFEST_JSON, ")"));
  return ContainerError::ok();
}

} // namespace nhc::format
