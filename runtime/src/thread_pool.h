//===- thread_pool.h - Parallel loops for the host library ops -*- C++ -*-===//
//
// One process-wide pool of NHC_NUM_THREADS threads (default: the hardware
// threads) for the runtime's own parallel loops (the 16-bit GEMM kernels).
// BLAS calls run between these loops, never during them, so the two pools
// do not oversubscribe the cores. A loop started while another is running
// (a second session on another thread) runs on its caller's thread alone.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_THREAD_POOL_H
#define NHC_RUNTIME_SRC_THREAD_POOL_H

#include <cstddef>
#include <functional>

namespace nhc::runtime {

/// Threads parallelFor uses (NHC_NUM_THREADS, else hardware threads; >= 1).
size_t hostThreads();

/// Calls body(begin, end) over disjoint ranges covering [0, count), split
/// into at most hostThreads() contiguous parts of at least `grain` items;
/// returns when all are done. `body` must not throw.
void parallelFor(size_t count, size_t grain,
                 const std::function<void(size_t, size_t)> &body);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_THREAD_POOL_H
