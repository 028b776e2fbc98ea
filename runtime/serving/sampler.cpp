//===- sampler.cpp - Greedy, temperature, top-k and top-p sampling --------===//

#include "nhc/serving/sampler.h"

#include <algorithm>
#include <cmath>

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
  candidates_.clear();
  for (size_t i = 0; i < vocab; ++i)
    if (!std::isnan(logits[i]))
      candidates_.emplace_back(logits[i], static_cast<int32_t>(i));
  if (candidates_.empty())
    return 0;
  // Highest logits first; ties by lower id, so the order is deterministic.
  auto higher = [](const auto &a, const auto &b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  size_t k = params_.topK == 0
                 ? candidates_.size()
                 : std::min<size_t>(params_.topK, candidates_.size());
  if (params_.topP < 1.0f && k == candidates_.size()) {
    std::sort(candidates_.begin(), candidates_.end(), higher);
  } else {
    std::partial_sort(candidates_.begin(), candidates_.begin() + k,
                      candidates_.end(), higher);
    candidates_.resize(k);
  }
  // Softmax of logits / T over the kept candidates, in double.
  double top = candidates_[0].first, total = 0.0;
  if (std::isinf(top) && top < 0) // every logit -inf: nothing to weigh
    return candidates_[0].second;
  weights_.assign(k, 0.0);
  for (size_t i = 0; i < k; ++i)
    total += weights_[i] = std::exp((candidates_[i].first - top) /
                                    static_cast<double>(params_.temperature));
  // Top-p: the shortest prefix whose probability reaches p (at least one).
  if (params_.topP < 1.0f) {
    double mass = 0.0, limit = params_.topP * total;
    size_t kept = 0;
    while (kept < k) {
      mass += weights_[kept++];
      if (mass >= limit)
        break;
    }
    k = kept;
    total = mass;
  }
  double target = rng_.uniform() * total;
  for (size_t i = 0; i < k; ++i) {
    target -= weights_[i];
    if (target < 0.0)
      return candidates_[i].second;
  }
  return candidates_[k - 1].second;
}

} // namespace nhc::serving
