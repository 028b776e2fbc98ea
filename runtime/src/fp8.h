//===- fp8.h - e4m3 values and activation quantization on the host -*- C++ -*-===//
//
// modelopt's per-tensor static FP8 (docs/fp8.md): weights stored as e4m3fn
// (1 sign, 4 exponent bits with bias 7, 3 mantissa bits; no infinities,
// S.1111.111 is NaN; largest finite 448), activations quantized as
//   q = sat_e4m3(x / input_scale)
// with true f32 division, saturation to [-448, 448] and round to nearest,
// ties to even, subnormals kept; torch's `clamp(...).to(float8_e4m3fn)`.
// quantizeE4M3 is bit-identical to the kernel library's @nhc_e4m3_quantize
// (lib/Kernels/fp8.mlir).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_FP8_H
#define NHC_RUNTIME_SRC_FP8_H

#include <cstdint>

namespace nhc::runtime {

/// The largest finite e4m3fn value.
inline constexpr float kE4M3Max = 448.0f;

/// The exact f32 value of an e4m3fn byte (NaN for 0x7f and 0xff).
float e4m3ToF32(uint8_t bits);

/// sat_e4m3(x / scale) as an f32 value (exactly representable in e4m3).
float quantizeE4M3(float x, float scale);

/// The e4m3fn byte of `value`, which must be an e4m3 value (as
/// quantizeE4M3 returns) or NaN (0x7f with the sign).
uint8_t e4m3Bits(float value);

/// C[r, j] = quantizeE4M3(C[r, j], scale) over an [m, n] block (rows `ldc`
/// apart).
void quantizeBlock(uint64_t m, uint64_t n, float *c, uint64_t ldc,
                   float scale);

/// C[r, j] *= factor over an [m, n] block.
void scaleBlock(uint64_t m, uint64_t n, float *c, uint64_t ldc, float factor);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_FP8_H
