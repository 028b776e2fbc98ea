//===- weights_test.cpp - Checkpoint layouts and binding to a manifest ----===//

#include <cstring>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class WeightsTest : public ::testing::Test {
protected:
  void SetUp() override { manifest = parseManifestOrDie(tinyManifest()); }
  void TearDown() override {
    nhc_weights_release(weights);
    nhc_manifest_release(manifest);
  }

  nhc_status_t open(const std::string &path) {
    return nhc_weights_open(path.c_str(), &weights);
  }

  /// Opens `builder` written as one file, asserting success.
  void openSingle(const SafetensorsBuilder &builder) {
    builder.write(file());
    ASSERT_EQ(open(file()), NHC_OK) << lastError();
  }

  std::string file() const { return dir.file("model.safetensors"); }

  TempDir dir;
  nhc_manifest_t *manifest = nullptr;
  nhc_weights_t *weights = nullptr;
};

/// The tiny checkpoint with one tensor replaced.
SafetensorsBuilder tinyWith(const std::string &name, const std::string &dtype,
                            std::vector<uint64_t> shape) {
  SafetensorsBuilder builder;
  const Json manifest = tinyManifest(); // keep alive while iterating
  for (const Json &w : manifest["weights"]) {
    if (w["name"] == name) {
      if (!dtype.empty())
        builder.add(name, dtype, shape);
    } else {
      builder.add(w["name"].get<std::string>(), w["dtype"].get<std::string>(),
                  w["shape"].get<std::vector<uint64_t>>());
    }
  }
  return builder;
}

TEST_F(WeightsTest, BindsMatchingCheckpoint) {
  SafetensorsBuilder builder = tinyCheckpoint();
  builder.add("extra.unused", "F32", {3}); // extra tensors are fine
  openSingle(builder);
  EXPECT_EQ(nhc_weights_bound_count(weights), 0u);
  nhc_tensor_info_t info;
  EXPECT_EQ(nhc_weights_bound_at(weights, 0, &info), NHC_FAILED_PRECONDITION);
  EXPECT_THAT(lastError(), HasSubstr("nhc_weights_bind first"));

  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  ASSERT_EQ(nhc_weights_bound_count(weights), 6u);
  ASSERT_EQ(nhc_weights_bound_at(weights, 1, &info), NHC_OK);
  EXPECT_STREQ(info.desc.name, "backbone.layers.0.mixer.in_proj.weight");
  EXPECT_EQ(info.desc.dtype, NHC_DTYPE_BF16);
  EXPECT_EQ(info.byte_size, 148u * 64 * 2);
  const Bytes &expected =
      builder.data("backbone.layers.0.mixer.in_proj.weight");
  EXPECT_EQ(std::memcmp(info.data, expected.data(), expected.size()), 0);
  EXPECT_EQ(nhc_weights_bound_at(weights, 6, &info), NHC_INVALID_ARGUMENT);
}

TEST_F(WeightsTest, OpensDirectoryWithSingleFile) {
  tinyCheckpoint().write(file());
  ASSERT_EQ(open(dir.path()), NHC_OK) << lastError();
  EXPECT_EQ(nhc_weights_tensor_count(weights), 6u);
}

TEST_F(WeightsTest, EmptyDirectory) {
  EXPECT_EQ(open(dir.path()), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr(dir.path()), HasSubstr("model.safetensors"),
                    HasSubstr("model.safetensors.index.json")));
}

TEST_F(WeightsTest, MissingTensor) {
  openSingle(tinyWith("backbone.norm_f.weight", "", {}));
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("tensor 'backbone.norm_f.weight'"),
                    HasSubstr("F32 [64]"), HasSubstr("missing"),
                    HasSubstr(file()), HasSubstr("manifest 'test'")));
}

TEST_F(WeightsTest, WrongShape) {
  openSingle(
      tinyWith("backbone.layers.0.mixer.in_proj.weight", "BF16", {64, 148}));
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              HasSubstr("weights: tensor 'backbone.layers.0.mixer.in_proj."
                        "weight' has shape [64, 148] in " +
                        file() + ", but the artifact expects [148, 64]"));
  EXPECT_THAT(lastError(), Not(HasSubstr("more of the")));
}

TEST_F(WeightsTest, WrongDtype) {
  openSingle(tinyWith("lm_head.weight", "F16", {256, 64}));
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              HasSubstr("weights: tensor 'lm_head.weight' has dtype F16 in " +
                        file() + ", but the artifact expects BF16"));
}

TEST_F(WeightsTest, ReportsFirstProblemAndCountsTheRest) {
  SafetensorsBuilder builder;
  builder.add("backbone.embeddings.weight", "F32", {256, 32}); // wrong shape
  openSingle(builder); // the other five are missing
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("'backbone.embeddings.weight' has shape"),
                    HasSubstr("5 more of the 6 artifact tensors")));
}

TEST_F(WeightsTest, FailedBindKeepsEarlierBinding) {
  openSingle(tinyCheckpoint());
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  Json other = tinyManifest();
  other["weights"].push_back(
      {{"name", "not.there"}, {"dtype", "F32"}, {"shape", {1}}});
  nhc_manifest_t *otherManifest = parseManifestOrDie(other);
  EXPECT_EQ(nhc_weights_bind(weights, otherManifest), NHC_NOT_FOUND);
  nhc_manifest_release(otherManifest);
  EXPECT_EQ(nhc_weights_bound_count(weights), 6u);
}

TEST_F(WeightsTest, BindAgainstArtifactNamesIt) {
  std::string artifactPath = dir.file("model.nhc");
  writeBytes(artifactPath, buildArtifact(tinyManifest().dump()));
  nhc_artifact_t *artifact = nullptr;
  ASSERT_EQ(nhc_artifact_load(artifactPath.c_str(), &artifact), NHC_OK)
      << lastError();
  openSingle(tinyWith("lm_head.weight", "BF16", {255, 64}));
  EXPECT_EQ(nhc_weights_bind(weights, nhc_artifact_manifest(artifact)),
            NHC_MISMATCH);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("[255, 64]"),
                                 HasSubstr("artifact '" + artifactPath + "'")));
  nhc_artifact_release(artifact);
}

/// Two shards plus an index, the Hugging Face layout.
class ShardedWeightsTest : public WeightsTest {
protected:
  void SetUp() override {
    WeightsTest::SetUp();
    first.add("backbone.embeddings.weight", "F32", {256, 64})
        .add("backbone.layers.0.mixer.in_proj.weight", "BF16", {148, 64})
        .add("backbone.layers.0.mixer.A_log", "F32", {4});
    second.add("backbone.layers.1.mixer.q_proj.weight", "BF16", {64, 64})
        .add("backbone.norm_f.weight", "F32", {64})
        .add("lm_head.weight", "BF16", {256, 64});
    first.write(dir.file(kFirst));
    second.write(dir.file(kSecond));
  }

  /// weight_map from the two builders, with optional edits.
  Json index() const {
    Json map = Json::object();
    const Json firstHeader = first.header(), secondHeader = second.header();
    for (auto it = firstHeader.begin(); it != firstHeader.end(); ++it)
      map[it.key()] = kFirst;
    for (auto it = secondHeader.begin(); it != secondHeader.end(); ++it)
      map[it.key()] = kSecond;
    return Json{{"metadata", {{"total_size", 0}}}, {"weight_map", map}};
  }

  void writeIndex(const Json &index) {
    writeText(dir.file("model.safetensors.index.json"), index.dump());
  }

  static constexpr const char *kFirst = "model-00001-of-00002.safetensors";
  static constexpr const char *kSecond = "model-00002-of-00002.safetensors";
  SafetensorsBuilder first, second;
};

TEST_F(ShardedWeightsTest, OpensAndBinds) {
  writeIndex(index());
  ASSERT_EQ(open(dir.path()), NHC_OK) << lastError();
  EXPECT_EQ(nhc_weights_tensor_count(weights), 6u);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();

  nhc_tensor_info_t info;
  ASSERT_EQ(nhc_weights_find(weights, "lm_head.weight", &info), NHC_OK);
  EXPECT_EQ(std::string(info.file), dir.file(kSecond));
  const Bytes &expected = second.data("lm_head.weight");
  EXPECT_EQ(std::memcmp(info.data, expected.data(), expected.size()), 0);
  ASSERT_EQ(nhc_weights_find(weights, "backbone.embeddings.weight", &info),
            NHC_OK);
  EXPECT_EQ(std::string(info.file), dir.file(kFirst));
}

TEST_F(ShardedWeightsTest, OpensIndexFilePath) {
  writeIndex(index());
  ASSERT_EQ(open(dir.file("model.safetensors.index.json")), NHC_OK)
      << lastError();
  EXPECT_EQ(nhc_weights_tensor_count(weights), 6u);
}

TEST_F(ShardedWeightsTest, BindErrorNamesShard) {
  SafetensorsBuilder bad;
  bad.add("backbone.layers.1.mixer.q_proj.weight", "BF16", {64, 64})
      .add("backbone.norm_f.weight", "F32", {64})
      .add("lm_head.weight", "BF16", {64, 256});
  bad.write(dir.file(kSecond));
  writeIndex(index());
  ASSERT_EQ(open(dir.path()), NHC_OK) << lastError();
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              HasSubstr("tensor 'lm_head.weight' has shape [64, 256] in " +
                        dir.file(kSecond) +
                        ", but the artifact expects [256, 64]"));
}

TEST_F(ShardedWeightsTest, MissingShardFile) {
  std::filesystem::remove(dir.file(kSecond));
  writeIndex(index());
  EXPECT_EQ(open(dir.path()), NHC_IO_ERROR);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr(dir.file(kSecond)), HasSubstr("cannot open")));
}

TEST_F(ShardedWeightsTest, IndexPointsAtWrongShard) {
  Json idx = index();
  idx["weight_map"]["lm_head.weight"] = kFirst;
  writeIndex(idx);
  EXPECT_EQ(open(dir.path()), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("'lm_head.weight'"), HasSubstr(kFirst),
                    HasSubstr("has no such tensor")));
}

TEST_F(ShardedWeightsTest, TensorInTwoShards) {
  second.add("backbone.embeddings.weight", "F32", {256, 64});
  second.write(dir.file(kSecond));
  writeIndex(index());
  EXPECT_EQ(open(dir.path()), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("'backbone.embeddings.weight'"),
                                 HasSubstr("appears in both")));
}

TEST_F(ShardedWeightsTest, ShardOutsideDirectoryIsRejected) {
  Json idx = index();
  idx["weight_map"]["lm_head.weight"] = "../elsewhere.safetensors";
  writeIndex(idx);
  EXPECT_EQ(open(dir.path()), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("'../elsewhere.safetensors'"));
}

TEST_F(ShardedWeightsTest, IndexWithoutWeightMap) {
  writeIndex(Json{{"metadata", Json::object()}});
  EXPECT_EQ(open(dir.path()), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("model.safetensors.index.json"),
                                 HasSubstr("missing key 'weight_map'")));
}

TEST_F(ShardedWeightsTest, CorruptShardNamesFileAndTensor) {
  Bytes bytes = second.build();
  bytes.resize(bytes.size() - 1); // lm_head.weight runs past the end
  writeBytes(dir.file(kSecond), bytes);
  writeIndex(index());
  EXPECT_EQ(open(dir.path()), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(dir.file(kSecond)),
                                 HasSubstr("'lm_head.weight'")));
}

} // namespace
} // namespace nhc::test
