//===- sampler.cpp - Greedy, temperature, top-k and top-p sampling --------===//

#include "nhc/serving/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

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

nhc_sampling_t Sampler::nextRule() {
  nhc_sampling_t rule{};
  rule.temperature = params_.temperature;
  rule.top_p = params_.topP;
  rule.min_p = params_.minP;
  // Past the vocabulary top-k keeps everything: any count that large does.
  rule.top_k = static_cast<uint32_t>(
      std::min<uint64_t>(params_.topK, std::numeric_limits<uint32_t>::max()));
  if (!greedy())
    rule.uniform = rng_.uniform();
  return rule;
}

int32_t Sampler::sample(const float *logits, size_t vocab) {
  if (greedy())
    return argmax(logits, vocab);
  nhc_sampling_t rule = nextRule();
  int32_t token = 0;
  if (nhc_sample_logits(logits, vocab, &rule, &token) != NHC_OK)
    throw std::invalid_argument(nhc_last_error());
  return token;
}

} // namespace nhc::serving
