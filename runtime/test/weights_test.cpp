//===- weights_test.cpp - Checkpoint layouts and binding to a manifest ----===//

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> notesOf(const nhc_weights_t *weights,
                                 nhc_note_kind_t wanted) {
  std::vector<std::string> notes;
  for (size_t i = 0; i < nhc_weights_note_count(weights); ++i) {
    nhc_note_kind_t kind;
    const char *text = nhc_weights_note_at(weights, i, &kind);
    if (kind == wanted)
      notes.push_back(text);
  }
  return notes;
}

class WeightsTest : public ::testing::Test {
protected:
  void SetUp() override { manifest = parseManifestOrDie(tinyManifest()); }
  void TearDown() override {
    nhc_weights_release(weights);
    nhc_manifest_release(manifest);
  }

  /// Opens `path`, releasing any checkpoint opened before.
  nhc_status_t open(const std::string &path) {
    nhc_weights_release(weights);
    weights = nullptr;
    return nhc_weights_open(path.c_str(), &weights);
  }

  /// Opens `builder` written as one file, asserting success.
  void openSingle(const SafetensorsBuilder &builder) {
    builder.write(file());
    ASSERT_EQ(open(file()), NHC_OK) << lastError();
  }

  /// With the stacked "x.experts.up_proj" [3, 4, 8] and a copy of it as
  /// `copy` (expert 1 changed, or not), expert 1 binds from `bound`; where
  /// the copies differ the one warning says `warning`, else there is none.
  void expectOneOfTwoStackedCopiesBinds(const std::string &copy,
                                        const std::string &bound,
                                        const std::string &warning) {
    for (bool differ : {false, true}) {
      SCOPED_TRACE(differ ? "differ" : "agree");
      SafetensorsBuilder builder = tinyCheckpoint();
      builder.add("x.experts.up_proj", "F32", {3, 4, 8});
      Bytes other = builder.data("x.experts.up_proj");
      if (differ)
        other[128 + 9] ^= 0x40; // expert 1
      builder.add(copy, "F32", {3, 4, 8}, other);
      openSingle(builder);
      ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
      nhc_tensor_info_t info;
      ASSERT_EQ(nhc_weights_bound_at(
                    weights, nhc_manifest_weight_count(manifest) - 2, &info),
                NHC_OK);
      EXPECT_EQ(std::string(info.desc.name), bound);
      std::vector<std::string> warnings = notesOf(weights, NHC_NOTE_WARNING);
      if (!differ) {
        EXPECT_TRUE(warnings.empty());
        continue;
      }
      ASSERT_EQ(warnings.size(), 1u);
      EXPECT_THAT(warnings[0], HasSubstr(warning));
    }
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

/// Index of weight `name` in the tiny manifest's table.
size_t tinyWeightIndex(const std::string &name) {
  const Json manifest = tinyManifest();
  const Json &table = manifest["weights"];
  for (size_t i = 0; i < table.size(); ++i)
    if (table[i]["name"] == name)
      return i;
  ADD_FAILURE() << "no weight " << name;
  return 0;
}

/// The tensor bound for the tiny manifest's lm_head.weight (a failure, and
/// an empty info, if there is none).
nhc_tensor_info_t boundLmHead(const nhc_weights_t *weights) {
  nhc_tensor_info_t info{};
  EXPECT_EQ(nhc_weights_bound_at(weights, tinyWeightIndex("lm_head.weight"),
                                 &info),
            NHC_OK)
      << lastError();
  return info;
}

// Storage dtype is a detail: a weight the computation reads as BF16 binds a
// tensor stored F16 or F32 (converted when a session is created).
TEST_F(WeightsTest, FloatWeightsBindFromAnyFloatStorage) {
  for (const char *dtype : {"F16", "F32", "BF16"}) {
    nhc_weights_release(weights);
    weights = nullptr;
    openSingle(tinyWith("lm_head.weight", dtype, {256, 64}));
    ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK)
        << dtype << ": " << lastError();
    nhc_tensor_info_t info = boundLmHead(weights);
    EXPECT_STREQ(nhc_dtype_name(info.desc.dtype), dtype);
  }
}

TEST_F(WeightsTest, NonFloatStorageIsAMismatch) {
  openSingle(tinyWith("lm_head.weight", "I16", {256, 64}));
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              HasSubstr("weights: tensor 'lm_head.weight' has dtype I16 in " +
                        file() +
                        ", but the artifact reads BF16 (any of F32, BF16, F16, "
                        "F64 binds and is converted)"));
}

// F64 storage (numpy's float, as conversion scripts write A_log or D) is
// read as F32 rounded to nearest when the checkpoint is opened, as
// transformers casts it into the model's parameters: every reader sees F32.
TEST_F(WeightsTest, F64TensorsAreReadRoundedToF32) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double fltMax = std::numeric_limits<float>::max();
  // (stored, read): nearest, ties to even, the overflow edge, NaN, -0.
  const std::vector<std::pair<double, float>> cases = {
      {0.1, 0x1.99999ap-4f},
      {1.0 + 0x1p-24, 1.0f},                  // tie: the even neighbour
      {1.0 + 3 * 0x1p-24, 1.0f + 0x1p-22f},   // tie: the even neighbour
      {fltMax + 0x1p102, 0x1.fffffep127f},    // below halfway: FLT_MAX
      {fltMax + 0x1p103, INFINITY},           // halfway: to even, infinity
      {-1e300, -INFINITY},
      {1e-50, 0.0f},
      {0x1.8p-140, 0x1.8p-140f},              // a subnormal, exact
      {-0.0, -0.0f},
      {nan, NAN},
  };
  Bytes data(256 * 64 * sizeof(double));
  for (size_t i = 0; i < 256 * 64; ++i) {
    double value = i < cases.size() ? cases[i].first : 0.5 + double(i);
    std::memcpy(data.data() + i * sizeof(double), &value, sizeof(value));
  }
  SafetensorsBuilder builder = tinyWith("lm_head.weight", "", {});
  builder.add("lm_head.weight", "F64", {256, 64}, data);
  openSingle(builder);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  nhc_tensor_info_t info = boundLmHead(weights);
  EXPECT_EQ(info.desc.dtype, NHC_DTYPE_F32);
  ASSERT_EQ(info.byte_size, 256u * 64 * sizeof(float));
  std::vector<float> read(256 * 64);
  std::memcpy(read.data(), info.data, info.byte_size);
  for (size_t i = 0; i < cases.size(); ++i) {
    const float want = cases[i].second;
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(read[i])) << i;
      continue;
    }
    EXPECT_EQ(read[i], want) << i;
    EXPECT_EQ(std::signbit(read[i]), std::signbit(want)) << i;
  }
  EXPECT_EQ(read[1000], 1000.5f);
  nhc_tensor_info_t found;
  ASSERT_EQ(nhc_weights_find(weights, "lm_head.weight", &found), NHC_OK);
  EXPECT_EQ(found.desc.dtype, NHC_DTYPE_F32);
  EXPECT_EQ(found.data, info.data);
  EXPECT_THAT(notesOf(weights, NHC_NOTE_INFO),
              Contains(HasSubstr("1 tensor(s) stored as F64 in '" + file() +
                                 "' are read rounded to F32, as transformers "
                                 "casts them: 'lm_head.weight'")));
}

TEST_F(WeightsTest, FP8WeightsMustBeStoredAsFP8) {
  Json m = tinyManifest();
  m["weights"][tinyWeightIndex("lm_head.weight")]["dtype"] = "F8_E4M3";
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(m);
  openSingle(tinyCheckpoint());
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              HasSubstr("has dtype BF16 in " + file() +
                        ", but the artifact reads F8_E4M3 (an FP8 linear's "
                        "weight is stored as e4m3, with its weight_scale and "
                        "input_scale)"));
}

TEST_F(WeightsTest, E5M2IsNotE4M3) {
  Json m = tinyManifest();
  m["weights"][tinyWeightIndex("lm_head.weight")]["dtype"] = "F8_E4M3";
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(m);
  openSingle(tinyWith("lm_head.weight", "F8_E5M2", {256, 64}));
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("tensor 'lm_head.weight' has dtype F8_E5M2"),
                    HasSubstr("FP8 weights must be e4m3; e5m2 is not "
                              "supported")));
}

/// The tiny manifest plus one FP8 scale, and a checkpoint holding it as
/// `dtype` `shape` with little-endian f32 `values`.
class Fp8ScaleTest : public WeightsTest {
protected:
  static constexpr const char *kScale =
      "backbone.layers.0.mixer.in_proj.input_scale";

  nhc_status_t bindScale(const std::string &dtype,
                         std::vector<uint64_t> shape,
                         const std::vector<float> &values) {
    Json m = tinyManifest();
    m["weights"].push_back(
        {{"name", kScale}, {"dtype", "F32"}, {"shape", Json::array()},
         {"positive", true}});
    nhc_manifest_release(manifest);
    manifest = parseManifestOrDie(m);
    Bytes data(values.size() * sizeof(float));
    std::memcpy(data.data(), values.data(), data.size());
    SafetensorsBuilder builder = tinyCheckpoint();
    builder.add(kScale, dtype, std::move(shape), std::move(data));
    openSingle(builder);
    return nhc_weights_bind(weights, manifest);
  }
};

TEST_F(Fp8ScaleTest, ScalarBindsAsEmptyOrOneShape) {
  EXPECT_EQ(bindScale("F32", {}, {0.25f}), NHC_OK) << lastError();
  EXPECT_EQ(bindScale("F32", {1}, {0.25f}), NHC_OK) << lastError();
}

TEST_F(Fp8ScaleTest, PerChannelScalesAreNotSupported) {
  EXPECT_EQ(bindScale("F32", {4}, {1, 2, 3, 4}), NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr(std::string("tensor '") + kScale +
                              "' has shape [4]"),
                    HasSubstr("a per-tensor scalar; per-channel and block "
                              "scales are not supported")));
}

TEST_F(Fp8ScaleTest, ScalesMustBePositiveNormalAndBounded) {
  // 448 x 448 x two of the largest accepted scales is finite in f32.
  const float largest = std::sqrt(std::numeric_limits<float>::max()) / 448.0f;
  for (float good : {largest, std::numeric_limits<float>::min(), 1.0f})
    EXPECT_EQ(bindScale("F32", {}, {good}), NHC_OK) << good << lastError();
  for (float bad : {0.0f, -0.5f, std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN(),
                    std::nextafter(largest, 1e38f), 1e30f,
                    std::numeric_limits<float>::max() / 448.0f,
                    std::numeric_limits<float>::denorm_min(), 1e-40f}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(bindScale("F32", {}, {bad}), NHC_INVALID_FORMAT);
    EXPECT_THAT(lastError(),
                AllOf(HasSubstr(std::string("tensor '") + kScale + "'"),
                      HasSubstr(file()),
                      HasSubstr("an FP8 scale must be positive, normal and "
                                "at most 4.11757")));
  }
}

// A vector (norm weight, bias, A_log, the router's correction bias) acts on
// every token: a NaN or infinity in one is refused at binding, naming the
// tensor, file and element, in every float storage.
TEST_F(WeightsTest, VectorWeightsMustBeFinite) {
  const float inf = std::numeric_limits<float>::infinity();
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), inf, -inf})
    for (const char *dtype : {"F32", "BF16", "F16"}) {
      SCOPED_TRACE(std::string(dtype) + " " + std::to_string(bad));
      const size_t size = std::string(dtype) == "F32" ? 4 : 2;
      Bytes data(64 * size, 0);
      // Element 37 holds the value (bf16: f32's high half; f16: its code).
      uint32_t bits;
      std::memcpy(&bits, &bad, 4);
      if (size == 4)
        poke<uint32_t>(data, 37 * 4, bits);
      else if (std::string(dtype) == "BF16")
        poke<uint16_t>(data, 37 * 2, bits >> 16);
      else
        poke<uint16_t>(data, 37 * 2,
                       std::isnan(bad) ? 0x7e00 : bad > 0 ? 0x7c00 : 0xfc00);
      SafetensorsBuilder builder = tinyWith("backbone.norm_f.weight", "", {});
      builder.add("backbone.norm_f.weight", dtype, {64}, std::move(data));
      nhc_weights_release(weights);
      weights = nullptr;
      openSingle(builder);
      EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_INVALID_FORMAT);
      EXPECT_THAT(lastError(),
                  AllOf(HasSubstr("tensor 'backbone.norm_f.weight' in " +
                                  file()),
                        HasSubstr(" at element 37; a vector weight must be "
                                  "finite")));
    }
}

// A matrix the manifest marks "finite" (the MoE router's gate) is scanned
// whole; an unmarked matrix is not (a NaN there reaches the logits).
TEST_F(WeightsTest, FiniteMarkedMatricesAreScanned) {
  const std::string name = "backbone.layers.1.mixer.q_proj.weight";
  // Every other tensor zero (the default byte pattern may spell a NaN).
  SafetensorsBuilder builder;
  const Json tiny = tinyManifest();
  for (const Json &w : tiny["weights"]) {
    const auto shape = w["shape"].get<std::vector<uint64_t>>();
    uint64_t bytes = w["dtype"] == "F32" ? 4 : 2;
    for (uint64_t d : shape)
      bytes *= d;
    Bytes data(bytes, 0);
    if (w["name"] == name)
      poke<uint16_t>(data, (5 * 64 + 9) * 2, 0x7fc0); // bf16 NaN at [5, 9]
    builder.add(w["name"].get<std::string>(), w["dtype"].get<std::string>(),
                shape, std::move(data));
  }
  openSingle(builder);
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  Json marked = tinyManifest();
  marked["weights"][tinyWeightIndex(name)]["finite"] = true;
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(marked);
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("tensor '" + name + "' in " + file()),
                    HasSubstr("is nan at element 329; the MoE router's "
                              "weight must be finite")));
}

/// The tiny manifest with lm_head tied: it falls back to the embeddings.
Json tiedManifest() {
  Json m = tinyManifest();
  m["weights"][tinyWeightIndex("lm_head.weight")]["alternatives"] =
      Json::array({Json::object({{"name", "backbone.embeddings.weight"}})});
  return m;
}

TEST_F(WeightsTest, TiedWeightFallsBackToItsAlternative) {
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(tiedManifest());
  SafetensorsBuilder builder = tinyWith("lm_head.weight", "", {});
  openSingle(builder);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  nhc_tensor_info_t info = boundLmHead(weights);
  EXPECT_STREQ(info.desc.name, "backbone.embeddings.weight");
  EXPECT_EQ(info.data,
            [&] {
              nhc_tensor_info_t emb;
              nhc_weights_find(weights, "backbone.embeddings.weight", &emb);
              return emb.data;
            }());
  EXPECT_TRUE(notesOf(weights, NHC_NOTE_WARNING).empty());
}

// The checkpoint's own tensor wins over the tie, with a warning naming both
// when the two differ, and none when they are equal.
TEST_F(WeightsTest, OwnTensorWinsOverTieAndWarnsWhenTheyDiffer) {
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(tiedManifest());
  openSingle(tinyCheckpoint()); // lm_head and embeddings hold other bytes
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  nhc_tensor_info_t info = boundLmHead(weights);
  EXPECT_STREQ(info.desc.name, "lm_head.weight");
  std::vector<std::string> warnings = notesOf(weights, NHC_NOTE_WARNING);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], AllOf(HasSubstr("'lm_head.weight'"),
                                 HasSubstr("'backbone.embeddings.weight'"),
                                 HasSubstr("different values")));

  nhc_weights_release(weights);
  weights = nullptr;
  SafetensorsBuilder same = tinyWith("lm_head.weight", "", {});
  same.add("lm_head.weight", "F32", {256, 64},
           tinyCheckpoint().data("backbone.embeddings.weight"));
  openSingle(same);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  EXPECT_TRUE(notesOf(weights, NHC_NOTE_WARNING).empty());
}

TEST_F(WeightsTest, UnusedTensorsAreANote) {
  SafetensorsBuilder builder = tinyCheckpoint();
  builder.add("backbone.layers.1.mixer.k_scale", "F32", {});
  openSingle(builder);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  std::vector<std::string> info = notesOf(weights, NHC_NOTE_INFO);
  ASSERT_EQ(info.size(), 1u);
  EXPECT_THAT(info[0], HasSubstr("1 checkpoint tensor(s)"));
  EXPECT_THAT(info[0], HasSubstr("'backbone.layers.1.mixer.k_scale'"));
}

// A tensor of a dtype nhc reads nowhere (safetensors' F4, C64, ...) loads
// while the artifact does not bind it, as transformers loads it; bound, it
// is refused naming its dtype.
TEST_F(WeightsTest, ADtypeNhcDoesNotReadBindsNowhere) {
  SafetensorsBuilder builder = tinyCheckpoint();
  builder.add("extra.c", "C64", {2}, Bytes(16, 0));
  openSingle(builder);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  EXPECT_THAT(notesOf(weights, NHC_NOTE_INFO),
              Contains(HasSubstr("'extra.c'")));
  SafetensorsBuilder bound = tinyWith("backbone.norm_f.weight", "", {});
  bound.add("backbone.norm_f.weight", "F6_E3M2", {64}, Bytes(48, 0));
  openSingle(bound);
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("'backbone.norm_f.weight' has dtype F6_E3M2"),
                    HasSubstr("nhc reads no tensor of that dtype")));
}

/// Experts 0..2 of [3, 4, 8] weights, each bindable from a stacked tensor
/// under each of `stacked` (alternatives in that order).
Json stackedExpertsManifest(
    const std::vector<std::string> &stacked = {"x.experts.up_proj"}) {
  Json m = tinyManifest();
  for (int e = 0; e < 3; ++e) {
    Json alternatives = Json::array();
    for (const std::string &name : stacked)
      alternatives.push_back(
          Json::object({{"name", name}, {"index", e}, {"count", 3}}));
    m["weights"].push_back(
        {{"name", "x.experts." + std::to_string(e) + ".up_proj.weight"},
         {"dtype", "F32"},
         {"shape", {4, 8}},
         {"alternatives", alternatives}});
  }
  return m;
}

TEST_F(WeightsTest, ExpertsBindAsSlicesOfAStackedTensor) {
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(stackedExpertsManifest());
  SafetensorsBuilder builder = tinyCheckpoint();
  builder.add("x.experts.up_proj", "BF16", {3, 4, 8});
  openSingle(builder);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  size_t first = nhc_manifest_weight_count(manifest) - 3;
  const Bytes &stacked = builder.data("x.experts.up_proj");
  for (size_t e = 0; e < 3; ++e) {
    nhc_tensor_info_t info;
    ASSERT_EQ(nhc_weights_bound_at(weights, first + e, &info), NHC_OK);
    EXPECT_STREQ(info.desc.name, "x.experts.up_proj");
    ASSERT_EQ(info.desc.rank, 2u);
    EXPECT_EQ(info.desc.shape[0], 4u);
    EXPECT_EQ(info.desc.shape[1], 8u);
    EXPECT_EQ(info.byte_size, 4u * 8 * 2);
    EXPECT_EQ(std::memcmp(info.data, stacked.data() + e * 64, 64), 0);
  }
}

// Both layouts in one checkpoint: the per-expert tensors are used, with a
// warning when the stacked one disagrees (transformers refuses such a
// directory).
TEST_F(WeightsTest, PerExpertAndStackedThatDifferWarn) {
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(stackedExpertsManifest());
  SafetensorsBuilder builder = tinyCheckpoint();
  builder.add("x.experts.up_proj", "F32", {3, 4, 8});
  for (int e = 0; e < 3; ++e) {
    const Bytes &stacked = builder.data("x.experts.up_proj");
    Bytes slice(stacked.begin() + e * 128, stacked.begin() + (e + 1) * 128);
    if (e == 2)
      slice[5] ^= 0x40; // expert 2 disagrees
    builder.add("x.experts." + std::to_string(e) + ".up_proj.weight", "F32",
                {4, 8}, slice);
  }
  openSingle(builder);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  std::vector<std::string> warnings = notesOf(weights, NHC_NOTE_WARNING);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0],
              HasSubstr("holds both 'x.experts.2.up_proj.weight' and "
                        "'x.experts.up_proj' [2] with different values"));
  nhc_tensor_info_t info;
  ASSERT_EQ(nhc_weights_bound_at(weights,
                                 nhc_manifest_weight_count(manifest) - 1, &info),
            NHC_OK);
  EXPECT_STREQ(info.desc.name, "x.experts.2.up_proj.weight");
}

// Two stacked spellings and no per-expert tensors: the first alternative
// binds, with a warning naming both (and the expert) where they differ, and
// none where they agree.
TEST_F(WeightsTest, TwoStackedSpellingsThatDifferWarn) {
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(
      stackedExpertsManifest({"x.experts.up_proj", "x.experts.up_proj.weight"}));
  expectOneOfTwoStackedCopiesBinds("x.experts.up_proj.weight",
                                   "x.experts.up_proj",
                                   "holds both 'x.experts.up_proj' [1] and "
                                   "'x.experts.up_proj.weight' [1] with different "
                                   "values; using 'x.experts.up_proj' [1]");
}

// A stacked tensor present under two spellings of one alternative
// (otherSpellings): the one transformers loads binds ("model.x..." sorts
// before "x..."), with a warning naming both (and the expert) where they
// differ, and none where they agree.
TEST_F(WeightsTest, TwoSpellingsOfAStackedTensorThatDifferWarn) {
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(stackedExpertsManifest());
  expectOneOfTwoStackedCopiesBinds("model.x.experts.up_proj",
                                   "model.x.experts.up_proj",
                                   "holds both 'model.x.experts.up_proj' [1] and "
                                   "'x.experts.up_proj' [1] with different values; "
                                   "using 'model.x.experts.up_proj' [1]");
}

// transformers 5.23 renames every spelling of a routed expert's matrix to
// one name and stacks them (MergeModulelist): experts spelled differently
// from each other load, one expert spelled twice is one expert too many,
// which it refuses whatever the values; so does nhc, naming both.
TEST_F(WeightsTest, AnExpertMatrixUnderTwoSpellingsIsRefusedAsInTransformers) {
  Json m = tinyManifest();
  for (int e = 0; e < 2; ++e)
    m["weights"].push_back(
        {{"name", "backbone.layers.2.mixer.experts." + std::to_string(e) +
                      ".down_proj.weight"},
         {"dtype", "F32"},
         {"shape", {4, 8}},
         {"alternatives",
          Json::array({Json::object({{"name", "backbone.layers.2.mixer.experts.down_proj"},
                                     {"index", e},
                                     {"count", 2}})})}});
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(m);
  SafetensorsBuilder builder = tinyCheckpoint();
  builder.add("backbone.layers.2.mixer.experts.0.down_proj.weight", "F32", {4, 8})
      .add("model.layers.2.mixer.experts.1.down_proj.weight", "F32", {4, 8});
  openSingle(builder);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  builder.add("model.layers.2.mixer.experts.0.down_proj.weight", "F32", {4, 8},
              builder.data("backbone.layers.2.mixer.experts.0.down_proj.weight"));
  openSingle(builder);
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("expert weight "
                              "'backbone.layers.2.mixer.experts.0.down_proj.weight' as both "
                              "'backbone.layers.2.mixer.experts.0.down_proj.weight' and "
                              "'model.layers.2.mixer.experts.0.down_proj.weight'"),
                    HasSubstr("keep one spelling")));
}

// A checkpoint with an expert past the config's count (in any spelling)
// would have the config cut the experts short, silently: transformers 5.23
// refuses it (its stack of the layer's experts is too long), and so does
// nhc. Experts of a layer the artifact has no MoE at are only unused.
TEST_F(WeightsTest, AnExpertBeyondTheConfigsCountIsRefused) {
  Json m = tinyManifest();
  for (int e = 0; e < 2; ++e)
    m["weights"].push_back(
        {{"name", "backbone.layers.2.mixer.experts." + std::to_string(e) +
                      ".up_proj.weight"},
         {"dtype", "F32"},
         {"shape", {4, 8}}});
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(m);
  SafetensorsBuilder builder = tinyCheckpoint();
  builder.add("backbone.layers.2.mixer.experts.0.up_proj.weight", "F32", {4, 8})
      .add("backbone.layers.2.mixer.experts.1.up_proj.weight", "F32", {4, 8})
      .add("backbone.layers.3.mixer.experts.7.up_proj.weight", "F32", {4, 8});
  openSingle(builder);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  for (const char *extra : {"model.layers.2.mixer.experts.2.up_proj.weight",
                            "layers.2.mixer.experts.0010.up_proj.weight"}) {
    SCOPED_TRACE(extra);
    SafetensorsBuilder more = builder;
    more.add(extra, "F32", {4, 8});
    openSingle(more);
    EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_MISMATCH);
    EXPECT_THAT(lastError(), AllOf(HasSubstr(std::string("holds '") + extra),
                                   HasSubstr("gives 2 routed experts")));
  }
}

// Every spelling transformers 5.23 loads a weight from: a body weight's
// "backbone.", its in-memory "model.", none (a state dict of the bare
// NemotronHModel), and "model.model.", "backbone.model.", "model.backbone."
// (a wrapper holding the model as `model`); the head's own name, "model."
// and "backbone." before it. Each binds alone; of two present, the one that
// sorts first by transformers' dot_natural_key binds (the one transformers
// loads: checked with transformers 5.23 for these pairs, on the golden
// dense model), with a warning naming both when their values differ and
// none when they agree. A spelling transformers does not load is missing.
TEST_F(WeightsTest, EverySpellingTransformersLoadsBindsFirstInItsKeyOrder) {
  struct Case {
    size_t weight; // index in the tiny manifest (and checkpoint)
    std::vector<std::string> present;
    std::string bound;
  };
  const std::string inProj = "layers.0.mixer.in_proj.weight";
  const std::vector<Case> cases = {
      {1, {"model." + inProj}, "model." + inProj},
      {1, {inProj}, inProj},
      {1, {"backbone." + inProj, "model." + inProj}, "backbone." + inProj},
      {1, {"backbone." + inProj, inProj}, "backbone." + inProj},
      {1, {"model." + inProj, inProj}, inProj}, // "layers" < "model"
      {1, {"model.backbone." + inProj}, "model.backbone." + inProj},
      {1, {"model.model." + inProj, "model." + inProj}, "model." + inProj},
      {1, {"backbone.model." + inProj, "model." + inProj},
       "backbone.model." + inProj},
      {1, {"model.backbone." + inProj, inProj}, inProj},
      {4, {"model.norm_f.weight", "norm_f.weight"}, "model.norm_f.weight"},
      {0, {"model.embeddings.weight", "embeddings.weight"}, "embeddings.weight"},
      {5, {"model.lm_head.weight"}, "model.lm_head.weight"},
      {5, {"backbone.lm_head.weight"}, "backbone.lm_head.weight"},
      {5, {"lm_head.weight", "model.lm_head.weight"}, "lm_head.weight"},
      {5, {"lm_head.weight", "backbone.lm_head.weight"}, "backbone.lm_head.weight"},
  };
  const SafetensorsBuilder original = tinyCheckpoint();
  const Json spec = tinyManifest()["weights"];
  for (const Case &c : cases)
    for (bool differ : {false, true}) {
      if (differ && c.present.size() < 2)
        continue;
      SCOPED_TRACE(c.present.back() + (differ ? ", different values" : ""));
      const std::string name = spec[c.weight]["name"].get<std::string>();
      SafetensorsBuilder builder;
      for (const Json &w : spec) {
        const std::string own = w["name"].get<std::string>();
        const std::string dtype = w["dtype"].get<std::string>();
        const auto shape = w["shape"].get<std::vector<uint64_t>>();
        if (own != name) {
          builder.add(own, dtype, shape, original.data(own));
          continue;
        }
        for (size_t i = 0; i < c.present.size(); ++i) {
          Bytes data = original.data(name);
          if (differ && i > 0)
            data[0] ^= 0x01; // a mantissa bit: other, still finite, values
          builder.add(c.present[i], dtype, shape, data);
        }
      }
      openSingle(builder);
      ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
      nhc_tensor_info_t info;
      ASSERT_EQ(nhc_weights_bound_at(weights, c.weight, &info), NHC_OK);
      EXPECT_EQ(info.desc.name, c.bound);
      std::vector<std::string> warnings = notesOf(weights, NHC_NOTE_WARNING);
      if (!differ) {
        EXPECT_TRUE(warnings.empty()) << warnings.front();
        continue;
      }
      const std::string &other =
          c.present[0] == c.bound ? c.present[1] : c.present[0];
      ASSERT_EQ(warnings.size(), 1u);
      EXPECT_THAT(warnings[0],
                  HasSubstr("holds both '" + c.bound + "' and '" + other +
                            "' with different values; using '" + c.bound +
                            "' (as transformers does)"));
    }
  SafetensorsBuilder unloadable;
  for (const Json &w : spec) {
    const std::string own = w["name"].get<std::string>();
    unloadable.add(own == "backbone." + inProj ? "backbone." + own : own,
                   w["dtype"].get<std::string>(),
                   w["shape"].get<std::vector<uint64_t>>(), original.data(own));
  }
  openSingle(unloadable);
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), HasSubstr("tensor 'backbone." + inProj + "'"));
}

// The manifest's config.read (what the compiler read) against the
// checkpoint's own config.json: differing values (a string, a number, one
// absent on either side, a nested key, an alias group) are one warning
// naming each with both values; numbers compare by value, an alias group by
// its first alias present; the file is read as Python reads it (Infinity
// and NaN tokens, a repeated key's last value); a file that is no JSON is
// an information note; without config.json or config.read nothing is said.
TEST_F(WeightsTest, CheckpointConfigThatDiffersFromTheArtifactsWarns) {
  Json withRead = tinyManifest();
  withRead["config"] = {{"fnv1a64", "0011223344556677"},
                        {"read",
                         {{"hidden_size", 64},
                          {"mlp_hidden_act", "relu2"},
                          {"layer_norm_epsilon", 1e-5},
                          {"n_groups", nullptr},
                          {"mamba_d_conv|conv_kernel", 4},
                          {"rms_norm_eps", 1e-6},
                          {"quantization_config.quant_algo", "FP8"}}}};
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(withRead);
  auto warningsWith = [&](const std::string &config) {
    writeText(dir.file("config.json"), config);
    openSingle(tinyCheckpoint());
    EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
    return notesOf(weights, NHC_NOTE_WARNING);
  };
  EXPECT_TRUE(warningsWith(R"({"hidden_size": 64.0, "mlp_hidden_act": "relu2",
      "layer_norm_epsilon": 1e-05, "n_groups": null, "rms_norm_eps": 0.000001,
      "conv_kernel": 4, "time_step_limit": [0.0, Infinity], "x": NaN,
      "quantization_config": {"quant_algo": "FP8"}, "_name_or_path": "x",
      "mlp_hidden_act": "relu2"})")
                  .empty());
  // The alias first in the group wins, as the compiler picks; a repeated
  // key's last value counts.
  std::vector<std::string> aliased = warningsWith(R"({"hidden_size": 64,
      "mlp_hidden_act": "silu", "mlp_hidden_act": "relu2", "layer_norm_epsilon": 1e-5,
      "rms_norm_eps": 1e-6, "quantization_config": {"quant_algo": "FP8"},
      "mamba_d_conv": 2, "conv_kernel": 4, "time_step_min": -Infinity})");
  ASSERT_EQ(aliased.size(), 1u);
  EXPECT_THAT(aliased[0], AllOf(HasSubstr("'mamba_d_conv|conv_kernel' is 2 there, 4 in the "
                                          "artifact's"),
                                Not(HasSubstr("mlp_hidden_act"))));
  std::vector<std::string> warnings = warningsWith(
      R"({"hidden_size": 64, "mlp_hidden_act": "silu", "layer_norm_epsilon": 0.1,
          "n_groups": 2, "conv_kernel": 4,
          "quantization_config": {"quant_algo": "NVFP4"}})");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0],
              AllOf(HasSubstr("checkpoint config '" + dir.file("config.json") +
                              "' differs from the config manifest 'test' "
                              "was compiled from: "),
                    HasSubstr("'layer_norm_epsilon' is 0.1 there, 1e-05 in the "
                              "artifact's"),
                    HasSubstr("'mlp_hidden_act' is \"silu\" there, \"relu2\" in "
                              "the artifact's"),
                    HasSubstr("'n_groups' is 2 there, absent in the artifact's"),
                    HasSubstr("'rms_norm_eps' is absent there, 1e-06 in the "
                              "artifact's"),
                    HasSubstr("'quantization_config.quant_algo' is \"NVFP4\" "
                              "there, \"FP8\" in the artifact's"),
                    Not(HasSubstr("hidden_size"))));
  // Text from either file is escaped; an explicit null (or a number Python
  // reads as infinite) is named as null, not as absent.
  std::vector<std::string> hostile = warningsWith(
      "{\"hidden_size\": Infinity, \"mlp_hidden_act\": \"relu2\\u202e\\u001b[2J\", "
      "\"layer_norm_epsilon\": 1e-5, \"rms_norm_eps\": 1e-6, \"conv_kernel\": 4, "
      "\"quantization_config\": {\"quant_algo\": \"FP8\"}}");
  ASSERT_EQ(hostile.size(), 1u);
  EXPECT_THAT(hostile[0],
              AllOf(HasSubstr("'hidden_size' is null (or a number that is not finite) "
                              "there, 64 in the artifact's"),
                    HasSubstr("'mlp_hidden_act' is \"relu2\\u202e\\u001b[2J\" there"),
                    Not(HasSubstr("\u202e")), Not(HasSubstr("\x1b"))));
  EXPECT_TRUE(warningsWith("{\"hidden_size\": 64,").empty());
  std::vector<std::string> info = notesOf(weights, NHC_NOTE_INFO);
  EXPECT_THAT(info, Contains(HasSubstr("checkpoint config not compared with "
                                       "the artifact's")));
  // JSON that is no object, and something that is no file by that name, are
  // said (as not compared), not compared key by key or passed over.
  EXPECT_TRUE(warningsWith("[1, 2]").empty());
  EXPECT_THAT(notesOf(weights, NHC_NOTE_INFO),
              Contains(HasSubstr("config.json' is not a JSON object")));
  std::remove(dir.file("config.json").c_str());
  ASSERT_EQ(::mkfifo(dir.file("config.json").c_str(), 0600), 0);
  openSingle(tinyCheckpoint());
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  EXPECT_TRUE(notesOf(weights, NHC_NOTE_WARNING).empty());
  EXPECT_THAT(notesOf(weights, NHC_NOTE_INFO),
              Contains(HasSubstr("config.json' is not a regular file")));
  std::remove(dir.file("config.json").c_str());
  // Without config.read (an older artifact) nothing is compared.
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(tinyManifest());
  EXPECT_TRUE(warningsWith(R"({"mlp_hidden_act": "silu"})").empty());
}

TEST_F(WeightsTest, StackedTensorOfWrongShapeNamesIt) {
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(stackedExpertsManifest());
  SafetensorsBuilder builder = tinyCheckpoint();
  builder.add("x.experts.up_proj", "F32", {2, 4, 8});
  openSingle(builder);
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              HasSubstr("weights: tensor 'x.experts.up_proj' (bound in place "
                        "of 'x.experts.0.up_proj.weight') has shape [2, 4, 8] "
                        "in " + file() + ", but the artifact expects [3, 4, 8]"));
}

TEST_F(WeightsTest, MissingWeightListsTheAlternativesTried) {
  nhc_manifest_release(manifest);
  manifest = parseManifestOrDie(stackedExpertsManifest());
  openSingle(tinyCheckpoint());
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(),
              HasSubstr("tensor 'x.experts.0.up_proj.weight' (F32 [4, 8]) "
                        "required by the artifact is missing from checkpoint '" +
                        file() +
                        "' (also as 'model.x.experts.0.up_proj.weight', "
                        "'backbone.x.experts.0.up_proj.weight'), and so are "
                        "its alternatives 'x.experts.up_proj' [0]"));
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

// transformers 5.23 reads an index only for its shard files and takes
// every tensor they hold: entries that name the wrong shard, or a tensor no
// shard holds (a stale index), load there, with a warning here.
TEST_F(ShardedWeightsTest, AStaleIndexEntryIsAWarningAsInTransformers) {
  Json idx = index();
  idx["weight_map"]["lm_head.weight"] = kFirst;
  idx["weight_map"]["backbone.layers.9.mixer.gone.weight"] = kSecond;
  writeIndex(idx);
  ASSERT_EQ(open(dir.path()), NHC_OK) << lastError();
  EXPECT_EQ(nhc_weights_tensor_count(weights), 6u);
  nhc_tensor_info_t info;
  ASSERT_EQ(nhc_weights_find(weights, "lm_head.weight", &info), NHC_OK);
  EXPECT_EQ(std::string(info.file), dir.file(kSecond));
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  EXPECT_THAT(notesOf(weights, NHC_NOTE_WARNING),
              Contains(AllOf(HasSubstr("weight_map places 2 tensor(s) in "
                                       "shards that do not hold them"),
                             HasSubstr("(first: "
                                       "'backbone.layers.9.mixer.gone.weight' in '" +
                                       dir.file(kSecond) + "')"))));
  // A tensor the artifact needs is still needed.
  Json missing = index();
  missing["weight_map"].erase("lm_head.weight");
  writeIndex(missing);
  second = SafetensorsBuilder();
  second.add("backbone.layers.1.mixer.q_proj.weight", "BF16", {64, 64})
      .add("backbone.norm_f.weight", "F32", {64});
  second.write(dir.file(kSecond));
  ASSERT_EQ(open(dir.path()), NHC_OK) << lastError();
  EXPECT_EQ(nhc_weights_bind(weights, manifest), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), HasSubstr("'lm_head.weight'"));
}

// A key twice in weight_map reads as Python's json reads it (the last one).
TEST_F(ShardedWeightsTest, AKeyRepeatedInTheIndexIsReadAsPythonReadsIt) {
  std::string text = index().dump();
  const std::string repeat = std::string("\"weight_map\":{\"backbone.norm_f.weight\":\"") +
                             kFirst + "\",";
  size_t at = text.find("\"weight_map\":{");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, std::string("\"weight_map\":{").size(), repeat);
  writeText(dir.file("model.safetensors.index.json"), text);
  ASSERT_EQ(open(dir.path()), NHC_OK) << lastError();
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  EXPECT_TRUE(notesOf(weights, NHC_NOTE_WARNING).empty());
}

// Shards merge as transformers merges their state dicts: the later file in
// name order wins a tensor both hold, with a warning where they differ.
TEST_F(ShardedWeightsTest, ATensorInTwoShardsBindsFromTheLaterAsInTransformers) {
  Bytes other(256 * 64 * 4, 0x3c);
  second.add("backbone.embeddings.weight", "F32", {256, 64}, other);
  second.write(dir.file(kSecond));
  writeIndex(index());
  ASSERT_EQ(open(dir.path()), NHC_OK) << lastError();
  EXPECT_EQ(nhc_weights_tensor_count(weights), 6u);
  nhc_tensor_info_t info;
  ASSERT_EQ(nhc_weights_find(weights, "backbone.embeddings.weight", &info),
            NHC_OK);
  EXPECT_EQ(std::string(info.file), dir.file(kSecond));
  EXPECT_EQ(std::memcmp(info.data, other.data(), other.size()), 0);
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  EXPECT_THAT(notesOf(weights, NHC_NOTE_WARNING),
              Contains(AllOf(HasSubstr("'backbone.embeddings.weight' in both"),
                             HasSubstr("different contents; using '" +
                                       dir.file(kSecond) + "'"))));
  // The same bytes twice: nothing to warn of.
  second = SafetensorsBuilder();
  second.add("backbone.layers.1.mixer.q_proj.weight", "BF16", {64, 64})
      .add("backbone.norm_f.weight", "F32", {64})
      .add("lm_head.weight", "BF16", {256, 64})
      .add("backbone.embeddings.weight", "F32", {256, 64},
           first.data("backbone.embeddings.weight"));
  second.write(dir.file(kSecond));
  ASSERT_EQ(open(dir.path()), NHC_OK) << lastError();
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  EXPECT_TRUE(notesOf(weights, NHC_NOTE_WARNING).empty());
}

// An F64 copy in the earlier shard and an F32 one of the same values in the
// later: the F32 binds, both load as the same F32 values (no warning), and
// no note says the bound tensor was stored as F64.
TEST_F(ShardedWeightsTest, AnF64CopyInAnEarlierShardLoadsAsItsF32Values) {
  std::vector<float> values = {0.5f, -1.25f, 3.0f, 0.1f};
  Bytes f32(values.size() * 4), f64(values.size() * 8);
  for (size_t i = 0; i < values.size(); ++i) {
    double wide = values[i];
    std::memcpy(f32.data() + 4 * i, &values[i], 4);
    std::memcpy(f64.data() + 8 * i, &wide, 8);
  }
  first = SafetensorsBuilder();
  first.add("backbone.embeddings.weight", "F32", {256, 64})
      .add("backbone.layers.0.mixer.in_proj.weight", "BF16", {148, 64})
      .add("backbone.layers.0.mixer.A_log", "F64", {4}, f64);
  first.write(dir.file(kFirst));
  second.add("backbone.layers.0.mixer.A_log", "F32", {4}, f32);
  second.write(dir.file(kSecond));
  writeIndex(index());
  ASSERT_EQ(open(dir.path()), NHC_OK) << lastError();
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  EXPECT_TRUE(notesOf(weights, NHC_NOTE_WARNING).empty());
  EXPECT_THAT(notesOf(weights, NHC_NOTE_INFO),
              Not(Contains(HasSubstr("stored as F64"))));
  nhc_tensor_info_t info;
  ASSERT_EQ(nhc_weights_find(weights, "backbone.layers.0.mixer.A_log", &info),
            NHC_OK);
  EXPECT_EQ(std::string(info.file), dir.file(kSecond));
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

/// Element `i` of a synthetic tensor as f32 (F32 or BF16 storage).
float syntheticAt(const nhc_tensor_info_t &info, uint64_t i) {
  if (info.desc.dtype == NHC_DTYPE_F32)
    return static_cast<const float *>(info.data)[i];
  uint32_t bits = uint32_t(static_cast<const uint16_t *>(info.data)[i]) << 16;
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

TEST_F(WeightsTest, SyntheticWeightsFollowTheManifestAndTheirRules) {
  ASSERT_EQ(nhc_weights_synthetic(manifest, 5, NHC_DTYPE_BF16, &weights),
            NHC_OK)
      << lastError();
  ASSERT_EQ(nhc_weights_bind(weights, manifest), NHC_OK) << lastError();
  EXPECT_EQ(nhc_weights_note_count(weights), 0u); // no extra tensors
  ASSERT_EQ(nhc_weights_tensor_count(weights), tinyManifest()["weights"].size());
  nhc_tensor_info_t norm, aLog, inProj, embeddings;
  ASSERT_EQ(nhc_weights_find(weights, "backbone.norm_f.weight", &norm), NHC_OK);
  ASSERT_EQ(nhc_weights_find(weights, "backbone.layers.0.mixer.A_log", &aLog),
            NHC_OK);
  ASSERT_EQ(nhc_weights_find(weights, "backbone.layers.0.mixer.in_proj.weight",
                             &inProj),
            NHC_OK);
  ASSERT_EQ(nhc_weights_find(weights, "backbone.embeddings.weight",
                             &embeddings),
            NHC_OK);
  // Float weights are stored as asked, with the manifest's shapes.
  EXPECT_EQ(norm.desc.dtype, NHC_DTYPE_BF16);
  EXPECT_EQ(embeddings.desc.dtype, NHC_DTYPE_BF16);
  EXPECT_EQ(inProj.desc.rank, 2u);
  EXPECT_EQ(inProj.desc.shape[0], 148u);
  EXPECT_EQ(inProj.byte_size, 148u * 64 * 2);
  for (uint64_t i = 0; i < 64; ++i)
    EXPECT_EQ(syntheticAt(norm, i), 1.0f);
  for (uint64_t i = 0; i < 4; ++i)
    EXPECT_NEAR(syntheticAt(aLog, i), std::log(1.0 + i), 1e-2);
  double sum = 0, squares = 0;
  const uint64_t n = 148 * 64;
  for (uint64_t i = 0; i < n; ++i) {
    float v = syntheticAt(inProj, i);
    ASSERT_LT(std::fabs(v), 0.07f);
    sum += v;
    squares += double(v) * v;
  }
  EXPECT_LT(std::fabs(sum / n), 0.002);
  EXPECT_NEAR(std::sqrt(squares / n), 0.02, 0.002);
}

TEST_F(WeightsTest, SyntheticWeightsDependOnTheSeedOnly) {
  auto values = [&](uint64_t seed, nhc_dtype_t storage) {
    nhc_weights_t *w = nullptr;
    EXPECT_EQ(nhc_weights_synthetic(manifest, seed, storage, &w), NHC_OK);
    nhc_tensor_info_t info;
    EXPECT_EQ(nhc_weights_find(w, "lm_head.weight", &info), NHC_OK);
    std::vector<float> out(256 * 64);
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = syntheticAt(info, i);
    nhc_weights_release(w);
    return out;
  };
  std::vector<float> a = values(5, NHC_DTYPE_F32);
  EXPECT_EQ(values(5, NHC_DTYPE_F32), a);
  EXPECT_NE(values(6, NHC_DTYPE_F32), a);
  // BF16 storage holds the f32 values rounded to nearest even.
  std::vector<float> rounded = values(5, NHC_DTYPE_BF16);
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_LE(std::fabs(rounded[i] - a[i]), std::fabs(a[i]) / 256 + 1e-30)
        << i;
}

TEST_F(WeightsTest, SyntheticWeightsRefuseShapesPast64Bits) {
  Json json = tinyManifest();
  json["weights"][1]["shape"] = Json::array({1ull << 40, 1ull << 30});
  nhc_manifest_t *huge = nullptr;
  if (nhc_manifest_parse(json.dump().c_str(), json.dump().size(), "huge",
                         &huge) != NHC_OK)
    GTEST_SKIP() << "the manifest parser already refuses the shape: "
                 << lastError();
  EXPECT_EQ(nhc_weights_synthetic(huge, 1, NHC_DTYPE_F32, &weights),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("more elements than 64 bits count"));
  nhc_manifest_release(huge);
}

TEST_F(WeightsTest, SyntheticWeightsRefuseAStorageThatIsNoFloat) {
  EXPECT_EQ(nhc_weights_synthetic(manifest, 1, NHC_DTYPE_F8_E4M3, &weights),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("storage dtype F8_E4M3"));
  EXPECT_EQ(weights, nullptr);
  EXPECT_EQ(nhc_weights_synthetic(nullptr, 1, NHC_DTYPE_F32, &weights),
            NHC_INVALID_ARGUMENT);
}


} // namespace
} // namespace nhc::test
