//===- logprobs.cpp - log_softmax at a token and the most likely ones ----===//

#include "logprobs.h"

#include "error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nhc::runtime {

void tokenLogprobs(const float *logits, size_t vocab, int32_t picked,
                   uint32_t topN, nhc_token_logprob_t *out) {
  constexpr float kNinf = -std::numeric_limits<float>::infinity();
  float top = kNinf;
  size_t firstNan = vocab;
  for (size_t i = 0; i < vocab; ++i) {
    if (std::isnan(logits[i]) && firstNan == vocab)
      firstNan = i;
    top = std::max(top, logits[i]); // NaN never wins
  }
  if (firstNan < vocab) { // no distribution; the NaN's index as greedyId's
    out[0] = {picked, std::numeric_limits<float>::quiet_NaN()};
    for (uint32_t e = 1; e <= topN; ++e)
      out[e] = {e == 1 ? -1 - int32_t(firstNan) : -1,
                std::numeric_limits<float>::quiet_NaN()};
    return;
  }
  // log_softmax(l) = l - top - log(sum exp(l - top)); a row of only -inf
  // (or a +inf logit) has no finite normalizer: every id gets -inf, or the
  // +inf ones share the mass (log(1/count)) as the softmax's limit does.
  double logSum = 0.0;
  size_t infinite = 0;
  if (std::isinf(top) && top > 0) {
    for (size_t i = 0; i < vocab; ++i)
      infinite += logits[i] == top;
    logSum = std::log(double(infinite));
  } else if (!std::isinf(top)) {
    double sum = 0.0;
    for (size_t i = 0; i < vocab; ++i)
      sum += std::exp(double(logits[i]) - double(top));
    logSum = std::log(sum);
  }
  auto logprob = [&](size_t i) -> float {
    if (infinite)
      return logits[i] == top ? float(-logSum) : kNinf;
    if (std::isinf(top))
      return kNinf;
    return float(double(logits[i]) - double(top) - logSum);
  };
  out[0] = {picked, picked >= 0 && size_t(picked) < vocab
                        ? logprob(size_t(picked))
                        : kNinf};
  if (topN == 0)
    return;
  // The topN highest by (logit desc, id asc): a sorted window, each id
  // compared with its last entry (most rows end after a few inserts).
  auto before = [&](size_t a, size_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  size_t best[NHC_MAX_TOP_LOGPROBS + 1];
  size_t kept = 0;
  for (size_t i = 0; i < vocab; ++i) {
    if (kept == topN && !before(i, best[kept - 1]))
      continue;
    size_t *at = std::upper_bound(best, best + kept, i, before);
    std::copy_backward(at, best + kept, best + kept + 1);
    *at = i;
    kept = std::min<size_t>(kept + 1, topN);
  }
  for (uint32_t e = 0; e < topN; ++e)
    out[1 + e] = e < kept ? nhc_token_logprob_t{int32_t(best[e]),
                                                logprob(best[e])}
                          : nhc_token_logprob_t{-1, kNinf};
}

} // namespace nhc::runtime

using namespace nhc::runtime;

nhc_status_t nhc_logprobs_logits(const float *logits, size_t vocab,
                                 int32_t picked, uint32_t top_n,
                                 nhc_token_logprob_t *out) {
  return guard("nhc_logprobs_logits", [&] {
    NHC_CHECK_ARG(logits, "nhc_logprobs_logits");
    NHC_CHECK_ARG(out, "nhc_logprobs_logits");
    NHC_CHECK(vocab >= 1, NHC_INVALID_ARGUMENT,
              "nhc_logprobs_logits: vocab is 0 (no logits)");
    NHC_CHECK(top_n <= NHC_MAX_TOP_LOGPROBS, NHC_INVALID_ARGUMENT,
              cat("nhc_logprobs_logits: top_n is ", top_n, "; at most ",
                  NHC_MAX_TOP_LOGPROBS, " alternatives"));
    tokenLogprobs(logits, vocab, picked, top_n, out);
  });
}
