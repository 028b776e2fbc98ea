//===- manifest_test.cpp - Manifest parsing and validation ----------------===//

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "nhc/runtime/limits.h"
#include "session_helpers.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

/// Expects `manifest` to be rejected with a message containing all of
/// `parts`.
void expectInvalid(const Json &manifest,
                   const std::vector<std::string> &parts) {
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  for (const std::string &part : parts)
    EXPECT_THAT(lastError(), HasSubstr(part));
}

TEST(ManifestTest, ParsesTinyModel) {
  nhc_manifest_t *manifest = parseManifestOrDie(tinyManifest());
  nhc_model_info_t info;
  ASSERT_EQ(nhc_manifest_model_info(manifest, &info), NHC_OK);
  EXPECT_EQ(info.hidden_size, 64u);
  EXPECT_EQ(info.vocab_size, 256u);
  EXPECT_EQ(info.num_layers, 4u);
  EXPECT_EQ(info.dtype, NHC_DTYPE_BF16);
  EXPECT_EQ(info.max_position_embeddings, 4096u);
  EXPECT_EQ(info.num_state_tensors, 6u);

  ASSERT_EQ(nhc_manifest_weight_count(manifest), 6u);
  nhc_tensor_desc_t desc;
  ASSERT_EQ(nhc_manifest_weight_at(manifest, 1, &desc), NHC_OK);
  EXPECT_STREQ(desc.name, "backbone.layers.0.mixer.in_proj.weight");
  EXPECT_EQ(desc.dtype, NHC_DTYPE_BF16);
  EXPECT_EQ(desc.rank, 2u);
  EXPECT_EQ(desc.shape[0], 148u);
  EXPECT_EQ(desc.shape[1], 64u);
  EXPECT_EQ(nhc_manifest_weight_at(manifest, 6, &desc), NHC_INVALID_ARGUMENT);

  ASSERT_EQ(nhc_manifest_state_tensor_count(manifest), 6u);
  nhc_state_tensor_desc_t state;
  ASSERT_EQ(nhc_manifest_state_tensor_at(manifest, 1, &state), NHC_OK);
  EXPECT_STREQ(state.name, "layers.0.ssm_state");
  EXPECT_EQ(state.layer, 0u);
  EXPECT_EQ(state.dtype, NHC_DTYPE_F32);
  EXPECT_EQ(state.rank, 3u);
  EXPECT_EQ(state.shape[0], 4u);
  EXPECT_EQ(state.shape[1], 16u);
  EXPECT_EQ(state.shape[2], 8u);
  EXPECT_EQ(state.shape[3], 0u);
  EXPECT_EQ(state.per_token, 0);
  ASSERT_EQ(nhc_manifest_state_tensor_at(manifest, 3, &state), NHC_OK);
  EXPECT_STREQ(state.name, "layers.1.v_cache");
  EXPECT_EQ(state.layer, 1u);
  EXPECT_EQ(state.dtype, NHC_DTYPE_BF16);
  EXPECT_EQ(state.rank, 3u);
  EXPECT_EQ(state.shape[0], 0u); // "max_seq_len"
  EXPECT_EQ(state.shape[1], 2u);
  EXPECT_EQ(state.shape[2], 16u);
  EXPECT_EQ(state.per_token, 1);
  EXPECT_EQ(nhc_manifest_state_tensor_at(manifest, 6, &state),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("index 6 out of range (manifest 'test' "
                                     "lists 6 state tensors)"));
  EXPECT_EQ(nhc_manifest_state_tensor_at(manifest, 0, nullptr),
            NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_manifest_state_tensor_count(nullptr), 0u);
  nhc_manifest_release(manifest);
}

TEST(ManifestTest, StateListMayBeEmptyButNotMissing) {
  Json manifest = tinyManifest();
  manifest["state"] = Json::array();
  EXPECT_EQ(parseManifestStatus(manifest), NHC_OK) << lastError();
  manifest.erase("state");
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("missing key 'state'"));
}

// The per-layer form of earlier manifests is refused with a hint.
TEST(ManifestTest, OldStateFormat) {
  Json manifest = tinyManifest();
  manifest["state"] = {{"mamba_layers", Json::array()},
                       {"attention_layers", Json::array()}};
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("manifest 'm.json': state: expected an array of "
                              "state tensors"),
                    HasSubstr("the per-layer format of older compilers: "
                              "recompile the artifact")));
}

// ... except the empty object, a model without state in either format.
TEST(ManifestTest, OldEmptyStateObjectIsNoState) {
  Json manifest = tinyManifest();
  manifest["state"] = Json::object();
  ASSERT_EQ(parseManifestStatus(manifest), NHC_OK) << lastError();
}

TEST(ManifestTest, MissingModelKey) {
  Json manifest = tinyManifest();
  manifest["model"].erase("max_position_embeddings");
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("manifest 'm.json'"), HasSubstr("model"),
                    HasSubstr("missing key 'max_position_embeddings'")));
}

// config.read (the compiler's config values) is optional; when there it is
// an object.
TEST(ManifestTest, ConfigReadIsAnObject) {
  Json manifest = tinyManifest();
  manifest["config"] = {{"read", {{"hidden_size", 64}, {"n_groups", nullptr}}}};
  ASSERT_EQ(parseManifestStatus(manifest), NHC_OK) << lastError();
  manifest["config"]["read"] = Json::array({"hidden_size"});
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("manifest 'm.json'"),
                                 HasSubstr("config.read: expected an object")));
  // So is config itself (artifact-format.md): 1 there was read as absent.
  manifest["config"] = 1;
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("config: expected an object, found 1"));
}

// Binding compares each entry with the checkpoint's config: the entries
// and each one's aliases are bounded (a hostile manifest could otherwise
// make binding take hours), the error naming the limit.
TEST(ManifestTest, ConfigValuesAreBounded) {
  Json manifest = tinyManifest();
  Json many = Json::object();
  for (uint64_t i = 0; i <= nhc::kMaxConfigValues; ++i)
    many["k" + std::to_string(i)] = 1;
  manifest["config"] = {{"defaults", many}};
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("config.defaults: the number of entries: 4097 "
                              "exceeds the limit 4096"),
                    HasSubstr("nhc::kMaxConfigValues")));
  std::string aliases = "a";
  for (uint64_t i = 0; i < nhc::kMaxConfigAliases; ++i)
    aliases += "|a";
  manifest["config"] = {{"read", {{aliases + "\x1b", 1}}}};
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("config.read: the aliases of entry 'a|a"),
                                 HasSubstr("17 exceeds the limit 16"),
                                 Not(HasSubstr("\x1b"))));
  many.erase("k0");
  manifest["config"] = {{"read", many}};
  EXPECT_EQ(parseManifestStatus(manifest), NHC_OK) << lastError();
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

// "positive" and "finite" are booleans, and only a float tensor takes them.
TEST(ManifestTest, WeightFlagsAreBooleansOnFloatTensors) {
  for (const char *flag : {"positive", "finite"}) {
    SCOPED_TRACE(flag);
    Json manifest = tinyManifest();
    manifest["weights"][2][flag] = "yes";
    EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
    EXPECT_THAT(lastError(),
                AllOf(HasSubstr("weights[2]"),
                      HasSubstr(std::string(".") + flag +
                                ": expected true or false, found \"yes\"")));
    manifest = tinyManifest();
    manifest["weights"][2][flag] = true;
    manifest["weights"][2]["dtype"] = "I32";
    EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
    EXPECT_THAT(lastError(),
                HasSubstr(std::string(".") + flag +
                          ": only a float tensor can be required " + flag +
                          ", not I32"));
  }
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
  manifest["state"][2]["layer"] = 4;
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("manifest 'm.json': state[2].layer: 4"),
                    HasSubstr("out of range"), HasSubstr("num_layers is 4")));
}

// A layer may own any number of state tensors; names, not layers, are
// unique.
TEST(ManifestTest, LayerWithManyStateTensors) {
  Json manifest = tinyManifest();
  manifest["state"][2]["layer"] = 3;
  manifest["state"].push_back(stateTensor("layers.3.extra", 3, "F16", {5}));
  EXPECT_EQ(parseManifestStatus(manifest), NHC_OK) << lastError();
}

/// tinyManifest() with state[3] (layers.1.v_cache) edited.
Json withState3(const char *key, Json value) {
  Json manifest = tinyManifest();
  manifest["state"][3][key] = std::move(value);
  return manifest;
}

TEST(ManifestTest, DuplicateStateName) {
  Json manifest = withState3("name", "layers.1.k_cache");
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              HasSubstr("manifest 'm.json': state[3].name: 'layers.1.k_cache' "
                        "is listed twice (also state[2])"));
}

TEST(ManifestTest, StateNames) {
  expectInvalid(withState3("name", ""), {"state[3].name: must not be empty"});
  expectInvalid(withState3("name", 7), {"state[3].name: expected a string"});
  expectInvalid(withState3("name", std::string(257, 'x')),
                {"state[3].name: length in bytes: 257 exceeds the limit 256 "
                 "(nhc::kMaxStateNameBytes)"});
  EXPECT_EQ(parseManifestStatus(withState3("name", std::string(256, 'x'))),
            NHC_OK)
      << lastError();
  Json manifest = tinyManifest();
  manifest["state"][3].erase("name");
  expectInvalid(manifest, {"state[3]", "missing key 'name'"});
}

TEST(ManifestTest, StateDtypeMustBeAFloat) {
  expectInvalid(withState3("dtype", "I32"),
                {"state[3].dtype: state tensor 'layers.1.v_cache' must be F32, "
                 "BF16 or F16, found I32"});
  expectInvalid(withState3("dtype", "F8_E4M3"), {"found F8_E4M3"});
  expectInvalid(withState3("dtype", "F64"), {"found F64"});
  expectInvalid(withState3("dtype", "F33"),
                {"state[3].dtype", "unknown or unsupported dtype 'F33'"});
  for (const char *dtype : {"F32", "BF16", "F16"})
    EXPECT_EQ(parseManifestStatus(withState3("dtype", dtype)), NHC_OK)
        << dtype << ": " << lastError();
}

TEST(ManifestTest, StateShapeRank) {
  expectInvalid(withState3("shape", Json::array()),
                {"state[3].shape: a state tensor has rank 1 to 4, found rank "
                 "0"});
  expectInvalid(withState3("shape", {1, 2, 3, 4, 5}),
                {"state[3].shape: a state tensor has rank 1 to 4, found rank "
                 "5"});
  expectInvalid(withState3("shape", "max_seq_len"),
                {"state[3].shape: expected an array of dimensions"});
  EXPECT_EQ(parseManifestStatus(withState3("shape", {1, 2, 3, 4})), NHC_OK)
      << lastError();
  EXPECT_EQ(
      parseManifestStatus(withState3("shape", Json::array({"max_seq_len"}))),
      NHC_OK)
      << lastError();
}

TEST(ManifestTest, StateShapeDimensions) {
  expectInvalid(withState3("shape", {4, 0}),
                {"state[3].shape[1]: must be positive, found 0"});
  expectInvalid(withState3("shape", {4, -2}),
                {"state[3].shape[1]: expected a non-negative integer"});
  expectInvalid(withState3("shape", {4, 2.5}),
                {"state[3].shape[1]: expected a non-negative integer"});
  EXPECT_EQ(parseManifestStatus(withState3("shape", {uint64_t{1} << 28, 1})),
            NHC_OK)
      << lastError();
  expectInvalid(withState3("shape", {(uint64_t{1} << 28) + 1}),
                {"state[3].shape[0]: 268435457 exceeds the limit 268435456 "
                 "(nhc::kMaxStateElements)"});
  // Each dimension within the limit, their product beyond it.
  expectInvalid(withState3("shape", {1 << 14, 1 << 14, 2}),
                {"state[3].shape: [16384, 16384, 2] has more than 268435456 "
                 "elements (nhc::kMaxStateElements)"});
  expectInvalid(
      withState3("shape", {1 << 28, 1 << 28, 1 << 28, 1 << 28}),
      {"state[3].shape: [268435456, 268435456, 268435456, 268435456] has "
       "more than"});
  // A sequence tensor: the limit is per token row.
  expectInvalid(withState3("shape", {"max_seq_len", 1 << 14, 1 << 14, 2}),
                {"state[3].shape: [max_seq_len, 16384, 16384, 2] has more than "
                 "268435456 elements per token"});
  EXPECT_EQ(parseManifestStatus(
                withState3("shape", {"max_seq_len", 1 << 14, 1 << 14})),
            NHC_OK)
      << lastError();
}

TEST(ManifestTest, MaxSeqLenOnlyAsTheFirstDimension) {
  expectInvalid(withState3("shape", {2, "max_seq_len", 16}),
                {"state[3].shape[1]: only the first dimension may be "
                 "\"max_seq_len\""});
  expectInvalid(withState3("shape", {"max_seq_len", "max_seq_len"}),
                {"state[3].shape[1]: only the first dimension"});
  expectInvalid(withState3("shape", {"tokens", 2, 16}),
                {"state[3].shape[0]: expected a positive integer or "
                 "\"max_seq_len\", found \"tokens\""});
  expectInvalid(withState3("shape", {"MAX_SEQ_LEN", 2, 16}),
                {"state[3].shape[0]: expected a positive integer"});
}

TEST(ManifestTest, StateEntryForms) {
  Json manifest = tinyManifest();
  manifest["state"][0] = "layers.0.conv_state";
  expectInvalid(manifest, {"state[0]: expected a JSON object"});
  expectInvalid(withState3("layer", -1),
                {"state[3].layer: expected a non-negative integer"});
  manifest = tinyManifest();
  manifest["state"][5].erase("shape");
  expectInvalid(manifest, {"state[5]", "missing key 'shape'"});
}

TEST(ManifestTest, NotAnObject) {
  EXPECT_EQ(parseManifestStatus(Json::array()), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("expected a JSON object"));
}

} // namespace
} // namespace nhc::test
