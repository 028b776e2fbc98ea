//===- device_limits.h - What the CUDA device can do at most --*- C++ -*-===//
//
// The physical limits nhc-bench reports the cuda backend's throughput
// against, measured on the device through the runtime's own driver and
// cuBLASLt seams (runtime/src/cuda): memory bandwidth as a device-to-device
// copy (bytes read plus bytes written per second, best of five), and the
// GEMM rate of cuBLASLt in e4m3 and bf16 (f32 sums) and in f32 (no TF32), n x n x n,
// the arithmetic the backend's gemms run in (best of five runs of ten).
// Timed on the host around a stream synchronization: each measurement runs
// long enough (a GiB copied, an 8192-cube product) that the launch cost
// does not show.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_BENCH_DEVICE_LIMITS_H
#define NHC_BENCH_DEVICE_LIMITS_H

#include <cstdint>
#include <string>

namespace nhc::bench {

struct DeviceLimits {
  std::string name; // the driver's name of device 0
  int sm = 0;       // compute capability, major * 10 + minor
  double memoryBytesPerS = 0;
  double bf16GemmFlopsPerS = 0; // 0 below sm_80
  double e4m3GemmFlopsPerS = 0; // 0 below sm_89
  double f32GemmFlopsPerS = 0;
  uint64_t copyBytes = 0, gemmN = 0;
};

/// Measures device 0 (NHC_CUDA_DRIVER / NHC_CUBLASLT as the runtime loads
/// them). Throws nhc's runtime errors (no driver, out of memory, ...).
DeviceLimits measureCudaDevice(uint64_t copyBytes, uint64_t gemmN);

} // namespace nhc::bench

#endif // NHC_BENCH_DEVICE_LIMITS_H
