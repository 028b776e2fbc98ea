//===- serving_test.cpp - Sampling, stop strings, generation config, engine -===//

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/serving/engine.h"
#include "nhc/serving/generation_config.h"
#include "nhc/serving/logits_processor.h"
#include "nhc/serving/logprobs.h"
#include "nhc/serving/parallel_for.h"
#include "nhc/serving/sampler.h"
#include "nhc/serving/stop_strings.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using serving::Engine;
using serving::FinishReason;
using serving::GenerationEvent;
using serving::GenerationRequest;
using serving::RequestStream;
using serving::SubmitStatus;
using ::testing::HasSubstr;
using ::testing::Not;

//===--- Sampler ----------------------------------------------------------===//

TEST(SamplerTest, GreedyIsArgmaxAndNaNNeverWins) {
  std::vector<float> logits = {0.5f, NAN, 2.0f, 2.0f, -1.0f};
  serving::Sampler greedy(serving::SamplingParams{});
  EXPECT_EQ(greedy.sample(logits.data(), logits.size()), 2);
  std::vector<float> nanFirst = {NAN, -3.0f, -2.0f};
  EXPECT_EQ(serving::argmax(nanFirst.data(), nanFirst.size()), 2);
  // Logits holding NaN have no token to pick: callers ask firstNan first
  // and refuse them, naming the first NaN.
  EXPECT_EQ(serving::firstNan(logits.data(), logits.size()), 1);
  EXPECT_EQ(serving::firstNan(nanFirst.data(), nanFirst.size()), 0);
  std::vector<float> infinite = {-INFINITY, INFINITY, -INFINITY, NAN};
  EXPECT_EQ(serving::firstNan(infinite.data(), infinite.size()), 3);
  EXPECT_EQ(serving::firstNan(infinite.data(), 3), -1);
  EXPECT_THAT(serving::nanLogitsMessage(3),
              HasSubstr("the logits hold NaN (the first at token id 3)"));
  // greedy(): temperature 0 or top_k 1 (where the session's greedy ids may
  // stand in for the logits).
  EXPECT_TRUE(greedy.greedy());
  serving::SamplingParams hot;
  hot.temperature = 0.7f;
  EXPECT_FALSE(serving::Sampler(hot).greedy());
  hot.topK = 1;
  EXPECT_TRUE(serving::Sampler(hot).greedy());
}

// The runtime's rule as a C API: bad rules refused naming field and value,
// NULL pointers and an empty row refused; a zeroed rule is greedy.
TEST(SamplingApiTest, RefusesBadRulesByField) {
  const float row[4] = {0.5f, 2.0f, 2.0f, -1.0f};
  nhc_sampling_t zeroed{};
  int32_t token = -7;
  EXPECT_EQ(nhc_sampling_check(&zeroed), NHC_OK);
  ASSERT_EQ(nhc_sample_logits(row, 4, &zeroed, &token), NHC_OK);
  EXPECT_EQ(token, 1); // the first of the largest
  nhc_sampling_t hot{};
  hot.temperature = 0.7f;
  hot.top_p = 1.0f;
  hot.uniform = 0.25;
  EXPECT_EQ(nhc_sampling_check(&hot), NHC_OK);
  for (auto [field, value, message] :
       std::vector<std::tuple<std::string, double, std::string>>{
           {"temperature", -1.0, "temperature must be a finite number >= 0, got -1"},
           {"temperature", NAN, "temperature must be a finite number >= 0"},
           {"temperature", INFINITY, "temperature must be a finite number >= 0"},
           {"top_p", 0.0, "top_p must be in (0, 1], got 0"},
           {"top_p", 1.5, "top_p must be in (0, 1], got 1.5"},
           {"top_p", NAN, "top_p must be in (0, 1]"},
           {"min_p", -0.1, "min_p must be in [0, 1]"},
           {"min_p", 2.0, "min_p must be in [0, 1], got 2"},
           {"uniform", 1.0, "uniform (the draw) must be in [0, 1), got 1"},
           {"uniform", -0.5, "uniform (the draw) must be in [0, 1)"},
           {"uniform", NAN, "uniform (the draw) must be in [0, 1)"}}) {
    nhc_sampling_t bad = hot;
    if (field == "temperature")
      bad.temperature = float(value);
    else if (field == "top_p")
      bad.top_p = float(value);
    else if (field == "min_p")
      bad.min_p = float(value);
    else
      bad.uniform = value;
    EXPECT_EQ(nhc_sampling_check(&bad), NHC_INVALID_ARGUMENT) << field;
    EXPECT_THAT(nhc_last_error(), HasSubstr(message)) << field << " " << value;
    token = -7;
    EXPECT_EQ(nhc_sample_logits(row, 4, &bad, &token), NHC_INVALID_ARGUMENT);
    EXPECT_THAT(nhc_last_error(), HasSubstr("nhc_sample_logits: " + message));
    EXPECT_EQ(token, -7) << "written on failure";
  }
  // A greedy rule uses no other field: top_k 1 with a bad top_p is fine.
  nhc_sampling_t topK1 = hot;
  topK1.top_k = 1;
  topK1.top_p = 0.0f;
  EXPECT_EQ(nhc_sample_logits(row, 4, &topK1, &token), NHC_OK);
  EXPECT_EQ(token, 1);
  EXPECT_EQ(nhc_sample_logits(nullptr, 4, &hot, &token), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_sample_logits(row, 4, nullptr, &token), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_sample_logits(row, 4, &hot, nullptr), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_sample_logits(row, 0, &hot, &token), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(nhc_last_error(), HasSubstr("vocab is 0"));
  EXPECT_EQ(nhc_sampling_check(nullptr), NHC_INVALID_ARGUMENT);
}

// The logprobs rule as a C API: a known distribution's values and order
// (equal logits by lower id), its limits, NaN rows, and what it refuses.
TEST(LogprobsApiTest, EntriesOfAKnownRowAndRefusals) {
  // Probabilities 1/2, 1/4, 1/4 (logits ln 2, 0, 0) and 0 (-inf).
  const float row[4] = {0.0f, std::log(2.0f), -INFINITY, 0.0f};
  nhc_token_logprob_t e[6];
  ASSERT_EQ(nhc_logprobs_logits(row, 4, 3, 5, e), NHC_OK) << nhc_last_error();
  EXPECT_EQ(e[0].id, 3);
  EXPECT_NEAR(e[0].logprob, std::log(0.25), 1e-6);
  const int32_t order[5] = {1, 0, 3, 2, -1};
  const double values[5] = {std::log(0.5), std::log(0.25), std::log(0.25),
                            -INFINITY, -INFINITY};
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(e[1 + k].id, order[k]) << "alternative " << k;
    if (std::isinf(values[k]))
      EXPECT_EQ(e[1 + k].logprob, -INFINITY) << "alternative " << k;
    else
      EXPECT_NEAR(e[1 + k].logprob, values[k], 1e-6) << "alternative " << k;
  }
  ASSERT_EQ(nhc_logprobs_logits(row, 4, 9, 0, e), NHC_OK);
  EXPECT_EQ(e[0].logprob, -INFINITY) << "an id outside the vocabulary";
  const float withNan[3] = {1.0f, NAN, 0.0f};
  ASSERT_EQ(nhc_logprobs_logits(withNan, 3, 0, 2, e), NHC_OK);
  EXPECT_TRUE(std::isnan(e[0].logprob));
  EXPECT_EQ(e[1].id, -1 - 1) << "-1 minus the first NaN's index";
  EXPECT_TRUE(std::isnan(e[1].logprob));
  EXPECT_EQ(e[2].id, -1);
  EXPECT_EQ(nhc_logprobs_logits(row, 4, 0, NHC_MAX_TOP_LOGPROBS + 1, e),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(nhc_last_error(), HasSubstr("top_n is 21; at most 20"));
  EXPECT_EQ(nhc_logprobs_logits(row, 0, 0, 1, e), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(nhc_last_error(), HasSubstr("vocab is 0"));
  EXPECT_EQ(nhc_logprobs_logits(nullptr, 4, 0, 1, e), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_logprobs_logits(row, 4, 0, 1, nullptr), NHC_INVALID_ARGUMENT);
}

TEST(SamplerTest, TopPKeepsTheSmallestNucleus) {
  // Probabilities ~ 0.64, 0.24, 0.09, 0.03: top_p 0.5 keeps only the first,
  // top_p 0.8 the first two.
  std::vector<float> logits = {3.0f, 2.0f, 1.0f, 0.0f};
  serving::SamplingParams params;
  params.temperature = 1.0f;
  params.topP = 0.5f;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    params.seed = seed;
    serving::Sampler sampler(params);
    EXPECT_EQ(sampler.sample(logits.data(), logits.size()), 0);
  }
  params.topP = 0.8f;
  std::map<int32_t, int> counts;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    params.seed = seed;
    serving::Sampler sampler(params);
    ++counts[sampler.sample(logits.data(), logits.size())];
  }
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_GT(counts[0], counts[1]);
}

TEST(SamplerTest, SameSeedSameTokens) {
  std::vector<float> logits(64);
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = std::sin(float(i));
  serving::SamplingParams params;
  params.temperature = 1.3f;
  params.topK = 20;
  params.topP = 0.95f;
  params.seed = 42;
  serving::Sampler a(params), b(params);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(a.sample(logits.data(), logits.size()),
              b.sample(logits.data(), logits.size()));
}

namespace {

/// The sampling rule written out with every candidate sorted first (the
/// total over the kept candidates in the order Sampler sums it: sorted
/// when top-k drops some, by id when it keeps all), to check Sampler's lazy sorting against.
int32_t sampleBySortingAll(const std::vector<float> &logits,
                           const serving::SamplingParams &p,
                           serving::Xoshiro256 &rng) {
  std::vector<std::pair<float, int32_t>> c;
  for (size_t i = 0; i < logits.size(); ++i)
    if (!std::isnan(logits[i]))
      c.emplace_back(logits[i], int32_t(i));
  std::vector<std::pair<float, int32_t>> byId = c;
  std::sort(c.begin(), c.end(), [](const auto &a, const auto &b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  size_t k = p.topK == 0 ? c.size() : std::min<size_t>(p.topK, c.size());
  double top = c[0].first, t = p.temperature, total = 0.0;
  for (size_t i = 0; i < k; ++i)
    total += std::exp(((k == c.size() ? byId : c)[i].first - top) / t);
  size_t kept = k;
  if (p.topP < 1.0f) {
    double mass = 0.0, limit = p.topP * total;
    for (kept = 0; kept < k;) {
      mass += std::exp((c[kept++].first - top) / t);
      if (mass >= limit)
        break;
    }
    total = mass;
  }
  double target = rng.uniform() * total;
  for (size_t i = 0; i < kept; ++i) {
    target -= std::exp((c[i].first - top) / t);
    if (target < 0.0)
      return c[i].second;
  }
  while (kept > 1 && std::exp((c[kept - 1].first - top) / t) == 0.0)
    --kept;
  return c[kept - 1].second;
}

} // namespace

TEST(SamplerTest, SortsOnlyWhatItWalksYetPicksAsSortingEverything) {
  // Vocabularies past the first sorted block (256) and its doublings, flat
  // rows (hot temperatures walk deep) and peaked ones, ties, -inf and NaN.
  std::mt19937 gen(5);
  for (size_t vocab : {1u, 7u, 300u, 5000u, 131072u}) {
    for (float spread : {0.05f, 1.0f, 6.0f}) {
      std::normal_distribution<float> normal(0.0f, spread);
      std::vector<float> logits(vocab);
      for (float &v : logits)
        v = std::round(normal(gen) * 64) / 64; // ties
      if (vocab > 7)
        logits[5] = -INFINITY;
      for (auto [temperature, topK, topP] :
           std::vector<std::tuple<float, uint64_t, float>>{
               {1.0f, 0, 1.0f}, {4.0f, 0, 1.0f}, {0.7f, 0, 0.9f},
               {2.0f, 0, 0.999f}, {1.0f, 40, 1.0f}, {1.5f, 600, 0.95f},
               {0.9f, 300, 1.0f}}) {
        serving::SamplingParams p;
        p.temperature = temperature;
        p.topK = topK;
        p.topP = topP;
        p.seed = vocab + topK;
        serving::Sampler sampler(p);
        serving::Xoshiro256 rng(p.seed);
        for (int draw = 0; draw < (vocab > 5000 ? 3 : 20); ++draw)
          ASSERT_EQ(sampler.sample(logits.data(), logits.size()),
                    sampleBySortingAll(logits, p, rng))
              << "vocab " << vocab << " spread " << spread << " T "
              << temperature << " top_k " << topK << " top_p " << topP
              << " draw " << draw;
        if (vocab > 7) { // a NaN has no token: -1 - the first NaN's index
          std::vector<float> nan = logits;
          nan[vocab - 1] = nan[3] = NAN;
          EXPECT_EQ(sampler.sample(nan.data(), nan.size()), -1 - 3);
        }
      }
    }
  }
}

// A logit of +inf (an overflow greedy decoding would pick): every +inf
// candidate gets an equal share and nothing else any, as the softmax's
// limit gives (exp(inf - inf) is NaN; each draw picked the lowest-logit
// candidate). Top-k and top-p then cut that equal share by id.
TEST(SamplerTest, InfiniteLogitsShareTheDrawEqually) {
  std::vector<float> logits(1000, 0.0f);
  const std::vector<int32_t> infinite = {17, 40, 41, 900};
  for (int32_t id : infinite)
    logits[id] = INFINITY;
  logits[5] = -INFINITY;
  for (auto [topK, topP, expected] :
       std::vector<std::tuple<uint64_t, float, std::set<int32_t>>>{
           {0, 1.0f, {17, 40, 41, 900}},
           {3, 1.0f, {17, 40, 41}},
           {0, 0.5f, {17, 40}},
           {0, 0.51f, {17, 40, 41}},
           {0, 0.01f, {17}}}) {
    serving::SamplingParams p;
    p.temperature = 1.0f;
    p.topK = topK;
    p.topP = topP;
    std::map<int32_t, int> counts;
    for (uint64_t seed = 0; seed < 200; ++seed) {
      p.seed = seed;
      serving::Sampler sampler(p);
      ++counts[sampler.sample(logits.data(), logits.size())];
    }
    std::set<int32_t> picked;
    for (auto [id, n] : counts) {
      picked.insert(id);
      EXPECT_GT(n, 200 / int(expected.size()) / 3)
          << "id " << id << " top_k " << topK << " top_p " << topP;
    }
    EXPECT_EQ(picked, expected) << "top_k " << topK << " top_p " << topP;
  }
}

//===--- Stop strings -----------------------------------------------------===//

TEST(StopStringsTest, HoldsBackAPossibleStartAndCutsBeforeTheStop) {
  serving::StopStringMatcher stops({"</end>", "STOP"});
  bool stopped = false;
  EXPECT_EQ(stops.push("hello </e", stopped), "hello ");
  EXPECT_FALSE(stopped);
  EXPECT_EQ(stops.push("nx", stopped), "</enx");
  EXPECT_FALSE(stopped);
  EXPECT_EQ(stops.push(" ab</", stopped), " ab");
  EXPECT_EQ(stops.push("end> tail", stopped), "");
  EXPECT_TRUE(stopped);
}

TEST(StopStringsTest, EarliestStopWinsAndFlushReturnsTheRest) {
  serving::StopStringMatcher stops({"cd", "b"});
  bool stopped = false;
  EXPECT_EQ(stops.push("abcd", stopped), "a");
  EXPECT_TRUE(stopped);
  serving::StopStringMatcher other({"xyz"});
  EXPECT_EQ(other.push("abx", stopped), "ab");
  EXPECT_EQ(other.flush(), "x");
  serving::StopStringMatcher none({"", ""});
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.push("anything", stopped), "anything");
}

TEST(StopStringsTest, IncludedStopsAndUnmatchedText) {
  serving::StopStringMatcher stops({"cd", "b"}, /*includeStop=*/true);
  bool stopped = false;
  EXPECT_EQ(stops.push("abcd", stopped), "ab"); // the earliest, included
  EXPECT_TRUE(stopped);
  // Text no stop may start in is shown at once, with what was held back;
  // a stop after it still stops.
  serving::StopStringMatcher later({"xyz"});
  EXPECT_EQ(later.push("ax", stopped), "a");
  EXPECT_EQ(later.pushUnmatched("yz "), "xyz ");
  EXPECT_EQ(later.push("q xyz r", stopped), "q ");
  EXPECT_TRUE(stopped);
  // A stop inside unmatched text never matches; one that starts there and
  // ends later does (vLLM's min_tokens search), its shown part kept.
  serving::StopStringMatcher inside({"xyz"});
  EXPECT_EQ(inside.pushUnmatched("axyz"), "axyz");
  EXPECT_EQ(inside.push("b", stopped), "b");
  EXPECT_FALSE(stopped);
  for (bool include : {false, true}) {
    serving::StopStringMatcher across({"xyz"}, include);
    EXPECT_EQ(across.pushUnmatched("ax"), "ax");
    EXPECT_EQ(across.push("y", stopped), ""); // held: "xy" may become it
    EXPECT_FALSE(stopped);
    EXPECT_EQ(across.push("z tail", stopped), include ? "yz" : "");
    EXPECT_TRUE(stopped);
    serving::StopStringMatcher notStop({"xyz"}, include);
    EXPECT_EQ(notStop.pushUnmatched("ax"), "ax");
    EXPECT_EQ(notStop.push("y", stopped), "");
    EXPECT_EQ(notStop.push("q", stopped), "yq");
    EXPECT_FALSE(stopped);
  }
}

TEST(SamplerTest, MinPKeepsTokensNearTheMostLikely) {
  // Probabilities relative to the top: 1, 0.7, 0.5, 0.1 (at temperature 1).
  const float top = 2.0f;
  const std::vector<float> logits = {top + std::log(0.5f), top,
                                     top + std::log(0.1f),
                                     top + std::log(0.7f)};
  auto drawn = [&](float temperature, float minP) {
    std::set<int32_t> seen;
    for (uint64_t seed = 0; seed < 400; ++seed) {
      serving::SamplingParams p;
      p.temperature = temperature;
      p.minP = minP;
      p.seed = seed;
      seen.insert(serving::Sampler(p).sample(logits.data(), logits.size()));
    }
    return seen;
  };
  EXPECT_EQ(drawn(1.0f, 0.0f), (std::set<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(drawn(1.0f, 0.6f), (std::set<int32_t>{1, 3}));
  EXPECT_EQ(drawn(1.0f, 1.0f), (std::set<int32_t>{1}));
  // After temperature: at T = 2 the ratios are their square roots (0.84,
  // 0.71, 0.32), so 0.6 keeps three.
  EXPECT_EQ(drawn(2.0f, 0.6f), (std::set<int32_t>{0, 1, 3}));
  // With top-p over what min-p left: 1 / 1.7 of the mass is token 1.
  serving::SamplingParams p;
  p.temperature = 1.0f;
  p.minP = 0.6f;
  p.topP = 0.5f;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    p.seed = seed;
    EXPECT_EQ(serving::Sampler(p).sample(logits.data(), logits.size()), 1);
  }
}

TEST(LogitsProcessorTest, BiasBanAndPenaltiesInVllmsOrder) {
  serving::LogitAdjustments adjust;
  adjust.logitBias = {{0, 1.5f}, {3, -4.0f}};
  adjust.repetitionPenalty = 2.0f;
  adjust.frequencyPenalty = 0.5f;
  adjust.presencePenalty = 0.25f;
  serving::LogitsProcessor processor(adjust, /*prompt=*/{1, 1, 4});
  EXPECT_TRUE(processor.active());
  processor.accept(2);
  processor.accept(2);
  processor.accept(4);
  std::vector<float> row = {1.0f, 3.0f, -2.0f, 0.5f, 6.0f, 1.0f};
  processor.apply(row.data(), row.size(), /*banned=*/{5});
  // 0: bias only; 1: prompt, divided; 2: generated twice, negative,
  // multiplied, then 2 x 0.5 + 0.25; 3: bias; 4: prompt and generated once
  // (penalized once), 6 / 2 - 0.5 - 0.25; 5: banned.
  EXPECT_FLOAT_EQ(row[0], 2.5f);
  EXPECT_FLOAT_EQ(row[1], 1.5f);
  EXPECT_FLOAT_EQ(row[2], -4.0f - 1.0f - 0.25f);
  EXPECT_FLOAT_EQ(row[3], -3.5f);
  EXPECT_FLOAT_EQ(row[4], 3.0f - 0.5f - 0.25f);
  EXPECT_TRUE(std::isinf(row[5]) && row[5] < 0);
  // Nothing asked: nothing changes, and the engine may use greedy ids.
  serving::LogitsProcessor none({}, {1, 2});
  EXPECT_FALSE(none.active());
  std::vector<float> same = {1.0f, -1.0f};
  none.accept(1);
  none.apply(same.data(), same.size());
  EXPECT_EQ(same, (std::vector<float>{1.0f, -1.0f}));
}

TEST(LogprobsTest, LogSoftmaxInDoubleAndTheMostLikelyIds) {
  const std::vector<float> logits = {0.5f, 3.0f, -1.0f, 3.0f, 2.0f, -INFINITY};
  double sum = 0.0;
  for (float l : logits)
    sum += std::exp(double(l));
  auto expected = [&](int i) { return float(double(logits[i]) - std::log(sum)); };
  serving::PickLogprobs lp = serving::pickLogprobs(logits.data(), 6, 2, 3);
  EXPECT_EQ(lp.picked.id, 2);
  EXPECT_FLOAT_EQ(lp.picked.logprob, expected(2));
  ASSERT_EQ(lp.top.size(), 3u);
  // Ties by lower id.
  EXPECT_EQ(lp.top[0].id, 1);
  EXPECT_EQ(lp.top[1].id, 3);
  EXPECT_EQ(lp.top[2].id, 4);
  EXPECT_FLOAT_EQ(lp.top[2].logprob, expected(4));
  EXPECT_TRUE(std::isinf(serving::pickLogprobs(logits.data(), 6, 5, 0)
                             .picked.logprob));
  EXPECT_TRUE(serving::pickLogprobs(logits.data(), 6, 1, 0).top.empty());
  // More asked than the vocabulary has: all of it, in order.
  std::vector<int32_t> all;
  for (const serving::TokenLogprob &t :
       serving::pickLogprobs(logits.data(), 6, 1, 20).top)
    all.push_back(t.id);
  EXPECT_EQ(all, (std::vector<int32_t>{1, 3, 4, 0, 2, 5}));
  // +inf logits share the mass; the rest get -inf.
  const std::vector<float> infinite = {INFINITY, 1.0f, INFINITY};
  serving::PickLogprobs inf = serving::pickLogprobs(infinite.data(), 3, 0, 3);
  EXPECT_FLOAT_EQ(inf.picked.logprob, float(-std::log(2.0)));
  EXPECT_TRUE(std::isinf(inf.top[2].logprob) && inf.top[2].logprob < 0);
}

//===--- Generation config ------------------------------------------------===//

TEST(GenerationConfigTest, ReadsEosIdsAndSamplingDefaults) {
  TempDir dir;
  writeText(dir.file("generation_config.json"),
            R"({"eos_token_id": [2, 11], "do_sample": true,
                "temperature": 0.6, "top_p": 0.95, "top_k": 20,
                "min_p": 0.05, "repetition_penalty": 1.1})");
  serving::GenerationDefaults d = serving::readGenerationDefaults(dir.path());
  EXPECT_EQ(d.eosIds, (std::vector<int32_t>{2, 11}));
  EXPECT_FLOAT_EQ(*d.temperature, 0.6f);
  EXPECT_FLOAT_EQ(*d.topP, 0.95f);
  EXPECT_EQ(*d.topK, 20u);
  EXPECT_FLOAT_EQ(*d.minP, 0.05f);
  EXPECT_FLOAT_EQ(*d.repetitionPenalty, 1.1f);
  // Greedy (no do_sample): the sampling warpers' values are not defaults,
  // the repetition penalty (a logits processor) still is, as transformers.
  TempDir greedy;
  writeText(greedy.file("generation_config.json"),
            R"({"temperature": 0.6, "min_p": 0.05, "repetition_penalty": 1.2})");
  d = serving::readGenerationDefaults(greedy.path());
  EXPECT_FALSE(d.temperature);
  EXPECT_FALSE(d.minP);
  EXPECT_FLOAT_EQ(*d.repetitionPenalty, 1.2f);

  TempDir configOnly;
  writeText(configOnly.file("config.json"), R"({"eos_token_id": 7})");
  d = serving::readGenerationDefaults(configOnly.path());
  EXPECT_EQ(d.eosIds, (std::vector<int32_t>{7}));
  EXPECT_FALSE(d.temperature);

  TempDir empty;
  EXPECT_TRUE(serving::readGenerationDefaults(empty.path()).eosIds.empty());
}

TEST(GenerationConfigTest, EosFallsBackToConfigThenTokenizer) {
  TempDir dir;
  writeText(dir.file("generation_config.json"), R"({"do_sample": false})");
  writeText(dir.file("config.json"), R"({"eos_token_id": [5, 6]})");
  serving::GenerationDefaults d =
      serving::readGenerationDefaults(dir.path(), 9);
  EXPECT_EQ(d.eosIds, (std::vector<int32_t>{5, 6}));
  EXPECT_THAT(d.eosSource, HasSubstr("config.json"));
  TempDir none;
  writeText(none.file("config.json"), R"({"eos_token_id": null})");
  d = serving::readGenerationDefaults(none.path(), 9);
  EXPECT_EQ(d.eosIds, (std::vector<int32_t>{9}));
  EXPECT_THAT(d.eosSource, HasSubstr("tokenizer"));
  EXPECT_EQ(serving::checkpointDirectory(dir.file("model.safetensors")),
            dir.path());
  EXPECT_EQ(serving::checkpointDirectory(dir.path()), dir.path());
}

// Python's json reads Infinity, NaN and numbers past double range (a
// transformers checkpoint may hold them): in keys nhc does not use they are
// harmless; in one it uses, its range check names it.
TEST(GenerationConfigTest, NonFiniteNumbersReadAsPythonDoes) {
  TempDir dir;
  writeText(dir.file("generation_config.json"),
            R"({"eos_token_id": 2, "max_time": 1e400, "x": -Infinity,
                "y": NaN, "do_sample": true, "temperature": 0.7})");
  serving::GenerationDefaults d = serving::readGenerationDefaults(dir.path());
  EXPECT_EQ(d.eosIds, (std::vector<int32_t>{2}));
  EXPECT_FLOAT_EQ(*d.temperature, 0.7f);
  // The message shows the value as the file spelled it, not as read.
  struct Case {
    const char *text, *shown;
  } cases[] = {
      {R"({"do_sample": true, "temperature": Infinity})", "got Infinity"},
      {R"({"do_sample": true, "temperature": 1e999})", "got Infinity"},
      {R"({"do_sample": true, "temperature": -Infinity})", "got -Infinity"},
      {R"({"do_sample": true, "temperature": NaN})", "got NaN"},
      {R"({"do_sample": true, "top_k": NaN})", "got NaN"},
      {R"({"eos_token_id": NaN})", "got NaN"}};
  for (const Case &c : cases) {
    writeText(dir.file("generation_config.json"), c.text);
    try {
      serving::readGenerationDefaults(dir.path());
      ADD_FAILURE() << "accepted " << c.text;
    } catch (const serving::ServingError &e) {
      EXPECT_THAT(e.what(), HasSubstr(c.shown)) << c.text;
      EXPECT_THAT(e.what(), Not(HasSubstr("not a number"))) << c.text;
      EXPECT_THAT(e.what(), Not(HasSubstr("1.7976931348623157e+308")))
          << c.text;
    }
  }
}

TEST(GenerationConfigTest, BadFilesNameTheFileAndKey) {
  struct Case {
    const char *text, *needle;
  } cases[] = {{"{", "malformed JSON"},
               {"[]", "expected a JSON object"},
               {R"({"eos_token_id": "2"})", "'eos_token_id'"},
               {R"({"eos_token_id": [1, -4]})", "'eos_token_id'[1]"},
               {R"({"eos_token_id": 1, "do_sample": "yes"})", "'do_sample'"},
               {R"({"do_sample": true, "temperature": "hot"})",
                "'temperature'"},
               {R"({"do_sample": true, "temperature": 1e300})",
                "'temperature'"},
               {R"({"do_sample": true, "top_p": 0})", "'top_p'"},
               {R"({"do_sample": true, "top_p": 1.5})", "'top_p'"},
               {R"({"do_sample": true, "top_k": 1e30})", "'top_k'"},
               {R"({"do_sample": true, "top_k": -3})", "'top_k'"},
               {R"({"do_sample": true, "top_k": 1.5})", "'top_k'"},
               {R"({"do_sample": true, "min_p": 2})", "'min_p'"},
               {R"({"repetition_penalty": 0})", "'repetition_penalty'"},
               {R"({"repetition_penalty": 1e-300})", "'repetition_penalty'"},
               {R"({"repetition_penalty": "high"})", "'repetition_penalty'"},
               {R"({"do_sample": true, "top_p": NaN})", "'top_p'"},
               {R"({"eos_token_id": NaN})", "'eos_token_id'"},
               {R"({"eos_token_id": [2, NaN]})", "'eos_token_id'[1]"},
               {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                "[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
                "]]]]]]]]]]]]]]]]]]]]]]",
                "nested"}};
  for (const Case &c : cases) {
    TempDir dir;
    writeText(dir.file("generation_config.json"), c.text);
    try {
      serving::readGenerationDefaults(dir.path());
      ADD_FAILURE() << "accepted " << c.text;
    } catch (const serving::ServingError &e) {
      EXPECT_THAT(e.what(), HasSubstr(c.needle)) << c.text;
      EXPECT_THAT(e.what(), HasSubstr("generation_config.json")) << c.text;
    }
  }
}

//===--- Engine -----------------------------------------------------------===//

constexpr uint32_t kSlots = 3;
constexpr uint64_t kMaxSeqLen = 12;

/// Runs a request to its end; returns the final event with all tokens.
GenerationEvent drain(const std::shared_ptr<RequestStream> &stream) {
  GenerationEvent all, event;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!all.done) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "request did not finish";
      break;
    }
    if (!stream->next(event, std::chrono::milliseconds(50)))
      continue;
    serving::mergeEvent(all, std::move(event));
  }
  return all;
}

/// Holds every step in the session's progress callback until released.
struct StepGate {
  std::mutex mutex;
  std::condition_variable opened;
  bool open = false;
  static void wait(void *self, size_t, size_t) {
    auto *gate = static_cast<StepGate *>(self);
    std::unique_lock<std::mutex> lock(gate->mutex);
    gate->opened.wait(lock, [&] { return gate->open; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      open = true;
    }
    opened.notify_all();
  }
};

/// Lets the session's steps start one permit at a time (a step starts at
/// its first entry's progress report), so a test can look between steps.
struct StepPermits {
  std::mutex mutex;
  std::condition_variable changed;
  uint64_t permits = 0;
  bool waiting = false, open = false;
  static void report(void *self, size_t completed, size_t) {
    auto *gate = static_cast<StepPermits *>(self);
    if (completed != 1)
      return;
    std::unique_lock<std::mutex> lock(gate->mutex);
    gate->waiting = true;
    gate->changed.notify_all();
    gate->changed.wait(lock, [&] { return gate->open || gate->permits > 0; });
    if (!gate->open)
      --gate->permits;
    gate->waiting = false;
  }
  /// Lets `steps` steps run and returns once the next one waits.
  void run(uint64_t steps) {
    std::unique_lock<std::mutex> lock(mutex);
    permits += steps;
    changed.notify_all();
    changed.wait_for(lock, std::chrono::seconds(10),
                     [&] { return permits == 0 && waiting; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      open = true;
    }
    changed.notify_all();
  }
};

/// Logprob entries as comparable numbers: (id, logprob) of the pick, then
/// of each alternative.
std::vector<std::pair<int32_t, double>>
flatLogprobs(const std::vector<serving::PickLogprobs> &entries) {
  std::vector<std::pair<int32_t, double>> out;
  for (const serving::PickLogprobs &e : entries) {
    out.emplace_back(e.picked.id, e.picked.logprob);
    for (const serving::TokenLogprob &t : e.top)
      out.emplace_back(t.id, t.logprob);
  }
  return out;
}

class EngineTest : public ::testing::Test {
protected:
  void start(serving::EngineOptions options, int32_t nanToken = -1,
             int32_t nanHeadRow = -1, uint32_t slots = kSlots) {
    ASSERT_EQ(fixture.open(toyModelManifest(),
                           toyModelWeights(nanToken, nanHeadRow), slots,
                           kMaxSeqLen),
              NHC_OK)
        << lastError();
    engine = std::make_unique<Engine>(fixture.session, nullptr, options);
    fixture.session = nullptr; // the engine owns it now
  }
  /// start() with every step held at `gate` until gate.release(), or with
  /// another progress callback holding them.
  void startGated(serving::EngineOptions options,
                  nhc_progress_fn_t hold = &StepGate::wait,
                  void *holder = nullptr) {
    ASSERT_EQ(fixture.open(toyModelManifest(), toyModelWeights(-1, -1),
                           kSlots, kMaxSeqLen),
              NHC_OK)
        << lastError();
    nhc_session_set_progress(fixture.session, hold, holder ? holder : &gate);
    engine = std::make_unique<Engine>(fixture.session, nullptr, options);
    fixture.session = nullptr;
  }
  // Whatever failed, a held step goes on, so the engine can stop.
  void TearDown() override { gate.release(); }

  std::shared_ptr<RequestStream> submit(GenerationRequest request) {
    std::shared_ptr<RequestStream> stream;
    std::string error;
    EXPECT_EQ(engine->submit(std::move(request), stream, error),
              SubmitStatus::Ok)
        << error;
    return stream;
  }
  /// A second engine on the same model whose every pick is from rows
  /// copied out (EngineOptions::picksFromRows): the engine's own sampler,
  /// logits processor and logprobs, to compare the session's with.
  Engine &rowsEngine() {
    if (!fromRows) {
      EXPECT_EQ(rowsFixture.open(toyModelManifest(), toyModelWeights(-1, -1),
                                 kSlots, kMaxSeqLen),
                NHC_OK)
          << lastError();
      serving::EngineOptions options;
      options.picksFromRows = true;
      fromRows = std::make_unique<Engine>(rowsFixture.session, nullptr,
                                          options);
      rowsFixture.session = nullptr;
    }
    return *fromRows;
  }
  std::shared_ptr<RequestStream> submitToRows(GenerationRequest request) {
    std::shared_ptr<RequestStream> stream;
    std::string error;
    EXPECT_EQ(rowsEngine().submit(std::move(request), stream, error),
              SubmitStatus::Ok)
        << error;
    return stream;
  }

  /// `requests` submitted as many at a time as there are slots: each
  /// gets the tokens and logprobs it got alone (`alone`).
  void expectSlotsAtATimeAsAlone(const std::vector<GenerationRequest> &requests,
                                 const std::vector<GenerationEvent> &alone) {
    for (size_t first = 0; first < requests.size(); first += kSlots) {
      std::vector<GenerationRequest> together(
          requests.begin() + first,
          requests.begin() + std::min(requests.size(), first + kSlots));
      std::vector<std::shared_ptr<RequestStream>> streams;
      std::string error;
      ASSERT_EQ(engine->submitAll(together, streams, error), SubmitStatus::Ok)
          << error;
      for (size_t i = 0; i < together.size(); ++i) {
        const GenerationEvent got = drain(streams[i]);
        EXPECT_EQ(got.tokens, alone[first + i].tokens)
            << "request " << first + i;
        EXPECT_EQ(flatLogprobs(got.logprobs),
                  flatLogprobs(alone[first + i].logprobs))
            << "request " << first + i;
      }
    }
  }

  SessionFixture fixture, rowsFixture;
  std::unique_ptr<Engine> fromRows;
  StepGate gate;
  std::unique_ptr<Engine> engine;
};

GenerationRequest greedy(std::vector<int32_t> prompt, uint64_t maxTokens) {
  GenerationRequest request;
  request.prompt = std::move(prompt);
  request.maxTokens = maxTokens;
  return request;
}

// A step holding a prompt's logprobs holds at most 256 MiB of logits rows,
// and never so few tokens that a prompt chunk waits.
TEST(PromptChunk, PromptLogprobsStepsHoldAtMostTheirBytesOfRows) {
  using serving::promptLogprobsStepTokens;
  EXPECT_EQ(promptLogprobsStepTokens(131072), 512u); // Nemotron-H
  EXPECT_EQ(promptLogprobsStepTokens(256000), 262u);
  EXPECT_EQ(promptLogprobsStepTokens(64), uint64_t(1) << 20);
  EXPECT_EQ(promptLogprobsStepTokens(uint64_t(1) << 30),
            serving::kPromptChunkSlack + 1);
  EXPECT_EQ(promptLogprobsStepTokens(0), serving::kPromptLogprobsStepBytes / 4);
  for (uint64_t vocab : {1u, 1000u, 131072u, 1u << 24})
    EXPECT_LE(promptLogprobsStepTokens(vocab) * vocab * 4,
              serving::kPromptLogprobsStepBytes)
        << vocab;
}

// A prompt chunk is never one token after others and never leaves one
// behind (transformers' one-token step with history skips the dt clamp its
// prefill applies); with kPromptChunkSlack + 1 tokens left it never waits.
TEST(PromptChunk, NoChunkIsAOneTokenStepWithHistory) {
  using serving::promptChunkTokens;
  EXPECT_EQ(promptChunkTokens(10, 0, 512), 10u);
  EXPECT_EQ(promptChunkTokens(1, 0, 1), 1u);  // a one-token prompt
  EXPECT_EQ(promptChunkTokens(3, 0, 1), 1u);  // the first token alone
  EXPECT_EQ(promptChunkTokens(2, 0, 1), 0u);  // would leave one behind
  EXPECT_EQ(promptChunkTokens(3, 4, 2), 0u);  // 2 leaves 1, 1 follows others
  EXPECT_EQ(promptChunkTokens(5, 4, 4), 3u);  // 4 would leave 1
  EXPECT_EQ(promptChunkTokens(2, 4, 1), 0u);
  // Prompts cut as the engine cuts them, from their first token, with the
  // budget each step leaves (fixed, or varying as decodes come and go).
  for (uint64_t remaining = 1; remaining < 40; ++remaining)
    for (uint64_t budget = 1; budget < 12; ++budget)
      for (bool varying : {false, true}) {
        uint64_t left = remaining, done = 0;
        for (uint64_t step = 0; left > 0; ++step) {
          uint64_t room = varying ? 3 + (step * 7 + budget) % 9 : budget;
          uint64_t n = promptChunkTokens(left, done, room);
          if (n == 0) {
            EXPECT_LT(room, serving::kPromptChunkSlack + 1)
                << "waited with " << room << " tokens, " << left << " left";
            break;
          }
          EXPECT_LE(n, std::min(left, room));
          EXPECT_TRUE(n >= 2 || done == 0)
              << "a one-token chunk after " << done << " tokens";
          EXPECT_NE(left - n, 1u) << "left one token behind";
          left -= n;
          done += n;
        }
      }
}

TEST_F(EngineTest, BatchedRequestsGetWhatTheyGetAlone) {
  serving::EngineOptions options;
  options.stepTokenBudget = 3; // prompts arrive in chunks next to decodes
  start(options);
  std::vector<std::vector<int32_t>> prompts = {
      {1, 2, 3, 4, 5}, {7}, {15, 0, 3}, {2, 2, 2, 2, 2, 2, 2}, {9, 8}, {4, 4}};
  std::vector<std::vector<int32_t>> alone;
  for (const auto &prompt : prompts) {
    GenerationEvent result =
        drain(submit(greedy(prompt, kMaxSeqLen - prompt.size() + 1)));
    EXPECT_EQ(result.finish, FinishReason::Length);
    EXPECT_EQ(result.tokens.size(), kMaxSeqLen - prompt.size() + 1);
    alone.push_back(result.tokens);
  }
  // The greedy continuation of a prompt is the toy model's argmax chain.
  std::vector<int32_t> chain = prompts[0];
  for (size_t i = 0; i < alone[0].size(); ++i) {
    auto logits = toyReferenceLogits(chain).back();
    int32_t next = serving::argmax(logits.data(), logits.size());
    EXPECT_EQ(alone[0][i], next) << "token " << i;
    chain.push_back(next);
  }
  // Six at once over three slots: three wait, all match.
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (const auto &prompt : prompts)
    streams.push_back(submit(greedy(prompt, kMaxSeqLen - prompt.size() + 1)));
  for (size_t i = 0; i < prompts.size(); ++i)
    EXPECT_EQ(drain(streams[i]).tokens, alone[i]) << "request " << i;
  serving::EngineMetrics m = engine->metrics();
  EXPECT_EQ(m.running, 0u);
  EXPECT_EQ(m.queueDepth, 0u);
  EXPECT_EQ(m.requestsFinished[int(FinishReason::Length)], 12u);
}

// A step of only greedy requests reads the session's greedy ids, one with a
// sampled request copies the logits: each request gets what it gets alone
// (the sampled one with its seed) whatever steps it shares, and a row of
// only NaN fails just its request.
TEST_F(EngineTest, GreedyAndSampledRequestsShareAStep) {
  start({}, /*nanToken=*/9);
  GenerationRequest sampled = greedy({4, 1, 7}, 6);
  sampled.sampling.temperature = 1.5f;
  sampled.sampling.seed = 7; // a continuation that never samples token 9
  GenerationRequest poisonedSampled = greedy({2, 9}, 3);
  poisonedSampled.sampling = sampled.sampling;
  const GenerationEvent sampledAlone = drain(submit(sampled));
  const GenerationEvent greedyAlone = drain(submit(greedy({1, 2, 3}, 6)));
  ASSERT_EQ(sampledAlone.tokens.size(), 6u);
  ASSERT_EQ(greedyAlone.tokens.size(), 6u);
  std::shared_ptr<RequestStream> a = submit(sampled);
  std::shared_ptr<RequestStream> b = submit(greedy({1, 2, 3}, 6));
  std::shared_ptr<RequestStream> c = submit(poisonedSampled);
  EXPECT_EQ(drain(a).tokens, sampledAlone.tokens);
  EXPECT_EQ(drain(b).tokens, greedyAlone.tokens);
  GenerationEvent failed = drain(c);
  EXPECT_EQ(failed.finish, FinishReason::Error);
  EXPECT_THAT(failed.error, HasSubstr("the logits hold NaN (the first at token id 0)"));
  // top_k 1 is greedy too: the same tokens as temperature 0.
  GenerationRequest topOne = greedy({1, 2, 3}, 6);
  topOne.sampling.temperature = 1.0f;
  topOne.sampling.topK = 1;
  EXPECT_EQ(drain(submit(topOne)).tokens, greedyAlone.tokens);
}

// Many sampled requests at once: their rows are sampled on several threads
// (forEachInParallel), each with its own seed, so each gets what it gets
// alone.
TEST_F(EngineTest, ManySampledRequestsGetWhatTheyGetAlone) {
  start({}, -1, -1, /*slots=*/16);
  std::vector<GenerationRequest> requests;
  std::vector<GenerationEvent> alone;
  for (uint64_t seed = 0; seed < 16; ++seed) {
    GenerationRequest r = greedy({int32_t(seed % 5), 1, 7}, 6);
    r.sampling.temperature = 2.0f;
    r.sampling.topP = seed % 2 ? 0.9f : 1.0f;
    r.sampling.seed = seed;
    requests.push_back(r);
    alone.push_back(drain(submit(r)));
    ASSERT_EQ(alone.back().tokens.size(), 6u);
  }
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (const GenerationRequest &r : requests)
    streams.push_back(submit(r));
  for (size_t i = 0; i < streams.size(); ++i)
    EXPECT_EQ(drain(streams[i]).tokens, alone[i].tokens) << "request " << i;
}

TEST(ForEachInParallelTest, EachItemOnceOnSeveralThreadsWhenMany) {
  for (size_t count : {0u, 1u, 7u, 8u, 9u, 64u, 1001u}) {
    std::vector<std::atomic<int>> visits(count);
    std::mutex mutex;
    std::set<std::thread::id> threads;
    serving::forEachInParallel(count, [&](size_t i) {
      visits[i]++;
      std::lock_guard<std::mutex> lock(mutex);
      threads.insert(std::this_thread::get_id());
    });
    for (size_t i = 0; i < count; ++i)
      EXPECT_EQ(visits[i].load(), 1) << "item " << i << " of " << count;
    const size_t most = std::min<size_t>(
        std::max(1u, std::thread::hardware_concurrency()),
        std::max<size_t>(1, count / serving::kItemsPerThread));
    EXPECT_LE(threads.size(), most) << count;
    if (count >= 2 * serving::kItemsPerThread &&
        std::thread::hardware_concurrency() > 1)
      EXPECT_GT(threads.size(), 1u) << count;
    if (count < 2 * serving::kItemsPerThread)
      EXPECT_LE(threads.size(), 1u) << count;
  }
}

// An item that throws (on a worker or on the caller's thread) neither
// terminates the process nor stops the other items; the lowest failing
// item's exception comes out once all have run.
TEST(ForEachInParallelTest, AThrowingItemLetsTheOthersRunThenIsRethrown) {
  for (size_t count : {1u, 9u, 64u, 1001u}) {
    std::vector<std::atomic<int>> visits(count);
    const std::set<size_t> failing = {count / 2, count - 1};
    try {
      serving::forEachInParallel(count, [&](size_t i) {
        visits[i]++;
        if (failing.count(i))
          throw std::runtime_error("item " + std::to_string(i));
      });
      ADD_FAILURE() << "nothing rethrown for " << count;
    } catch (const std::runtime_error &e) {
      EXPECT_EQ(std::string(e.what()), "item " + std::to_string(count / 2));
    }
    for (size_t i = 0; i < count; ++i)
      EXPECT_EQ(visits[i].load(), 1) << "item " << i << " of " << count;
  }
}

TEST_F(EngineTest, StopIdsEndTheRequestAndCountTheToken) {
  start({});
  GenerationEvent first = drain(submit(greedy({3, 1}, 4)));
  GenerationRequest request = greedy({3, 1}, 4);
  request.stopIds = {first.tokens[1]};
  GenerationEvent stopped = drain(submit(request));
  EXPECT_EQ(stopped.finish, FinishReason::Stop);
  ASSERT_LE(stopped.tokens.size(), 2u);
  EXPECT_EQ(stopped.tokens.back(), first.tokens[1]);
  EXPECT_EQ(stopped.completionTokens, stopped.tokens.size());
  EXPECT_EQ(stopped.promptTokens, 2u);
}

/// log_softmax of a toy reference row, in double.
double referenceLogprob(const std::vector<float> &row, int32_t id) {
  double top = *std::max_element(row.begin(), row.end()), sum = 0.0;
  for (float l : row)
    sum += std::exp(double(l) - top);
  return double(row[id]) - top - std::log(sum);
}

// Logprobs are the model's own distribution at each step (not the
// session's greedy ids, which carry none), and asking for them changes no
// token.
TEST_F(EngineTest, LogprobsAreTheModelsDistributionAtEachStep) {
  start({});
  const GenerationEvent plain = drain(submit(greedy({5, 2, 7}, 5)));
  GenerationRequest request = greedy({5, 2, 7}, 5);
  request.logprobs = 3;
  const GenerationEvent with = drain(submit(request));
  EXPECT_EQ(with.tokens, plain.tokens);
  ASSERT_EQ(with.logprobs.size(), with.tokens.size());
  EXPECT_TRUE(plain.logprobs.empty());
  std::vector<int32_t> chain = {5, 2, 7};
  for (size_t i = 0; i < with.tokens.size(); ++i) {
    const std::vector<float> row = toyReferenceLogits(chain).back();
    const serving::PickLogprobs &lp = with.logprobs[i];
    EXPECT_EQ(lp.picked.id, with.tokens[i]);
    EXPECT_NEAR(lp.picked.logprob, referenceLogprob(row, with.tokens[i]), 1e-4);
    ASSERT_EQ(lp.top.size(), 3u);
    EXPECT_EQ(lp.top[0].id, with.tokens[i]) << "greedy picks the top";
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_NEAR(lp.top[k].logprob, referenceLogprob(row, lp.top[k].id), 1e-4);
      if (k)
        EXPECT_LE(lp.top[k].logprob, lp.top[k - 1].logprob);
    }
    chain.push_back(with.tokens[i]);
  }
}

// A prompt's logprobs (echo) come from the logits of every prompt position,
// however the prompt is cut into steps and whatever shares them; asking for
// them changes no token, and max_tokens 0 gives them alone.
TEST_F(EngineTest, PromptLogprobsComeFromEveryPosition) {
  serving::EngineOptions chunked;
  chunked.stepTokenBudget = 3; // raised to 5: the prompt takes three steps
  start(chunked);
  const std::vector<int32_t> prompt = {2, 9, 4, 4, 13, 0, 7, 1, 3, 5};
  const GenerationEvent plain = drain(submit(greedy(prompt, 2)));
  GenerationRequest echo = greedy(prompt, 2);
  echo.logprobs = 2;
  echo.promptLogprobs = true;
  std::shared_ptr<RequestStream> beside = submit(greedy({1, 2, 3}, 2));
  const GenerationEvent got = drain(submit(echo));
  EXPECT_EQ(got.tokens, plain.tokens);
  EXPECT_EQ(drain(beside).tokens, drain(submit(greedy({1, 2, 3}, 2))).tokens);
  const std::vector<std::vector<float>> rows = toyReferenceLogits(prompt);
  ASSERT_EQ(got.promptLogprobs.size(), prompt.size() - 1);
  for (size_t q = 0; q + 1 < prompt.size(); ++q) {
    const serving::PickLogprobs &lp = got.promptLogprobs[q];
    EXPECT_EQ(lp.picked.id, prompt[q + 1]);
    EXPECT_NEAR(lp.picked.logprob, referenceLogprob(rows[q], prompt[q + 1]),
                1e-4)
        << "prompt token " << q + 1;
    ASSERT_EQ(lp.top.size(), 2u);
    EXPECT_EQ(lp.top[0].id, serving::argmax(rows[q].data(), rows[q].size()));
  }
  GenerationRequest only = echo;
  only.maxTokens = 0;
  const uint64_t copied = engine->metrics().logitsRowsCopied;
  const GenerationEvent alone = drain(submit(only));
  EXPECT_EQ(engine->metrics().logitsRowsCopied, copied)
      << "a greedy prompt's logprobs copied logits out of the session";
  // The same with an edited pick (a logit bias of 0) beside a prompt's
  // logprobs: the session edits its row and picks there too.
  GenerationRequest biased = echo;
  biased.adjustments.logitBias.push_back({0, 0.0f});
  const GenerationEvent biasedEcho = drain(submit(biased));
  EXPECT_EQ(engine->metrics().logitsRowsCopied, copied)
      << "an edited pick beside a prompt's logprobs copied logits out";
  EXPECT_EQ(biasedEcho.tokens, got.tokens);
  EXPECT_EQ(flatLogprobs(biasedEcho.promptLogprobs),
            flatLogprobs(got.promptLogprobs));
  EXPECT_EQ(flatLogprobs(biasedEcho.logprobs), flatLogprobs(got.logprobs));
  // A sampled pick too: the tokens (the same draws) and logprobs of the
  // request without echo, the prompt's logprobs of the greedy one.
  GenerationRequest sampled = echo;
  sampled.maxTokens = 3;
  sampled.sampling.temperature = 0.9f;
  sampled.sampling.seed = 11;
  const GenerationEvent sampledEcho = drain(submit(sampled));
  EXPECT_EQ(engine->metrics().logitsRowsCopied, copied)
      << "a sampled pick beside a prompt's logprobs copied logits out";
  sampled.promptLogprobs = false;
  const GenerationEvent sampledAlone = drain(submit(sampled));
  EXPECT_EQ(sampledEcho.tokens, sampledAlone.tokens);
  const auto echoed = flatLogprobs(sampledEcho.logprobs);
  const auto plainLogprobs = flatLogprobs(sampledAlone.logprobs);
  ASSERT_EQ(echoed.size(), plainLogprobs.size());
  for (size_t k = 0; k < echoed.size(); ++k) {
    EXPECT_EQ(echoed[k].first, plainLogprobs[k].first) << "entry " << k;
    EXPECT_NEAR(echoed[k].second, plainLogprobs[k].second, 1e-5)
        << "entry " << k;
  }
  EXPECT_EQ(flatLogprobs(sampledEcho.promptLogprobs),
            flatLogprobs(got.promptLogprobs));
  // Sampled choices of one prompt that pick nothing (max_tokens 0) need no
  // copy of its row either.
  GenerationRequest idle = sampled;
  idle.maxTokens = 0;
  idle.promptLogprobs = true;
  std::vector<GenerationRequest> choices = {idle, idle};
  choices[1].sampling.seed = 12;
  std::vector<std::shared_ptr<RequestStream>> streams;
  std::string submitError;
  ASSERT_EQ(engine->submitAll(choices, streams, submitError),
            SubmitStatus::Ok)
      << submitError;
  for (const auto &stream : streams) {
    const GenerationEvent choice = drain(stream);
    EXPECT_TRUE(choice.tokens.empty());
    EXPECT_EQ(flatLogprobs(choice.promptLogprobs),
              flatLogprobs(got.promptLogprobs));
  }
  EXPECT_EQ(engine->metrics().logitsRowsCopied, copied)
      << "choices picking nothing copied their prompt's rows out";
  EXPECT_EQ(alone.finish, FinishReason::Length);
  EXPECT_TRUE(alone.tokens.empty());
  EXPECT_EQ(alone.completionTokens, 0u);
  ASSERT_EQ(alone.promptLogprobs.size(), prompt.size() - 1);
  for (size_t q = 0; q + 1 < prompt.size(); ++q)
    EXPECT_EQ(alone.promptLogprobs[q].picked.logprob,
              got.promptLogprobs[q].picked.logprob);
  // Without prompt logprobs, max_tokens 0 is refused.
  std::shared_ptr<RequestStream> none;
  std::string error, param;
  EXPECT_EQ(engine->submit(greedy(prompt, 0), none, error, &param),
            SubmitStatus::InvalidRequest);
  EXPECT_EQ(param, "max_tokens");
}

// Greedy decoding with biases and penalties takes the argmax of the
// adjusted row: each token checked against the toy reference adjusted by
// hand (vLLM's formulas, logits_processor.h).
TEST_F(EngineTest, BiasesAndPenaltiesSteerGreedyDecoding) {
  start({});
  GenerationRequest forced = greedy({1, 2}, 4);
  forced.adjustments.logitBias = {{11, 100.0f}};
  EXPECT_EQ(drain(submit(forced)).tokens, (std::vector<int32_t>{11, 11, 11, 11}));
  GenerationRequest penalized = greedy({3, 3, 4}, 8);
  penalized.adjustments.repetitionPenalty = 1.7f;
  penalized.adjustments.frequencyPenalty = 0.9f;
  penalized.adjustments.presencePenalty = 0.4f;
  const GenerationEvent got = drain(submit(penalized));
  ASSERT_EQ(got.tokens.size(), 8u);
  std::vector<int32_t> chain = {3, 3, 4};
  std::map<int32_t, int> counts;
  for (size_t i = 0; i < got.tokens.size(); ++i) {
    std::vector<float> row = toyReferenceLogits(chain).back();
    for (size_t id = 0; id < row.size(); ++id) {
      const bool inPrompt = id == 3 || id == 4;
      const int count = counts.count(int32_t(id)) ? counts[int32_t(id)] : 0;
      if (inPrompt || count)
        row[id] = row[id] > 0 ? row[id] / 1.7f : row[id] * 1.7f;
      row[id] -= 0.9f * float(count);
      row[id] -= count ? 0.4f : 0.0f;
    }
    const int32_t next = serving::argmax(row.data(), row.size());
    EXPECT_EQ(got.tokens[i], next) << "token " << i;
    ++counts[next];
    chain.push_back(next);
  }
  // The unpenalized chain differs (else the test shows nothing).
  EXPECT_NE(drain(submit(greedy({3, 3, 4}, 8))).tokens, got.tokens);
}

// Biases, penalties and min_tokens' banned stops are logit edits the
// session applies before it picks (nhc_step_options_t.logit_edits: no
// logits leave it): the same tokens and logprobs (of the unedited rows) as
// the engine's logits processor on rows copied out, greedy and sampled,
// alone and sharing steps.
TEST_F(EngineTest, EditedPicksAreTheSameWhoeverPicksThem) {
  start({});
  const std::vector<int32_t> prompt = {3, 3, 4, 9};
  std::vector<GenerationRequest> requests;
  // Each its own prompt (requests with one prompt share its prefill and
  // pick their first token from its copied row).
  auto add = [&](auto edit) {
    std::vector<int32_t> own = prompt;
    own.push_back(int32_t(requests.size() % kToyVocab));
    GenerationRequest r = greedy(own, 8);
    r.logprobs = 3;
    edit(r);
    requests.push_back(r);
    r.prompt.back() = int32_t(requests.size() % kToyVocab);
    r.sampling.temperature = 1.1f;
    r.sampling.seed = 60 + requests.size();
    requests.push_back(r);
  };
  add([](GenerationRequest &r) { r.adjustments.logitBias = {{11, 3.0f}, {2, -100.0f}}; });
  add([](GenerationRequest &r) { r.adjustments.repetitionPenalty = 1.7f; });
  add([](GenerationRequest &r) {
    r.adjustments.frequencyPenalty = 0.9f;
    r.adjustments.presencePenalty = -0.4f;
  });
  add([](GenerationRequest &r) {
    r.adjustments.repetitionPenalty = 0.8f;
    r.adjustments.frequencyPenalty = -1.5f;
    r.adjustments.logitBias = {{5, 2.5f}};
  });
  const GenerationEvent free = drain(submit(greedy(prompt, 8)));
  add([&](GenerationRequest &r) { // min_tokens: its stop ids banned
    r.stopTokenIds = {free.tokens[0], free.tokens[1]};
    r.minTokens = 5;
  });
  std::vector<GenerationEvent> alone;
  for (const GenerationRequest &r : requests) {
    const uint64_t copied = engine->metrics().logitsRowsCopied;
    alone.push_back(drain(submit(r)));
    EXPECT_EQ(engine->metrics().logitsRowsCopied, copied)
        << "an edited pick copied logits out";
    const GenerationEvent byRows = drain(submitToRows(r));
    ASSERT_EQ(alone.back().error, "");
    EXPECT_EQ(alone.back().tokens, byRows.tokens) << "request "
                                                  << alone.size() - 1;
    EXPECT_EQ(flatLogprobs(alone.back().logprobs),
              flatLogprobs(byRows.logprobs))
        << "request " << alone.size() - 1;
  }
  // The edits did something: the biased request's tokens are not its
  // prompt's unedited ones.
  EXPECT_NE(alone[0].tokens,
            drain(submit(greedy(requests[0].prompt, 8))).tokens);
  // Three at a time (the slots): each as alone, no rows copied.
  const uint64_t copied = engine->metrics().logitsRowsCopied;
  expectSlotsAtATimeAsAlone(requests, alone);
  EXPECT_EQ(engine->metrics().logitsRowsCopied, copied);
}

// min_tokens bans the stop ids (the server's and the request's) until that
// many tokens were generated; a request stop id then ends the request.
TEST_F(EngineTest, MinTokensBanStopIdsUntilReached) {
  start({});
  const GenerationEvent free = drain(submit(greedy({6, 1}, 6)));
  ASSERT_EQ(free.tokens.size(), 6u);
  GenerationRequest stopping = greedy({6, 1}, 6);
  stopping.stopTokenIds = {free.tokens[0]};
  const GenerationEvent early = drain(submit(stopping));
  EXPECT_EQ(early.finish, FinishReason::Stop);
  EXPECT_EQ(early.tokens, (std::vector<int32_t>{free.tokens[0]}));
  GenerationRequest held = stopping;
  held.minTokens = 3;
  held.stopIds = {free.tokens[1]};
  const GenerationEvent got = drain(submit(held));
  std::vector<int32_t> chain = {6, 1};
  for (size_t i = 0; i < got.tokens.size(); ++i) {
    std::vector<float> row = toyReferenceLogits(chain).back();
    if (i < 3)
      row[free.tokens[0]] = row[free.tokens[1]] = -INFINITY;
    const int32_t next = serving::argmax(row.data(), row.size());
    EXPECT_EQ(got.tokens[i], next) << "token " << i;
    chain.push_back(next);
  }
  ASSERT_GE(got.tokens.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NE(got.tokens[i], free.tokens[0]);
    EXPECT_NE(got.tokens[i], free.tokens[1]);
  }
  // After them a stop id ends it (and is its last token), else the length.
  auto isStop = [&](int32_t t) {
    return t == free.tokens[0] || t == free.tokens[1];
  };
  const auto stop =
      std::find_if(got.tokens.begin() + 3, got.tokens.end(), isStop);
  if (stop != got.tokens.end()) {
    EXPECT_EQ(stop + 1, got.tokens.end());
    EXPECT_EQ(got.finish, FinishReason::Stop);
  } else {
    EXPECT_EQ(got.tokens.size(), 6u);
    EXPECT_EQ(got.finish, FinishReason::Length);
  }
}

TEST_F(EngineTest, AllNanLogitsFailThatRequestOnly) {
  // Token 9's embedding is NaN: a request that reads it has no number to
  // pick and fails with a message; one batched with it goes on as alone.
  start({}, /*nanToken=*/9);
  std::shared_ptr<RequestStream> poisoned = submit(greedy({2, 9}, 3));
  std::shared_ptr<RequestStream> healthy = submit(greedy({1, 2, 3}, 3));
  GenerationEvent failed = drain(poisoned), fine = drain(healthy);
  EXPECT_EQ(failed.finish, FinishReason::Error);
  EXPECT_THAT(failed.error, HasSubstr("the logits hold NaN (the first at token id 0)"));
  EXPECT_TRUE(failed.tokens.empty());
  EXPECT_EQ(fine.finish, FinishReason::Length);
  std::vector<int32_t> chain = {1, 2, 3};
  ASSERT_EQ(fine.tokens.size(), 3u);
  for (size_t i = 0; i < fine.tokens.size(); ++i) {
    auto logits = toyReferenceLogits(chain).back();
    const int32_t next = serving::argmax(logits.data(), logits.size());
    EXPECT_EQ(fine.tokens[i], next) << "token " << i;
    chain.push_back(next);
  }
}

TEST_F(EngineTest, OneNanLogitFailsEveryRequestThatPicks) {
  // Row 5 of the LM head is NaN: token 5's logit is NaN after every token,
  // the rest are numbers. Greedy (the session's ids) and sampled (the
  // copied logits) requests alike fail naming token 5, rather than pick
  // around it; a prompt chunk that is not the prompt's last picks nothing.
  serving::EngineOptions chunked;
  chunked.stepTokenBudget = 3; // raised to 5: the 8-token prompt is chunked
  start(chunked, /*nanToken=*/-1, /*nanHeadRow=*/5);
  GenerationRequest sampled = greedy({4, 1, 7}, 3);
  sampled.sampling.temperature = 0.8f;
  sampled.sampling.seed = 3;
  // Its NaN id banned (min_tokens' stop id) and penalized: a ban keeps NaN,
  // so the edited row fails as the model's does.
  GenerationRequest banned = greedy({4, 1, 7}, 3);
  banned.stopTokenIds = {5};
  banned.minTokens = 2;
  banned.adjustments.repetitionPenalty = 1.2f;
  banned.logprobs = 2;
  for (const GenerationRequest &request :
       {greedy({2, 3, 1, 6, 0, 4, 4, 1}, 3), sampled, banned}) {
    GenerationEvent failed = drain(submit(request));
    EXPECT_EQ(failed.finish, FinishReason::Error);
    EXPECT_THAT(failed.error,
                HasSubstr("the logits hold NaN (the first at token id 5)"));
    EXPECT_TRUE(failed.tokens.empty());
  }
}

TEST_F(EngineTest, InvalidRequestsAreRefusedWithTheLimit) {
  start({});
  struct Case {
    GenerationRequest request;
    const char *needle, *param; // the OpenAI parameter named
  };
  GenerationRequest badTemperature = greedy({1}, 2);
  badTemperature.sampling.temperature = NAN;
  GenerationRequest badTopP = greedy({1}, 2);
  badTopP.sampling.topP = 0.0f;
  GenerationRequest stopText = greedy({1}, 2);
  stopText.stop = {"x"};
  GenerationRequest badMinP = greedy({1}, 2);
  badMinP.sampling.minP = 1.5f;
  GenerationRequest manyMin = greedy({1}, 2);
  manyMin.minTokens = 3;
  GenerationRequest manyLogprobs = greedy({1}, 2);
  manyLogprobs.logprobs = serving::kMaxTopLogprobs + 1;
  GenerationRequest badRepetition = greedy({1}, 2);
  badRepetition.adjustments.repetitionPenalty = 0.0f;
  GenerationRequest badFrequency = greedy({1}, 2);
  badFrequency.adjustments.frequencyPenalty = 2.5f;
  GenerationRequest badPresence = greedy({1}, 2);
  badPresence.adjustments.presencePenalty = NAN;
  GenerationRequest biasOutside = greedy({1}, 2);
  biasOutside.adjustments.logitBias = {{16, 1.0f}};
  GenerationRequest biasTooBig = greedy({1}, 2);
  biasTooBig.adjustments.logitBias = {{3, 101.0f}};
  GenerationRequest stopIdOutside = greedy({1}, 2);
  stopIdOutside.stopTokenIds = {2, 16};
  std::vector<Case> cases = {
      {greedy({}, 2), "empty", "prompt"},
      {greedy({1, 16}, 2), "(id 16) is outside the vocabulary [0, 16)",
       "prompt"},
      {greedy({1, -1}, 2), "(id -1)", "prompt"},
      {greedy(std::vector<int32_t>(13, 1), 1), "max_seq_len is 12", "prompt"},
      {greedy({1, 2}, 0), "max_tokens", "max_tokens"},
      {greedy({1, 2}, 12), "at most 11 tokens can follow", "max_tokens"},
      {badTemperature, "temperature", "temperature"},
      {badTopP, "top_p", "top_p"},
      {stopText, "tokenizer", "stop"},
      {badMinP, "min_p must be in [0, 1]", "min_p"},
      {manyMin, "min_tokens (3) must be at most max_tokens (2)", "min_tokens"},
      {manyLogprobs, "logprobs must be in [0, 20]", "logprobs"},
      {badRepetition, "repetition_penalty", "repetition_penalty"},
      {badFrequency, "frequency_penalty must be in [-2, 2]",
       "frequency_penalty"},
      {badPresence, "presence_penalty", "presence_penalty"},
      {biasOutside, "token id 16 is outside the vocabulary [0, 16)",
       "logit_bias"},
      {biasTooBig, "[-100, 100]", "logit_bias"},
      {stopIdOutside, "holds id 16, outside the vocabulary", "stop_token_ids"}};
  for (Case &c : cases) {
    std::shared_ptr<RequestStream> stream;
    std::string error, param = "unset";
    EXPECT_EQ(engine->submit(c.request, stream, error, &param),
              SubmitStatus::InvalidRequest)
        << c.needle;
    EXPECT_THAT(error, HasSubstr(c.needle));
    EXPECT_EQ(param, c.param) << c.needle;
    EXPECT_FALSE(stream);
  }
  // Without the out-parameter, the same refusal.
  std::shared_ptr<RequestStream> none;
  std::string error;
  EXPECT_EQ(engine->submit(greedy({}, 2), none, error),
            SubmitStatus::InvalidRequest);
  // The engine still serves.
  EXPECT_EQ(drain(submit(greedy({1}, 3))).tokens.size(), 3u);
}

/// Holds the engine's steps (a session progress callback waits) until
/// opened: the slots stay taken while a test looks.

// A response's choices are queued together: all or none, so a refused
// batch leaves nothing behind, and one larger than the slots and the queue
// together is a bad request, never a "retry later".
TEST_F(EngineTest, BatchesQueueWholeOrNotAtAll) {
  serving::EngineOptions options;
  options.maxQueue = 1;
  startGated(options);
  auto batch = [](size_t count) {
    std::vector<GenerationRequest> requests;
    for (size_t i = 0; i < count; ++i)
      requests.push_back(greedy({int32_t(i % 5), 1}, 3));
    return requests;
  };
  std::vector<std::shared_ptr<RequestStream>> streams;
  std::string error, param;
  size_t failed = 99;
  EXPECT_EQ(engine->submitAll(batch(5), streams, error, &param, &failed),
            SubmitStatus::InvalidRequest);
  EXPECT_EQ(param, "n");
  EXPECT_THAT(error, HasSubstr("more than this server holds (3 slots and a "
                               "queue of 1)"));
  EXPECT_TRUE(streams.empty());
  // One bad request refuses the batch, naming its index.
  std::vector<GenerationRequest> bad = batch(3);
  bad[1].prompt = {1, 99};
  EXPECT_EQ(engine->submitAll(std::move(bad), streams, error, &param, &failed),
            SubmitStatus::InvalidRequest);
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ(param, "prompt");
  // Four fit the idle engine (3 slots, 1 queued); held at their first
  // step, they keep every place, so a batch of two is refused whole, and a
  // single request too: nothing of either is queued.
  ASSERT_EQ(engine->submitAll(batch(4), streams, error), SubmitStatus::Ok)
      << error;
  ASSERT_EQ(streams.size(), 4u);
  std::vector<std::shared_ptr<RequestStream>> more;
  EXPECT_EQ(engine->submitAll(batch(2), more, error), SubmitStatus::QueueFull);
  EXPECT_THAT(error, HasSubstr("2 requests need as many places"));
  EXPECT_TRUE(more.empty());
  std::shared_ptr<RequestStream> single;
  EXPECT_EQ(engine->submit(greedy({1}, 2), single, error),
            SubmitStatus::QueueFull);
  EXPECT_LE(engine->metrics().queueDepth, 4u);
  gate.release();
  for (size_t i = 0; i < streams.size(); ++i)
    EXPECT_EQ(drain(streams[i]).tokens,
              drain(submit(greedy({int32_t(i % 5), 1}, 3))).tokens);
}

// Choices of one batch with the same prompt (a request's n) share its
// prefill: the first prefills it over several steps while the others wait,
// then they fork its state and pick their first tokens from its last row.
// Each still gets exactly what it gets alone (greedy, seeded sampling with
// logprobs, penalties; greedy ids when all are greedy; prompt logprobs),
// and the prompt is prefilled once. With fewer slots than choices, the
// ones admitted later prefill it themselves.
TEST_F(EngineTest, ChoicesWithOnePromptShareItsPrefill) {
  serving::EngineOptions chunked;
  chunked.stepTokenBudget = 3; // raised to 5: the prompt takes two steps
  start(chunked);
  const std::vector<int32_t> prompt = {2, 9, 4, 4, 13, 0, 7, 1, 3};
  GenerationRequest plain = greedy(prompt, 3);
  GenerationRequest sampled = plain;
  sampled.sampling.temperature = 1.3f;
  sampled.sampling.seed = 5;
  sampled.logprobs = 2;
  GenerationRequest penalized = plain;
  penalized.adjustments.repetitionPenalty = 1.5f;
  penalized.adjustments.presencePenalty = 0.5f;
  GenerationRequest echo = plain;
  echo.logprobs = 1;
  echo.promptLogprobs = true;
  GenerationRequest sampledEcho = echo;
  sampledEcho.sampling = sampled.sampling;
  // The rows each batch copies out of the session: one, the prompt's pick
  // row (nhc_session_last_logits_row), where a choice cannot take the
  // first one's pick; a step holding prompt logprobs too.
  const std::vector<std::vector<GenerationRequest>> batches = {
      {plain, sampled, penalized}, // the first greedy, the others need rows
      {plain, plain, plain},       // all greedy: the leader's id
      {sampled, plain, sampled},   // the same seed twice: the same tokens
      {echo, echo},                // prompt logprobs copied
      {plain, sampled, penalized, plain}, // the fourth waits for a slot
      {sampledEcho, sampledEcho},  // one row, not the step's every row
  };
  const std::vector<uint64_t> rowsCopied = {1, 0, 1, 0, 1, 1};
  for (size_t b = 0; b < batches.size(); ++b) {
    const std::vector<GenerationRequest> &choices = batches[b];
    std::vector<GenerationEvent> alone;
    for (const GenerationRequest &r : choices)
      alone.push_back(drain(submit(r)));
    const serving::EngineMetrics before = engine->metrics();
    std::vector<std::shared_ptr<RequestStream>> streams;
    std::string error;
    ASSERT_EQ(engine->submitAll(choices, streams, error), SubmitStatus::Ok)
        << error;
    for (size_t i = 0; i < choices.size(); ++i) {
      const GenerationEvent got = drain(streams[i]);
      EXPECT_EQ(got.finish, FinishReason::Length) << b << "." << i;
      EXPECT_EQ(got.tokens, alone[i].tokens) << "batch " << b << ", choice " << i;
      EXPECT_EQ(flatLogprobs(got.logprobs), flatLogprobs(alone[i].logprobs))
          << "batch " << b << ", choice " << i;
      EXPECT_EQ(flatLogprobs(got.promptLogprobs),
                flatLogprobs(alone[i].promptLogprobs))
          << "batch " << b << ", choice " << i;
      if (choices[i].promptLogprobs)
        EXPECT_EQ(got.promptLogprobs.size(), prompt.size() - 1);
    }
    const serving::EngineMetrics after = engine->metrics();
    // Three slots: the first prefills, two fork, a fourth prefills again.
    const uint64_t forks = std::min<size_t>(choices.size(), kSlots) - 1;
    EXPECT_EQ(after.promptTokensShared - before.promptTokensShared,
              forks * prompt.size())
        << "batch " << b;
    EXPECT_EQ(after.promptTokens - before.promptTokens,
              (choices.size() - forks) * prompt.size())
        << "batch " << b;
    EXPECT_EQ(after.logitsRowsCopied - before.logitsRowsCopied, rowsCopied[b])
        << "batch " << b;
  }
}

// The request that prefills a shared prompt ends before it is done (its
// client left): the others prefill the prompt themselves and still get
// what they get alone.
TEST_F(EngineTest, ChoicesPrefillThemselvesWhenTheFirstEnds) {
  serving::EngineOptions chunked;
  chunked.stepTokenBudget = 3; // raised to 5: the prompt takes two steps
  startGated(chunked);
  const std::vector<int32_t> prompt = {2, 9, 4, 4, 13, 0, 7, 1, 3};
  GenerationRequest sampled = greedy(prompt, 3);
  sampled.sampling.temperature = 1.3f;
  sampled.sampling.seed = 5;
  std::vector<std::shared_ptr<RequestStream>> streams;
  std::string error;
  ASSERT_EQ(engine->submitAll({greedy(prompt, 3), sampled, greedy(prompt, 3)},
                              streams, error),
            SubmitStatus::Ok)
      << error;
  // Its first chunk is held in the step; it leaves meanwhile.
  streams[0]->cancel();
  gate.release();
  EXPECT_EQ(drain(streams[0]).finish, FinishReason::Cancelled);
  const GenerationEvent second = drain(streams[1]);
  const GenerationEvent third = drain(streams[2]);
  EXPECT_EQ(second.tokens, drain(submit(sampled)).tokens);
  EXPECT_EQ(third.tokens, drain(submit(greedy(prompt, 3))).tokens);
  EXPECT_EQ(engine->metrics().promptTokensShared, 0u);
}

// A sampled request's tokens are its sampler's picks whoever picks them:
// the session (nhc_step_options_t.sampling: no logits leave it) or the
// engine from the logits (rowsEngine), alone and sharing steps with
// greedy and other sampled requests.
TEST_F(EngineTest, SampledTokensAreTheSameWhoeverPicksThem) {
  start({});
  const std::vector<int32_t> prompt = {2, 9, 4};
  std::vector<GenerationRequest> rules;
  for (auto [t, k, p, minP] : std::vector<std::tuple<float, uint64_t, float, float>>{
           {1.3f, 0, 1.0f, 0.0f}, {0.7f, 0, 0.9f, 0.0f}, {2.0f, 5, 1.0f, 0.05f},
           {1.0f, 0, 0.5f, 0.1f}}) {
    GenerationRequest r = greedy(prompt, 8);
    r.sampling.temperature = t;
    r.sampling.topK = k;
    r.sampling.topP = p;
    r.sampling.minP = minP;
    r.sampling.seed = 7 + rules.size();
    rules.push_back(r);
  }
  for (const GenerationRequest &r : rules) {
    const GenerationEvent bySession = drain(submit(r));
    const GenerationEvent byEngine = drain(submitToRows(r));
    ASSERT_EQ(bySession.error, "");
    EXPECT_EQ(bySession.tokens.size(), 8u);
    EXPECT_EQ(bySession.tokens, byEngine.tokens)
        << "T " << r.sampling.temperature << " top_p " << r.sampling.topP;
  }
  // All four at once, with a greedy one: each as alone.
  std::vector<GenerationRequest> together = rules;
  together.push_back(greedy(prompt, 8));
  std::vector<std::shared_ptr<RequestStream>> streams;
  std::string error;
  ASSERT_EQ(engine->submitAll(together, streams, error), SubmitStatus::Ok)
      << error;
  for (size_t i = 0; i < together.size(); ++i)
    EXPECT_EQ(drain(streams[i]).tokens, drain(submit(together[i])).tokens)
        << "request " << i;
}

// A request's logprobs are the same whoever computes them: the session
// (nhc_step_options_t.logprobs: no logits leave it) or the engine from the
// logits (rowsEngine); greedy and sampled, alone and sharing steps with
// requests asking for other counts of alternatives or none, and choices
// of one prompt (they fork its state and take its row's).
TEST_F(EngineTest, LogprobsAreTheSameWhoeverComputesThem) {
  start({});
  const std::vector<int32_t> prompt = {2, 9, 4};
  std::vector<GenerationRequest> requests;
  for (int64_t alternatives : {0, 3, 20, -1}) {
    GenerationRequest r = greedy(prompt, 6);
    r.logprobs = alternatives;
    requests.push_back(r);
    r.sampling.temperature = 0.9f;
    r.sampling.seed = 40 + requests.size();
    requests.push_back(r);
  }
  std::vector<GenerationEvent> alone;
  for (const GenerationRequest &r : requests) {
    const uint64_t copied = engine->metrics().logitsRowsCopied;
    alone.push_back(drain(submit(r)));
    EXPECT_EQ(engine->metrics().logitsRowsCopied, copied)
        << "logits copied out for logprobs " << r.logprobs;
    const uint64_t rowsCopied = rowsEngine().metrics().logitsRowsCopied;
    const GenerationEvent byEngine = drain(submitToRows(r));
    EXPECT_GT(rowsEngine().metrics().logitsRowsCopied, rowsCopied)
        << "picksFromRows did not copy the rows out";
    ASSERT_EQ(alone.back().error, "");
    EXPECT_EQ(alone.back().tokens, byEngine.tokens);
    EXPECT_EQ(flatLogprobs(alone.back().logprobs),
              flatLogprobs(byEngine.logprobs))
        << "logprobs " << r.logprobs << ", T " << r.sampling.temperature;
    EXPECT_EQ(alone.back().logprobs.size(),
              r.logprobs >= 0 ? alone.back().tokens.size() : 0u);
    for (const serving::PickLogprobs &p : alone.back().logprobs)
      EXPECT_EQ(p.top.size(), std::min<size_t>(r.logprobs, kToyVocab));
  }
  // Three at a time (the slots), then greedy choices of one prompt.
  expectSlotsAtATimeAsAlone(requests, alone);
  std::vector<GenerationRequest> choices = {requests[0], requests[2],
                                            requests[4]};
  std::vector<std::shared_ptr<RequestStream>> streams;
  std::string error;
  ASSERT_EQ(engine->submitAll(choices, streams, error), SubmitStatus::Ok)
      << error;
  for (size_t i = 0; i < choices.size(); ++i) {
    const GenerationEvent got = drain(streams[i]);
    EXPECT_EQ(got.tokens, alone[2 * i].tokens) << "choice " << i;
    EXPECT_EQ(flatLogprobs(got.logprobs), flatLogprobs(alone[2 * i].logprobs))
        << "choice " << i;
  }
}

// A choice admitted after the first one's prompt is done prefills the
// prompt at once, not after the first one ends (it waited until 2026-12-06:
// the share stayed open when no other choice held a slot at the hand-over).
// Three slots: A, B and the first choice L start; F waits for A's slot.
TEST_F(EngineTest, ChoicesAdmittedAfterThePromptPrefillItAtOnce) {
  StepPermits permits;
  startGated({}, &StepPermits::report, &permits);
  struct Release {
    StepPermits &permits;
    ~Release() { permits.release(); }
  } release{permits};
  const std::vector<int32_t> prompt = {5, 6};
  std::vector<std::shared_ptr<RequestStream>> streams;
  std::string error;
  ASSERT_EQ(engine->submitAll({greedy({1}, 2), greedy({2}, 11),
                               greedy(prompt, 11), greedy(prompt, 11)},
                              streams, error),
            SubmitStatus::Ok)
      << error;
  permits.run(0); // the first step waits
  permits.run(1); // A, B and L prefill; L's prompt is done
  permits.run(1); // A's second token ends it; F takes its slot
  EXPECT_EQ(engine->metrics().promptTokens, 4u);
  permits.run(1); // F prefills the prompt
  EXPECT_EQ(engine->metrics().promptTokens, 6u);
  EXPECT_EQ(engine->metrics().promptTokensShared, 0u);
  permits.release();
  const GenerationEvent first = drain(streams[2]);
  EXPECT_EQ(drain(streams[3]).tokens, first.tokens);
  EXPECT_EQ(first.tokens, drain(submit(greedy(prompt, 11))).tokens);
}

TEST_F(EngineTest, CancelFreesTheSlotAndAFullQueueRefuses) {
  serving::EngineOptions options;
  options.maxQueue = 1;
  start(options);
  // Cancel before the first step or during decoding: either way it ends
  // Cancelled and its slot comes back.
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (uint32_t i = 0; i < kSlots + 1; ++i)
    streams.push_back(submit(greedy({1, 2}, 11)));
  // Three running, one waiting, the queue (1) full: the next is refused.
  std::shared_ptr<RequestStream> refused;
  std::string error;
  SubmitStatus status = engine->submit(greedy({1}, 2), refused, error);
  // Requests about to take a free slot do not count as waiting, whether or
  // not the engine has admitted them yet.
  if (status == SubmitStatus::QueueFull)
    EXPECT_THAT(error, HasSubstr("slots are busy and 1 requests wait for one "
                                 "(the queue holds 1)"));
  for (auto &stream : streams)
    stream->cancel();
  for (auto &stream : streams) {
    GenerationEvent end = drain(stream);
    EXPECT_TRUE(end.finish == FinishReason::Cancelled ||
                end.finish == FinishReason::Length);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (engine->metrics().running != 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(engine->metrics().running, 0u);
  // Every slot is free again: three full-length requests run at once.
  std::vector<std::shared_ptr<RequestStream>> again;
  for (uint32_t i = 0; i < kSlots; ++i)
    again.push_back(submit(greedy({3}, 12)));
  for (auto &stream : again)
    EXPECT_EQ(drain(stream).tokens.size(), 12u);
}

TEST_F(EngineTest, StopFinishesEverythingAndRefusesNewRequests) {
  start({});
  auto stream = submit(greedy({1}, 12));
  engine->stop();
  GenerationEvent end = drain(stream);
  EXPECT_TRUE(end.done);
  std::shared_ptr<RequestStream> late;
  std::string error;
  EXPECT_EQ(engine->submit(greedy({1}, 2), late, error),
            SubmitStatus::ShuttingDown);
}

} // namespace
} // namespace nhc::test
