//===- gemm16_test.cpp - GEMM on BF16/F16 weights against a reference -----===//
//
// gemmNT with 16-bit weights (skinny decode kernels for every ISA this CPU
// has, and the panel + sgemm prefill path) against a double-precision
// product of the exactly widened weights, over shapes that hit every tail.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "gemm.h"
#include "gemm16.h"
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
  std::vector<uint16_t> w(c.n * c.k);
  for (float &x : a)
    x = small(rng) / 64.0f;
  for (uint64_t i = 0; i < w.size(); ++i) {
    float x = small(rng) / 64.0f;
    w[i] = dtype == NHC_DTYPE_BF16 ? toBf16(x) : toF16(x);
    wide[i] = dtype == NHC_DTYPE_BF16 ? bf16ToF32(w[i]) : f16ToF32(w[i]);
  }
  for (float &x : out)
    x = 0.5f;
  std::vector<float> panel(gemmPanelFloats(c.k));
  gemmNT(c.m, c.n, c.k, a.data(), lda, WeightMatrix{w.data(), dtype},
         out.data(), ldc, accumulate, panel.data());
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

TEST(Gemm16Test, EveryIsaAndShapeMatchesTheReference) {
  Gemm16Isa best = gemm16HostIsa();
  for (Gemm16Isa isa : {Gemm16Isa::Generic, Gemm16Isa::Avx2,
                        Gemm16Isa::Avx512}) {
    if (static_cast<int>(isa) > static_cast<int>(best))
      continue;
    forceGemm16Isa(isa);
    for (nhc_dtype_t dtype : {NHC_DTYPE_BF16, NHC_DTYPE_F16})
      for (const Case &c : kCases)
        for (bool accumulate : {false, true}) {
          SCOPED_TRACE(testing::Message()
                       << "isa " << static_cast<int>(isa) << " dtype "
                       << nhc_dtype_name(dtype) << " accumulate "
                       << accumulate);
          check(dtype, c, accumulate);
        }
  }
  forceGemm16Isa(best);
}

TEST(Gemm16Test, UnalignedWeightsAreRead) {
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
         out.data(), n, false, nullptr);
  for (uint64_t j = 0; j < n; ++j) {
    float sum = 0;
    for (uint64_t i = 0; i < k; ++i)
      sum += wide[j * k + i];
    EXPECT_FLOAT_EQ(out[j], sum);
  }
}

} // namespace
} // namespace nhc::runtime
