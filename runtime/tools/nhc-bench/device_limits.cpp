//===- device_limits.cpp - What the CUDA device can do at most ------------===//

#include "device_limits.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "cuda/blaslt_gemm.h"
#include "cuda/cublaslt_api.h"
#include "cuda/device.h"
#include "cuda/device_memory.h"
#include "cuda/driver_api.h"
#include "error.h"

namespace nhc::bench {
namespace {

using namespace nhc::runtime::cuda;
using Clock = std::chrono::steady_clock;

/// The best of `runs` timings of `issue` (which enqueues work on `stream`),
/// each up to the stream's end.
double bestSeconds(const DriverApi &api, CUstream stream, int runs,
                   const std::function<void()> &issue) {
  double best = 1e30;
  for (int run = 0; run < runs; ++run) {
    Clock::time_point start = Clock::now();
    issue();
    runtime::cuda::checkCuda(api, api.cuStreamSynchronize(stream),
                             NHC_INTERNAL, "nhc-bench: timing the device");
    best = std::min(
        best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

/// cuBLASLt's rate for an n-cube product of `type` operands.
double gemmRate(BlasLtGemm &gemm, const DriverApi &api, CUstream stream,
                int type, uint64_t n, const DeviceBuffer &a,
                const DeviceBuffer &c) {
  GemmShape shape;
  shape.type = type;
  shape.m = shape.n = shape.k = n;
  shape.lda = shape.ldc = n;
  const std::string where = "nhc-bench: the device's GEMM peak";
  // W and A share a buffer: the rate does not depend on the values.
  gemm.prepare(shape, a.address(), a.address(), c.address(), where);
  auto issue = [&](int times) {
    for (int i = 0; i < times; ++i)
      gemm.run(shape, a.address(), a.address(), c.address(), 0, 1.0f, 0.0f,
               where);
  };
  issue(1); // warm-up
  const int perRun = 10;
  double s = bestSeconds(api, stream, 5, [&] { issue(perRun); });
  return perRun * 2.0 * double(n) * double(n) * double(n) / s;
}

} // namespace

DeviceLimits measureCudaDevice(uint64_t copyBytes, uint64_t gemmN) {
  DeviceContext device(loadDriverApi());
  const DriverApi &api = device.api();
  ContextScope scope(api, device.context());
  DeviceLimits limits;
  limits.name = device.name();
  limits.sm = device.sm();
  limits.copyBytes = copyBytes;
  limits.gemmN = gemmN;
  Stream stream(api);

  {
    DeviceBuffer from(api), to(api);
    from.reserve(copyBytes, "nhc-bench's bandwidth test");
    to.reserve(copyBytes, "nhc-bench's bandwidth test");
    auto copy = [&] {
      runtime::cuda::checkCuda(
          api,
          api.cuMemcpyDtoDAsync(to.address(), from.address(), copyBytes,
                                stream.get()),
          NHC_INTERNAL, "nhc-bench: the bandwidth test");
    };
    copy(); // warm-up
    double s = bestSeconds(api, stream.get(), 5, copy);
    limits.memoryBytesPerS = 2.0 * double(copyBytes) / s;
  }

  BlasLtGemm gemm(loadBlasLtApi(), api, stream.get(), 32ull << 20);
  DeviceBuffer a(api), c(api);
  a.reserve(gemmN * gemmN * sizeof(float), "nhc-bench's GEMM test");
  c.reserve(gemmN * gemmN * sizeof(float), "nhc-bench's GEMM test");
  // Random values in [-1, 1], as bf16 pairs (each 32-bit word also an f32
  // in [-1, 1]): zeros would read a higher peak than real data reaches.
  {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<uint16_t> values(a.bytes() / sizeof(uint16_t));
    for (uint16_t &v : values) {
      float x = uniform(rng);
      uint32_t bits;
      std::memcpy(&bits, &x, sizeof(bits));
      v = static_cast<uint16_t>(bits >> 16);
    }
    runtime::cuda::checkCuda(api,
                             api.cuMemcpyHtoD(a.address(), values.data(),
                                              a.bytes()),
                             NHC_INTERNAL, "nhc-bench: the GEMM test");
  }
  if (device.sm() >= 80)
    limits.bf16GemmFlopsPerS =
        gemmRate(gemm, api, stream.get(), kCudaR16BF, gemmN, a, c);
  if (device.sm() >= runtime::cuda::kE4m3MinSm)
    limits.e4m3GemmFlopsPerS =
        gemmRate(gemm, api, stream.get(), kCudaR8FE4M3, gemmN, a, c);
  limits.f32GemmFlopsPerS =
      gemmRate(gemm, api, stream.get(), kCudaR32F, gemmN, a, c);
  return limits;
}

} // namespace nhc::bench
