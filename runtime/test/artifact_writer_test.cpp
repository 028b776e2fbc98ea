//===- artifact_writer_test.cpp - Writer-side format rules ----------------===//

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "nhc/runtime/artifact_writer.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using runtime::ArtifactWriter;
using ::testing::HasSubstr;

TEST(ArtifactWriterTest, RequiresExactlyOneManifest) {
  ArtifactWriter writer;
  writer.addSection(NHC_SECTION_PTX, "sm_90", std::string_view("x"));
  Bytes bytes;
  EXPECT_EQ(writer.serialize(bytes), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("exactly one MANIFEST_JSON"));
  EXPECT_TRUE(bytes.empty());

  writer.addSection(NHC_SECTION_MANIFEST_JSON, "a", std::string_view("{}"));
  writer.addSection(NHC_SECTION_MANIFEST_JSON, "b", std::string_view("{}"));
  EXPECT_EQ(writer.serialize(bytes), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("2 given"));
}

TEST(ArtifactWriterTest, SetManifestReplaces) {
  ArtifactWriter writer;
  writer.setManifest("old");
  writer.setManifest("{\"new\": 1}");
  Bytes bytes;
  ASSERT_EQ(writer.serialize(bytes), NHC_OK) << lastError();
  EXPECT_EQ(peek<uint32_t>(bytes, 12), 1u); // one section
}

TEST(ArtifactWriterTest, RejectsBadNames) {
  ArtifactWriter tooLong;
  tooLong.setManifest("{}");
  tooLong.addSection(NHC_SECTION_PTX, std::string(40, 'n'), std::string_view());
  Bytes bytes;
  EXPECT_EQ(tooLong.serialize(bytes), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("at most 39"));

  ArtifactWriter empty;
  empty.setManifest("{}");
  empty.addSection(NHC_SECTION_PTX, "", std::string_view());
  EXPECT_EQ(empty.serialize(bytes), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("empty name"));

  ArtifactWriter duplicate;
  duplicate.setManifest("{}");
  duplicate.addSection(NHC_SECTION_PTX, "sm_90", std::string_view("a"));
  duplicate.addSection(NHC_SECTION_PTX, "sm_90", std::string_view("b"));
  EXPECT_EQ(duplicate.serialize(bytes), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("duplicate PTX section name"));

  ArtifactWriter kind;
  kind.setManifest("{}");
  kind.addSection(42, "x", std::string_view());
  EXPECT_EQ(kind.serialize(bytes), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("unknown kind 42"));
}

TEST(ArtifactWriterTest, MaxLengthNameRoundTrips) {
  TempDir dir;
  std::string name(39, 'n');
  ArtifactWriter writer;
  writer.setManifest(tinyManifest().dump());
  writer.addSection(NHC_SECTION_PTX, name, std::string_view("ptx"));
  ASSERT_EQ(writer.writeFile(dir.file("a.nhc")), NHC_OK) << lastError();
  nhc_artifact_t *artifact = nullptr;
  ASSERT_EQ(nhc_artifact_load(dir.file("a.nhc").c_str(), &artifact), NHC_OK)
      << lastError();
  nhc_section_t section;
  EXPECT_EQ(nhc_artifact_find_section(artifact, NHC_SECTION_PTX, name.c_str(),
                                      &section),
            NHC_OK);
  nhc_artifact_release(artifact);
}

TEST(ArtifactWriterTest, WriteFileReportsPath) {
  ArtifactWriter writer;
  writer.setManifest("{}");
  EXPECT_EQ(writer.writeFile("/nonexistent-dir/x.nhc"), NHC_IO_ERROR);
  EXPECT_THAT(lastError(), HasSubstr("/nonexistent-dir/x.nhc"));
}

} // namespace
} // namespace nhc::test
