//===- weights_f32.cpp - Convert bound weights to f32 ---------------------===//

#include "weights_f32.h"

#include <cmath>
#include <cstring>
#include <optional>

#include "error.h"
#include "narrow_gemm.h"
#include "nhc/runtime/checked_math.h"

namespace nhc::runtime {

float bf16ToF32(uint16_t bits) {
  // BF16 is the upper half of an f32: exact, NaN and Inf included.
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

float f16ToF32(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in f32.
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  uint32_t wide;
  if (exponent == 0x1f) // Inf / NaN keep their payload
    wide = sign | 0x7f800000u | (mantissa << 13);
  else // rebias 15 -> 127
    wide = sign | ((exponent + 112) << 23) | (mantissa << 13);
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

namespace {

/// The 16-bit tensor `info` widened into a new f32 array.
AlignedBuffer convert16(const nhc_tensor_info_t &info, uint64_t elems) {
  // elems <= byte_size / 2, so this cannot overflow; checked anyway.
  std::optional<uint64_t> bytes = checkedMul(elems, sizeof(float));
  AlignedBuffer out = bytes ? tryAllocateAligned(*bytes) : AlignedBuffer();
  NHC_CHECK(out || elems == 0, NHC_OUT_OF_MEMORY,
            cat("weights: cannot allocate ", elems, " floats for the f32 "
                "copy of '", info.desc.name, "'"));
  // The mapping may be unaligned; widenNarrow reads it bytewise.
  widenNarrow(info.data, info.desc.dtype, elems,
              reinterpret_cast<float *>(out.get()));
  return out;
}

} // namespace

F32Weights F32Weights::build(const std::vector<nhc_tensor_info_t> &tensors,
                             const std::string &origin,
                             const std::vector<bool> &matrixOnly) {
  F32Weights weights;
  for (size_t index = 0; index < tensors.size(); ++index) {
    const nhc_tensor_info_t &info = tensors[index];
    nhc_dtype_t dtype = info.desc.dtype;
    uint64_t elems = info.byte_size / nhc_dtype_size(dtype);
    if (isNarrowWeight(dtype) && index < matrixOnly.size() &&
        matrixOnly[index]) {
      weights.data_.push_back(nullptr);
      weights.matrix_.push_back({info.data, dtype});
      weights.elems_.push_back(elems);
      continue;
    }
    AlignedBuffer copy;
    switch (dtype) {
    case NHC_DTYPE_F32:
      // In place, unless the writer left it unaligned for a float.
      if (reinterpret_cast<uintptr_t>(info.data) % alignof(float) == 0) {
        weights.data_.push_back(static_cast<const float *>(info.data));
        weights.matrix_.push_back({info.data, NHC_DTYPE_F32});
        weights.elems_.push_back(elems);
        continue;
      }
      copy = tryAllocateAligned(info.byte_size);
      NHC_CHECK(copy || elems == 0, NHC_OUT_OF_MEMORY,
                cat("weights: cannot allocate ", info.byte_size,
                    " bytes for an aligned copy of '", info.desc.name, "'"));
      if (elems)
        std::memcpy(copy.get(), info.data, info.byte_size);
      break;
    case NHC_DTYPE_BF16:
    case NHC_DTYPE_F16:
      copy = convert16(info, elems);
      break;
    case NHC_DTYPE_F8_E4M3:
    case NHC_DTYPE_F8_E5M2:
    case NHC_DTYPE_F8_E8M0:
      throw Error(NHC_UNSUPPORTED,
                  cat("weights: tensor '", info.desc.name, "' is ",
                      nhc_dtype_name(dtype),
                      ": FP8 tensors are read only as the weight of an FP8 "
                      "gemm, and this artifact reads it otherwise (from ",
                      origin, ")"));
    default:
      throw Error(NHC_UNSUPPORTED,
                  cat("weights: tensor '", info.desc.name, "' is ",
                      nhc_dtype_name(dtype),
                      "; kernels read f32 weights, converted from F32, BF16 "
                      "or F16 only (from ",
                      origin, ")"));
    }
    weights.data_.push_back(reinterpret_cast<const float *>(copy.get()));
    weights.matrix_.push_back({copy.get(), NHC_DTYPE_F32});
    weights.elems_.push_back(elems);
    weights.convertedBytes_ += elems * sizeof(float);
    weights.owned_.push_back(std::move(copy));
  }
  return weights;
}

} // namespace nhc::runtime
