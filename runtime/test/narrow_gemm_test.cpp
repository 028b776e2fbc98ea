//===- narrow_gemm_test.cpp - GEMM on BF16/F16/e4m3 weights vs a reference ===//
//
// gemmNT with narrow weights (the portable decode loop that artifacts
// without generated GEMV kernels use, and the panel + sgemm prefill path
// with the widening of every ISA this CPU has) against a double-precision
// product of the exactly widened weights, over shapes that hit every tail.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "gemm.h"
#include "fp8.h"
#include "narrow_gemm.h"
#include "weights_f32.h"

namespace nhc::runtime {
namespace {

uint16_t toBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  return static_cast<uint16_t>(bits >> 16); // truncation: exact in bf16
}

uint16_t toF16(float x) {
  // Values k/64 with |k| < 1024 are exact in f16: build the bits directly.
  if (x == 0.0f)
    return 0;
  uint16_t sign = x < 0 ? 0x8000 : 0;
  float m = std::fabs(x);
  int e = 0;
  float f = std::frexp(m, &e); // m = f * 2^e, f in [0.5, 1)
  uint16_t mantissa = static_cast<uint16_t>((f * 2.0f - 1.0f) * 1024.0f);
  return sign | static_cast<uint16_t>((e - 1 + 15) << 10) | mantissa;
}

struct Case {
  uint64_t m, n, k;
};

void check(nhc_dtype_t dtype, const Case &c, bool accumulate) {
  std::mt19937 rng(static_cast<uint32_t>(c.m * 131 + c.n * 7 + c.k));
  std::uniform_int_distribution<int> small(-200, 200);
  const uint64_t lda = c.k + 3, ldc = c.n + 5;
  std::vector<float> a(c.m * lda), out(c.m * ldc), wide(c.n * c.k);
  const size_t bytes = nhc_dtype_size(dtype);
  std::vector<uint8_t> w(c.n * c.k * bytes);
  std::uniform_int_distribution<int> anyByte(0, 255);
  for (float &x : a)
    x = small(rng) / 64.0f;
  for (uint64_t i = 0; i < c.n * c.k; ++i) {
    if (dtype == NHC_DTYPE_F8_E4M3) {
      // Every finite e4m3 byte, subnormals included (not NaN).
      uint8_t b = static_cast<uint8_t>(anyByte(rng));
      if ((b & 0x7f) == 0x7f)
        b ^= 1;
      w[i] = b;
      wide[i] = e4m3ToF32(b);
      continue;
    }
    float x = small(rng) / 64.0f;
    uint16_t bits = dtype == NHC_DTYPE_BF16 ? toBf16(x) : toF16(x);
    std::memcpy(&w[2 * i], &bits, 2);
    wide[i] = dtype == NHC_DTYPE_BF16 ? bf16ToF32(bits) : f16ToF32(bits);
  }
  for (float &x : out)
    x = 0.5f;
  std::vector<float> panel(gemmPanelFloats(c.k));
  gemmNT(c.m, c.n, c.k, a.data(), lda, WeightMatrix{w.data(), dtype},
         out.data(), ldc, accumulate, GemmScratch{panel.data()});
  for (uint64_t t = 0; t < c.m; ++t)
    for (uint64_t j = 0; j < c.n; ++j) {
      double sum = accumulate ? 0.5 : 0.0, mag = 0.0;
      for (uint64_t i = 0; i < c.k; ++i) {
        sum += double(a[t * lda + i]) * wide[j * c.k + i];
        mag += std::fabs(double(a[t * lda + i]) * wide[j * c.k + i]);
      }
      ASSERT_NEAR(out[t * ldc + j], sum, 1e-6 * (mag + 1))
          << "m " << c.m << " n " << c.n << " k " << c.k << " at [" << t
          << ", " << j << "]";
    }
  // Padding between C rows is never written.
  for (uint64_t t = 0; t < c.m; ++t)
    for (uint64_t j = c.n; j < ldc && t * ldc + j < out.size(); ++j)
      ASSERT_EQ(out[t * ldc + j], 0.5f);
}

const Case kCases[] = {{1, 1, 1},   {1, 300, 64},  {2, 63, 33},
                       {7, 17, 15}, {8, 129, 100}, {9, 40, 16},
                       {16, 70, 47}, {17, 300, 31}, {64, 520, 80}};

TEST(NarrowGemmTest, EveryIsaAndShapeMatchesTheReference) {
  NarrowGemmIsa best = narrowGemmHostIsa();
  for (NarrowGemmIsa isa : {NarrowGemmIsa::Generic, NarrowGemmIsa::Avx2,
                            NarrowGemmIsa::Avx512}) {
    if (static_cast<int>(isa) > static_cast<int>(best))
      continue;
    forceNarrowGemmIsa(isa);
    for (nhc_dtype_t dtype :
         {NHC_DTYPE_BF16, NHC_DTYPE_F16, NHC_DTYPE_F8_E4M3})
      for (const Case &c : kCases)
        for (bool accumulate : {false, true}) {
          // The decode loop has one form: once is enough.
          if (c.m <= kSkinnyRows && isa != best)
            continue;
          SCOPED_TRACE(testing::Message()
                       << "isa " << static_cast<int>(isa) << " dtype "
                       << nhc_dtype_name(dtype) << " accumulate "
                       << accumulate);
          check(dtype, c, accumulate);
        }
  }
  forceNarrowGemmIsa(best);
}

TEST(NarrowGemmTest, E4m3NanWeightGivesNanOnEveryIsa) {
  // 0x7f / 0xff are e4m3fn's NaN: the product must be NaN, not a number.
  NarrowGemmIsa best = narrowGemmHostIsa();
  const uint64_t k = 40;
  for (NarrowGemmIsa isa : {NarrowGemmIsa::Generic, NarrowGemmIsa::Avx2,
                            NarrowGemmIsa::Avx512}) {
    if (static_cast<int>(isa) > static_cast<int>(best))
      continue;
    forceNarrowGemmIsa(isa);
    // m = 1 runs the portable decode loop, m = 20 the widened panels.
    for (uint64_t m : {uint64_t(1), kSkinnyRows + 4})
      for (uint8_t nan : {uint8_t(0x7f), uint8_t(0xff)}) {
        std::vector<uint8_t> w(2 * k, 0x38); // 1.0
        w[3] = nan;                           // row 0, in a vector block
        std::vector<float> a(m * k, 1.0f), out(m * 2),
            panel(gemmPanelFloats(k));
        gemmNT(m, 2, k, a.data(), k,
               WeightMatrix{w.data(), NHC_DTYPE_F8_E4M3}, out.data(), 2,
               false, GemmScratch{panel.data()});
        for (uint64_t t = 0; t < m; ++t) {
          EXPECT_TRUE(std::isnan(out[2 * t]))
              << "isa " << static_cast<int>(isa) << " m " << m;
          EXPECT_EQ(out[2 * t + 1], float(k));
        }
      }
  }
  forceNarrowGemmIsa(best);
}

TEST(NarrowGemmTest, UnalignedWeightsAreRead) {
  // Safetensors data may start at any byte: shift the matrix by one.
  const uint64_t n = 5, k = 37;
  std::vector<uint8_t> bytes(2 * n * k + 1);
  std::vector<float> wide(n * k), a(k, 1.0f), out(n);
  for (uint64_t i = 0; i < n * k; ++i) {
    uint16_t bits = toBf16(static_cast<float>(i % 11) - 5.0f);
    std::memcpy(&bytes[1 + 2 * i], &bits, 2);
    wide[i] = bf16ToF32(bits);
  }
  gemmNT(1, n, k, a.data(), k, WeightMatrix{bytes.data() + 1, NHC_DTYPE_BF16},
         out.data(), n, false, GemmScratch{});
  for (uint64_t j = 0; j < n; ++j) {
    float sum = 0;
    for (uint64_t i = 0; i < k; ++i)
      sum += wide[j * k + i];
    EXPECT_FLOAT_EQ(out[j], sum);
  }
}

} // namespace
} // namespace nhc::runtime
