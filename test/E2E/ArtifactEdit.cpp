//===- ArtifactEdit.cpp - Copies of compiled artifacts, edited ------------===//

#include "ArtifactEdit.h"

#include "nhc/format/container.h"

#include <fstream>
#include <iterator>
#include <vector>

namespace nhc::test {

std::string writeEditedJsonSection(
    const std::string &from, const std::string &to, uint32_t kind,
    const std::function<void(nlohmann::json &)> &edit) {
  std::ifstream in(from, std::ios::binary);
  if (!in)
    return "cannot read " + from;
  const std::string bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  const auto *data = reinterpret_cast<const uint8_t *>(bytes.data());
  nhc_artifact_header_t header{};
  std::vector<format::SectionRecord> sections;
  format::ContainerError error =
      format::readHeader(data, bytes.size(), bytes.size(), from, header);
  if (!error.failed())
    error = format::readSections(data, bytes.size(), header, from, sections);
  if (error.failed())
    return error.message;
  format::ContainerWriter writer;
  bool edited = false;
  for (const format::SectionRecord &section : sections) {
    std::string content = bytes.substr(section.offset, section.size);
    if (section.kind == kind) {
      nlohmann::json json = nlohmann::json::parse(content);
      edit(json);
      content = json.dump();
      edited = true;
    }
    if (section.kind == NHC_SECTION_MANIFEST_JSON)
      writer.setManifest(content);
    else
      writer.addSection(section.kind, section.name, content);
  }
  if (!edited)
    return from + " has no section of kind " + std::to_string(kind);
  error = writer.writeFile(to);
  return error.failed() ? error.message : std::string();
}

} // namespace nhc::test
