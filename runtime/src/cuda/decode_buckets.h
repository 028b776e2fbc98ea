//===- decode_buckets.h - Batch-size buckets of recorded decode steps -*- C++ -*-===//
//
// A decode step of `requests` requests runs padded to its bucket, whose
// recording (a CUDA graph) serves every request count of the bucket
// (docs/runtime.md, "CUDA graphs").
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CUDA_DECODE_BUCKETS_H
#define NHC_RUNTIME_SRC_CUDA_DECODE_BUCKETS_H

#include <algorithm>
#include <cstdint>

namespace nhc::runtime::cuda {

/// The bucket of a decode step of `requests` requests in a pool of
/// `maxSlots` slots: 1, 2, 4, 8, then multiples of 8 up to 256, then of 64
/// (as CUDA-graph batch sizes are commonly chosen), never past `maxSlots`
/// and never below `requests` (0 stays 0).
inline uint64_t decodeBucket(uint64_t requests, uint64_t maxSlots) {
  if (requests == 0)
    return 0;
  uint64_t bucket = 1;
  while (bucket < requests && bucket < 8)
    bucket *= 2;
  if (bucket < requests) {
    const uint64_t step = requests <= 256 ? 8 : 64;
    bucket = (requests + step - 1) / step * step;
  }
  return std::max(requests, std::min(bucket, maxSlots));
}

} // namespace nhc::runtime::cuda

#endif // NHC_RUNTIME_SRC_CUDA_DECODE_BUCKETS_H
