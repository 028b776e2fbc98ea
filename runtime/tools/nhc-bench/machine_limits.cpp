//===- machine_limits.cpp - What this machine can do at most ---------------===//

#include "machine_limits.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include <dnnl.hpp>

// The runtime's own f32 gemm, one single-threaded call per thread, so the
// peak is measured the way the host backend multiplies.
#include "f32_gemm.h"
#include "onednn_team.h"

namespace nhc::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A GEMM peak is the best of this many runs: a run is ~20 ms, and on a
// shared VM single runs read up to a third low.
constexpr int kGemmReps = 10;
// The bandwidth is the best of this many reads of the whole buffer.
constexpr int kBandwidthReps = 5;

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

/// How many interleaved streams a thread reads its share as, and how far
/// ahead (in 64-bit words: 2 KiB) each stream prefetches. One plain stream per thread
/// read 10-30 % below what the decode GEMV (which prefetches) then streamed
/// on a Zen 5 VM, so decode rows came out above 100 % of "the limit".
constexpr size_t kProbeStreams = 4;
constexpr size_t kProbePrefetchWords = 256;

/// Reads `words` 64-bit words as kProbeStreams interleaved streams with
/// software prefetch; the sum keeps the loads from being elided.
uint64_t sumWords(const uint64_t *data, size_t words) {
  const size_t part = words / kProbeStreams;
  uint64_t acc[kProbeStreams][4] = {};
  for (size_t i = 0; i + 8 <= part; i += 8)
    for (size_t s = 0; s < kProbeStreams; ++s) {
      const uint64_t *p = data + s * part + i;
      __builtin_prefetch(p + kProbePrefetchWords, /*rw=*/0, /*locality=*/0);
      acc[s][0] += p[0] ^ p[4];
      acc[s][1] += p[1] ^ p[5];
      acc[s][2] += p[2] ^ p[6];
      acc[s][3] += p[3] ^ p[7];
    }
  uint64_t total = 0;
  for (size_t s = 0; s < kProbeStreams; ++s)
    for (uint64_t v : acc[s])
      total += v;
  // The words past the last whole group of 8 in each part, and past the
  // parts.
  for (size_t s = 0; s < kProbeStreams; ++s)
    for (size_t i = part / 8 * 8; i < part; ++i)
      total += data[s * part + i];
  for (size_t i = part * kProbeStreams; i < words; ++i)
    total += data[i];
  return total;
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
  for (int rep = 0; rep < kBandwidthReps; ++rep) {
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
  const uint64_t n = gemmN;
  std::vector<float> a(gemmN * gemmN, 0.5f), b(gemmN * gemmN, 0.25f);
  std::vector<std::vector<float>> c(limits.threads,
                                    std::vector<float>(gemmN * gemmN));
  best = 0;
  for (int rep = 0; rep < kGemmReps; ++rep) {
    std::vector<std::thread> workers;
    Clock::time_point start = Clock::now();
    for (unsigned t = 0; t < limits.threads; ++t)
      workers.emplace_back([&, t] {
        nhc::runtime::f32GemmNT(n, n, n, a.data(), n, b.data(), n, 0.0f,
                                c[t].data(), n);
      });
    for (std::thread &w : workers)
      w.join();
    best = std::max(best, 2.0 * double(n) * double(n) * double(n) *
                              limits.threads /
                              seconds(start));
  }
  limits.gemmFlopsPerS = best;
  return limits;
}

double measureBf16GemmPeak(uint64_t n, unsigned threads) {
  using dnnl::memory;
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  const auto N = static_cast<memory::dim>(n);
  // A [n, n] row-major times W stored [n, n] row-major and read transposed,
  // as the host backend's weights are.
  memory::desc ad({N, N}, memory::data_type::bf16, memory::dims{N, 1});
  memory::desc wd({N, N}, memory::data_type::bf16, memory::dims{1, N});
  memory::desc cd({N, N}, memory::data_type::f32, memory::dims{N, 1});
  dnnl::primitive_attr attr; // per-thread scratchpads, as the runtime
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(ad, wd, cd), attr,
                                  engine);
  dnnl::matmul matmul(pd);
  std::vector<uint16_t> a(n * n, 0x3f00), w(n * n, 0x3e80); // 0.5, 0.25
  std::vector<std::vector<float>> c(threads, std::vector<float>(n * n));
  std::vector<std::vector<uint8_t>> scratchpads(
      threads, std::vector<uint8_t>(pd.scratchpad_desc().get_size()));
  double best = 0;
  for (int rep = 0; rep <= kGemmReps; ++rep) { // the first warms the JIT up
    std::vector<std::thread> workers;
    Clock::time_point start = Clock::now();
    for (unsigned t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        nhc::runtime::OneThreadTeam oneThread;
        dnnl::stream stream(engine);
        memory am(ad, engine, a.data()), wm(wd, engine, w.data()),
            cm(cd, engine, c[t].data()),
            sm(pd.scratchpad_desc(), engine, scratchpads[t].data());
        matmul.execute(stream, {{DNNL_ARG_SRC, am},
                                {DNNL_ARG_WEIGHTS, wm},
                                {DNNL_ARG_DST, cm},
                                {DNNL_ARG_SCRATCHPAD, sm}});
        stream.wait();
      });
    for (std::thread &worker : workers)
      worker.join();
    if (rep > 0)
      best = std::max(best, 2.0 * double(n) * n * n * threads /
                                seconds(start));
  }
  return best;
}

} // namespace nhc::bench
