//===- random_weights.h - Seeded random checkpoints for nhc-bench -*- C++ -*-===//
//
// Writes a safetensors file holding every weight an artifact's manifest
// names, with seeded random values of sane magnitude (norm weights 1, A_log
// = log(1..16), dt_bias = -2, matrices N(0, 0.02); FP8 matrices as e4m3
// with fixed positive scales), so real shapes run without a download.
// Values matter only in that they stay finite. Chunks of 2^20 elements are
// generated in parallel, each from its own stream of (seed, tensor, chunk),
// so the file does not depend on the thread count.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_BENCH_RANDOM_WEIGHTS_H
#define NHC_BENCH_RANDOM_WEIGHTS_H

#include <cstdint>
#include <string>

#include "nhc/runtime/api.h"

namespace nhc::bench {

/// Writes `path`; weights of a float dtype are stored as `storage`
/// (NHC_DTYPE_INVALID: as the manifest says). Returns the bytes of tensor
/// data written, or throws std::runtime_error naming the problem.
uint64_t writeRandomCheckpoint(const nhc_manifest_t *manifest,
                               const std::string &path, uint64_t seed,
                               nhc_dtype_t storage);

} // namespace nhc::bench

#endif // NHC_BENCH_RANDOM_WEIGHTS_H
