//===- artifact_test.cpp - Artifact loading and validation ----------------===//

#include <cstddef>
#include <cstring>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "nhc/format/container.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

struct ArtifactDeleter {
  void operator()(nhc_artifact_t *a) const { nhc_artifact_release(a); }
};
using ArtifactPtr = std::unique_ptr<nhc_artifact_t, ArtifactDeleter>;

class ArtifactTest : public ::testing::Test {
protected:
  std::string path() const { return dir.file("model.nhc"); }

  /// Writes `bytes` and loads them; returns the status.
  nhc_status_t load(const Bytes &bytes) {
    writeBytes(path(), bytes);
    nhc_artifact_t *raw = nullptr;
    nhc_status_t status = nhc_artifact_load(path().c_str(), &raw);
    artifact.reset(raw);
    if (status != NHC_OK)
      EXPECT_EQ(raw, nullptr) << "failed load must not produce a handle";
    return status;
  }

  Bytes good() const { return buildArtifact(tinyManifest().dump()); }

  TempDir dir;
  ArtifactPtr artifact;
};

TEST_F(ArtifactTest, RoundTrip) {
  std::string manifest = tinyManifest().dump();
  std::string shared = std::string("\x7f"
                                   "ELF",
                                   4) +
                       std::string(1000, 'x');
  std::string ptx = ".version 8.0\n.target sm_90\n";
  std::string cubin(77, '\x42');
  format::ContainerWriter writer;
  writer.setManifest(manifest);
  writer.addSection(NHC_SECTION_HOST_SHARED_LIBRARY, "host", shared);
  writer.addSection(NHC_SECTION_PTX, "sm_90", ptx);
  writer.addSection(NHC_SECTION_CUBIN, "sm_90", cubin);
  writer.addSection(NHC_SECTION_HOST_OBJECT, "empty", std::string_view());
  format::ContainerError error = writer.writeFile(path());
  ASSERT_FALSE(error.failed()) << error.message;

  nhc_artifact_t *raw = nullptr;
  ASSERT_EQ(nhc_artifact_load(path().c_str(), &raw), NHC_OK) << lastError();
  artifact.reset(raw);
  EXPECT_STREQ(nhc_artifact_path(raw), path().c_str());

  size_t size = 0;
  EXPECT_EQ(std::string(nhc_artifact_manifest_json(raw, &size)), manifest);
  EXPECT_EQ(size, manifest.size());

  ASSERT_EQ(nhc_artifact_section_count(raw), 5u);
  nhc_section_t section;
  ASSERT_EQ(nhc_artifact_section_at(raw, 0, &section), NHC_OK);
  EXPECT_EQ(section.kind, uint32_t{NHC_SECTION_MANIFEST_JSON});
  EXPECT_STREQ(section.name, "manifest");

  ASSERT_EQ(
      nhc_artifact_find_section(raw, NHC_SECTION_CUBIN, "sm_90", &section),
      NHC_OK);
  EXPECT_EQ(std::string(static_cast<const char *>(section.data), section.size),
            cubin);
  ASSERT_EQ(nhc_artifact_find_section(raw, NHC_SECTION_PTX, nullptr, &section),
            NHC_OK);
  EXPECT_EQ(std::string(static_cast<const char *>(section.data), section.size),
            ptx);
  ASSERT_EQ(nhc_artifact_find_section(raw, NHC_SECTION_HOST_SHARED_LIBRARY,
                                      "host", &section),
            NHC_OK);
  EXPECT_EQ(std::string(static_cast<const char *>(section.data), section.size),
            shared);
  ASSERT_EQ(nhc_artifact_find_section(raw, NHC_SECTION_HOST_OBJECT, "empty",
                                      &section),
            NHC_OK);
  EXPECT_EQ(section.size, 0u);

  for (size_t i = 0; i < nhc_artifact_section_count(raw); ++i) {
    ASSERT_EQ(nhc_artifact_section_at(raw, i, &section), NHC_OK);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(section.data) % 64, 0u)
        << "section " << i << " is not 64-byte aligned";
  }

  const nhc_manifest_t *parsed = nhc_artifact_manifest(raw);
  ASSERT_NE(parsed, nullptr);
  nhc_model_info_t info;
  ASSERT_EQ(nhc_manifest_model_info(parsed, &info), NHC_OK);
  EXPECT_EQ(info.hidden_size, 64u);
  EXPECT_EQ(info.num_layers, 4u);
  // Releasing a borrowed manifest is a no-op, not a double free.
  nhc_manifest_release(const_cast<nhc_manifest_t *>(parsed));
}

TEST_F(ArtifactTest, FileLayoutMatchesSpec) {
  Bytes bytes = good();
  EXPECT_EQ(std::memcmp(bytes.data(), "NHCARTF\0", 8), 0);
  EXPECT_EQ(peek<uint32_t>(bytes, 8), NHC_ARTIFACT_FORMAT_VERSION);
  EXPECT_EQ(peek<uint32_t>(bytes, 12), 3u);           // section_count
  EXPECT_EQ(peek<uint64_t>(bytes, 16), bytes.size()); // file_size
  EXPECT_EQ(peek<uint64_t>(bytes, 24), 64u);          // table offset
  EXPECT_EQ(peek<uint64_t>(bytes, 32),
            nhc_fnv1a64(bytes.data() + 64, bytes.size() - 64,
                        NHC_FNV1A64_OFFSET_BASIS)); // checksum
  for (size_t i = 40; i < 64; ++i)
    EXPECT_EQ(bytes[i], 0) << "reserved byte " << i;
  // First entry: the manifest, data right after the 3-entry table.
  size_t entry = sectionEntryOffset(0);
  EXPECT_EQ(peek<uint32_t>(bytes, entry), uint32_t{NHC_SECTION_MANIFEST_JSON});
  EXPECT_EQ(peek<uint32_t>(bytes, entry + 4), 0u);
  EXPECT_EQ(peek<uint64_t>(bytes, entry + 8), 64u + 3 * 64);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(&bytes[entry + 24])),
            "manifest");
  EXPECT_EQ(offsetof(nhc_artifact_section_entry_t, name), 24u);
  EXPECT_EQ(offsetof(nhc_artifact_header_t, reserved), 40u);
}

TEST_F(ArtifactTest, Fnv1aKnownVectors) {
  EXPECT_EQ(nhc_fnv1a64("", 0, NHC_FNV1A64_OFFSET_BASIS),
            0xcbf29ce484222325ull);
  EXPECT_EQ(nhc_fnv1a64("a", 1, NHC_FNV1A64_OFFSET_BASIS),
            0xaf63dc4c8601ec8cull);
  EXPECT_EQ(nhc_fnv1a64("foobar", 6, NHC_FNV1A64_OFFSET_BASIS),
            0x85944171f73967e8ull);
  // Incremental hashing through the seed.
  EXPECT_EQ(
      nhc_fnv1a64("bar", 3, nhc_fnv1a64("foo", 3, NHC_FNV1A64_OFFSET_BASIS)),
      0x85944171f73967e8ull);
}

TEST_F(ArtifactTest, MissingFile) {
  nhc_artifact_t *raw = nullptr;
  EXPECT_EQ(nhc_artifact_load(path().c_str(), &raw), NHC_IO_ERROR);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("cannot open"),
                                 HasSubstr("No such file")));
}

TEST_F(ArtifactTest, DirectoryIsNotAnArtifact) {
  nhc_artifact_t *raw = nullptr;
  EXPECT_EQ(nhc_artifact_load(dir.path().c_str(), &raw), NHC_IO_ERROR);
  EXPECT_THAT(lastError(), HasSubstr("is a directory"));
}

TEST_F(ArtifactTest, NullArguments) {
  nhc_artifact_t *raw = nullptr;
  EXPECT_EQ(nhc_artifact_load(nullptr, &raw), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("'path' must not be NULL"));
  EXPECT_EQ(nhc_artifact_load("x", nullptr), NHC_INVALID_ARGUMENT);
}

TEST_F(ArtifactTest, FileSmallerThanHeader) {
  EXPECT_EQ(load(Bytes(10, 0)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("10 bytes"),
                                 HasSubstr("64-byte header")));
}

TEST_F(ArtifactTest, WrongMagic) {
  Bytes bytes = good();
  std::memcpy(bytes.data(), "GGUF\0\0\0\0", 8);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("bad magic"),
                                 HasSubstr("GGUF")));
}

TEST_F(ArtifactTest, WrongVersion) {
  Bytes bytes = good();
  poke<uint32_t>(bytes, offsetof(nhc_artifact_header_t, format_version),
                 NHC_ARTIFACT_FORMAT_VERSION + 1);
  EXPECT_EQ(load(bytes), NHC_UNSUPPORTED_VERSION);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr(path()),
                    HasSubstr("format version " +
                              std::to_string(NHC_ARTIFACT_FORMAT_VERSION + 1)),
                    HasSubstr("reads versions 1 to " +
                              std::to_string(NHC_ARTIFACT_FORMAT_VERSION))));
}

TEST_F(ArtifactTest, TruncatedFile) {
  Bytes bytes = good();
  size_t full = bytes.size();
  bytes.resize(full - 10);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("truncated"),
                                 HasSubstr(std::to_string(full)),
                                 HasSubstr(std::to_string(full - 10))));
}

TEST_F(ArtifactTest, TrailingData) {
  Bytes bytes = good();
  bytes.push_back(0);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("trailing data"));
}

TEST_F(ArtifactTest, NonZeroReservedBytes) {
  Bytes bytes = good();
  bytes[offsetof(nhc_artifact_header_t, reserved) + 3] = 1;
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("reserved header bytes"));
}

TEST_F(ArtifactTest, FlippedByteFailsChecksum) {
  Bytes bytes = good();
  bytes[bytes.size() - 5] ^= 0x01; // inside the last section's data
  EXPECT_EQ(load(bytes), NHC_CHECKSUM_MISMATCH);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr(path()), HasSubstr("checksum mismatch")));
}

TEST_F(ArtifactTest, FlippedByteInSectionTableFailsChecksum) {
  Bytes bytes = good();
  bytes[sectionEntryOffset(1) + 8] ^= 0x40;
  EXPECT_EQ(load(bytes), NHC_CHECKSUM_MISMATCH);
}

TEST_F(ArtifactTest, SectionPastEndOfFile) {
  Bytes bytes = good();
  poke<uint64_t>(bytes, sectionEntryOffset(2) + 16, uint64_t{1} << 40);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("section 2"),
                                 HasSubstr("'sm_90'"),
                                 HasSubstr("past the end of the file")));
}

TEST_F(ArtifactTest, SectionSizeOverflow) {
  Bytes bytes = good();
  poke<uint64_t>(bytes, sectionEntryOffset(1) + 16, ~uint64_t{0});
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("past the end of the file"));
}

TEST_F(ArtifactTest, SectionOverlapsHeader) {
  Bytes bytes = good();
  poke<uint64_t>(bytes, sectionEntryOffset(1) + 8, 0);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("overlaps the 64-byte header"));
}

TEST_F(ArtifactTest, SectionOverlapsTable) {
  Bytes bytes = good();
  poke<uint64_t>(bytes, sectionEntryOffset(1) + 8, 128);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("overlaps the section table"));
}

TEST_F(ArtifactTest, SectionsOverlapEachOther) {
  Bytes bytes = good();
  uint64_t manifestOffset = peek<uint64_t>(bytes, sectionEntryOffset(0) + 8);
  poke<uint64_t>(bytes, sectionEntryOffset(2) + 8, manifestOffset);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("'manifest'"), HasSubstr("'sm_90'"),
                                 HasSubstr("overlap")));
}

TEST_F(ArtifactTest, MisalignedSection) {
  Bytes bytes = good();
  uint64_t offset = peek<uint64_t>(bytes, sectionEntryOffset(2) + 8);
  poke<uint64_t>(bytes, sectionEntryOffset(2) + 8, offset + 8);
  poke<uint64_t>(bytes, sectionEntryOffset(2) + 16, 1);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("not a multiple of 64"));
}

TEST_F(ArtifactTest, SectionTableOutOfBounds) {
  Bytes bytes = good();
  poke<uint32_t>(bytes, offsetof(nhc_artifact_header_t, section_count), 1000);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("section table"), HasSubstr("1000 entries"),
                    HasSubstr("past the end of the file")));
}

TEST_F(ArtifactTest, UnknownSectionKind) {
  Bytes bytes = good();
  poke<uint32_t>(bytes, sectionEntryOffset(1), 99);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("'host'"), HasSubstr("unknown kind 99")));
}

TEST_F(ArtifactTest, NonZeroFlags) {
  Bytes bytes = good();
  poke<uint32_t>(bytes, sectionEntryOffset(1) + 4, 1);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("flags 1 must be 0"));
}

TEST_F(ArtifactTest, UnterminatedSectionName) {
  Bytes bytes = good();
  std::memset(bytes.data() + sectionEntryOffset(1) + 24, 'a', 40);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("not NUL-terminated"));
}

TEST_F(ArtifactTest, DuplicateSection) {
  Bytes bytes = good();
  // Turn "sm_90" PTX into a second HOST_SHARED_LIBRARY named "host".
  poke<uint32_t>(bytes, sectionEntryOffset(2), NHC_SECTION_HOST_SHARED_LIBRARY);
  std::memcpy(bytes.data() + sectionEntryOffset(2) + 24, "host\0\0", 6);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("duplicate HOST_SHARED_LIBRARY section"));
}

// Up to kMaxSections sections load (the duplicate check sorts: 4096 of them
// do not take the seconds a pairwise check took); one more is refused, by
// the writer and the reader. A duplicate among many is still found.
TEST_F(ArtifactTest, SectionCountIsBounded) {
  auto many = [](uint32_t count) {
    format::ContainerWriter writer;
    writer.setManifest(tinyManifest().dump());
    for (uint32_t i = 1; i < count; ++i)
      writer.addSection(NHC_SECTION_HOST_OBJECT, "s" + std::to_string(i), "");
    return writer;
  };
  std::string bytes;
  ASSERT_FALSE(many(format::kMaxSections).serialize(bytes).failed());
  EXPECT_EQ(load(Bytes(bytes.begin(), bytes.end())), NHC_OK) << lastError();

  std::string ignored;
  format::ContainerError tooMany =
      many(format::kMaxSections + 1).serialize(ignored);
  EXPECT_TRUE(tooMany.failed());
  EXPECT_THAT(tooMany.message, HasSubstr("more than the limit 4096"));

  // The reader's own check, on the table's count raised by one (refused
  // before the extra entry is read).
  Bytes raised(bytes.begin(), bytes.end());
  poke<uint32_t>(raised, offsetof(nhc_artifact_header_t, section_count),
                 format::kMaxSections + 1);
  fixChecksum(raised);
  EXPECT_EQ(load(raised), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("4097 sections, more than the limit 4096"));

  // A duplicate the writer would refuse, made by renaming the last section.
  Bytes renamed(bytes.begin(), bytes.end());
  std::memcpy(renamed.data() + sectionEntryOffset(format::kMaxSections - 1) + 24,
              "s1\0\0\0\0", 6);
  fixChecksum(renamed);
  EXPECT_EQ(load(renamed), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("duplicate HOST_OBJECT section named 's1'"));
}

TEST_F(ArtifactTest, MissingManifest) {
  Bytes bytes = good();
  poke<uint32_t>(bytes, sectionEntryOffset(0), NHC_SECTION_HOST_OBJECT);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr(path()), HasSubstr("missing MANIFEST_JSON")));
}

TEST_F(ArtifactTest, TwoManifests) {
  Bytes bytes = good();
  poke<uint32_t>(bytes, sectionEntryOffset(1), NHC_SECTION_MANIFEST_JSON);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("more than one MANIFEST_JSON"));
}

// Version 2 only added the LAUNCH_TABLE_JSON kind: version 1 files still
// load, and may not hold that kind. Older versions and newer ones do not.
TEST_F(ArtifactTest, ReadsVersionOne) {
  Bytes bytes = good(); // version is not checksummed
  poke<uint32_t>(bytes, offsetof(nhc_artifact_header_t, format_version), 1);
  EXPECT_EQ(load(bytes), NHC_OK) << lastError();

  format::ContainerWriter writer;
  writer.setManifest(tinyManifest().dump());
  writer.addSection(NHC_SECTION_LAUNCH_TABLE_JSON, "cuda", "{}");
  std::string v2;
  ASSERT_FALSE(writer.serialize(v2).failed());
  Bytes withTable(v2.begin(), v2.end());
  EXPECT_EQ(load(withTable), NHC_OK) << lastError();
  poke<uint32_t>(withTable, offsetof(nhc_artifact_header_t, format_version),
                 1);
  EXPECT_EQ(load(withTable), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("section 1 ('cuda')"), HasSubstr("unknown kind 6"),
                    HasSubstr("format version 1 defines kinds 1..5")));

  poke<uint32_t>(bytes, offsetof(nhc_artifact_header_t, format_version), 0);
  EXPECT_EQ(load(bytes), NHC_UNSUPPORTED_VERSION);
  EXPECT_THAT(lastError(), HasSubstr("format version 0 is not supported"));
}

TEST_F(ArtifactTest, NoSections) {
  Bytes bytes(64, 0);
  std::memcpy(bytes.data(), NHC_ARTIFACT_MAGIC, 8);
  poke<uint32_t>(bytes, 8, NHC_ARTIFACT_FORMAT_VERSION);
  poke<uint64_t>(bytes, 16, 64);
  poke<uint64_t>(bytes, 24, 64);
  fixChecksum(bytes);
  EXPECT_EQ(load(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("no sections"));
}

TEST_F(ArtifactTest, ManifestNotJson) {
  EXPECT_EQ(load(buildArtifact("{\"format\": nhc")), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("manifest"),
                                 HasSubstr("not valid JSON")));
}

TEST_F(ArtifactTest, ManifestWrongFormatKey) {
  Json manifest = tinyManifest();
  manifest["format"] = "onnx";
  EXPECT_EQ(load(buildArtifact(manifest.dump())), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("'onnx'"),
                                 HasSubstr("expected 'nhc-manifest'")));
}

TEST_F(ArtifactTest, ManifestMissingFormatKey) {
  Json manifest = tinyManifest();
  manifest.erase("format");
  EXPECT_EQ(load(buildArtifact(manifest.dump())), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("missing key 'format'"));
}

TEST_F(ArtifactTest, ManifestWrongVersion) {
  Json manifest = tinyManifest();
  manifest["version"] = 7;
  EXPECT_EQ(load(buildArtifact(manifest.dump())), NHC_UNSUPPORTED_VERSION);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr(path()), HasSubstr("manifest version 7"),
                    HasSubstr("reads version 1")));
}

TEST_F(ArtifactTest, FindSectionNotFound) {
  ASSERT_EQ(load(good()), NHC_OK) << lastError();
  nhc_section_t section;
  EXPECT_EQ(nhc_artifact_find_section(artifact.get(), NHC_SECTION_CUBIN,
                                      "sm_100", &section),
            NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("no CUBIN section"),
                                 HasSubstr("'sm_100'"), HasSubstr(path())));
  EXPECT_EQ(nhc_artifact_section_at(artifact.get(), 3, &section),
            NHC_INVALID_ARGUMENT);
}

} // namespace
} // namespace nhc::test
