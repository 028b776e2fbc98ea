//===- manifest_test.cpp - Manifest parsing and validation ----------------===//

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(ManifestTest, ParsesTinyModel) {
  nhc_manifest_t *manifest = parseManifestOrDie(tinyManifest());
  nhc_model_info_t info;
  ASSERT_EQ(nhc_manifest_model_info(manifest, &info), NHC_OK);
  EXPECT_EQ(info.hidden_size, 64u);
  EXPECT_EQ(info.vocab_size, 256u);
  EXPECT_EQ(info.num_layers, 4u);
  EXPECT_EQ(info.dtype, NHC_DTYPE_BF16);
  EXPECT_EQ(info.max_position_embeddings, 4096u);
  EXPECT_EQ(info.num_mamba_layers, 2u);
  EXPECT_EQ(info.num_attention_layers, 1u);

  ASSERT_EQ(nhc_manifest_weight_count(manifest), 6u);
  nhc_tensor_desc_t desc;
  ASSERT_EQ(nhc_manifest_weight_at(manifest, 1, &desc), NHC_OK);
  EXPECT_STREQ(desc.name, "backbone.layers.0.mixer.in_proj.weight");
  EXPECT_EQ(desc.dtype, NHC_DTYPE_BF16);
  EXPECT_EQ(desc.rank, 2u);
  EXPECT_EQ(desc.shape[0], 148u);
  EXPECT_EQ(desc.shape[1], 64u);
  EXPECT_EQ(nhc_manifest_weight_at(manifest, 6, &desc), NHC_INVALID_ARGUMENT);

  EXPECT_EQ(nhc_manifest_layer_state_kind(manifest, 0), NHC_LAYER_MAMBA);
  EXPECT_EQ(nhc_manifest_layer_state_kind(manifest, 1), NHC_LAYER_ATTENTION);
  EXPECT_EQ(nhc_manifest_layer_state_kind(manifest, 2), NHC_LAYER_STATELESS);
  EXPECT_EQ(nhc_manifest_layer_state_kind(manifest, 3), NHC_LAYER_MAMBA);
  EXPECT_EQ(nhc_manifest_layer_state_kind(manifest, 99), NHC_LAYER_STATELESS);
  nhc_manifest_release(manifest);
}

TEST(ManifestTest, StateListsMayBeOmitted) {
  Json manifest = tinyManifest();
  manifest["state"] = Json::object();
  EXPECT_EQ(parseManifestStatus(manifest), NHC_OK) << lastError();
}

TEST(ManifestTest, MissingModelKey) {
  Json manifest = tinyManifest();
  manifest["model"].erase("max_position_embeddings");
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("manifest 'm.json'"), HasSubstr("model"),
                    HasSubstr("missing key 'max_position_embeddings'")));
}

TEST(ManifestTest, WeightWithUnknownDtype) {
  Json manifest = tinyManifest();
  manifest["weights"][2]["dtype"] = "F33";
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("weights[2]"),
                    HasSubstr("'backbone.layers.0.mixer.A_log'"),
                    HasSubstr("unknown or unsupported dtype 'F33'")));
}

TEST(ManifestTest, WeightWithNegativeDimension) {
  Json manifest = tinyManifest();
  manifest["weights"][0]["shape"] = {256, -1};
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("weights[0]"), HasSubstr(".shape[1]"),
                    HasSubstr("non-negative integer")));
}

TEST(ManifestTest, DuplicateWeight) {
  Json manifest = tinyManifest();
  manifest["weights"].push_back(manifest["weights"][0]);
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("'backbone.embeddings.weight'"),
                                 HasSubstr("listed twice")));
}

TEST(ManifestTest, StateLayerOutOfRange) {
  Json manifest = tinyManifest();
  manifest["state"]["attention_layers"][0]["layer"] = 4;
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("state.attention_layers[0].layer"),
                    HasSubstr("out of range"), HasSubstr("num_layers is 4")));
}

TEST(ManifestTest, LayerWithTwoKindsOfState) {
  Json manifest = tinyManifest();
  manifest["state"]["attention_layers"][0]["layer"] = 3;
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("layer 3"), HasSubstr("state.mamba_layers")));
}

TEST(ManifestTest, SsmStateWrongRank) {
  Json manifest = tinyManifest();
  manifest["state"]["mamba_layers"][1]["ssm_state"]["shape"] = {4, 128};
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("state.mamba_layers[1].ssm_state.shape"),
                    HasSubstr("expected rank 3"), HasSubstr("[4, 128]")));
}

TEST(ManifestTest, ZeroKvHeads) {
  Json manifest = tinyManifest();
  manifest["state"]["attention_layers"][0]["num_kv_heads"] = 0;
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("num_kv_heads: must be positive"));
}

TEST(ManifestTest, NotAnObject) {
  EXPECT_EQ(parseManifestStatus(Json::array()), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("expected a JSON object"));
}

} // namespace
} // namespace nhc::test
