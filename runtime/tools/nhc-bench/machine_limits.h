//===- machine_limits.h - What this machine can do at most ---*- C++ -*-===//
//
// The physical limits nhc-bench reports throughput against, measured rather
// than looked up: DRAM read bandwidth (every thread summing its share of a
// buffer far larger than the caches, as four prefetched streams) and the
// rate of the host backend's f32 gemm (runtime/src/f32_gemm.h: every thread
// a single-threaded square gemm at once, as the host backend splits its
// GEMMs), and on request the bf16 rate of oneDNN
// (the same way; runtime/src/bf16_gemm.h). Bandwidth best of five, the
// GEMM peaks best of ten.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_BENCH_MACHINE_LIMITS_H
#define NHC_BENCH_MACHINE_LIMITS_H

#include <cstdint>
#include <string>

namespace nhc::bench {

struct MachineLimits {
  std::string cpu;           // /proc/cpuinfo "model name"
  unsigned threads = 0;      // hardware threads used by both tests
  double dramBytesPerS = 0;  // read bandwidth
  double gemmFlopsPerS = 0;  // f32 sgemm, n x n x n on every thread, summed
  uint64_t bandwidthBufferBytes = 0;
  uint64_t gemmN = 0;
};

/// oneDNN's bf16 matmul (bf16 inputs, f32 sums), n x n x n on each of
/// `threads` threads at once, summed. Measured only when a session runs
/// NHC_GEMM_PRECISION_BF16, i.e. the runtime found bf16 instructions.
double measureBf16GemmPeak(uint64_t n, unsigned threads);

/// `bufferBytes` for the bandwidth test (use >= 8x the last-level cache),
/// `gemmN` for the GEMM.
MachineLimits measureMachine(uint64_t bufferBytes, uint64_t gemmN);

} // namespace nhc::bench

#endif // NHC_BENCH_MACHINE_LIMITS_H
