//===- SampleKernelTest.cpp - sampled ids on the device (sample.mlir) -----===//
//
// nhc_sample_rows against the runtime's rule, nhc_sample_logits
// (nhc/runtime/sampling.h), on the same logits and draws: greedy rows,
// temperature, min-p, top-k, top-p and their mixes; rows with equal
// logits across truncation boundaries (the chosen key's middle candidates,
// found by the GPU form's pass over id stretches), -inf, +inf, all -inf
// and NaN rows; rows shorter than, between and past the GPU form's
// 1024-thread strides, and a 131072-entry one. The kernel sums its masses
// in another order than the host, so where a pick differs the test asks
// whether the host's rule picks it with the draw moved by 1e-6: a draw
// within rounding of a boundary (expected almost never; counted).
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "KernelTestUtils.h"
#include "nhc/format/library_kernels.h"
#include "nhc/runtime/sampling.h"
#include "sampling.h" // runtime/src: sampleRuleParams

using namespace nhc_test;
namespace lib = nhc::format::kernel;

namespace {

int32_t reference(const std::vector<float> &row, const nhc_sampling_t &rule) {
  int32_t token = -7;
  EXPECT_EQ(nhc_sample_logits(row.data(), row.size(), &rule, &token), NHC_OK)
      << nhc_last_error();
  return token;
}

/// The rule as the kernel reads it: the runtime's encoding (the cuda
/// backend's), as the bits of kSampleParams doubles.
void appendRule(std::vector<int64_t> &params, const nhc_sampling_t &rule) {
  double values[lib::kSampleParams];
  nhc::runtime::sampleRuleParams(rule, values);
  for (double v : values) {
    int64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    params.push_back(bits);
  }
}

struct Case {
  std::vector<float> row;
  nhc_sampling_t rule;
  std::string what;
};

/// Runs every case as one batch (a row each) and compares each pick with
/// the host rule's; returns how many differed by a draw within rounding.
int runCases(const std::vector<Case> &cases) {
  const int64_t R = int64_t(cases.size());
  const int64_t V = int64_t(cases.front().row.size());
  std::vector<float> logits;
  std::vector<int64_t> params;
  for (const Case &c : cases) {
    logits.insert(logits.end(), c.row.begin(), c.row.end());
    appendRule(params, c.rule);
  }
  std::vector<int32_t> out(R + 1, -7);
  ArgPack a;
  a.buf(logits).buf(out).idx(R).idx(V).buf(params);
  runKernel(lib::kSampleRows, a);
  int nearBoundary = 0;
  for (int64_t r = 0; r < R; ++r) {
    const Case &c = cases[r];
    int32_t want = reference(c.row, c.rule);
    if (out[r] == want)
      continue;
    bool rounding = false;
    for (double nudge : {-1e-6, 1e-6}) {
      nhc_sampling_t moved = c.rule;
      moved.uniform = std::min(std::max(c.rule.uniform + nudge, 0.0),
                               std::nextafter(1.0, 0.0));
      rounding |= reference(c.row, moved) == out[r];
    }
    EXPECT_TRUE(rounding) << c.what << ": picked " << out[r] << ", the rule "
                          << want;
    nearBoundary += rounding;
  }
  EXPECT_EQ(out[R], -7) << "written past the rows";
  return nearBoundary;
}

nhc_sampling_t rule(float temperature, uint32_t topK, float topP, float minP,
                    double uniform) {
  nhc_sampling_t r{};
  r.temperature = temperature;
  r.top_k = topK;
  r.top_p = topP;
  r.min_p = minP;
  r.uniform = uniform;
  return r;
}

std::string describe(const nhc_sampling_t &r) {
  return "T " + std::to_string(r.temperature) + " top_k " +
         std::to_string(r.top_k) + " top_p " + std::to_string(r.top_p) +
         " min_p " + std::to_string(r.min_p) + " u " +
         std::to_string(r.uniform);
}

TEST(KernelSample, EveryRuleOnRandomRows) {
  std::mt19937 gen(11);
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  const std::vector<nhc_sampling_t> rules = {
      rule(1.0f, 0, 1.0f, 0.0f, 0), rule(0.7f, 0, 0.9f, 0.0f, 0),
      rule(4.0f, 0, 1.0f, 0.0f, 0), rule(1.0f, 40, 1.0f, 0.0f, 0),
      rule(1.5f, 600, 0.95f, 0.0f, 0), rule(0.9f, 0, 1.0f, 0.05f, 0),
      rule(2.0f, 3, 0.5f, 0.1f, 0), rule(0.3f, 0, 0.999f, 0.0f, 0),
      rule(1.0f, 100000, 1.0f, 0.0f, 0), rule(1.0f, 0, 1.0f, 1.0f, 0),
      rule(0.0f, 0, 1.0f, 0.0f, 0), rule(1.0f, 1, 1.0f, 0.0f, 0)};
  int nearBoundary = 0, picks = 0;
  // Flat rows (hot rules walk deep), peaked ones; a block per row, and
  // each emulated block costs (1024 threads): few rows of each shape.
  for (auto [V, spread] : std::vector<std::pair<int64_t, float>>{
           {1, 1.0f}, {7, 1.0f}, {1500, 0.05f}, {1500, 6.0f}, {5000, 1.0f}}) {
    std::normal_distribution<float> normal(0.0f, spread);
    std::vector<float> row(V);
    for (float &v : row)
      v = std::round(normal(gen) * 64) / 64; // equal logits
    if (V > 7)
      row[5] = -std::numeric_limits<float>::infinity();
    std::vector<Case> cases;
    for (nhc_sampling_t r : rules) {
      r.uniform = draw(gen);
      cases.push_back({row, r,
                       "V " + std::to_string(V) + " spread " +
                           std::to_string(spread) + " " + describe(r)});
    }
    nearBoundary += runCases(cases);
    picks += int(cases.size());
  }
  EXPECT_LE(nearBoundary, picks / 100) << "draws within rounding";
}

// Many equal logits across each boundary: top-k's k-th, top-p's last and
// the draw's candidate all fall among 300 candidates of one key, so the
// kernel orders them by id (its pass over stretches, not the histogram's
// lowest and highest ids).
TEST(KernelSample, EqualLogitsAreRankedById) {
  const int64_t V = 2500;
  std::vector<float> row(V, -1.0f);
  for (int64_t i = 0; i < 300; ++i)
    row[(i * 7919) % V] = 2.0f; // spread over every thread's stretch
  row[17] = 3.0f;
  std::vector<Case> cases;
  for (double u : {0.0, 0.1, 0.37, 0.5, 0.77, 0.999}) {
    for (nhc_sampling_t r :
         {rule(1.0f, 150, 1.0f, 0.0f, u), rule(1.0f, 0, 0.5f, 0.0f, u),
          rule(1.0f, 0, 0.3f, 0.5f, u), rule(0.5f, 201, 0.8f, 0.0f, u),
          rule(1.0f, 0, 1.0f, 0.9f, u)})
      cases.push_back({row, r, describe(r)});
  }
  EXPECT_EQ(runCases(cases), 0);
}

TEST(KernelSample, InfinityNaNAndEdges) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int64_t V = 1100; // past one 1024-thread stride
  std::mt19937 gen(3);
  std::vector<Case> cases;
  auto random = [&] { return randomFloats(gen, V, -4.f, 4.f); };
  {
    auto r = random(); // +inf logits share the draw; the rest get none
    r[17] = r[40] = r[41] = r[1050] = inf;
    for (double u : {0.0, 0.3, 0.6, 0.99})
      for (nhc_sampling_t s : {rule(1.0f, 0, 1.0f, 0.0f, u),
                               rule(1.0f, 3, 1.0f, 0.0f, u),
                               rule(1.0f, 0, 0.5f, 0.0f, u),
                               rule(2.0f, 0, 1.0f, 0.2f, u)})
        cases.push_back({r, s, "+inf, " + describe(s)});
  }
  {
    std::vector<float> r(V, -inf); // every logit -inf: id 0
    cases.push_back({r, rule(1.0f, 0, 0.9f, 0.1f, 0.5), "all -inf"});
    r[1030] = 0.5f; // one finite logit: always it
    cases.push_back({r, rule(3.0f, 0, 1.0f, 0.0f, 0.99), "one finite"});
  }
  {
    auto r = random(); // NaN: -1 - the first NaN's index, greedy or not
    r[1099] = nan;
    r[1025] = nan;
    cases.push_back({r, rule(1.0f, 0, 1.0f, 0.0f, 0.5), "NaN, sampled"});
    cases.push_back({r, rule(0.0f, 0, 1.0f, 0.0f, 0.5), "NaN, greedy"});
    r[0] = nan;
    cases.push_back({r, rule(0.7f, 5, 0.9f, 0.1f, 0.2), "NaN first"});
  }
  {
    auto r = random(); // -0 and +0 are one logit, ranked by id
    r[10] = -0.0f;
    r[900] = 0.0f;
    r[500] = -0.0f;
    for (int64_t i = 0; i < V; ++i)
      if (i != 10 && i != 900 && i != 500)
        r[i] = -20.0f;
    for (double u : {0.1, 0.5, 0.9})
      cases.push_back({r, rule(1.0f, 2, 1.0f, 0.0f, u), "signed zeros"});
  }
  EXPECT_EQ(runCases(cases), 0);
  // The codes themselves, not only their agreement.
  std::vector<float> nanRow(V, 1.0f);
  nanRow[1025] = nan;
  EXPECT_EQ(reference(nanRow, rule(1.0f, 0, 1.0f, 0.0f, 0.5)), -1 - 1025);
}

// Logits whose difference passes FLT_MAX, at a temperature that makes it
// count: the weights' arguments are the host's f64 ones (in f32 the
// difference overflowed to -inf, weight 0, and the draw always took the
// top).
TEST(KernelSample, HugeLogitDifferences) {
  std::vector<Case> cases;
  for (double u : {0.5, 0.95, 0.9999})
    for (float t : {3e38f, 1e38f})
      cases.push_back({{3e38f, -3e38f}, rule(t, 0, 1.0f, 0.0f, u),
                       describe(rule(t, 0, 1.0f, 0.0f, u))});
  EXPECT_EQ(runCases(cases), 0);
  // u 0.95 at T 3e38: weights 1 and e^-2, so id 1.
  EXPECT_EQ(reference(cases[2].row, cases[2].rule), 1)
      << "the host's rule itself";
}

// A Nemotron-H vocabulary: 131072 logits, one row per common rule.
TEST(KernelSample, FullVocabularyRow) {
  const int64_t V = 131072;
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> row(V);
  for (float &v : row)
    v = normal(gen);
  std::vector<Case> cases;
  for (nhc_sampling_t r :
       {rule(0.8f, 0, 0.95f, 0.0f, 0.42), rule(1.0f, 50, 1.0f, 0.0f, 0.9),
        rule(0.6f, 0, 1.0f, 0.05f, 0.13)})
    cases.push_back({row, r, describe(r)});
  EXPECT_EQ(runCases(cases), 0);
}

} // namespace
