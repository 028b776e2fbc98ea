//===- sampler.cpp - Greedy, temperature, top-k and top-p sampling --------===//

#include "nhc/serving/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nhc::serving {
namespace {

uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

} // namespace

Xoshiro256::Xoshiro256(uint64_t seed) {
  for (uint64_t &word : s_)
    word = splitmix64(seed);
}

uint64_t Xoshiro256::next() {
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Xoshiro256::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

int32_t argmax(const float *logits, size_t vocab) {
  size_t best = 0;
  for (size_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best] || std::isnan(logits[best]))
      best = i;
  return static_cast<int32_t>(best);
}

int64_t firstNan(const float *logits, size_t vocab) {
  for (size_t i = 0; i < vocab; ++i)
    if (std::isnan(logits[i]))
      return static_cast<int64_t>(i);
  return -1;
}

std::string nanLogitsMessage(int64_t firstNanId) {
  return "the logits hold NaN (the first at token id " +
         std::to_string(firstNanId) +
         "): the model's weights or inputs hold NaN (that row of the LM "
         "head, or an earlier weight or input when every logit is NaN): no "
         "token to pick";
}

Sampler::Sampler(const SamplingParams &params)
    : params_(params), rng_(params.seed) {}

bool Sampler::greedy() const {
  return params_.temperature <= 0.0f || params_.topK == 1;
}

int32_t Sampler::sample(const float *logits, size_t vocab) {
  if (greedy())
    return argmax(logits, vocab);
  const double temperature = static_cast<double>(params_.temperature);
  // Min-p: a weight exp((l - top) / T) below min_p is a logit below
  // top + T log(min_p). Without min-p the floor is -inf: every non-NaN
  // logit stays, -inf ones included.
  double floor = -std::numeric_limits<double>::infinity();
  if (params_.minP > 0.0f) {
    float top = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < vocab; ++i)
      if (logits[i] > top) // NaN never is
        top = logits[i];
    if (std::isfinite(top))
      floor = double(top) + temperature * std::log(double(params_.minP));
    else if (top > 0) // +inf logits: the rest have no weight
      floor = top;
  }
  auto kept = [&](float logit) {
    return !std::isnan(logit) && double(logit) >= floor;
  };
  candidates_.clear();
  for (size_t i = 0; i < vocab; ++i)
    if (kept(logits[i]))
      candidates_.emplace_back(logits[i], static_cast<int32_t>(i));
  if (candidates_.empty())
    return 0;
  // Highest logits first; ties by lower id: a total order, so the order is
  // deterministic whatever the algorithm that finds it.
  auto higher = [](const auto &a, const auto &b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  const size_t all = candidates_.size();
  const size_t k = params_.topK == 0
                       ? all
                       : std::min<size_t>(params_.topK, all);
  // candidates_[0, sorted) are the `sorted` highest, in order. The walks
  // below sort further only as far as they reach, so a temperature over a
  // 131072-token vocabulary sorts the few hundred candidates that hold the
  // probability mass, not all of them (timings in docs/serving.md).
  size_t sorted = 0;
  auto sortTo = [&](size_t want) {
    want = std::min(want, k);
    if (want <= sorted)
      return;
    std::partial_sort(candidates_.begin() + sorted,
                      candidates_.begin() + want, candidates_.end(), higher);
    sorted = want;
  };
  if (k < all)
    sortTo(k); // top-k: the k highest, in order (as partial_sort did)
  sortTo(1);
  const double top = candidates_[0].first;
  if (std::isinf(top) && top < 0) // every logit -inf: nothing to weigh
    return candidates_[0].second;
  if (std::isinf(top)) {
    // +inf logits: the softmax's limit gives each of them an equal share
    // and the rest nothing (exp(inf - inf) would be NaN).
    size_t infinite = 0;
    for (size_t i = 0; i < vocab; ++i)
      infinite += logits[i] == logits[i] && logits[i] == top;
    infinite = std::min(infinite, k);
    sortTo(infinite); // the +inf candidates, by id
    size_t shared = infinite;
    if (params_.topP < 1.0f) {
      const double limit = double(params_.topP) * double(infinite);
      shared = 1;
      while (shared < infinite && double(shared) < limit)
        ++shared;
    }
    const size_t pick = static_cast<size_t>(rng_.uniform() * double(shared));
    return candidates_[std::min(pick, shared - 1)].second;
  }
  // Softmax of logits / T over the kept candidates, in double.
  auto weight = [&](size_t i) {
    return std::exp((candidates_[i].first - top) / temperature);
  };
  // weights_[i]: candidate i's weight, for the sorted prefix walked so far.
  weights_.clear();
  auto weightAt = [&](size_t i) {
    if (i == sorted)
      sortTo(std::max<size_t>(2 * sorted, 256));
    if (i == weights_.size())
      weights_.push_back(weight(i));
    return weights_[i];
  };
  // The sum over every kept candidate: in order when top-k sorted them,
  // else over the row in id order (NaN skipped), without sorting.
  double total = 0.0;
  if (k < all) {
    for (size_t i = 0; i < k; ++i)
      total += weight(i);
  } else {
    for (size_t i = 0; i < vocab; ++i)
      if (kept(logits[i]))
        total += std::exp((logits[i] - top) / temperature);
  }
  size_t nucleus = k;
  // Top-p: the shortest prefix whose probability reaches p (at least one).
  if (params_.topP < 1.0f) {
    double mass = 0.0, limit = params_.topP * total;
    nucleus = 0;
    while (nucleus < k) {
      mass += weightAt(nucleus++);
      if (mass >= limit)
        break;
    }
    total = mass;
  }
  double target = rng_.uniform() * total;
  for (size_t i = 0; i < nucleus; ++i) {
    target -= weightAt(i);
    if (target < 0.0)
      return candidates_[i].second;
  }
  // Rounding left a sliver of the draw: the last candidate with weight
  // (one whose weight underflowed to 0 has no chance to be picked).
  size_t last = nucleus;
  while (last > 1 && weightAt(last - 1) == 0.0)
    --last;
  return candidates_[last - 1].second;
}

} // namespace nhc::serving
