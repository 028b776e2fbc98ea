//===- nhc/serving/parallel_for.h - A step's per-row work on threads -*- C++ -*-===//
//
// Runs independent per-item work (sampling one request's row of logits) on
// a few short-lived threads. A sampled token of a 131072-entry row costs
// about 1.7 ms on one core (docs/serving.md), so 64 sampled requests would
// hold a GPU's steps for about 0.1 s on one thread.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVING_PARALLEL_FOR_H
#define NHC_SERVING_PARALLEL_FOR_H

#include <cstddef>
#include <functional>

namespace nhc::serving {

/// At least this many items per thread before forEachInParallel starts one.
inline constexpr size_t kItemsPerThread = 4;

/// fn(0) .. fn(count - 1), each once, split over up to
/// hardware_concurrency threads with at least kItemsPerThread items each;
/// on the caller's thread alone when fewer, or when no thread can be
/// started (the caller's thread then runs what no thread took). Each call
/// must touch only its own item's state. Returns when every call has
/// returned or thrown; an item that throws does not stop the others, and
/// the exception of the lowest such item is then rethrown.
void forEachInParallel(size_t count, const std::function<void(size_t)> &fn);

} // namespace nhc::serving

#endif // NHC_SERVING_PARALLEL_FOR_H
