//===- machine_limits.cpp - What this machine can do at most ---------------===//

#include "machine_limits.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include <cblas.h>

// As in the runtime (runtime/src/gemm.cpp): OpenBLAS runs single-threaded
// calls, one per thread, so the peak is measured the way the host backend
// multiplies. Weak so that another CBLAS links too.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace nhc::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  return "unknown";
}

/// Reads `words` 64-bit words; the sum keeps the loads from being elided.
uint64_t sumWords(const uint64_t *data, size_t words) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 4 <= words; i += 4) {
    a += data[i];
    b += data[i + 1];
    c += data[i + 2];
    d += data[i + 3];
  }
  for (; i < words; ++i)
    a += data[i];
  return a + b + c + d;
}

} // namespace

MachineLimits measureMachine(uint64_t bufferBytes, uint64_t gemmN) {
  MachineLimits limits;
  limits.cpu = cpuModel();
  limits.threads = std::max(1u, std::thread::hardware_concurrency());
  limits.bandwidthBufferBytes = bufferBytes;
  limits.gemmN = gemmN;

  size_t words = bufferBytes / 8;
  std::vector<uint64_t> buffer(words, 1); // touched: pages are resident
  volatile uint64_t sink = 0;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<std::thread> workers;
    std::vector<uint64_t> sums(limits.threads);
    size_t share = words / limits.threads;
    Clock::time_point start = Clock::now();
    for (unsigned t = 0; t < limits.threads; ++t)
      workers.emplace_back([&, t] {
        sums[t] = sumWords(buffer.data() + t * share, share);
      });
    for (std::thread &w : workers)
      w.join();
    double s = seconds(start);
    for (uint64_t v : sums)
      sink = sink + v;
    best = std::max(best, double(share) * limits.threads * 8 / s);
  }
  limits.dramBytesPerS = best;

  // Every thread its own n x n x n sgemm at once: the rate of all cores.
  if (openblas_set_num_threads)
    openblas_set_num_threads(1);
  int n = static_cast<int>(gemmN);
  std::vector<float> a(gemmN * gemmN, 0.5f), b(gemmN * gemmN, 0.25f);
  std::vector<std::vector<float>> c(limits.threads,
                                    std::vector<float>(gemmN * gemmN));
  best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<std::thread> workers;
    Clock::time_point start = Clock::now();
    for (unsigned t = 0; t < limits.threads; ++t)
      workers.emplace_back([&, t] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f,
                    a.data(), n, b.data(), n, 0.0f, c[t].data(), n);
      });
    for (std::thread &w : workers)
      w.join();
    best = std::max(best, 2.0 * double(n) * n * n * limits.threads /
                              seconds(start));
  }
  limits.gemmFlopsPerS = best;
  return limits;
}

} // namespace nhc::bench
