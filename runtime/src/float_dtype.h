//===- float_dtype.h - The float dtypes the host computes from -*- C++ -*-===//
#ifndef NHC_RUNTIME_SRC_FLOAT_DTYPE_H
#define NHC_RUNTIME_SRC_FLOAT_DTYPE_H

#include <cstdint>
#include <optional>

#include "nhc/runtime/dtype.h"

namespace nhc::runtime {

/// F32, BF16 or F16: the float dtypes the host reads exactly as f32 (a
/// weight stored in one binds a computation reading any other).
inline bool isConvertibleFloat(nhc_dtype_t dtype) {
  return dtype == NHC_DTYPE_F32 || dtype == NHC_DTYPE_BF16 ||
         dtype == NHC_DTYPE_F16;
}

/// `value` rounded to the nearest f32 (ties to even), as torch casts
/// float64 to float32: past f32's range it is infinite, NaN stays NaN.
float narrowToF32(double value);

/// Element i of F32, BF16 or F16 data (possibly unaligned) as f32.
float floatElement(const uint8_t *data, nhc_dtype_t dtype, uint64_t i);

/// The index of the first NaN or infinity among `count` elements of F32,
/// BF16 or F16 data; nullopt if all are finite (or the dtype is another).
std::optional<uint64_t> firstNonFinite(const uint8_t *data, nhc_dtype_t dtype,
                                       uint64_t count);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_FLOAT_DTYPE_H
