//===- gemv_kernels_test.cpp - Calling the artifact's GEMV kernels --------===//
//
// The runtime's side of the decode GEMV microkernels: found by name in the
// host library, called with the packed ABI (memref sizes, strides,
// accumulate), dtypes without a kernel left to narrow_gemm. The kernels'
// own numerics are tested in test/Unit/Kernels/GemvKernelTest.cpp and
// end to end by the golden tests.

#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "gemm.h"
#include "gemv_kernels.h"
#include "host_library.h"
#include "session_helpers.h"

namespace nhc::runtime {
namespace {

std::unique_ptr<HostLibrary> testLibrary() {
  const test::Bytes &so = test::testKernelLibrary();
  return HostLibrary::load(so.data(), so.size(), "test kernels");
}

TEST(GemvKernelsTest, RunsTheLibraryKernelWithThePackedAbi) {
  std::unique_ptr<HostLibrary> library = testLibrary();
  GemvKernels gemv(library.get(), "test kernels");
  ASSERT_TRUE(gemv.has(NHC_DTYPE_BF16));
  EXPECT_FALSE(gemv.has(NHC_DTYPE_F16)); // the test library has none
  EXPECT_FALSE(gemv.has(NHC_DTYPE_F32));
  const uint64_t m = 3, n = 5, k = 7, lda = 9, ldc = 6;
  std::vector<float> a(m * lda), c(m * ldc, 2.0f);
  std::vector<uint16_t> w(n * k);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = float(i % 5) - 2.0f;
  for (size_t i = 0; i < w.size(); ++i) {
    float value = float(i % 3) * 0.5f;
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    w[i] = static_cast<uint16_t>(bits >> 16); // exact: few mantissa bits
  }
  for (bool accumulate : {false, true}) {
    std::vector<float> out = c;
    ASSERT_TRUE(gemv.run(m, n, k, a.data(), lda,
                         WeightMatrix{w.data(), NHC_DTYPE_BF16}, out.data(),
                         ldc, accumulate));
    for (uint64_t t = 0; t < m; ++t)
      for (uint64_t j = 0; j < ldc; ++j) {
        float want = 2.0f; // padding columns untouched
        if (j < n) {
          float sum = 0;
          for (uint64_t i = 0; i < k; ++i)
            sum += a[t * lda + i] * (float((j * k + i) % 3) * 0.5f);
          want = accumulate ? 2.0f + sum : sum;
        }
        EXPECT_EQ(out[t * ldc + j], want) << "t " << t << " j " << j;
      }
  }
}

TEST(GemvKernelsTest, WithoutKernelsGemmUsesThePortableLoop) {
  GemvKernels none(nullptr, "no library");
  EXPECT_FALSE(none.has(NHC_DTYPE_BF16));
  std::vector<float> a = {1, 2}, c = {0};
  std::vector<uint16_t> w = {0x3f80, 0x4000}; // 1, 2
  EXPECT_FALSE(none.run(1, 1, 2, a.data(), 2,
                        WeightMatrix{w.data(), NHC_DTYPE_BF16}, c.data(), 1,
                        false));
  // gemmNT with it falls back to narrow_gemm and still multiplies.
  GemmScratch scratch;
  scratch.gemv = &none;
  gemmNT(1, 1, 2, a.data(), 2, WeightMatrix{w.data(), NHC_DTYPE_BF16},
         c.data(), 1, false, scratch);
  EXPECT_EQ(c[0], 5.0f);
}

} // namespace
} // namespace nhc::runtime
