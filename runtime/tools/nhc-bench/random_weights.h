//===- random_weights.h - Seeded random checkpoints for nhc-bench -*- C++ -*-===//
//
// --write-weights: the tensors of nhc_weights_synthetic() (weights.h) for an
// artifact's manifest written as a safetensors file, for nhc-run, nhc-serve
// and transformers. Every element is a function of (seed, weight, index),
// generated on the runtime's threads, so the file does not depend on the
// thread count. (--random-weights needs no file: the session binds the
// synthetic handle itself, and a cuda session generates the matrices on the
// device.)
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
