//===- nhc/serving/logprobs.h - Log probabilities of picked tokens -*- C++ -*-===//
//
// OpenAI's `logprobs`: for each generated token its log probability and the
// most likely alternatives at that step. As vLLM's default
// (`logprobs_mode` "raw_logprobs"), they are the model's own distribution:
// log_softmax of the step's logits before biases, penalties, temperature
// and truncation.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVING_LOGPROBS_H
#define NHC_SERVING_LOGPROBS_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nhc/runtime/logprobs.h"

namespace nhc::serving {

/// Alternatives a request may ask for per token (OpenAI's top_logprobs and
/// vLLM's max_logprobs: 20).
inline constexpr int64_t kMaxTopLogprobs = NHC_MAX_TOP_LOGPROBS;

struct TokenLogprob {
  int32_t id = 0;
  float logprob = 0.0f; ///< natural log; -inf for a -inf logit
};

/// One generated token's entry.
struct PickLogprobs {
  TokenLogprob picked;
  std::vector<TokenLogprob> top; ///< most likely first, ties by lower id
};

/// The runtime's logprobs (nhc_logprobs_logits) of `vocab` >= 1 f32
/// logits (no NaN: callers refuse such rows first, sampler.h firstNan):
/// `picked`'s entry (-inf for an id outside [0, vocab)) and the `topN`
/// (at most kMaxTopLogprobs; fewer when vocab is smaller) most likely ids.
PickLogprobs pickLogprobs(const float *logits, size_t vocab, int32_t picked,
                          size_t topN);

/// The same from a row's 1 + n >= 1 + topN entries in nhc_logprobs_logits'
/// layout (a session's nhc_step_options_t.logprobs): the first topN
/// alternatives that name a token.
PickLogprobs pickLogprobsOfEntries(const nhc_token_logprob_t *entries,
                                   size_t topN);

} // namespace nhc::serving

#endif // NHC_SERVING_LOGPROBS_H
