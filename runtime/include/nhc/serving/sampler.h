//===- nhc/serving/sampler.h - Token sampling from logits ----*- C++ -*-===//
//
// Picks the next token from one row of logits by the runtime's rule
// (nhc/runtime/sampling.h: greedy, or temperature with min-p, top-k and
// top-p truncation). Penalties and biases come before, in
// nhc/serving/logits_processor.h. Each sampler owns its random stream (one
// draw per sampled token), so a request's tokens depend only on its own
// seed, not on what else shares the batch, nor on whether the host or the
// device picks them.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVING_SAMPLER_H
#define NHC_SERVING_SAMPLER_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nhc/runtime/sampling.h"

namespace nhc::serving {

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

struct SamplingParams {
  float temperature = 0.0f; ///< 0 = greedy (argmax)
  uint64_t topK = 0;        ///< keep the k most likely; 0 = all
  float topP = 1.0f;        ///< keep the smallest set with mass >= p; 1 = all
  /// Keep the tokens whose probability (after temperature) is at least
  /// min_p times the most likely one's; 0 = all. In [0, 1].
  float minP = 0.0f;
  uint64_t seed = 0;
};

class Sampler {
public:
  /// `params` must be valid: temperature >= 0, 0 < topP <= 1,
  /// 0 <= minP <= 1 (checked by the callers that read them from users:
  /// nhc-run, the OpenAI API).
  explicit Sampler(const SamplingParams &params);
  /// Picks a token id from one row of `vocab` f32 logits by the runtime's
  /// rule (nhc_sample_logits, nhc/runtime/sampling.h) with the next draw
  /// of this sampler's stream: greedy, or the candidates in order of logit
  /// (ties by lower id), softmax of logit / temperature in double, min-p,
  /// top-k, the shortest prefix reaching top_p, the draw walked down that
  /// order. NaN logits: greedy never picks them (a row of only NaN gives
  /// vocab - 1); sampling gives -1 - the first NaN's index. Callers refuse
  /// rows holding NaN first (firstNan).
  int32_t sample(const float *logits, size_t vocab);
  /// The rule sample() would apply to the next row, its draw taken from
  /// the stream as sample() takes it (none when greedy): for a step that
  /// samples on the device (nhc_step_options_t.sampling), after which the
  /// stream is where sample() would have left it.
  nhc_sampling_t nextRule();
  /// Whether sample() is argmax (temperature 0 or top_k 1): the session's
  /// greedy ids (nhc_step_options_t.greedy_ids, the same rule) then stand
  /// in for the logits, and an id below 0 there is a row holding NaN.
  bool greedy() const;

private:
  SamplingParams params_;
  Xoshiro256 rng_;
};

/// Index of the largest logit (the first on ties; NaN never wins).
int32_t argmax(const float *logits, size_t vocab);

/// The index of the first NaN of `vocab` logits, or -1 when there is none.
/// Logits holding NaN come from weights or inputs holding NaN (a NaN row of
/// the LM head gives one NaN logit, a NaN before it every one): callers
/// refuse to pick a token from them (nanLogitsMessage) rather than pick
/// around them, as torch.multinomial refuses them in transformers.
int64_t firstNan(const float *logits, size_t vocab);

/// firstNan's answer from a greedy id (nhc_step_options_t.greedy_ids):
/// -1 - the id for one below 0 (a row holding NaN), -1 otherwise.
inline int64_t firstNanOfGreedyId(int32_t id) {
  return id < 0 ? -1 - int64_t(id) : -1;
}

/// The error for logits whose first NaN is token id `firstNanId` (firstNan,
/// firstNanOfGreedyId).
std::string nanLogitsMessage(int64_t firstNanId);

} // namespace nhc::serving

#endif // NHC_SERVING_SAMPLER_H
