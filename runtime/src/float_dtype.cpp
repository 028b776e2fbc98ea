//===- float_dtype.cpp - Reading F32, BF16, F16 (and F64) elements ---------===//

#include "float_dtype.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "weights_f32.h"

namespace nhc::runtime {

float narrowToF32(double value) {
  // A cast of a value past f32's range is undefined in C++: the rounding
  // to infinity is spelled out. 0x1.ffffffp127, halfway between FLT_MAX
  // and 2^128, rounds (to even) to infinity; below it, to FLT_MAX.
  constexpr double kMax = 0x1.fffffep127, kHalfway = 0x1.ffffffp127;
  const double magnitude = std::fabs(value);
  if (magnitude > kMax) {
    const float rounded = magnitude >= kHalfway
                              ? std::numeric_limits<float>::infinity()
                              : static_cast<float>(kMax);
    return std::signbit(value) ? -rounded : rounded;
  }
  return static_cast<float>(value); // NaN included
}

float floatElement(const uint8_t *data, nhc_dtype_t dtype, uint64_t i) {
  if (dtype == NHC_DTYPE_F32) {
    float v;
    std::memcpy(&v, data + 4 * i, sizeof(v));
    return v;
  }
  uint16_t bits;
  std::memcpy(&bits, data + 2 * i, sizeof(bits));
  return dtype == NHC_DTYPE_BF16 ? bf16ToF32(bits) : f16ToF32(bits);
}

std::optional<uint64_t> firstNonFinite(const uint8_t *data, nhc_dtype_t dtype,
                                       uint64_t count) {
  if (!isConvertibleFloat(dtype))
    return std::nullopt;
  for (uint64_t i = 0; i < count; ++i)
    if (!std::isfinite(floatElement(data, dtype, i)))
      return i;
  return std::nullopt;
}

} // namespace nhc::runtime
