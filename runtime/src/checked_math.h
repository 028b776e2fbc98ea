//===- checked_math.h - Overflow-checked size arithmetic ----*- C++ -*-===//
//
// Sizes come from untrusted files; every product or sum of them is checked.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CHECKED_MATH_H
#define NHC_RUNTIME_SRC_CHECKED_MATH_H

#include <cstdint>
#include <optional>
#include <vector>

namespace nhc::runtime {

inline std::optional<uint64_t> checkedMul(uint64_t a, uint64_t b) {
  uint64_t result;
  if (__builtin_mul_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

inline std::optional<uint64_t> checkedAdd(uint64_t a, uint64_t b) {
  uint64_t result;
  if (__builtin_add_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

/// product(shape) * elementSize, or nullopt on overflow.
inline std::optional<uint64_t>
checkedByteSize(const std::vector<uint64_t> &shape, uint64_t elementSize) {
  std::optional<uint64_t> bytes = elementSize;
  for (uint64_t dim : shape) {
    bytes = checkedMul(*bytes, dim);
    if (!bytes)
      return std::nullopt;
  }
  return bytes;
}

/// Rounds up to a multiple of a power-of-two `alignment`; nullopt on overflow.
inline std::optional<uint64_t> checkedAlignUp(uint64_t value,
                                              uint64_t alignment) {
  std::optional<uint64_t> bumped = checkedAdd(value, alignment - 1);
  if (!bumped)
    return std::nullopt;
  return *bumped & ~(alignment - 1);
}

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_CHECKED_MATH_H
