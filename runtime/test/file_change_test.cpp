//===- file_change_test.cpp - Files changed after they were opened --------===//
//
// An artifact is read into memory and verified at nhc_artifact_load, so
// rewriting or truncating the file afterwards changes nothing: a session
// runs exactly the verified bytes and never dies of SIGBUS. Checkpoints
// stay memory-mapped (too large to copy); one truncated since it was opened
// is refused when binding or creating a session, before tensor data is read.
//
//===----------------------------------------------------------------------===//

#include <cstdio>
#include <string>
#include <vector>

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

/// Every section's bytes, in table order.
std::vector<std::string> sectionBytes(const nhc_artifact_t *artifact) {
  std::vector<std::string> out;
  for (size_t i = 0; i < nhc_artifact_section_count(artifact); ++i) {
    nhc_section_t section{};
    EXPECT_EQ(nhc_artifact_section_at(artifact, i, &section), NHC_OK);
    out.emplace_back(static_cast<const char *>(section.data), section.size);
  }
  return out;
}

TEST(FileChangeTest, ArtifactRewrittenOrTruncatedAfterLoadKeepsItsBytes) {
  TempDir dir;
  std::string path = dir.file("model.nhc");
  Bytes original = buildExecutableArtifact(toyModelManifest());
  writeBytes(path, original);
  nhc_artifact_t *artifact = nullptr;
  ASSERT_EQ(nhc_artifact_load(path.c_str(), &artifact), NHC_OK)
      << lastError();
  std::vector<std::string> before = sectionBytes(artifact);

  // Rewritten in place (same inode, same size), then truncated to nothing.
  writeBytes(path, Bytes(original.size(), 0xcc));
  EXPECT_EQ(sectionBytes(artifact), before);
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  EXPECT_EQ(sectionBytes(artifact), before);
  size_t size = 0;
  EXPECT_EQ(std::string(nhc_artifact_manifest_json(artifact, &size)),
            toyModelManifest().dump());
  nhc_artifact_release(artifact);
}

TEST(FileChangeTest, SessionRunsTheVerifiedHostLibrary) {
  TempDir dir;
  std::string path = dir.file("model.nhc");
  writeBytes(path, buildExecutableArtifact(toyModelManifest()));
  toyModelWeights().write(dir.file("w.safetensors"));
  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
  ASSERT_EQ(nhc_artifact_load(path.c_str(), &artifact), NHC_OK)
      << lastError();
  ASSERT_EQ(nhc_weights_open(dir.file("w.safetensors").c_str(), &weights),
            NHC_OK)
      << lastError();

  // The host library section is loaded at session creation, after the
  // file is gone: it comes from the verified copy, not the file.
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  nhc_session_t *session = nullptr;
  ASSERT_EQ(nhc_session_create(artifact, weights, 1, 8, &session), NHC_OK)
      << lastError();
  uint32_t slot;
  ASSERT_EQ(nhc_session_claim(session, &slot), NHC_OK);
  int32_t tokens[3] = {3, 1, 4};
  nhc_request_t request{slot, tokens, 3};
  std::vector<float> logits(kToyVocab);
  ASSERT_EQ(nhc_session_step(session, &request, 1, NHC_LOGITS_LAST,
                             logits.data(), logits.size()),
            NHC_OK)
      << lastError();
  std::vector<float> expected = toyReferenceLogits({3, 1, 4}).back();
  for (size_t i = 0; i < kToyVocab; ++i)
    EXPECT_NEAR(logits[i], expected[i], 1e-4f) << i;
  nhc_session_release(session);
  nhc_weights_release(weights);
  nhc_artifact_release(artifact);
}

class CheckpointChangeTest : public ::testing::Test {
protected:
  void SetUp() override {
    writeBytes(dir.file("model.nhc"),
               buildExecutableArtifact(toyModelManifest()));
    toyModelWeights().write(path());
    ASSERT_EQ(nhc_artifact_load(dir.file("model.nhc").c_str(), &artifact),
              NHC_OK)
        << lastError();
    ASSERT_EQ(nhc_weights_open(path().c_str(), &weights), NHC_OK)
        << lastError();
  }
  void TearDown() override {
    nhc_weights_release(weights);
    nhc_artifact_release(artifact);
  }
  std::string path() const { return dir.file("w.safetensors"); }

  TempDir dir;
  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
};

TEST_F(CheckpointChangeTest, TruncatedCheckpointIsRefusedBeforeItIsRead) {
  Bytes bytes = readBytes(path());
  ASSERT_EQ(::truncate(path().c_str(), 16), 0);
  std::string message =
      "safetensors '" + path() + "': the file changed size from " +
      std::to_string(bytes.size()) + " to 16 bytes since it was opened";
  EXPECT_EQ(nhc_weights_bind(weights, nhc_artifact_manifest(artifact)),
            NHC_IO_ERROR);
  EXPECT_THAT(lastError(), HasSubstr(message));
  EXPECT_EQ(nhc_weights_bound_count(weights), 0u);
  nhc_session_t *session = nullptr;
  EXPECT_EQ(nhc_session_create(artifact, weights, 1, 8, &session),
            NHC_IO_ERROR);
  EXPECT_THAT(lastError(), HasSubstr(message));
  EXPECT_EQ(session, nullptr);
}

TEST_F(CheckpointChangeTest, ReplacedCheckpointKeepsTheMappedOne) {
  // A new file renamed over the old path leaves the mapping intact.
  writeBytes(dir.file("new.safetensors"), Bytes(16, 0));
  ASSERT_EQ(std::rename(dir.file("new.safetensors").c_str(), path().c_str()),
            0);
  EXPECT_EQ(nhc_weights_bind(weights, nhc_artifact_manifest(artifact)),
            NHC_OK)
      << lastError();
  nhc_session_t *session = nullptr;
  EXPECT_EQ(nhc_session_create(artifact, weights, 1, 8, &session), NHC_OK)
      << lastError();
  nhc_session_release(session);
}

} // namespace
} // namespace nhc::test
