//===- float_dtype.cpp - Reading F32, BF16 and F16 elements ----------------===//

#include "float_dtype.h"

#include <cmath>
#include <cstring>

#include "weights_f32.h"

namespace nhc::runtime {

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
