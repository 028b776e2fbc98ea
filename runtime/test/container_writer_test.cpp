//===- container_writer_test.cpp - Writer-side format rules ---------------===//
//
// nhc_format's ContainerWriter: the checks every artifact writer (the
// compiler, these tests) goes through, and a round trip through the
// runtime's reader.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/format/container.h"
#include "nhc/runtime/api.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using format::ContainerError;
using format::ContainerWriter;
using ::testing::HasSubstr;

Bytes toBytes(const std::string &text) { return Bytes(text.begin(), text.end()); }

TEST(ContainerWriterTest, RequiresExactlyOneManifest) {
  ContainerWriter writer;
  writer.addSection(NHC_SECTION_PTX, "sm_90", "x");
  std::string bytes;
  ContainerError error = writer.serialize(bytes);
  EXPECT_EQ(error.status, NHC_INVALID_ARGUMENT);
  EXPECT_THAT(error.message, HasSubstr("exactly one MANIFEST_JSON"));
  EXPECT_TRUE(bytes.empty());

  writer.addSection(NHC_SECTION_MANIFEST_JSON, "a", "{}");
  writer.addSection(NHC_SECTION_MANIFEST_JSON, "b", "{}");
  error = writer.serialize(bytes);
  EXPECT_EQ(error.status, NHC_INVALID_ARGUMENT);
  EXPECT_THAT(error.message, HasSubstr("2 given"));
}

TEST(ContainerWriterTest, SetManifestReplaces) {
  ContainerWriter writer;
  writer.setManifest("old");
  writer.setManifest("{\"new\": 1}");
  std::string bytes;
  ContainerError error = writer.serialize(bytes);
  ASSERT_FALSE(error.failed()) << error.message;
  EXPECT_EQ(peek<uint32_t>(toBytes(bytes), 12), 1u); // one section
}

TEST(ContainerWriterTest, RejectsBadNames) {
  std::string bytes;
  ContainerWriter tooLong;
  tooLong.setManifest("{}");
  tooLong.addSection(NHC_SECTION_PTX, std::string(40, 'n'), "");
  EXPECT_EQ(tooLong.serialize(bytes).status, NHC_INVALID_ARGUMENT);
  EXPECT_THAT(tooLong.serialize(bytes).message, HasSubstr("at most 39"));

  ContainerWriter empty;
  empty.setManifest("{}");
  empty.addSection(NHC_SECTION_PTX, "", "");
  EXPECT_THAT(empty.serialize(bytes).message, HasSubstr("empty name"));

  ContainerWriter nul;
  nul.setManifest("{}");
  nul.addSection(NHC_SECTION_PTX, std::string("a\0b", 3), "");
  EXPECT_THAT(nul.serialize(bytes).message, HasSubstr("contains a NUL byte"));

  ContainerWriter duplicate;
  duplicate.setManifest("{}");
  duplicate.addSection(NHC_SECTION_PTX, "sm_90", "a");
  duplicate.addSection(NHC_SECTION_PTX, "sm_90", "b");
  EXPECT_THAT(duplicate.serialize(bytes).message,
              HasSubstr("duplicate PTX section name"));

  ContainerWriter kind;
  kind.setManifest("{}");
  kind.addSection(42, "x", "");
  EXPECT_THAT(kind.serialize(bytes).message, HasSubstr("unknown kind 42"));
}

TEST(ContainerWriterTest, MaxLengthNameRoundTrips) {
  TempDir dir;
  std::string name(39, 'n');
  ContainerWriter writer;
  writer.setManifest(tinyManifest().dump());
  writer.addSection(NHC_SECTION_PTX, name, "ptx");
  writer.addSection(NHC_SECTION_LAUNCH_TABLE_JSON, "cuda", "{}");
  ContainerError error = writer.writeFile(dir.file("a.nhc"));
  ASSERT_FALSE(error.failed()) << error.message;
  nhc_artifact_t *artifact = nullptr;
  ASSERT_EQ(nhc_artifact_load(dir.file("a.nhc").c_str(), &artifact), NHC_OK)
      << lastError();
  nhc_section_t section;
  EXPECT_EQ(nhc_artifact_find_section(artifact, NHC_SECTION_PTX, name.c_str(),
                                      &section),
            NHC_OK);
  EXPECT_EQ(nhc_artifact_find_section(artifact, NHC_SECTION_LAUNCH_TABLE_JSON,
                                      "cuda", &section),
            NHC_OK);
  nhc_artifact_release(artifact);
}

TEST(ContainerWriterTest, WriteFileReportsPath) {
  ContainerWriter writer;
  writer.setManifest("{}");
  ContainerError error = writer.writeFile("/nonexistent-dir/x.nhc");
  EXPECT_EQ(error.status, NHC_IO_ERROR);
  EXPECT_THAT(error.message, HasSubstr("/nonexistent-dir/x.nhc"));
}

} // namespace
} // namespace nhc::test
