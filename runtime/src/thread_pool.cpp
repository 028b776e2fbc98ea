//===- thread_pool.cpp - Parallel loops for the host library ops ----------===//

#include "thread_pool.h"

#include "error.h"
#include "nhc/runtime/escape.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nhc::runtime {
namespace {

/// Polls `ready` for about 50 us (measured, not counted: a pause instruction
/// costs 10 to 140 cycles depending on the CPU): a decode step starts ~100
/// parallel loops, and a futex wake-up per loop costs more than the loop
/// itself. Returns whether `ready` held.
template <typename Ready> bool spinUntil(Ready ready) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point end = Clock::now() + std::chrono::microseconds(50);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready())
        return true;
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }
    if (Clock::now() >= end)
      return ready();
  }
}

/// The part this thread runs inside a parallel loop, or -1 outside one: a
/// loop started from inside a part runs serially as that part (never on
/// the busy pool, never as another part's scratch owner).
thread_local long currentPart = -1;

/// Runs `fn` as part `part` of the loop on this thread.
template <typename Fn> void asPart(size_t part, Fn &&fn) {
  long outer = currentPart;
  currentPart = static_cast<long>(part);
  fn();
  currentPart = outer;
}

class Pool {
public:
  /// Starts threads - 1 workers, or as many as the system allows (a
  /// process or cgroup thread limit, address space for their stacks): the
  /// pool then runs loops on fewer parts, and startError() says why.
  /// (Letting the exception out would destroy the condition variables with
  /// the started workers waiting on them, which never returns.)
  explicit Pool(size_t threads) {
    workers_.reserve(threads);
    for (size_t i = 1; i < threads; ++i) {
      try {
        workers_.emplace_back([this, i] { work(i); });
      } catch (const std::exception &e) {
        startError_ = e.what();
        break;
      }
    }
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    wake_.notify_all();
    for (std::thread &t : workers_)
      t.join();
  }
  size_t size() const { return workers_.size() + 1; }
  const std::string &startError() const { return startError_; }

  /// Runs part(i) for i in [0, parts) with part 0 on the caller.
  void run(size_t parts, const std::function<void(size_t)> &part) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      part_ = &part;
      parts_ = parts;
      pending_.store(parts - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    asPart(0, [&] { part(0); });
    auto finished = [&] {
      return pending_.load(std::memory_order_acquire) == 0;
    };
    std::unique_lock<std::mutex> lock = waitUntil(done_, finished);
    part_ = nullptr;
  }

  std::mutex busy; ///< one loop at a time

private:
  /// Returns holding mutex_ once `ready` holds: spinning first, then
  /// blocking on `cv`.
  template <typename Ready>
  std::unique_lock<std::mutex> waitUntil(std::condition_variable &cv,
                                         Ready ready) {
    bool spun = spinUntil(ready);
    std::unique_lock<std::mutex> lock(mutex_);
    if (!spun)
      cv.wait(lock, ready);
    return lock;
  }

  void work(size_t index) {
    uint64_t seen = 0;
    for (;;) {
      auto woken = [&] {
        return quit_.load(std::memory_order_acquire) ||
               generation_.load(std::memory_order_acquire) != seen;
      };
      const std::function<void(size_t)> *part = nullptr;
      {
        std::unique_lock<std::mutex> lock = waitUntil(wake_, woken);
        if (quit_)
          return;
        seen = generation_.load(std::memory_order_relaxed);
        if (index >= parts_)
          continue;
        part = part_;
      }
      asPart(index, [&] { (*part)(index); });
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // The caller may be blocked in done_.wait: notify under the lock so
        // the wake-up cannot fall between its check and its wait.
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::string startError_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t)> *part_ = nullptr;
  size_t parts_ = 0;
  std::atomic<size_t> pending_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> quit_{false};
};

Pool &pool() {
  static Pool instance(hostThreads());
  return instance;
}

} // namespace

namespace {
constexpr unsigned long kMaxHostThreads = 1024;

/// NHC_NUM_THREADS's count; 0 when it is unset, empty or not a count from
/// 1 to kMaxHostThreads.
size_t threadsFromEnvironment() {
  const char *env = std::getenv("NHC_NUM_THREADS");
  if (!env || *env < '0' || *env > '9')
    return 0;
  char *end = nullptr;
  unsigned long n = std::strtoul(env, &end, 10);
  return *end == '\0' && n >= 1 && n <= kMaxHostThreads ? n : 0;
}
} // namespace

void checkThreadEnvironment() {
  const char *env = std::getenv("NHC_NUM_THREADS");
  NHC_CHECK(!env || !*env || threadsFromEnvironment() != 0,
            NHC_INVALID_ARGUMENT,
            cat("NHC_NUM_THREADS=", quoteForMessage(env ? env : "", '\''),
                " is not a thread count from 1 to ", kMaxHostThreads,
                " (unset: one per hardware thread)"));
  // The pool starts here, where an error reaches the caller: a count asked
  // for that the system cannot start is refused; without one the pool
  // runs on the threads it could start.
  const Pool &started = pool();
  NHC_CHECK(threadsFromEnvironment() == 0 || started.size() == hostThreads(),
            NHC_RESOURCE_EXHAUSTED,
            cat("NHC_NUM_THREADS=", hostThreads(), ": only ", started.size(),
                " threads could be started (", started.startError(),
                "); ask for fewer"));
}

size_t hostThreads() {
  static const size_t threads = [] {
    if (size_t n = threadsFromEnvironment())
      return n;
    return static_cast<size_t>(
        std::max(1u, std::thread::hardware_concurrency()));
  }();
  return threads;
}

void parallelForParts(
    size_t count, size_t grain,
    const std::function<void(size_t, size_t, size_t)> &body) {
  if (count == 0)
    return;
  if (currentPart >= 0) {
    body(static_cast<size_t>(currentPart), 0, count); // nested: serial
    return;
  }
  grain = std::max<size_t>(grain, 1);
  Pool &p = pool();
  size_t parts = std::min(p.size(), (count + grain - 1) / grain);
  std::unique_lock<std::mutex> busy(p.busy, std::try_to_lock);
  if (parts <= 1 || !busy.owns_lock()) {
    body(0, 0, count);
    return;
  }
  size_t per = (count + parts - 1) / parts;
  p.run(parts, [&](size_t i) {
    size_t begin = i * per, end = std::min(count, begin + per);
    if (begin < end)
      body(i, begin, end);
  });
}

void parallelFor(size_t count, size_t grain,
                 const std::function<void(size_t, size_t)> &body) {
  parallelForParts(count, grain, [&](size_t, size_t begin, size_t end) {
    body(begin, end);
  });
}

} // namespace nhc::runtime
