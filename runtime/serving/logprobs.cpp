//===- logprobs.cpp - Log probabilities of picked tokens ------------------===//

#include "nhc/serving/logprobs.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nhc::serving {

PickLogprobs pickLogprobs(const float *logits, size_t vocab, int32_t picked,
                          size_t topN) {
  topN = std::min(topN, vocab);
  float top = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < vocab; ++i)
    top = std::max(top, logits[i]);
  // log_softmax(l) = l - top - log(sum exp(l - top)); a row of only -inf
  // (or a +inf logit) has no finite normalizer: every id gets -inf, or the
  // +inf ones share the mass (log(1/count)) as the softmax's limit does.
  double logSum;
  size_t infinite = 0;
  if (std::isinf(top) && top > 0) {
    for (size_t i = 0; i < vocab; ++i)
      infinite += logits[i] == top;
    logSum = std::log(double(infinite));
  } else if (std::isinf(top)) {
    logSum = 0.0;
  } else {
    double sum = 0.0;
    for (size_t i = 0; i < vocab; ++i)
      sum += std::exp(double(logits[i]) - double(top));
    logSum = std::log(sum);
  }
  auto logprob = [&](size_t i) -> float {
    if (infinite)
      return logits[i] == top ? float(-logSum)
                              : -std::numeric_limits<float>::infinity();
    if (std::isinf(top))
      return -std::numeric_limits<float>::infinity();
    return float(double(logits[i]) - double(top) - logSum);
  };
  PickLogprobs out;
  out.picked = {picked, picked >= 0 && size_t(picked) < vocab
                            ? logprob(size_t(picked))
                            : -std::numeric_limits<float>::infinity()};
  if (topN == 0)
    return out;
  // The topN highest by (logit desc, id asc): a sorted window, each id
  // compared with its last entry (most rows end after a few inserts).
  auto before = [&](size_t a, size_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  std::vector<size_t> best;
  best.reserve(topN + 1);
  for (size_t i = 0; i < vocab; ++i) {
    if (best.size() == topN && !before(i, best.back()))
      continue;
    best.insert(std::upper_bound(best.begin(), best.end(), i, before), i);
    if (best.size() > topN)
      best.pop_back();
  }
  out.top.reserve(best.size());
  for (size_t i : best)
    out.top.push_back({int32_t(i), logprob(i)});
  return out;
}

} // namespace nhc::serving
