//===- logprobs.cpp - Log probabilities of picked tokens ------------------===//

#include "nhc/serving/logprobs.h"

#include <stdexcept>
#include <string>

namespace nhc::serving {

PickLogprobs pickLogprobs(const float *logits, size_t vocab, int32_t picked,
                          size_t topN) {
  nhc_token_logprob_t entries[1 + kMaxTopLogprobs];
  if (nhc_logprobs_logits(logits, vocab, picked, uint32_t(topN), entries) !=
      NHC_OK)
    throw std::runtime_error(std::string("logprobs: ") + nhc_last_error());
  return pickLogprobsOfEntries(entries, topN);
}

PickLogprobs pickLogprobsOfEntries(const nhc_token_logprob_t *entries,
                                   size_t topN) {
  PickLogprobs out;
  out.picked = {entries[0].id, entries[0].logprob};
  out.top.reserve(topN);
  for (size_t e = 1; e <= topN && entries[e].id >= 0; ++e)
    out.top.push_back({entries[e].id, entries[e].logprob});
  return out;
}

} // namespace nhc::serving
