//===- bf16_gemm_test.cpp - Gemms in bf16 arithmetic (oneDNN) ------------===//
//
// NHC_GEMM_PRECISION_BF16: activations rounded to bf16 (nearest even), bf16
// products, f32 sums, against a double-precision product of the rounded
// activations; which shapes take that path; the session option.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bf16_gemm.h"
#include "gemm.h"
#include "narrow_gemm.h"
#include "session_helpers.h"
#include "test_helpers.h"
#include "weights_f32.h"

namespace nhc::runtime {
namespace {

uint32_t bitsOf(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

float fromBits(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

/// The nearest bf16 to finite `x` (ties to even), computed in double: an
/// independent reference for roundRowsToBf16.
double nearestBf16(float x) {
  if (x == 0.0f)
    return x;
  int e = 0;
  std::frexp(double(x), &e);           // |x| in [2^(e-1), 2^e)
  double ulp = std::ldexp(1.0, e - 8); // 8 significant bits
  return std::nearbyint(double(x) / ulp) * ulp; // FE_TONEAREST: ties even
}

TEST(Bf16GemmTest, RoundsToNearestEvenAndKeepsNanAndInfinities) {
  const float one = 1.0f, tieDown = fromBits(0x3f808000), // 1 + 2^-8
      tieUp = fromBits(0x3f818000),                       // 1 + 3 * 2^-8
      above = fromBits(0x3f808001), inf = INFINITY,
      quietNan = fromBits(0x7fc00001), signalingNan = fromBits(0x7f800001),
      largest = std::numeric_limits<float>::max();
  // Two rows of 10, `lda` 12: the padding is never read.
  std::vector<float> a = {one,   tieDown,  tieUp,        above, -tieUp,
                          -0.0f, quietNan, signalingNan, inf,   -inf,
                          99,    99,       largest,      -1e-45f, 3.0f,
                          0.1f,  0.1f,     0.1f,         0.1f,  0.1f,
                          0.1f,  0.1f,     99,           99};
  std::vector<uint16_t> out(20);
  roundRowsToBf16(2, 10, a.data(), 12, out.data());
  const uint16_t want[] = {0x3f80, 0x3f80, 0x3f82, 0x3f81, 0xbf82, 0x8000};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(out[i], want[i]) << "element " << i;
  for (int i : {6, 7}) // NaN stays NaN (a signaling NaN must not become inf)
    EXPECT_TRUE((out[i] & 0x7f80) == 0x7f80 && (out[i] & 0x7f) != 0)
        << "element " << i << " is " << std::hex << out[i];
  EXPECT_EQ(out[8], 0x7f80);
  EXPECT_EQ(out[9], 0xff80);
  EXPECT_EQ(out[10], 0x7f80); // FLT_MAX rounds up to infinity
  EXPECT_EQ(out[11], 0x8000); // a tiny subnormal to -0
  EXPECT_EQ(out[12], 0x4040); // 3.0 exact
  EXPECT_EQ(out[13], 0x3dcd); // 0.1 rounds up
}

struct Case {
  uint64_t m, n, k;
};

TEST(Bf16GemmTest, MatchesTheProductOfRoundedActivations) {
  if (!bf16GemmAvailable())
    GTEST_SKIP() << "this CPU has no bf16 dot-product instructions "
                    "(AVX512_BF16 or AMX): the bf16 gemm path cannot run";
  const Case cases[] = {{kSkinnyRows + 1, 1, 1}, {17, 257, 31},
                        {64, 256, 1000},         {300, 600, 64},
                        {33, 255, 7},            {129, 513, 130}};
  for (const Case &c : cases)
    for (bool accumulate : {false, true}) {
      SCOPED_TRACE(testing::Message() << "m " << c.m << " n " << c.n << " k "
                                      << c.k << " accumulate " << accumulate);
      std::mt19937 rng(static_cast<uint32_t>(c.m * 131 + c.n * 7 + c.k));
      std::uniform_real_distribution<float> real(-2.0f, 2.0f);
      const uint64_t lda = c.k + 3, ldc = c.n + 5;
      std::vector<float> a(c.m * lda), out(c.m * ldc, 0.5f), wide(c.n * c.k);
      std::vector<uint16_t> w(c.n * c.k);
      for (float &x : a)
        x = real(rng);
      for (uint64_t i = 0; i < w.size(); ++i) {
        w[i] = static_cast<uint16_t>(bitsOf(real(rng)) >> 16);
        wide[i] = bf16ToF32(w[i]);
      }
      std::vector<uint16_t> rows(c.m * c.k);
      GemmScratch scratch;
      scratch.bf16Rows = rows.data();
      scratch.bf16RowsCapacity = rows.size();
      scratch.precision = GemmPrecision::Bf16;
      gemmNT(c.m, c.n, c.k, a.data(), lda, WeightMatrix{w.data(), NHC_DTYPE_BF16},
             out.data(), ldc, accumulate, scratch);
      for (uint64_t t = 0; t < c.m; ++t)
        for (uint64_t j = 0; j < c.n; ++j) {
          double sum = accumulate ? 0.5 : 0.0, mag = 0.0;
          for (uint64_t i = 0; i < c.k; ++i) {
            double p = nearestBf16(a[t * lda + i]) * wide[j * c.k + i];
            sum += p;
            mag += std::fabs(p);
          }
          // Products are exact in f32; only the f32 sums round.
          ASSERT_NEAR(out[t * ldc + j], sum, 0x1p-24 * c.k * mag + 1e-6)
              << "at [" << t << ", " << j << "]";
        }
      for (uint64_t t = 0; t < c.m; ++t) // padding is never written
        for (uint64_t j = c.n; j < ldc && t * ldc + j < out.size(); ++j)
          ASSERT_EQ(out[t * ldc + j], 0.5f);
    }
}

TEST(Bf16GemmTest, OnlyPrefillGemmsOnBf16WeightsRoundActivations) {
  // a = 1 + 2^-9 is not a bf16: in bf16 it is 1, so the sum of k ones
  // shows which arithmetic ran.
  const uint64_t k = 64, n = 3;
  const float a = 1.0f + 0x1p-9f;
  for (uint64_t m : {kSkinnyRows, kSkinnyRows + 1}) {
    std::vector<float> activations(m * k, a), out(m * n);
    std::vector<uint16_t> w(n * k, 0x3f80), rows(m * k); // 1.0
    std::vector<float> panel(gemmPanelFloats(k));
    GemmScratch scratch{panel.data(), rows.data(), rows.size(),
                        GemmPrecision::Bf16};
    bool bf16 = usesBf16Gemm(m, NHC_DTYPE_BF16, GemmPrecision::Bf16);
    EXPECT_EQ(bf16, m > kSkinnyRows);
    EXPECT_FALSE(usesBf16Gemm(m, NHC_DTYPE_F16, GemmPrecision::Bf16));
    EXPECT_FALSE(usesBf16Gemm(m, NHC_DTYPE_BF16, GemmPrecision::F32));
    if (bf16 && !bf16GemmAvailable())
      GTEST_SKIP() << "m " << m << ": this CPU has no bf16 dot-product "
                   << "instructions (the session never asks for bf16 then)";
    gemmNT(m, n, k, activations.data(), k,
           WeightMatrix{w.data(), NHC_DTYPE_BF16}, out.data(), n, false,
           scratch);
    EXPECT_EQ(out[0], bf16 ? float(k) : float(k) * a) << "m " << m;
  }
}

TEST(Bf16GemmTest, SessionReportsThePrecisionInEffect) {
  EXPECT_STREQ(nhc_gemm_precision_name(NHC_GEMM_PRECISION_F32), "f32");
  EXPECT_STREQ(nhc_gemm_precision_name(NHC_GEMM_PRECISION_BF16), "bf16");
  EXPECT_EQ(nhc_gemm_precision_name(static_cast<nhc_gemm_precision_t>(2)),
            nullptr);
  EXPECT_EQ(nhc_gemm_precision_name(NHC_GEMM_PRECISION_MAX_ENUM), nullptr);
  for (nhc_gemm_precision_t asked :
       {NHC_GEMM_PRECISION_F32, NHC_GEMM_PRECISION_BF16}) {
    test::SessionFixture f;
    ASSERT_EQ(f.open(test::toyModelManifest(), test::toyModelWeights(), 2, 8,
                     true, nullptr, asked),
              NHC_OK)
        << test::lastError();
    nhc_session_info_t info;
    ASSERT_EQ(nhc_session_get_info(f.session, &info), NHC_OK);
    EXPECT_EQ(info.gemm_precision,
              asked == NHC_GEMM_PRECISION_BF16 && bf16GemmAvailable()
                  ? NHC_GEMM_PRECISION_BF16
                  : NHC_GEMM_PRECISION_F32);
  }
}

TEST(Bf16GemmTest, PrecisionOutsideTheEnumIsRefused) {
  test::SessionFixture f;
  EXPECT_EQ(f.open(test::toyModelManifest(), test::toyModelWeights(), 2, 8,
                   true, nullptr, static_cast<nhc_gemm_precision_t>(7)),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(test::lastError(),
              testing::HasSubstr("gemm_precision 7 is not a precision"));
  EXPECT_EQ(f.session, nullptr);
}

} // namespace
} // namespace nhc::runtime
