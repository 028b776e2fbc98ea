//===- sampling.h - Picking tokens from logits on the host ----*- C++ -*-===//
//
// nhc/runtime/sampling.h's rule for the runtime's own callers: the host
// backend's sampled ids and nhc_sample_logits.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_SAMPLING_H
#define NHC_RUNTIME_SRC_SAMPLING_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "nhc/runtime/sampling.h"

namespace nhc::runtime {

/// Why `sampling` is invalid (nhc_sampling_check's message, naming the
/// field and value), or empty.
std::string samplingProblem(const nhc_sampling_t &sampling);

/// The greedy id of `n` >= 1 logits: the index of the largest, the first
/// of equal ones (the serving sampler's argmax, nhc/serving/sampler.h); or,
/// when the values hold NaN (weights or inputs holding NaN: no token to
/// pick), -1 - the index of the first NaN. The kernel library's
/// nhc_argmax_rows computes the same.
inline int32_t greedyId(const float *values, uint64_t n) {
  uint64_t best = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (values[i] != values[i])
      return -1 - static_cast<int32_t>(i);
    if (values[i] > values[best])
      best = i;
  }
  return static_cast<int32_t>(best);
}

/// Whether `sampling` picks the argmax (temperature 0 or top_k 1).
inline bool samplingIsGreedy(const nhc_sampling_t &sampling) {
  return !(sampling.temperature > 0.0f) || sampling.top_k == 1;
}

/// nhc_sample_logits' token for valid `sampling` and `vocab` >= 1 logits
/// (-1 - the first NaN's index for a row holding NaN). Reuses scratch of
/// the calling thread.
int32_t sampleLogits(const float *logits, size_t vocab,
                     const nhc_sampling_t &sampling);

/// `sampling` as the kernel library's nhc_sample_rows reads a row's rule:
/// nhc::format::kernel::kSampleParams doubles in SampleParam order (a
/// greedy rule's temperature 0, a min_p of 0 as ln 0 = -inf).
void sampleRuleParams(const nhc_sampling_t &sampling, double *out);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_SAMPLING_H
