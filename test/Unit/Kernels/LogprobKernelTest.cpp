//===- LogprobKernelTest.cpp - logprobs on the device (logprob.mlir) ------===//
//
// nhc_logprob_rows against the runtime's rule, nhc_logprobs_logits
// (nhc/runtime/logprobs.h), on the same logits and picked ids: random rows
// with equal logits (ranked by id), -inf logits, +inf ones (sharing the
// mass), all -inf, NaN, signed zeros, picked ids outside the vocabulary,
// more alternatives than the vocabulary has, rows shorter than, between
// and past the GPU form's 1024-thread strides and a 131072-entry one, for
// 0, 1, 5 and 20 alternatives. Ids must be the rule's; the kernel sums in
// another order than the host (the GPU form), so a logprob may differ in
// its last bits (at most 2e-6 relative, or both -inf, or both NaN).
//
//===----------------------------------------------------------------------===//

#include <algorithm>
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
#include "nhc/runtime/logprobs.h"

using namespace nhc_test;
namespace lib = nhc::format::kernel;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

struct Case {
  std::vector<float> row;
  int32_t picked;
  std::string what;
};

bool close(float got, float want) {
  if (std::isnan(want) || std::isnan(got))
    return std::isnan(want) && std::isnan(got);
  if (std::isinf(want) || std::isinf(got))
    return got == want;
  return std::fabs(got - want) <= 2e-6f * std::max(1.0f, std::fabs(want));
}

/// Runs the cases as one batch (a row each, `topN` alternatives) and
/// compares every entry with the host rule's.
void runCases(const std::vector<Case> &cases, uint32_t topN) {
  const int64_t R = int64_t(cases.size());
  const int64_t V = int64_t(cases.front().row.size());
  const int64_t entries = 1 + int64_t(topN);
  std::vector<float> logits;
  std::vector<int32_t> picked;
  for (const Case &c : cases) {
    logits.insert(logits.end(), c.row.begin(), c.row.end());
    picked.push_back(c.picked);
  }
  // One entry past the rows: nothing may be written there.
  std::vector<int32_t> out((R * entries + 1) * lib::kLogprobEntryWords, -7);
  ArgPack a;
  // The GPU body's sums run in another order than the host kernel's: its
  // logprobs' bits may differ (checked below against the rule instead).
  a.buf(logits).buf(picked).derived(out).idx(R).idx(V).idx(topN);
  runKernel(lib::kLogprobRows, a);
  std::vector<nhc_token_logprob_t> want(entries);
  for (int64_t r = 0; r < R; ++r) {
    const Case &c = cases[r];
    ASSERT_EQ(nhc_logprobs_logits(c.row.data(), c.row.size(), c.picked, topN,
                                  want.data()),
              NHC_OK)
        << nhc_last_error();
    for (int64_t e = 0; e < entries; ++e) {
      const int64_t at = (r * entries + e) * lib::kLogprobEntryWords;
      float got;
      std::memcpy(&got, &out[at + 1], sizeof got);
      EXPECT_EQ(out[at], want[e].id)
          << c.what << ", top " << topN << ": entry " << e << "'s id";
      EXPECT_TRUE(close(got, want[e].logprob))
          << c.what << ", top " << topN << ": entry " << e << " (id "
          << want[e].id << ") has logprob " << got << ", the rule "
          << want[e].logprob;
    }
  }
  for (unsigned w = 0; w < lib::kLogprobEntryWords; ++w)
    EXPECT_EQ(out[R * entries * lib::kLogprobEntryWords + w], -7)
        << "written past the rows";
}

void runForEveryTop(const std::vector<Case> &cases) {
  for (uint32_t topN : {0u, 1u, 5u, uint32_t(NHC_MAX_TOP_LOGPROBS)})
    runCases(cases, topN);
}

TEST(KernelLogprob, RandomRowsWithEqualLogits) {
  std::mt19937 gen(5);
  for (auto [V, spread] : std::vector<std::pair<int64_t, float>>{
           {1, 1.0f}, {7, 1.0f}, {1500, 0.05f}, {1500, 6.0f}, {5000, 2.0f}}) {
    std::normal_distribution<float> normal(0.0f, spread);
    std::vector<Case> cases;
    for (int k = 0; k < 3; ++k) {
      std::vector<float> row(V);
      for (float &v : row)
        v = std::round(normal(gen) * 64) / 64; // equal logits
      if (V > 7)
        row[5] = -kInf;
      const int32_t picked = int32_t(gen() % uint32_t(V));
      cases.push_back({row, picked,
                       "V " + std::to_string(V) + " spread " +
                           std::to_string(spread) + " row " +
                           std::to_string(k)});
    }
    runForEveryTop(cases);
  }
}

// 300 equal logits across the 20th place: the alternatives among them
// are the lowest ids.
TEST(KernelLogprob, EqualLogitsAreRankedById) {
  const int64_t V = 2500;
  std::vector<float> row(V, -1.0f);
  for (int64_t i = 0; i < 300; ++i)
    row[(i * 7919) % V] = 2.0f; // spread over every thread's stretch
  row[17] = 3.0f;
  runForEveryTop({{row, 17, "300 equal"}, {row, 18, "300 equal, a low one"}});
}

TEST(KernelLogprob, InfinityNaNAndEdges) {
  const int64_t V = 1100; // past one 1024-thread stride
  std::mt19937 gen(3);
  auto random = [&] { return randomFloats(gen, V, -4.f, 4.f); };
  std::vector<Case> cases;
  {
    auto r = random(); // +inf logits share the mass; the rest get -inf
    r[17] = r[40] = r[41] = r[1050] = kInf;
    cases.push_back({r, 40, "+inf, picked one"});
    cases.push_back({r, 3, "+inf, picked a finite one"});
  }
  {
    std::vector<float> r(V, -kInf); // every logit -inf
    cases.push_back({r, 0, "all -inf"});
    r[1030] = 0.5f; // one finite logit: log 1 = 0, the rest -inf
    cases.push_back({r, 1030, "one finite"});
  }
  {
    auto r = random(); // NaN: no distribution
    r[1099] = kNan;
    r[1025] = kNan;
    cases.push_back({r, -1 - 1025, "NaN"});
    r[0] = kNan;
    cases.push_back({r, -1, "NaN first"});
  }
  {
    auto r = random(); // -0 and +0 are one logit, ranked by id
    for (int64_t i = 0; i < V; ++i)
      r[i] = -20.0f;
    r[10] = -0.0f;
    r[900] = 0.0f;
    r[500] = -0.0f;
    cases.push_back({r, 900, "signed zeros"});
  }
  {
    auto r = random(); // ids outside the vocabulary: -inf
    cases.push_back({r, int32_t(V), "picked past the vocabulary"});
    cases.push_back({r, -3, "picked negative"});
  }
  runForEveryTop(cases);
  // The rule's limits themselves, not only the kernel's agreement.
  std::vector<nhc_token_logprob_t> e(3);
  ASSERT_EQ(nhc_logprobs_logits(cases[0].row.data(), V, 40, 2, e.data()),
            NHC_OK);
  EXPECT_FLOAT_EQ(e[0].logprob, -std::log(4.0f));
  EXPECT_EQ(e[1].id, 17);
  EXPECT_EQ(e[2].id, 40);
  ASSERT_EQ(nhc_logprobs_logits(cases[3].row.data(), V, 1030, 2, e.data()),
            NHC_OK);
  EXPECT_EQ(e[0].logprob, 0.0f);
  EXPECT_EQ(e[2].logprob, -kInf);
}

// Fewer logits than alternatives: the rest are {-1, -inf}.
TEST(KernelLogprob, MoreAlternativesThanTokens) {
  runForEveryTop({{{0.5f, -1.0f, 0.5f}, 2, "three logits"},
                  {{1.0f, -kInf, 2.0f}, 1, "one -inf"}});
  nhc_token_logprob_t e[6];
  const float row[3] = {0.5f, -1.0f, 0.5f};
  ASSERT_EQ(nhc_logprobs_logits(row, 3, 2, 5, e), NHC_OK);
  EXPECT_EQ(e[1].id, 0);
  EXPECT_EQ(e[2].id, 2);
  EXPECT_EQ(e[3].id, 1);
  EXPECT_EQ(e[4].id, -1);
  EXPECT_EQ(e[5].logprob, -kInf);
}

// A Nemotron-H vocabulary: 131072 logits.
TEST(KernelLogprob, FullVocabularyRow) {
  const int64_t V = 131072;
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> row(V);
  for (float &v : row)
    v = normal(gen);
  runCases({{row, 4242, "131072 logits"}, {row, 77, "again"}},
           NHC_MAX_TOP_LOGPROBS);
}

} // namespace
