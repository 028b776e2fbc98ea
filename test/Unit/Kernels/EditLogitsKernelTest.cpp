//===- EditLogitsKernelTest.cpp - logit edits on the device ---------------===//
//
// nhc_edit_logits against the runtime's rule, nhc_logit_edit_apply
// (nhc/runtime/logit_edits.h): random edits of random rows (biases, bans,
// repetition penalties above and below 1 on positive, negative, zero and
// infinite logits, frequency and presence penalties; a ban keeps NaN),
// every logit an edit does not name untouched, bit for bit.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "KernelTestUtils.h"
#include "nhc/format/library_kernels.h"
#include "nhc/runtime/logit_edits.h"

using namespace nhc_test;
namespace lib = nhc::format::kernel;

namespace {

std::vector<int32_t> words(const std::vector<nhc_logit_edit_t> &edits) {
  std::vector<int32_t> out(edits.size() * lib::kLogitEditWords);
  std::memcpy(out.data(), edits.data(), out.size() * sizeof(int32_t));
  return out;
}

TEST(KernelEditLogits, EachEditIsTheRulesAndNothingElseChanges) {
  static_assert(sizeof(nhc_logit_edit_t) ==
                lib::kLogitEditWords * sizeof(int32_t));
  const int64_t R = 5, V = 1500;
  std::mt19937 gen(13);
  std::vector<float> logits = randomFloats(gen, R * V, -6.f, 6.f);
  logits[7] = 0.0f;
  logits[8] = -0.0f;
  logits[V + 3] = std::numeric_limits<float>::infinity();
  logits[V + 4] = -std::numeric_limits<float>::infinity();
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<nhc_logit_edit_t> edits;
  std::set<std::pair<uint32_t, int32_t>> used;
  auto edit = [&](uint32_t row, int32_t id) {
    if (!used.insert({row, id}).second)
      return;
    nhc_logit_edit_t e{row, id, 0.0f, 0, 1.0f, 0.0f, 0.0f};
    const float pick = unit(gen);
    if (pick < 0.3f)
      e.bias = 200.0f * unit(gen) - 100.0f;
    if (unit(gen) < 0.1f)
      e.banned = 1;
    if (unit(gen) < 0.5f)
      e.repetition = 0.5f + 1.5f * unit(gen);
    if (unit(gen) < 0.5f) {
      e.frequency = 2.0f * float(gen() % 9) * (unit(gen) - 0.5f);
      e.presence = 4.0f * unit(gen) - 2.0f;
    }
    edits.push_back(e);
  };
  for (int32_t id : {7, 8}) // signed zeros
    edit(0, id);
  edit(1, 3); // +inf
  edit(1, 4); // -inf
  logits[V + 5] = std::numeric_limits<float>::quiet_NaN();
  edits.push_back({1, 5, 1.0f, 1, 1.0f, 0.0f, 0.0f}); // a ban keeps NaN
  used.insert({1, 5});
  for (int k = 0; k < 700; ++k)
    edit(uint32_t(gen() % R), int32_t(gen() % V));
  std::vector<float> want = logits;
  for (const nhc_logit_edit_t &e : edits)
    ASSERT_EQ(nhc_logit_edit_apply(&e, &want[e.row * V + e.id]), NHC_OK)
        << nhc_last_error();
  std::vector<int32_t> packed = words(edits);
  std::vector<float> got = logits;
  ArgPack a;
  a.buf(got).buf(packed).idx(int64_t(edits.size())).idx(V);
  runKernel(lib::kEditLogits, a);
  for (int64_t i = 0; i < R * V; ++i)
    EXPECT_EQ(std::memcmp(&got[i], &want[i], sizeof(float)), 0)
        << "row " << i / V << ", id " << i % V << ": " << got[i]
        << ", the rule " << want[i];
  EXPECT_TRUE(std::isnan(want[V + 5])) << "a banned NaN stays NaN";
}

TEST(KernelEditLogits, TheRuleRefusesValuesOutsideTheirRanges) {
  float l = 1.0f;
  nhc_logit_edit_t e{0, 0, 0.0f, 0, 0.0f, 0.0f, 0.0f};
  EXPECT_EQ(nhc_logit_edit_apply(&e, &l), NHC_INVALID_ARGUMENT);
  EXPECT_NE(std::string(nhc_last_error()).find("repetition must be"),
            std::string::npos) << nhc_last_error();
  e.repetition = 2.0f;
  e.bias = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(nhc_logit_edit_apply(&e, &l), NHC_INVALID_ARGUMENT);
  e.bias = 1.0f;
  e.presence = std::numeric_limits<float>::infinity();
  EXPECT_EQ(nhc_logit_edit_apply(&e, &l), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(l, 1.0f) << "written on failure";
  e.presence = 0.5f;
  ASSERT_EQ(nhc_logit_edit_apply(&e, &l), NHC_OK);
  EXPECT_EQ(l, (1.0f + 1.0f) / 2.0f - 0.5f);
  EXPECT_EQ(nhc_logit_edit_apply(nullptr, &l), NHC_INVALID_ARGUMENT);
}

} // namespace
