//===- fp8.cpp - e4m3 values and activation quantization on the host ------===//

#include "fp8.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace nhc::runtime {

float e4m3ToF32(uint8_t bits) {
  const bool negative = bits & 0x80;
  const int exponent = (bits >> 3) & 0xf, mantissa = bits & 0x7;
  float magnitude;
  if (exponent == 0xf && mantissa == 0x7)
    return std::numeric_limits<float>::quiet_NaN();
  if (exponent == 0) // subnormal: mantissa * 2^-9
    magnitude = std::ldexp(static_cast<float>(mantissa), -9);
  else
    magnitude = std::ldexp(1.0f + mantissa / 8.0f, exponent - 7);
  return negative ? -magnitude : magnitude;
}

float quantizeE4M3(float x, float scale) {
  float v = x / scale;
  // NaN stays NaN (as torch.clamp and .to(float8_e4m3fn)); any payload,
  // which the rounding below could carry into the sign or exponent.
  if (std::isnan(v))
    return v;
  float c = std::max(-448.0f, std::min(v, 448.0f));
  uint32_t cbits;
  std::memcpy(&cbits, &c, sizeof(cbits));
  const uint32_t sign = cbits & 0x80000000u, bits = cbits & 0x7fffffffu;
  float a;
  std::memcpy(&a, &bits, sizeof(a));
  uint32_t rounded;
  if (a < 0.015625f) {
    // Subnormal e4m3 values are multiples of 2^-9, the f32 spacing at 2^14.
    volatile float shifted = a + 16384.0f; // no reassociation
    float sub = shifted - 16384.0f;
    std::memcpy(&rounded, &sub, sizeof(rounded));
  } else {
    // Keep 3 mantissa bits: round the dropped 20 to nearest even.
    rounded = (bits + 0x7ffffu + ((bits >> 20) & 1u)) & 0xfff00000u;
  }
  rounded |= sign;
  float result;
  std::memcpy(&result, &rounded, sizeof(result));
  return result;
}

uint8_t e4m3Bits(float value) {
  const uint8_t sign = std::signbit(value) ? 0x80 : 0;
  const float magnitude = std::fabs(value);
  if (std::isnan(value))
    return sign | 0x7f;
  if (magnitude < 0.015625f) // subnormal: mantissa * 2^-9
    return sign | static_cast<uint8_t>(magnitude * 512.0f);
  int exponent = 0;
  float fraction = std::frexp(magnitude, &exponent); // [0.5, 1) * 2^exponent
  const int mantissa = static_cast<int>((fraction * 2.0f - 1.0f) * 8.0f);
  return sign | static_cast<uint8_t>(((exponent - 1 + 7) << 3) | mantissa);
}

void quantizeBlock(uint64_t m, uint64_t n, float *c, uint64_t ldc,
                   float scale) {
  for (uint64_t r = 0; r < m; ++r)
    for (uint64_t j = 0; j < n; ++j)
      c[r * ldc + j] = quantizeE4M3(c[r * ldc + j], scale);
}

void scaleBlock(uint64_t m, uint64_t n, float *c, uint64_t ldc, float factor) {
  for (uint64_t r = 0; r < m; ++r)
    for (uint64_t j = 0; j < n; ++j)
      c[r * ldc + j] *= factor;
}

} // namespace nhc::runtime
