//===- GoldenTest.cpp - compiled models against HF transformers -----------===//
//
// Each golden case (docs/golden.md) is compiled by `nhc compile` at build time
// and run here through the runtime's session API, on the CPU. The judging
// rules are the ones the golden manifests state:
//   logits: per position, max_v |engine - ref| <= rel_tol * max(1, max_v |ref|)
//   greedy: identical generated ids.
//
//===----------------------------------------------------------------------===//

#include "nhc/runtime/api.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct GoldenCase {
  std::string name;       // directory under test/golden
  std::string artifact;   // compiled at build time
  std::string weightsDir; // checkpoint directory within the case
  std::string prefix;     // reference tensor prefix ("" or "bf16.")
  double relTol;
};

void PrintTo(const GoldenCase &c, std::ostream *os) { *os << c.artifact; }

std::string goldenPath(const std::string &rest) {
  return std::string(NHC_GOLDEN_DIR) + "/" + rest;
}

/// Owns the runtime objects of one compiled case.
class Model {
public:
  explicit Model(const GoldenCase &c) : golden(c) {
    std::string artifactPath = std::string(NHC_E2E_ARTIFACT_DIR) + "/" + c.artifact;
    check(nhc_artifact_load(artifactPath.c_str(), &artifact), "load artifact");
    check(nhc_weights_open(goldenPath(std::string(c.name) + "/" + c.weightsDir).c_str(),
                           &weights),
          "open weights");
    check(nhc_weights_bind(weights, nhc_artifact_manifest(artifact)), "bind");
    check(nhc_session_create(artifact, weights, 4, 64, &session),
          "create session");
    std::string referencePath =
        goldenPath(std::string(c.name) + "/reference.safetensors");
    check(nhc_weights_open(referencePath.c_str(), &reference), "open reference");
    nhc_session_info_t info;
    check(nhc_session_get_info(session, &info), "info");
    vocab = info.vocab_size;
  }
  ~Model() {
    nhc_session_release(session);
    nhc_weights_release(reference);
    nhc_weights_release(weights);
    nhc_artifact_release(artifact);
  }

  static void check(nhc_status_t status, const char *what) {
    ASSERT_EQ(status, NHC_OK) << what << ": " << nhc_last_error();
  }

  /// A reference tensor as floats (F32) or ints (I64).
  template <typename T>
  std::vector<T> tensor(const std::string &name, size_t *rows = nullptr) {
    nhc_tensor_info_t info;
    std::string full = golden.prefix + name;
    nhc_status_t status = nhc_weights_find(reference, full.c_str(), &info);
    EXPECT_EQ(status, NHC_OK) << full << ": " << nhc_last_error();
    if (status != NHC_OK)
      return {};
    if (rows)
      *rows = info.desc.rank > 1 ? info.desc.shape[0] : 1;
    const T *data = static_cast<const T *>(info.data);
    return std::vector<T>(data, data + info.byte_size / sizeof(T));
  }

  /// How many prompts the reference holds (prompt.N.ids for N = 0, 1, ...).
  int prompts() {
    int n = 0;
    nhc_tensor_info_t info;
    while (nhc_weights_find(reference,
                            ("prompt." + std::to_string(n) + ".ids").c_str(),
                            &info) == NHC_OK)
      ++n;
    return n;
  }

  std::vector<int32_t> ids(int prompt) {
    std::vector<int64_t> wide =
        unprefixed<int64_t>("prompt." + std::to_string(prompt) + ".ids");
    return std::vector<int32_t>(wide.begin(), wide.end());
  }

  template <typename T> std::vector<T> unprefixed(const std::string &name) {
    std::string saved = golden.prefix;
    golden.prefix = "";
    std::vector<T> result = tensor<T>(name);
    golden.prefix = saved;
    return result;
  }

  /// Asserts the fp32/bf16 rule on `rows` positions of logits.
  void expectClose(const float *engine, const float *ref, size_t rows,
                   const std::string &what) {
    for (size_t r = 0; r < rows; ++r) {
      double scale = 1.0, worst = 0.0;
      for (size_t v = 0; v < vocab; ++v) {
        scale = std::max(scale, std::fabs(double(ref[r * vocab + v])));
        worst = std::max(worst, std::fabs(double(engine[r * vocab + v]) -
                                          double(ref[r * vocab + v])));
      }
      EXPECT_LE(worst, golden.relTol * scale)
          << what << ", position " << r << ": max abs error " << worst
          << " exceeds " << golden.relTol << " x " << scale;
    }
  }

  static int32_t argmax(const float *logits, size_t vocab) {
    return static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
  }

  GoldenCase golden;
  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
  nhc_weights_t *reference = nullptr;
  nhc_session_t *session = nullptr;
  size_t vocab = 0;
};

class Golden : public ::testing::TestWithParam<GoldenCase> {};

constexpr int kNewTokens = 16;

TEST_P(Golden, PrefillLogitsOfEveryPosition) {
  Model model(GetParam());
  ASSERT_GE(model.prompts(), 2);
  for (int p = 0; p < model.prompts(); ++p) {
    std::vector<int32_t> ids = model.ids(p);
    std::vector<float> ref =
        model.tensor<float>("prompt." + std::to_string(p) + ".prefill_logits");
    uint32_t slot;
    Model::check(nhc_session_claim(model.session, &slot), "claim");
    nhc_request_t request{slot, ids.data(), ids.size()};
    std::vector<float> logits(ids.size() * model.vocab);
    Model::check(nhc_session_step(model.session, &request, 1, NHC_LOGITS_ALL,
                                  logits.data(), logits.size()),
                 "prefill");
    model.expectClose(logits.data(), ref.data(), ids.size(),
                      "prompt " + std::to_string(p) + " prefill");
    Model::check(nhc_session_release_slot(model.session, slot), "release");
  }
}

TEST_P(Golden, GreedyDecodeMatchesGenerate) {
  Model model(GetParam());
  ASSERT_GE(model.prompts(), 2);
  for (int p = 0; p < model.prompts(); ++p) {
    std::string name = "prompt." + std::to_string(p);
    std::vector<int32_t> ids = model.ids(p);
    std::vector<int64_t> expected = model.tensor<int64_t>(name + ".generated_ids");
    std::vector<float> ref = model.tensor<float>(name + ".decode_logits");
    uint32_t slot;
    Model::check(nhc_session_claim(model.session, &slot), "claim");
    std::vector<float> logits(model.vocab);
    nhc_request_t request{slot, ids.data(), ids.size()};
    std::vector<int64_t> generated;
    int32_t nextToken = 0;
    for (int step = 0; step < kNewTokens; ++step) {
      Model::check(nhc_session_step(model.session, &request, 1, NHC_LOGITS_LAST,
                                    logits.data(), logits.size()),
                   "step");
      model.expectClose(logits.data(), &ref[step * model.vocab], 1,
                        name + " decode step " + std::to_string(step));
      // Teacher-forced on the reference tokens so one miss does not cascade.
      generated.push_back(Model::argmax(logits.data(), model.vocab));
      nextToken = static_cast<int32_t>(expected[step]);
      request = {slot, &nextToken, 1};
    }
    if (model.golden.relTol <= 1e-3)
      EXPECT_EQ(generated, expected) << name << ": greedy continuation differs";
    Model::check(nhc_session_release_slot(model.session, slot), "release");
  }
}

/// Prefill and decode of different requests mixed in ragged steps give the
/// same logits as each request alone; a failing step changes nothing.
TEST_P(Golden, RaggedBatchesMatchRequestsAlone) {
  Model model(GetParam());
  const int prompts = model.prompts();
  ASSERT_GE(prompts, 2);
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::vector<int64_t>> next;
  std::vector<std::vector<float>> prefillRef, decodeRef;
  for (int p = 0; p < prompts; ++p) {
    std::string name = "prompt." + std::to_string(p);
    ids.push_back(model.ids(p));
    next.push_back(model.tensor<int64_t>(name + ".generated_ids"));
    prefillRef.push_back(model.tensor<float>(name + ".prefill_logits"));
    decodeRef.push_back(model.tensor<float>(name + ".decode_logits"));
  }
  // The longest prompt is split: its first 7 tokens in step 1.
  int split = 0;
  for (int p = 1; p < prompts; ++p)
    if (ids[p].size() > ids[split].size())
      split = p;
  ASSERT_GT(ids[split].size(), 7u);
  ASSERT_NE(split, 0);
  std::vector<uint32_t> slots(prompts);
  for (uint32_t &slot : slots)
    Model::check(nhc_session_claim(model.session, &slot), "claim");
  size_t V = model.vocab;
  std::vector<float> logits(prompts * V);
  std::vector<size_t> decoded(prompts, 0); // decode logits checked so far
  std::vector<int32_t> token(prompts);

  // Step 1: prompt 0 whole, the split prompt's first 7 tokens (a prefill
  // that later continues from its state).
  nhc_request_t first[] = {{slots[0], ids[0].data(), ids[0].size()},
                           {slots[split], ids[split].data(), 7}};
  Model::check(nhc_session_step(model.session, first, 2, NHC_LOGITS_LAST,
                                logits.data(), logits.size()),
               "step 1");
  model.expectClose(&logits[0], &decodeRef[0][0], 1, "step 1, prompt 0");
  model.expectClose(&logits[V], &prefillRef[split][6 * V], 1,
                    "step 1, split prompt position 6");
  decoded[0] = 1;

  // A step that must fail (token id out of range) leaves every slot intact.
  int32_t bad = static_cast<int32_t>(V);
  nhc_request_t failing[] = {{slots[0], &bad, 1}};
  EXPECT_NE(nhc_session_step(model.session, failing, 1, NHC_LOGITS_LAST,
                             logits.data(), logits.size()),
            NHC_OK);

  // Step 2: prompt 0 decodes, the others prefill (whole, or the rest of the
  // split prompt). Steps 3..5: everyone decodes together.
  for (int step = 2; step <= 5; ++step) {
    std::vector<nhc_request_t> batch;
    for (int p = 0; p < prompts; ++p) {
      if (decoded[p] > 0) {
        token[p] = static_cast<int32_t>(next[p][decoded[p] - 1]);
        batch.push_back({slots[p], &token[p], 1});
      } else if (p == split) {
        batch.push_back({slots[p], ids[p].data() + 7, ids[p].size() - 7});
      } else {
        batch.push_back({slots[p], ids[p].data(), ids[p].size()});
      }
    }
    Model::check(nhc_session_step(model.session, batch.data(), batch.size(),
                                  NHC_LOGITS_LAST, logits.data(),
                                  logits.size()),
                 "ragged step");
    for (int p = 0; p < prompts; ++p) {
      model.expectClose(&logits[p * V], &decodeRef[p][decoded[p] * V], 1,
                        "step " + std::to_string(step) + ", prompt " +
                            std::to_string(p));
      ++decoded[p];
    }
  }
}

/// An fp32 case whose artifact is named after it (test/E2E/CMakeLists.txt).
GoldenCase fp32Case(const char *name) {
  return GoldenCase{name, std::string(name) + ".nhc", "model", "", 1e-3};
}

std::string caseName(const ::testing::TestParamInfo<GoldenCase> &info) {
  std::string name = info.param.artifact;
  name = name.substr(0, name.find('.'));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Golden,
    ::testing::Values(GoldenCase{"dense", "dense.nhc", "model", "", 1e-3},
                      GoldenCase{"chunked", "chunked.nhc", "model", "", 1e-3},
                      GoldenCase{"moe", "moe.nhc", "model", "", 1e-3},
                      GoldenCase{"dense", "dense-bf16.nhc", "model-bf16",
                                 "bf16.", 3e-2}),
    caseName);

// Checkpoint forms transformers 5.23 loads and runs (docs/config.md).
INSTANTIATE_TEST_SUITE_P(
    CheckpointForms, Golden,
    ::testing::Values(fp32Case("conv_nobias"), fp32Case("proj_bias"),
                      fp32Case("act_relu"), fp32Case("act_silu"),
                      fp32Case("act_gelu"), fp32Case("act_gelu_tanh"),
                      fp32Case("moe_silu"), fp32Case("tied_head"),
                      fp32Case("tied_nohead"), fp32Case("moe_stacked"),
                      fp32Case("router_bias_bf16"), fp32Case("mixed_dtype"),
                      fp32Case("cfg_bf16_file_f32"), fp32Case("kv_fp8_only")),
    caseName);

} // namespace
