//===- sampling.cpp - Greedy, temperature, min-p, top-k and top-p ---------===//

#include "sampling.h"

#include "error.h"
#include "nhc/format/library_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace nhc::runtime {
namespace {

/// The calling thread's scratch: candidates (logit, id) and the weights of
/// the sorted prefix walked so far.
struct Scratch {
  std::vector<std::pair<float, int32_t>> candidates;
  std::vector<double> weights;
};

} // namespace

std::string samplingProblem(const nhc_sampling_t &s) {
  if (!(s.temperature >= 0.0f) || std::isinf(s.temperature))
    return cat("temperature must be a finite number >= 0, got ",
               s.temperature);
  if (samplingIsGreedy(s))
    return {}; // the other fields are unused
  if (!(s.top_p > 0.0f && s.top_p <= 1.0f))
    return cat("top_p must be in (0, 1], got ", s.top_p);
  if (!(s.min_p >= 0.0f && s.min_p <= 1.0f))
    return cat("min_p must be in [0, 1], got ", s.min_p);
  if (!(s.uniform >= 0.0 && s.uniform < 1.0))
    return cat("uniform (the draw) must be in [0, 1), got ", s.uniform);
  return {};
}

int32_t sampleLogits(const float *logits, size_t vocab,
                     const nhc_sampling_t &params) {
  if (samplingIsGreedy(params))
    return greedyId(logits, vocab);
  thread_local Scratch scratch;
  auto &candidates = scratch.candidates;
  auto &weights = scratch.weights;
  const double temperature = static_cast<double>(params.temperature);
  // Min-p: a weight exp((l - top) / T) below min_p is a logit below
  // top + T log(min_p). Without min-p the floor is -inf: every non-NaN
  // logit stays, -inf ones included.
  double floor = -std::numeric_limits<double>::infinity();
  if (params.min_p > 0.0f) {
    float top = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < vocab; ++i)
      if (logits[i] > top) // NaN never is
        top = logits[i];
    if (std::isfinite(top))
      floor = double(top) + temperature * std::log(double(params.min_p));
    else if (top > 0) // +inf logits: the rest have no weight
      floor = top;
  }
  candidates.clear();
  for (size_t i = 0; i < vocab; ++i) {
    if (std::isnan(logits[i]))
      return -1 - static_cast<int32_t>(i);
    if (double(logits[i]) >= floor)
      candidates.emplace_back(logits[i], static_cast<int32_t>(i));
  }
  // Highest logits first; ties by lower id: a total order, so the order is
  // deterministic whatever the algorithm that finds it.
  auto higher = [](const auto &a, const auto &b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  const size_t all = candidates.size(); // >= 1: the top is kept
  const size_t k = params.top_k == 0 ? all : std::min<size_t>(params.top_k, all);
  // candidates[0, sorted) are the `sorted` highest, in order. The walks
  // below sort further only as far as they reach, so a temperature over a
  // 131072-token vocabulary sorts the few hundred candidates that hold the
  // probability mass, not all of them (timings in docs/serving.md).
  size_t sorted = 0;
  auto sortTo = [&](size_t want) {
    want = std::min(want, k);
    if (want <= sorted)
      return;
    std::partial_sort(candidates.begin() + sorted, candidates.begin() + want,
                      candidates.end(), higher);
    sorted = want;
  };
  if (k < all)
    sortTo(k); // top-k: the k highest, in order (as partial_sort did)
  sortTo(1);
  const double top = candidates[0].first;
  if (std::isinf(top) && top < 0) // every logit -inf: nothing to weigh
    return candidates[0].second;
  if (std::isinf(top)) {
    // +inf logits: the softmax's limit gives each of them an equal share
    // and the rest nothing (exp(inf - inf) would be NaN).
    size_t infinite = 0;
    for (size_t i = 0; i < vocab; ++i)
      infinite += logits[i] == top;
    infinite = std::min(infinite, k);
    sortTo(infinite); // the +inf candidates, by id
    size_t shared = infinite;
    if (params.top_p < 1.0f) {
      const double limit = double(params.top_p) * double(infinite);
      shared = 1;
      while (shared < infinite && double(shared) < limit)
        ++shared;
    }
    const size_t pick = static_cast<size_t>(params.uniform * double(shared));
    return candidates[std::min(pick, shared - 1)].second;
  }
  // Softmax of logits / T over the kept candidates, in double.
  auto weight = [&](size_t i) {
    return std::exp((candidates[i].first - top) / temperature);
  };
  // weights[i]: candidate i's weight, for the sorted prefix walked so far.
  weights.clear();
  auto weightAt = [&](size_t i) {
    if (i == sorted)
      sortTo(std::max<size_t>(2 * sorted, 256));
    if (i == weights.size())
      weights.push_back(weight(i));
    return weights[i];
  };
  // The sum over every kept candidate: in order when top-k sorted them,
  // else over the row in id order, without sorting.
  double total = 0.0;
  if (k < all) {
    for (size_t i = 0; i < k; ++i)
      total += weight(i);
  } else {
    for (size_t i = 0; i < vocab; ++i)
      if (double(logits[i]) >= floor)
        total += std::exp((logits[i] - top) / temperature);
  }
  size_t nucleus = k;
  // Top-p: the shortest prefix whose probability reaches p (at least one).
  if (params.top_p < 1.0f) {
    double mass = 0.0, limit = params.top_p * total;
    nucleus = 0;
    while (nucleus < k) {
      mass += weightAt(nucleus++);
      if (mass >= limit)
        break;
    }
    total = mass;
  }
  double target = params.uniform * total;
  for (size_t i = 0; i < nucleus; ++i) {
    target -= weightAt(i);
    if (target < 0.0)
      return candidates[i].second;
  }
  // Rounding left a sliver of the draw: the last candidate with weight
  // (one whose weight underflowed to 0 has no chance to be picked).
  size_t last = nucleus;
  while (last > 1 && weightAt(last - 1) == 0.0)
    --last;
  return candidates[last - 1].second;
}

void sampleRuleParams(const nhc_sampling_t &s, double *out) {
  namespace lib = format::kernel;
  out[lib::kSampleTemperature] =
      samplingIsGreedy(s) ? 0.0 : double(s.temperature);
  out[lib::kSampleTopK] = double(s.top_k);
  out[lib::kSampleTopP] = double(s.top_p);
  out[lib::kSampleLogMinP] = s.min_p > 0.0f
                                 ? std::log(double(s.min_p))
                                 : -std::numeric_limits<double>::infinity();
  out[lib::kSampleUniform] = s.uniform;
}

} // namespace nhc::runtime

using namespace nhc::runtime;

nhc_status_t nhc_sampling_check(const nhc_sampling_t *sampling) {
  return guard("nhc_sampling_check", [&] {
    NHC_CHECK_ARG(sampling, "nhc_sampling_check");
    std::string problem = samplingProblem(*sampling);
    NHC_CHECK(problem.empty(), NHC_INVALID_ARGUMENT,
              cat("nhc_sampling_check: ", problem));
  });
}

nhc_status_t nhc_sample_logits(const float *logits, size_t vocab,
                               const nhc_sampling_t *sampling,
                               int32_t *out_token) {
  return guard("nhc_sample_logits", [&] {
    NHC_CHECK_ARG(logits, "nhc_sample_logits");
    NHC_CHECK_ARG(sampling, "nhc_sample_logits");
    NHC_CHECK_ARG(out_token, "nhc_sample_logits");
    NHC_CHECK(vocab >= 1, NHC_INVALID_ARGUMENT,
              "nhc_sample_logits: vocab is 0 (no logits to pick from)");
    std::string problem = samplingProblem(*sampling);
    NHC_CHECK(problem.empty(), NHC_INVALID_ARGUMENT,
              cat("nhc_sample_logits: ", problem));
    *out_token = sampleLogits(logits, vocab, *sampling);
  });
}
