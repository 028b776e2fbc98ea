//===- sampler.h - Greedy and temperature/top-k sampling ----*- C++ -*-===//
#ifndef NHC_RUN_SAMPLER_H
#define NHC_RUN_SAMPLER_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nhc::run {

/// xoshiro256** (Blackman & Vigna), seeded through splitmix64: small,
/// fast, and the same sequence on every platform for a given seed.
class Xoshiro256 {
public:
  explicit Xoshiro256(uint64_t seed);
  uint64_t next();
  /// Uniform in [0, 1), 53 bits.
  double uniform();

private:
  uint64_t s_[4];
};

class Sampler {
public:
  /// temperature 0 = greedy; topK 0 = the whole vocabulary.
  Sampler(float temperature, uint64_t topK, uint64_t seed);
  /// Picks a token id from one row of `vocab` logits.
  int32_t sample(const float *logits, size_t vocab);

private:
  float temperature_;
  uint64_t topK_;
  Xoshiro256 rng_;
  std::vector<std::pair<float, int32_t>> candidates_;
};

/// Index of the largest logit (the first on ties; NaN never wins).
int32_t argmax(const float *logits, size_t vocab);

} // namespace nhc::run

#endif // NHC_RUN_SAMPLER_H
