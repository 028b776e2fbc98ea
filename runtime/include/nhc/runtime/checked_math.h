//===- nhc/runtime/checked_math.h - Overflow-checked size arithmetic -*- C++ -*-===//
//
// Sizes, offsets and counts come from untrusted files (manifests, execution
// plans, safetensors headers, artifact tables) and from callers. Every sum or
// product of them that sizes memory or proves a bound goes through these
// helpers, so no check can be fooled by a value that wraps around 2^64.
// Header-only and dependency-free: the runtime and the compiler share it.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_CHECKED_MATH_H
#define NHC_RUNTIME_CHECKED_MATH_H

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

namespace nhc {

/// a * b, or nullopt on overflow.
inline std::optional<uint64_t> checkedMul(uint64_t a, uint64_t b) {
  uint64_t result;
  if (__builtin_mul_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

/// a + b, or nullopt on overflow.
inline std::optional<uint64_t> checkedAdd(uint64_t a, uint64_t b) {
  uint64_t result;
  if (__builtin_add_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

/// The product of `factors` (1 for none), or nullopt if it overflows or
/// exceeds `limit`. A zero factor gives 0 even if others are huge.
template <typename Factors>
std::optional<uint64_t> checkedProductOf(const Factors &factors,
                                         uint64_t limit = UINT64_MAX) {
  uint64_t product = 1;
  bool overflow = false;
  for (uint64_t factor : factors) {
    if (factor == 0)
      return uint64_t{0};
    std::optional<uint64_t> next = checkedMul(product, factor);
    if (!next)
      overflow = true;
    else
      product = *next;
  }
  if (overflow || product > limit)
    return std::nullopt;
  return product;
}

/// checkedProductOf() of a braced list: checkedProduct({rows, cols, 4}).
inline std::optional<uint64_t>
checkedProduct(std::initializer_list<uint64_t> factors,
               uint64_t limit = UINT64_MAX) {
  return checkedProductOf(factors, limit);
}

/// product(shape) * elementSize, or nullopt on overflow.
inline std::optional<uint64_t>
checkedByteSize(const std::vector<uint64_t> &shape, uint64_t elementSize) {
  std::optional<uint64_t> elems = checkedProductOf(shape);
  return elems ? checkedMul(*elems, elementSize) : std::nullopt;
}

/// Rounds up to a multiple of a power-of-two `alignment`; nullopt on overflow.
inline std::optional<uint64_t> checkedAlignUp(uint64_t value,
                                              uint64_t alignment) {
  std::optional<uint64_t> bumped = checkedAdd(value, alignment - 1);
  if (!bumped)
    return std::nullopt;
  return *bumped & ~(alignment - 1);
}

/// Whether [offset, offset + size) lies inside [0, limit), decided without
/// computing offset + size (which may wrap).
constexpr bool rangeWithin(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

} // namespace nhc

#endif // NHC_RUNTIME_CHECKED_MATH_H
