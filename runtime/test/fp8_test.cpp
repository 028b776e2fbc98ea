//===- fp8_test.cpp - e4m3 decoding and activation quantization -----------===//
//
// e4m3ToF32 against the format's definition, and quantizeE4M3 against an
// independent reference: the nearest of all 253 finite e4m3 values (ties to
// the even code), after dividing by the scale and saturating to +-448.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "fp8.h"

namespace nhc::runtime {
namespace {

TEST(Fp8Test, DecodesTheFormat) {
  EXPECT_EQ(e4m3ToF32(0x00), 0.0f);
  EXPECT_TRUE(std::signbit(e4m3ToF32(0x80)));
  EXPECT_EQ(e4m3ToF32(0x38), 1.0f);           // 0.0111.000
  EXPECT_EQ(e4m3ToF32(0x7e), 448.0f);         // largest finite
  EXPECT_EQ(e4m3ToF32(0xfe), -448.0f);
  EXPECT_EQ(e4m3ToF32(0x01), 0.001953125f);   // 2^-9, smallest subnormal
  EXPECT_EQ(e4m3ToF32(0x08), 0.015625f);      // 2^-6, smallest normal
  EXPECT_TRUE(std::isnan(e4m3ToF32(0x7f)));
  EXPECT_TRUE(std::isnan(e4m3ToF32(0xff)));
}

/// The e4m3 value nearest to v (|v| <= 448), ties to the even code.
float nearestE4m3(float v) {
  float best = 0.0f;
  int bestCode = -1;
  double bestDist = INFINITY;
  for (int code = 0; code < 256; ++code) {
    float candidate = e4m3ToF32(static_cast<uint8_t>(code));
    if (std::isnan(candidate))
      continue;
    double dist = std::fabs(double(candidate) - double(v));
    bool tie = dist == bestDist;
    if (dist < bestDist || (tie && (code & 1) == 0 && (bestCode & 1) == 1)) {
      // Of two equally near values the one with an even code wins; the
      // sign of zero follows v.
      best = candidate, bestCode = code, bestDist = dist;
    }
  }
  if (best == 0.0f)
    return std::signbit(v) ? -0.0f : 0.0f;
  return best;
}

TEST(Fp8Test, QuantizeIsNearestEvenWithSaturation) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-14, 12);
  std::vector<float> values;
  for (int i = 0; i < 20000; ++i)
    values.push_back(std::ldexp(mantissa(rng), exponent(rng)));
  // Every midpoint between neighbouring e4m3 values, and the edges.
  for (int code = 0; code < 0x7e; ++code) {
    float lo = e4m3ToF32(code), hi = e4m3ToF32(code + 1);
    values.push_back((lo + hi) / 2);
    values.push_back(-(lo + hi) / 2);
  }
  for (float v : {0.0f, -0.0f, 448.0f, 463.9f, 464.0f, 1e30f, -1e30f,
                  std::numeric_limits<float>::infinity(), 1e-30f})
    values.push_back(v);
  for (float scale : {1.0f, 0.37f, 3.0f}) {
    for (float x : values) {
      float v = x / scale;
      float clamped = std::fmax(-448.0f, std::fmin(v, 448.0f));
      float want = nearestE4m3(clamped);
      float got = quantizeE4M3(x, scale);
      ASSERT_EQ(got, want) << "x " << x << " scale " << scale;
      ASSERT_EQ(std::signbit(got), std::signbit(want)) << "x " << x;
    }
  }
  // NaN stays NaN whatever its payload (a large one must not round into
  // the sign bit: 0x7fffffff, 0xffffffff, bf16's 0x7fff0000).
  for (uint32_t bits : {0x7fc00000u, 0x7fffffffu, 0xffffffffu, 0x7fff0000u,
                        0x7f800001u}) {
    float nan;
    std::memcpy(&nan, &bits, sizeof(nan));
    EXPECT_TRUE(std::isnan(quantizeE4M3(nan, 1.0f))) << std::hex << bits;
  }
}

TEST(Fp8Test, EncodesEveryCodeBack) {
  for (int code = 0; code < 256; ++code)
    EXPECT_EQ(e4m3Bits(e4m3ToF32(static_cast<uint8_t>(code))),
              (code & 0x7f) == 0x7f ? 0x7f : code) // NaN decodes unsigned
        << "code " << code;
}

TEST(Fp8Test, BlocksRespectTheirStride) {
  std::vector<float> c = {100.0f, 1.0f, 7.0f, 1000.0f, 3.0f, 7.0f};
  scaleBlock(2, 2, c.data(), 3, 0.5f);
  EXPECT_EQ(c, (std::vector<float>{50.0f, 0.5f, 7.0f, 500.0f, 1.5f, 7.0f}));
  quantizeBlock(2, 2, c.data(), 3, 1.0f);
  EXPECT_EQ(c, (std::vector<float>{48.0f, 0.5f, 7.0f, 448.0f, 1.5f, 7.0f}));
}

} // namespace
} // namespace nhc::runtime
