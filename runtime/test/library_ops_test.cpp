//===- library_ops_test.cpp - gemm and moe_experts against references -----===//
//
// Both run through a session: token ids -> nhc_embedding -> the library op
// -> nhc_test_copy into the logits, so the schedule plumbing (offsets,
// leading dimensions, accumulate, row counts) is tested too.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "fp8.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

constexpr uint64_t kEmbRows = 16;

/// Runs one step of `requests` (token lists, one slot each) and returns
/// the logits.
std::vector<float> runStep(nhc_session_t *session,
                           const std::vector<std::vector<int32_t>> &requests,
                           nhc_logits_mode_t mode, uint64_t width) {
  std::vector<nhc_request_t> batch;
  size_t tokens = 0;
  for (const auto &r : requests) {
    uint32_t slot;
    EXPECT_EQ(nhc_session_claim(session, &slot), NHC_OK) << lastError();
    batch.push_back({slot, r.data(), r.size()});
    tokens += r.size();
  }
  size_t rows = mode == NHC_LOGITS_LAST ? requests.size() : tokens;
  std::vector<float> logits(rows * width);
  EXPECT_EQ(nhc_session_step(session, batch.data(), batch.size(), mode,
                             logits.data(), logits.size()),
            NHC_OK)
      << lastError();
  for (const nhc_request_t &r : batch)
    nhc_session_release_slot(session, r.slot);
  return logits;
}

std::vector<int32_t> flatten(const std::vector<std::vector<int32_t>> &reqs) {
  std::vector<int32_t> flat;
  for (const auto &r : reqs)
    flat.insert(flat.end(), r.begin(), r.end());
  return flat;
}

// --- gemm -----------------------------------------------------------------

constexpr uint64_t kX = 12; // x: embedding rows, 12 per token
constexpr uint64_t kY = 10; // y: 10 per token = the logits width

Json gemmEntry(const char *a, uint64_t aOffset, uint64_t lda, const char *w,
               const char *c, uint64_t cOffset, uint64_t ldc, uint64_t n,
               uint64_t k, bool accumulate, const char *m = "tokens",
               const char *epilogue = "none") {
  return Json{{"library", "gemm"},     {"a", a},     {"a_offset", aOffset},
              {"lda", lda},            {"w", w},     {"c", c},
              {"c_offset", cOffset},   {"ldc", ldc}, {"n", n},
              {"k", k},                {"accumulate", accumulate},
              {"m", m},                {"epilogue", epilogue}};
}

class GemmTest : public ::testing::Test {
protected:
  void SetUp() override {
    Json m = baseManifest(kY, kX);
    addWeight(m, "emb", "F32", {kEmbRows, kX});
    addWeight(m, "w1", "F32", {6, 4});
    addWeight(m, "w2", "BF16", {3, 6});
    addWeight(m, "w3", "F32", {4, 12});
    addWeight(m, "w4", "F32", {2, 12});
    // "F32": the compiler's spelling of a buffer dtype.
    m["buffers"] = {bufferSpec("x", "token", kX),
                    bufferSpec("y", "token", kY, "F32"),
                    bufferSpec("z", "request", 4)};
    m["kernels"] = kernelTable({"nhc_embedding", "nhc_test_copy"});
    m["schedules"]["body"] = {
        kernelCall("nhc_embedding", {tokenIdsArg(), weightArg("emb"),
                                     bufferArg("x"), dimArg("tokens"),
                                     indexArg(kX)}),
        // y[t, 2:8] = x[t, 3:7] . w1^T
        gemmEntry("x", 3, kX, "w1", "y", 2, kY, 6, 4, false),
        // y[t, 5:8] += x[t, 6:12] . w2^T
        gemmEntry("x", 6, kX, "w2", "y", 5, kY, 3, 6, true),
        // z[r, 0:4] = x[r, 0:12] . w3^T, one row per request
        gemmEntry("x", 0, kX, "w3", "z", 0, 4, 4, 12, false, "requests"),
        // y[t, 8:10] = relu2(x[t, 0:12] . w4^T)
        gemmEntry("x", 0, kX, "w4", "y", 8, kY, 2, 12, false, "tokens",
                  "relu2"),
    };
    m["schedules"]["head_all"] = Json::array({kernelCall(
        "nhc_test_copy",
        {bufferArg("y"), logitsArg(), dimArg("tokens", kY)})});
    m["schedules"]["head_last"] = Json::array({kernelCall(
        "nhc_test_copy",
        {bufferArg("z"), logitsArg(), dimArg("requests", 4)})});
    emb = exactValues(kEmbRows * kX, 11);
    w1 = exactValues(6 * 4, 12);
    w2 = exactValues(3 * 6, 13);
    w3 = exactValues(4 * 12, 14);
    w4 = exactValues(2 * 12, 15);
    SafetensorsBuilder weights;
    weights.add("emb", "F32", {kEmbRows, kX}, f32Bytes(emb));
    weights.add("w1", "F32", {6, 4}, f32Bytes(w1));
    weights.add("w2", "BF16", {3, 6}, bf16Bytes(w2));
    weights.add("w3", "F32", {4, 12}, f32Bytes(w3));
    weights.add("w4", "F32", {2, 12}, f32Bytes(w4));
    ASSERT_EQ(fixture.open(m, weights, 4, 32), NHC_OK) << lastError();
  }

  /// sum_j a[aOff + j] * w[row * k + j] in double.
  static double dot(const float *a, const std::vector<float> &w, size_t row,
                    size_t k) {
    double sum = 0;
    for (size_t j = 0; j < k; ++j)
      sum += double(a[j]) * w[row * k + j];
    return sum;
  }

  SessionFixture fixture;
  std::vector<float> emb, w1, w2, w3, w4;
};

// The host holds gemm matrices as stored and says so; it changes nothing the
// artifact asks for, so it has no notes. Bad names and arguments are errors.
TEST_F(GemmTest, SessionTellsTheDtypeItHoldsEachWeightIn) {
  nhc_session_t *session = fixture.session;
  nhc_dtype_t dtype = NHC_DTYPE_INVALID;
  ASSERT_EQ(nhc_session_weight_dtype(session, "w2", &dtype), NHC_OK) << lastError();
  EXPECT_EQ(dtype, NHC_DTYPE_BF16);
  ASSERT_EQ(nhc_session_weight_dtype(session, "w1", &dtype), NHC_OK);
  EXPECT_EQ(dtype, NHC_DTYPE_F32);
  EXPECT_EQ(nhc_session_weight_dtype(session, "w9", &dtype), NHC_NOT_FOUND);
  EXPECT_NE(lastError().find("has no weight 'w9'"), std::string::npos) << lastError();
  EXPECT_EQ(nhc_session_weight_dtype(session, nullptr, &dtype), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_session_weight_dtype(session, "w2", nullptr), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_session_weight_dtype(nullptr, "w2", &dtype), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_session_note_count(session), 0u);
  EXPECT_EQ(nhc_session_note_at(session, 0), nullptr);
  EXPECT_EQ(nhc_session_note_count(nullptr), 0u);
  EXPECT_EQ(nhc_session_note_at(nullptr, 0), nullptr);
}

TEST_F(GemmTest, OffsetsStridesAccumulateAndEpilogueMatchNaiveReference) {
  std::vector<std::vector<int32_t>> requests = {{3, 9, 0}, {7, 7}, {5}};
  std::vector<float> y =
      runStep(fixture.session, requests, NHC_LOGITS_ALL, kY);
  std::vector<int32_t> ids = flatten(requests);
  ASSERT_EQ(y.size(), ids.size() * kY);
  for (size_t t = 0; t < ids.size(); ++t) {
    const float *x = &emb[ids[t] * kX];
    std::vector<double> expected(kY, 0.0);
    for (size_t i = 0; i < 6; ++i)
      expected[2 + i] = dot(x + 3, w1, i, 4);
    for (size_t i = 0; i < 3; ++i)
      expected[5 + i] += dot(x + 6, w2, i, 6); // w2 values are bf16-exact
    for (size_t i = 0; i < 2; ++i) {
      double v = dot(x, w4, i, 12);
      expected[8 + i] = v > 0 ? v * v : 0.0; // relu2 epilogue
    }
    for (size_t i = 0; i < kY; ++i)
      EXPECT_NEAR(y[t * kY + i], expected[i], 1e-5 * (1 + std::fabs(expected[i])))
          << "token " << t << " column " << i;
  }
}

TEST_F(GemmTest, RowsPerRequest) {
  std::vector<std::vector<int32_t>> requests = {{3, 9, 0}, {7, 7}, {5}};
  std::vector<float> z =
      runStep(fixture.session, requests, NHC_LOGITS_LAST, kY);
  std::vector<int32_t> ids = flatten(requests);
  // Row r of the per-token buffer x is token r's embedding.
  for (size_t r = 0; r < requests.size(); ++r)
    for (size_t i = 0; i < 4; ++i)
      EXPECT_NEAR(z[r * 4 + i], dot(&emb[ids[r] * kX], w3, i, 12), 1e-5)
          << "request " << r << " column " << i;
}

TEST_F(GemmTest, ScratchGrowsAcrossSteps) {
  // A small step, then a bigger one (buffers reallocate), then small again.
  for (size_t n : {1u, 9u, 2u}) {
    std::vector<int32_t> ids(n);
    for (size_t i = 0; i < n; ++i)
      ids[i] = static_cast<int32_t>((i * 7) % kY);
    std::vector<float> y = runStep(fixture.session, {ids}, NHC_LOGITS_ALL, kY);
    for (size_t t = 0; t < n; ++t)
      EXPECT_NEAR(y[t * kY + 2], dot(&emb[ids[t] * kX] + 3, w1, 0, 4), 1e-5);
  }
  nhc_session_info_t info;
  ASSERT_EQ(nhc_session_get_info(fixture.session, &info), NHC_OK);
  EXPECT_EQ(info.scratch_bytes, 4u * (9 * kX + 9 * kY + 1 * 4));
}

// --- FP8 gemm ---------------------------------------------------------------

/// y = sat_e4m3(relu2((x . W8^T) * (is * ws)) / qs) with W8 stored as e4m3
/// bytes, and the same gemm's failure modes.
class Fp8GemmTest : public ::testing::Test {
protected:
  static constexpr uint64_t kN = 10, kK = 12;

  Json manifest(Json gemm) {
    Json m = baseManifest(kN, kK);
    addWeight(m, "emb", "F32", {kEmbRows, kK});
    addWeight(m, "w8", "F8_E4M3", {kN, kK});
    addWeight(m, "wf", "F32", {kN, kK});
    for (const char *scale : {"is", "ws", "qs"}) {
      addWeight(m, scale, "F32", {});
      m["weights"].back()["positive"] = true;
    }
    addWeight(m, "unmarked", "F32", {});
    addWeight(m, "vec", "F32", {2});
    m["buffers"] = {bufferSpec("x", "token", kK), bufferSpec("y", "token", kN)};
    m["kernels"] = kernelTable({"nhc_embedding", "nhc_test_copy"});
    m["schedules"]["body"] = {
        kernelCall("nhc_embedding", {tokenIdsArg(), weightArg("emb"),
                                     bufferArg("x"), dimArg("tokens"),
                                     indexArg(kK)}),
        gemm};
    m["schedules"]["head_all"] = Json::array({kernelCall(
        "nhc_test_copy", {bufferArg("y"), logitsArg(), dimArg("tokens", kN)})});
    m["schedules"]["head_last"] = m["schedules"]["head_all"];
    return m;
  }

  static Json fp8Gemm() {
    Json g = gemmEntry("x", 0, kK, "w8", "y", 0, kN, kN, kK, false, "tokens",
                       "relu2");
    g["scale"] = {"is", "ws"};
    g["quantize_output"] = "qs";
    return g;
  }

  nhc_status_t open(SessionFixture &into, const Json &gemm) {
    emb = exactValues(kEmbRows * kK, 21);
    w8.clear();
    for (uint64_t i = 0; i < kN * kK; ++i) // e4m3 bytes, no NaN
      w8.push_back(static_cast<uint8_t>((i * 29 + 3) % 0x7f));
    SafetensorsBuilder weights;
    weights.add("emb", "F32", {kEmbRows, kK}, f32Bytes(emb));
    weights.add("w8", "F8_E4M3", {kN, kK}, w8);
    weights.add("wf", "F32", {kN, kK}, f32Bytes(std::vector<float>(kN * kK)));
    weights.add("is", "F32", {}, f32Bytes({0.75f}));
    weights.add("ws", "F32", {}, f32Bytes({0.125f}));
    weights.add("qs", "F32", {}, f32Bytes({2.5f}));
    weights.add("unmarked", "F32", {}, f32Bytes({0.0f}));
    weights.add("vec", "F32", {2}, f32Bytes({1.0f, 2.0f}));
    return into.open(manifest(gemm), weights, 4, 32);
  }

  SessionFixture fixture;
  std::vector<float> emb;
  Bytes w8;
};

TEST_F(Fp8GemmTest, ScalesEpilogueAndQuantizeMatchTheRecipe) {
  ASSERT_EQ(open(fixture, fp8Gemm()), NHC_OK) << lastError();
  std::vector<int32_t> ids = {3, 9, 0, 7}; // ids < the vocabulary, kN
  std::vector<float> y = runStep(fixture.session, {ids}, NHC_LOGITS_ALL, kN);
  ASSERT_EQ(y.size(), ids.size() * kN);
  const float scale = 0.75f * 0.125f; // the product first, in f32
  int distinct = 0;
  for (size_t t = 0; t < ids.size(); ++t)
    for (uint64_t j = 0; j < kN; ++j) {
      // Dyadic inputs: the f32 dot product is exact in any order.
      float dot = 0;
      for (uint64_t i = 0; i < kK; ++i)
        dot += emb[ids[t] * kK + i] * runtime::e4m3ToF32(w8[j * kK + i]);
      float v = dot * scale;
      v = v > 0 ? v * v : 0.0f;
      float want = runtime::quantizeE4M3(v, 2.5f);
      EXPECT_EQ(y[t * kN + j], want) << "token " << t << " column " << j;
      distinct += want != 0.0f;
    }
  EXPECT_GT(distinct, 10); // the test does not pass on zeros alone
}

TEST_F(Fp8GemmTest, BadScaleEntriesAreRefused) {
  struct Bad {
    const char *what;
    std::function<void(Json &)> edit;
    const char *message;
  };
  const Bad cases[] = {
      {"fp8 weight without scales", [](Json &g) { g.erase("scale"); },
       "the F8_E4M3 weight 'w8' needs \"scale\": [input_scale, weight_scale]"},
      {"scales on an f32 weight", [](Json &g) { g["w"] = "wf"; },
       "weight 'wf' is not F8_E4M3, so the gemm takes no \"scale\""},
      {"one scale", [](Json &g) { g["scale"] = {"is"}; },
       ".scale: expected [input_scale, weight_scale]"},
      {"vector scale", [](Json &g) { g["scale"] = {"is", "vec"}; },
       "weight 'vec' must be one F32 element (a per-tensor scale), found F32 "
       "[2]"},
      {"accumulate", [](Json &g) { g["accumulate"] = true; },
       "a scaled (FP8) gemm cannot accumulate"},
      {"scale not marked positive", [](Json &g) { g["scale"] = {"is", "unmarked"}; },
       "weight 'unmarked' is a scale, so the manifest must mark it \"positive\""},
      {"quantize scale not marked positive",
       [](Json &g) { g["quantize_output"] = "unmarked"; },
       "weight 'unmarked' is a scale"},
      {"unknown quantize scale", [](Json &g) { g["quantize_output"] = "nope"; },
       "nope"},
  };
  for (const Bad &bad : cases) {
    SCOPED_TRACE(bad.what);
    Json g = fp8Gemm();
    bad.edit(g);
    SessionFixture fresh;
    EXPECT_NE(open(fresh, g), NHC_OK);
    EXPECT_THAT(lastError(), ::testing::HasSubstr(bad.message));
  }
}

// --- embedding ----------------------------------------------------------------

/// The embedding library op gathers rows of a table kept in its stored
/// dtype: out[t] = table[ids[t]] widened to f32, no f32 copy of the table.
class EmbeddingTest : public ::testing::Test {
protected:
  static constexpr uint64_t kV = 11, kH = 20;

  Json manifest(const std::string &dtype, Json entry) {
    Json m = baseManifest(kV, kH);
    // Only the table the entry names: an unused weight would get an f32 copy.
    std::string name = entry.value("table", "emb");
    if (name == "ids")
      addWeight(m, name, "I32", {kV});
    else
      addWeight(m, name, dtype, {name == "short" ? kV - 1 : kV, kH});
    m["buffers"] = {bufferSpec("x", "token", kH), bufferSpec("r", "request", kH)};
    m["kernels"] = kernelTable({"nhc_test_copy"});
    m["schedules"]["body"] = Json::array({entry});
    m["schedules"]["head_all"] = Json::array({kernelCall(
        "nhc_test_copy", {bufferArg("x"), logitsArg(), dimArg("tokens", kH)})});
    m["schedules"]["head_last"] = m["schedules"]["head_all"];
    return m;
  }

  static Json entry() {
    return Json{{"library", "embedding"}, {"table", "emb"}, {"output", "x"},
                {"hidden", kH}};
  }

  nhc_status_t open(SessionFixture &f, const std::string &dtype,
                    const Json &e) {
    table = exactValues(kV * kH, 31);
    SafetensorsBuilder w;
    w.add("emb", dtype, {kV, kH},
          dtype == "F32" ? f32Bytes(table)
                         : dtype == "BF16" ? bf16Bytes(table) : f16Bytes(table));
    w.add("short", dtype, {kV - 1, kH},
          dtype == "F32" ? f32Bytes(std::vector<float>((kV - 1) * kH))
                         : bf16Bytes(std::vector<float>((kV - 1) * kH)));
    w.add("ids", "I32", {kV}, Bytes(kV * 4));
    return f.open(manifest(dtype, e), w, 4, 32);
  }

  std::vector<float> table;
};

TEST_F(EmbeddingTest, GathersRowsOfEveryFloatDtypeInPlace) {
  for (const char *dtype : {"F32", "BF16", "F16"}) {
    SCOPED_TRACE(dtype);
    SessionFixture f;
    ASSERT_EQ(open(f, dtype, entry()), NHC_OK) << lastError();
    std::vector<int32_t> ids = {3, 10, 0, 3, 7};
    std::vector<float> x = runStep(f.session, {ids}, NHC_LOGITS_ALL, kH);
    for (size_t t = 0; t < ids.size(); ++t)
      for (uint64_t j = 0; j < kH; ++j)
        ASSERT_EQ(x[t * kH + j], table[ids[t] * kH + j]) << t << ", " << j;
    nhc_session_info_t info{};
    ASSERT_EQ(nhc_session_get_info(f.session, &info), NHC_OK);
    EXPECT_EQ(info.weight_f32_bytes, 0u) << "the table was copied";
  }
}

TEST_F(EmbeddingTest, BadEntriesAreRefused) {
  struct Bad {
    const char *what;
    std::function<void(Json &)> edit;
    const char *message;
  };
  const Bad cases[] = {
      {"too few rows", [](Json &e) { e["table"] = "short"; },
       "the embedding needs [rows >= 11 (vocab_size), 20]"},
      {"integer table", [](Json &e) { e["table"] = "ids"; },
       "the embedding needs [rows >= 11"},
      {"hidden differs", [](Json &e) { e["hidden"] = 19; },
       "the embedding needs [rows >= 11 (vocab_size), 19]"},
      {"per-request output", [](Json &e) { e["output"] = "r"; },
       "buffer 'r' must be per token, f32, 20 elements"},
      {"no table", [](Json &e) { e.erase("table"); }, "table"},
  };
  for (const Bad &bad : cases) {
    SCOPED_TRACE(bad.what);
    Json e = entry();
    bad.edit(e);
    SessionFixture f;
    EXPECT_NE(open(f, "BF16", e), NHC_OK);
    EXPECT_THAT(lastError(), ::testing::HasSubstr(bad.message));
  }
}

// --- moe_experts ------------------------------------------------------------

constexpr uint64_t kH = 8, kI = 4, kE = 4, kK = 2;

Json moeModel(bool stacked) {
  Json m = baseManifest(kH, kH);
  addWeight(m, "emb", "F32", {kEmbRows, kH});
  std::string up = stacked ? "experts.up_proj" : "experts.{e}.up_proj.weight";
  std::string down =
      stacked ? "experts.down_proj" : "experts.{e}.down_proj.weight";
  if (stacked) {
    addWeight(m, up, "F32", {kE, kI, kH});
    addWeight(m, down, "BF16", {kE, kH, kI});
  } else {
    for (uint64_t e = 0; e < kE; ++e) {
      addWeight(m, "experts." + std::to_string(e) + ".up_proj.weight", "F32",
                {kI, kH});
      addWeight(m, "experts." + std::to_string(e) + ".down_proj.weight",
                "BF16", {kH, kI});
    }
  }
  m["buffers"] = {bufferSpec("x", "token", kH), bufferSpec("y", "token", kH),
                  bufferSpec("idx", "token", kK, "i32"),
                  bufferSpec("w", "token", kK)};
  m["kernels"] =
      kernelTable({"nhc_embedding", "nhc_test_route", "nhc_test_copy"});
  m["schedules"]["body"] = {
      kernelCall("nhc_embedding", {tokenIdsArg(), weightArg("emb"),
                                   bufferArg("x"), dimArg("tokens"),
                                   indexArg(kH)}),
      kernelCall("nhc_test_route",
                 {tokenIdsArg(), bufferArg("idx"), bufferArg("w"),
                  dimArg("tokens"), indexArg(kK), indexArg(kE)}),
      {{"library", "moe_experts"},
       {"input", "x"},
       {"indices", "idx"},
       {"weights", "w"},
       {"output", "y"},
       {"up", up},
       {"down", down},
       {"num_experts", kE},
       {"top_k", kK},
       {"hidden", kH},
       {"intermediate", kI},
       {"activation", "relu2"}}};
  m["schedules"]["head_all"] = Json::array({kernelCall(
      "nhc_test_copy", {bufferArg("y"), logitsArg(), dimArg("tokens", kH)})});
  m["schedules"]["head_last"] = m["schedules"]["head_all"];
  return m;
}

class MoeTest : public ::testing::TestWithParam<bool> {};

TEST_P(MoeTest, MatchesNaiveReference) {
  bool stacked = GetParam();
  std::vector<float> emb = exactValues(kEmbRows * kH, 21);
  std::vector<std::vector<float>> up(kE), down(kE);
  SafetensorsBuilder weights;
  weights.add("emb", "F32", {kEmbRows, kH}, f32Bytes(emb));
  std::vector<float> upAll, downAll;
  for (uint64_t e = 0; e < kE; ++e) {
    up[e] = exactValues(kI * kH, 30 + static_cast<int>(e));
    down[e] = exactValues(kH * kI, 40 + static_cast<int>(e));
    upAll.insert(upAll.end(), up[e].begin(), up[e].end());
    downAll.insert(downAll.end(), down[e].begin(), down[e].end());
    if (!stacked) {
      std::string prefix = "experts." + std::to_string(e);
      weights.add(prefix + ".up_proj.weight", "F32", {kI, kH},
                  f32Bytes(up[e]));
      weights.add(prefix + ".down_proj.weight", "BF16", {kH, kI},
                  bf16Bytes(down[e]));
    }
  }
  if (stacked) {
    weights.add("experts.up_proj", "F32", {kE, kI, kH}, f32Bytes(upAll));
    weights.add("experts.down_proj", "BF16", {kE, kH, kI},
                bf16Bytes(downAll));
  }
  SessionFixture fixture;
  ASSERT_EQ(fixture.open(moeModel(stacked), weights), NHC_OK) << lastError();

  std::vector<std::vector<int32_t>> requests = {{0, 1, 2, 3, 4}, {7, 6}};
  for (int round = 0; round < 2; ++round) { // output must be re-zeroed
    std::vector<float> y =
        runStep(fixture.session, requests, NHC_LOGITS_ALL, kH);
    std::vector<int32_t> ids = flatten(requests);
    for (size_t t = 0; t < ids.size(); ++t) {
      std::vector<double> expected(kH, 0.0);
      for (uint64_t j = 0; j < kK; ++j) {
        // nhc_test_route's fixed routing.
        uint64_t e = (3 * ids[t] + 5 * j) % kE;
        double weight = 0.5f + 0.25f * float(j) + 0.01f * float(ids[t]);
        std::vector<double> h(kI);
        for (uint64_t i = 0; i < kI; ++i) {
          double v = 0;
          for (uint64_t c = 0; c < kH; ++c)
            v += double(up[e][i * kH + c]) * emb[ids[t] * kH + c];
          h[i] = v > 0 ? v * v : 0.0;
        }
        for (uint64_t c = 0; c < kH; ++c) {
          double v = 0;
          for (uint64_t i = 0; i < kI; ++i)
            v += double(down[e][c * kI + i]) * h[i];
          expected[c] += weight * v;
        }
      }
      for (uint64_t c = 0; c < kH; ++c)
        EXPECT_NEAR(y[t * kH + c], expected[c],
                    1e-5 * (1 + std::fabs(expected[c])))
            << "round " << round << " token " << t << " column " << c;
    }
  }
}

/// FP8 routed experts (modelopt's layout): expert e quantizes its rows with
/// its own input_scale, multiplies e4m3 by e4m3 and scales by its own
/// input_scale * weight_scale, for up and for down (docs/fp8.md).
class Fp8MoeTest : public ::testing::Test {
protected:
  // Per expert: up input, up weight, down input, down weight scales. Powers
  // of two (exact divisions), all different, so a wrong expert's or wrong
  // kind of scale changes the result; expert 3's up input scale saturates
  // inputs above 448 / 512 = 0.875.
  static constexpr float kScales[4][kE] = {{0.25f, 0.5f, 0.125f, 1.0f / 512},
                                           {0.125f, 0.0625f, 0.25f, 0.5f},
                                           {1.0f, 2.0f, 0.5f, 4.0f},
                                           {0.25f, 0.03125f, 0.125f, 0.0625f}};
  static constexpr const char *kScaleNames[4] = {
      "up_proj.input_scale", "up_proj.weight_scale", "down_proj.input_scale",
      "down_proj.weight_scale"};

  static std::string name(uint64_t e, const std::string &what) {
    return "experts." + std::to_string(e) + "." + what;
  }

  /// e4m3 bytes of magnitude 2^-1 .. 2^2, about a third negative.
  static Bytes e4m3Bytes(size_t count, int seed) {
    Bytes bytes;
    for (size_t i = 0; i < count; ++i) {
      uint8_t magnitude = 0x30 + (i * 29 + seed * 7 + 3) % 0x20;
      bytes.push_back(magnitude | ((i + seed) % 3 == 0 ? 0x80 : 0));
    }
    return bytes;
  }

  static Json manifest() {
    Json m = moeModel(false);
    m["weights"] = Json::array();
    addWeight(m, "emb", "F32", {kEmbRows, kH});
    for (uint64_t e = 0; e < kE; ++e) {
      addWeight(m, name(e, "up_proj.weight"), "F8_E4M3", {kI, kH});
      addWeight(m, name(e, "down_proj.weight"), "F8_E4M3", {kH, kI});
      for (const char *scale : kScaleNames) {
        addWeight(m, name(e, scale), "F32", {});
        m["weights"].back()["positive"] = true;
      }
      addWeight(m, name(e, "unmarked"), "F32", {});
    }
    Json &experts = m["schedules"]["body"][2];
    experts["up_scale"] = {"experts.{e}.up_proj.input_scale",
                           "experts.{e}.up_proj.weight_scale"};
    experts["down_scale"] = {"experts.{e}.down_proj.input_scale",
                             "experts.{e}.down_proj.weight_scale"};
    return m;
  }

  nhc_status_t open(SessionFixture &into, const Json &m) {
    emb = exactValues(kEmbRows * kH, 21);
    SafetensorsBuilder weights;
    weights.add("emb", "F32", {kEmbRows, kH}, f32Bytes(emb));
    for (uint64_t e = 0; e < kE; ++e) {
      up.push_back(e4m3Bytes(kI * kH, 30 + static_cast<int>(e)));
      down.push_back(e4m3Bytes(kH * kI, 40 + static_cast<int>(e)));
      weights.add(name(e, "up_proj.weight"), "F8_E4M3", {kI, kH}, up.back());
      weights.add(name(e, "down_proj.weight"), "F8_E4M3", {kH, kI},
                  down.back());
      for (size_t s = 0; s < 4; ++s)
        weights.add(name(e, kScaleNames[s]), "F32", {},
                    f32Bytes({kScales[s][e]}));
      weights.add(name(e, "unmarked"), "F32", {}, f32Bytes({1.0f}));
    }
    return into.open(m, weights);
  }

  std::vector<float> emb;
  std::vector<Bytes> up, down;
};

TEST_F(Fp8MoeTest, EachExpertQuantizesWithItsOwnScales) {
  SessionFixture fixture;
  ASSERT_EQ(open(fixture, manifest()), NHC_OK) << lastError();
  std::vector<std::vector<int32_t>> requests = {{0, 1, 2, 3, 4}, {7, 6}};
  std::vector<float> y = runStep(fixture.session, requests, NHC_LOGITS_ALL, kH);
  std::vector<int32_t> ids = flatten(requests);
  int saturated = 0;
  for (size_t t = 0; t < ids.size(); ++t) {
    std::vector<double> expected(kH, 0.0);
    for (uint64_t j = 0; j < kK; ++j) {
      uint64_t e = (3 * ids[t] + 5 * j) % kE; // nhc_test_route's routing
      double weight = 0.5f + 0.25f * float(j) + 0.01f * float(ids[t]);
      const float *x = &emb[ids[t] * kH];
      std::vector<float> hq(kI);
      for (uint64_t i = 0; i < kI; ++i) {
        double dot = 0;
        for (uint64_t c = 0; c < kH; ++c) {
          float xq = runtime::quantizeE4M3(x[c], kScales[0][e]);
          saturated += std::fabs(xq) == 448.0f;
          dot += double(xq) * runtime::e4m3ToF32(up[e][i * kH + c]);
        }
        float h = float(dot) * (kScales[0][e] * kScales[1][e]);
        h = h > 0 ? h * h : 0.0f;
        hq[i] = runtime::quantizeE4M3(h, kScales[2][e]);
      }
      for (uint64_t c = 0; c < kH; ++c) {
        double dot = 0;
        for (uint64_t i = 0; i < kI; ++i)
          dot += double(hq[i]) * runtime::e4m3ToF32(down[e][c * kI + i]);
        expected[c] += weight * (float(dot) * (kScales[2][e] * kScales[3][e]));
      }
    }
    for (uint64_t c = 0; c < kH; ++c)
      EXPECT_NEAR(y[t * kH + c], expected[c],
                  1e-5 * (1 + std::fabs(expected[c])))
          << "token " << t << " column " << c;
  }
  EXPECT_GT(saturated, 0) << "the test covers saturation";
}

TEST_F(Fp8MoeTest, BadScaleEntriesAreRefused) {
  struct Bad {
    const char *what;
    std::function<void(Json &)> edit;
    const char *message;
  };
  auto entry = [](Json &m) -> Json & { return m["schedules"]["body"][2]; };
  auto weight = [](Json &m, const std::string &name) -> Json & {
    for (Json &w : m["weights"])
      if (w["name"] == name)
        return w;
    throw std::invalid_argument("no weight " + name);
  };
  const Bad cases[] = {
      {"no up_scale", [&](Json &m) { entry(m).erase("up_scale"); },
       "schedules.body[2]: F8_E4M3 experts need \"up_scale\": "
       "[input_scale, weight_scale]"},
      {"one scale",
       [&](Json &m) {
         entry(m)["down_scale"] = {"experts.{e}.down_proj.input_scale"};
       },
       "schedules.body[2].down_scale: expected [input_scale, weight_scale]"},
      {"no {e}",
       [&](Json &m) {
         entry(m)["up_scale"][1] = "experts.0.up_proj.weight_scale";
       },
       "schedules.body[2].up_scale[1]: 'experts.0.up_proj.weight_scale' has "
       "no {e} for the expert index"},
      {"scale not marked positive",
       [&](Json &m) { entry(m)["up_scale"][0] = "experts.{e}.unmarked"; },
       "weight 'experts.0.unmarked' is a scale, so the manifest must mark it "
       "\"positive\""},
      {"a scale missing for one expert",
       [&](Json &m) {
         weight(m, name(2, "down_proj.weight_scale"))["name"] = "renamed";
       },
       "schedules.body[2].down_scale[1]: unknown weight "
       "'experts.2.down_proj.weight_scale'"},
      {"one expert not e4m3",
       [&](Json &m) { weight(m, name(1, "down_proj.weight"))["dtype"] = "F32"; },
       "expert weight 'experts.1.down_proj.weight' is F32 but "
       "'experts.0.up_proj.weight' is F8_E4M3; FP8 experts are all F8_E4M3 "
       "or none is"},
      {"stacked e4m3 experts",
       [&](Json &m) {
         addWeight(m, "experts.up_proj", "F8_E4M3", {kE, kI, kH});
         addWeight(m, "experts.down_proj", "F8_E4M3", {kE, kH, kI});
         entry(m)["up"] = "experts.up_proj";
         entry(m)["down"] = "experts.down_proj";
       },
       "F8_E4M3 experts are per-expert tensors (with {e}), each with its own "
       "scales, not stacked ones"},
  };
  for (const Bad &bad : cases) {
    SCOPED_TRACE(bad.what);
    Json m = manifest();
    bad.edit(m);
    SessionFixture fresh;
    EXPECT_NE(open(fresh, m), NHC_OK);
    EXPECT_THAT(lastError(), ::testing::HasSubstr(bad.message));
  }
  // Scales on experts that are not e4m3.
  Json f32 = moeModel(false);
  f32["schedules"]["body"][2]["up_scale"] = {"a.{e}", "b.{e}"};
  SessionFixture fresh;
  EXPECT_EQ(fresh.open(f32, SafetensorsBuilder()), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              ::testing::HasSubstr("experts that are not F8_E4M3 take no "
                                   "\"up_scale\""));
}

INSTANTIATE_TEST_SUITE_P(PerExpertAndStacked, MoeTest,
                         ::testing::Values(false, true),
                         [](const auto &info) {
                           return info.param ? "Stacked" : "PerExpert";
                         });

} // namespace
} // namespace nhc::test
