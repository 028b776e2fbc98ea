//===- parallel_for.cpp - A step's per-row work on threads ----------------===//

#include "nhc/serving/parallel_for.h"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace nhc::serving {

void forEachInParallel(size_t count, const std::function<void(size_t)> &fn) {
  // Filled before any thread starts, so a worker never allocates and an
  // exception never leaves its thread (which would terminate the process).
  std::vector<std::exception_ptr> failures(count);
  auto runRange = [&fn, &failures](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      try {
        fn(i);
      } catch (...) {
        failures[i] = std::current_exception();
      }
    }
  };
  const size_t threads = std::min<size_t>(
      std::max(1u, std::thread::hardware_concurrency()),
      count / kItemsPerThread);
  std::vector<std::thread> workers;
  size_t next = 0; // items [0, next) belong to started workers
  if (threads > 1) {
    const size_t per = (count + threads - 1) / threads;
    workers.reserve(threads);
    for (size_t from = 0; from + per < count; from += per) {
      try {
        workers.emplace_back(runRange, from, from + per);
      } catch (...) {
        // No more threads (system_error) or no memory for one (bad_alloc):
        // this thread runs the rest.
        break;
      }
      next = from + per;
    }
  }
  runRange(next, count);
  for (std::thread &worker : workers)
    worker.join();
  for (const std::exception_ptr &failure : failures)
    if (failure)
      std::rethrow_exception(failure);
}

} // namespace nhc::serving
