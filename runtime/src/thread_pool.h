//===- thread_pool.h - Parallel loops for the host library ops -*- C++ -*-===//
//
// One process-wide pool of NHC_NUM_THREADS threads (default: the hardware
// threads) for all of the host's parallel work: the generated kernels'
// slices, the 16-bit GEMM kernels, and oneDNN's gemms, which run one
// single-threaded call per part of a GEMM (gemm.cpp, onednn_team.h), so no
// second pool competes for the cores (a library's own idle threads spin
// between calls). A loop started
// while another is running (a second session on another thread) runs on its
// caller's thread alone.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_THREAD_POOL_H
#define NHC_RUNTIME_SRC_THREAD_POOL_H

#include <cstddef>
#include <functional>

namespace nhc::runtime {

/// Threads parallelFor uses (NHC_NUM_THREADS, else hardware threads; >= 1).
size_t hostThreads();

/// Throws NHC_INVALID_ARGUMENT naming NHC_NUM_THREADS when it is set, not
/// empty, and not a count from 1 to 1024 (hostThreads() would use the
/// hardware threads). Starts the pool: NHC_RESOURCE_EXHAUSTED naming
/// NHC_NUM_THREADS when the system cannot start that many threads (a
/// thread limit, address space for their stacks); unset, the pool runs on
/// the threads it could start.
void checkThreadEnvironment();

/// Calls body(begin, end) over disjoint ranges covering [0, count), split
/// into at most hostThreads() (or the threads the pool could start)
/// contiguous parts of at least `grain` items;
/// returns when all are done. `body` must not throw.
void parallelFor(size_t count, size_t grain,
                 const std::function<void(size_t, size_t)> &body);

/// As parallelFor, with the index of the part (< hostThreads(), distinct
/// for parts that run at the same time) first: body(part, begin, end), for
/// bodies that use per-thread scratch. A loop started inside a part runs
/// serially on that thread as the same part; one started while the pool
/// serves another thread's loop runs serially as part 0 (each session owns
/// its scratch, so two sessions never share a part's).
void parallelForParts(
    size_t count, size_t grain,
    const std::function<void(size_t, size_t, size_t)> &body);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_THREAD_POOL_H
