//===- narrow_gemm.cpp - GEMM with BF16/F16/e4m3 weights, f32 arithmetic --===//

#include "narrow_gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "f32_gemm.h"
#include "fp8.h"
#include "gemm.h"
#include "thread_pool.h"
#include "weights_f32.h"

namespace nhc::runtime {
namespace {

enum class Kind { Bf16, F16, E4m3 };

constexpr uint64_t bytesOf(Kind kind) { return kind == Kind::E4m3 ? 1 : 2; }

Kind kindOf(nhc_dtype_t dtype) {
  return dtype == NHC_DTYPE_BF16  ? Kind::Bf16
         : dtype == NHC_DTYPE_F16 ? Kind::F16
                                  : Kind::E4m3;
}

/// The e4m3 values of all 256 bytes, for the scalar paths.
const float *e4m3Table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(256);
    for (int b = 0; b < 256; ++b)
      t[b] = e4m3ToF32(static_cast<uint8_t>(b));
    return t;
  }();
  return table.data();
}

template <Kind K> inline float loadOne(const uint8_t *p) {
  if constexpr (K == Kind::E4m3) {
    return e4m3Table()[*p];
  } else {
    uint16_t bits;
    std::memcpy(&bits, p, sizeof(bits));
    return K == Kind::Bf16 ? bf16ToF32(bits) : f16ToF32(bits);
  }
}

/// Portable kernel: c[t][j] for `rows` rows of A, W rows [j0, j1).
template <Kind K>
void skinnyGeneric(uint64_t rows, uint64_t k, const float *a, uint64_t lda,
                   const uint8_t *w, uint64_t j0, uint64_t j1, float *c,
                   uint64_t ldc, bool accumulate) {
  // Runs inside a parallel loop: no allocation (a body must not throw).
  for (uint64_t j = j0; j < j1; ++j) {
    const uint8_t *wj = w + j * k * bytesOf(K);
    for (uint64_t t = 0; t < rows; ++t) {
      const float *at = a + t * lda;
      float sum = 0.0f;
      for (uint64_t i = 0; i < k; ++i)
        sum += at[i] * loadOne<K>(wj + bytesOf(K) * i);
      float &out = c[t * ldc + j];
      out = accumulate ? out + sum : sum;
    }
  }
}

#if defined(__x86_64__)
// e4m3 -> f16 bits: S.EEEE.MMM becomes S.0EEEE.MMM0000000, an f16 of value
// 2^-8 times the e4m3 value (subnormals included); the caller multiplies by
// 2^8. S.1111.111 (NaN) becomes an f16 NaN.
__attribute__((target("avx2"))) inline __m256i e4m3ToF16x16(__m256i h) {
  __m256i magnitude = _mm256_and_si256(h, _mm256_set1_epi16(0x7f));
  __m256i sign = _mm256_slli_epi16(_mm256_and_si256(h, _mm256_set1_epi16(0x80)), 8);
  __m256i f16 = _mm256_or_si256(_mm256_slli_epi16(magnitude, 7), sign);
  __m256i nan = _mm256_cmpeq_epi16(magnitude, _mm256_set1_epi16(0x7f));
  return _mm256_blendv_epi8(f16, _mm256_or_si256(sign, _mm256_set1_epi16(0x7e00)),
                            nan);
}

__attribute__((target("avx2"))) inline __m128i e4m3ToF16x8(__m128i h) {
  __m128i magnitude = _mm_and_si128(h, _mm_set1_epi16(0x7f));
  __m128i sign = _mm_slli_epi16(_mm_and_si128(h, _mm_set1_epi16(0x80)), 8);
  __m128i f16 = _mm_or_si128(_mm_slli_epi16(magnitude, 7), sign);
  __m128i nan = _mm_cmpeq_epi16(magnitude, _mm_set1_epi16(0x7f));
  return _mm_blendv_epi8(f16, _mm_or_si128(sign, _mm_set1_epi16(0x7e00)), nan);
}

template <Kind K>
__attribute__((target("avx512f"))) inline __m512 widen512(const uint8_t *p) {
  if constexpr (K == Kind::E4m3) {
    __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    __m256i f16 = e4m3ToF16x16(_mm256_cvtepu8_epi16(raw));
    return _mm512_mul_ps(_mm512_cvtph_ps(f16), _mm512_set1_ps(256.0f));
  } else {
    __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    if constexpr (K == Kind::Bf16)
      return _mm512_castsi512_ps(
          _mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
    else
      return _mm512_cvtph_ps(raw);
  }
}

template <Kind K>
__attribute__((target("avx2,fma,f16c"))) inline __m256 widen256(
    const uint8_t *p) {
  if constexpr (K == Kind::E4m3) {
    __m128i raw = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(p));
    __m128i f16 = e4m3ToF16x8(_mm_cvtepu8_epi16(raw));
    return _mm256_mul_ps(_mm256_cvtph_ps(f16), _mm256_set1_ps(256.0f));
  } else {
    __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    if constexpr (K == Kind::Bf16)
      return _mm256_castsi256_ps(
          _mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
    else
      return _mm256_cvtph_ps(raw);
  }
}

#endif

using Isa = NarrowGemmIsa;

Isa detectIsa() {
#if defined(__x86_64__)
  static const Isa isa = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
      return Isa::Avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))
      return Isa::Avx2;
    return Isa::Generic;
  }();
  return isa;
#else
  return Isa::Generic;
#endif
}

Isa activeIsa = detectIsa();

template <Kind K>
void skinny(uint64_t m, uint64_t n, uint64_t k, const float *a, uint64_t lda,
            const uint8_t *w, float *c, uint64_t ldc, bool accumulate) {
  // W rows split over the threads.
  parallelFor(n, 64, [&](size_t j0, size_t j1) {
    skinnyGeneric<K>(m, k, a, lda, w, j0, j1, c, ldc, accumulate);
  });
}

template <Kind K>
void widenGeneric(const uint8_t *p, uint64_t count, float *dst) {
  for (uint64_t i = 0; i < count; ++i)
    dst[i] = loadOne<K>(p + bytesOf(K) * i);
}

#if defined(__x86_64__)
template <Kind K>
__attribute__((target("avx512f"))) void
widenAvx512(const uint8_t *p, uint64_t count, float *dst) {
  const uint64_t count16 = count & ~uint64_t(15);
  for (uint64_t i = 0; i < count16; i += 16)
    _mm512_storeu_ps(dst + i, widen512<K>(p + bytesOf(K) * i));
  widenGeneric<K>(p + bytesOf(K) * count16, count - count16, dst + count16);
}

template <Kind K>
__attribute__((target("avx2,fma,f16c"))) void
widenAvx2(const uint8_t *p, uint64_t count, float *dst) {
  const uint64_t count8 = count & ~uint64_t(7);
  for (uint64_t i = 0; i < count8; i += 8)
    _mm256_storeu_ps(dst + i, widen256<K>(p + bytesOf(K) * i));
  widenGeneric<K>(p + bytesOf(K) * count8, count - count8, dst + count8);
}
#endif

/// The prefill panels' widening, vectorized for the best ISA the CPU has.
template <Kind K>
void widenAll(const uint8_t *p, uint64_t count, float *dst) {
#if defined(__x86_64__)
  if (activeIsa == Isa::Avx512)
    return widenAvx512<K>(p, count, dst);
  if (activeIsa == Isa::Avx2)
    return widenAvx2<K>(p, count, dst);
#endif
  widenGeneric<K>(p, count, dst);
}

} // namespace

bool isNarrowWeight(nhc_dtype_t dtype) {
  return dtype == NHC_DTYPE_BF16 || dtype == NHC_DTYPE_F16 ||
         dtype == NHC_DTYPE_F8_E4M3;
}

NarrowGemmIsa narrowGemmHostIsa() { return detectIsa(); }

void forceNarrowGemmIsa(NarrowGemmIsa isa) { activeIsa = isa; }

void widenNarrow(const void *src, nhc_dtype_t dtype, uint64_t count,
                 float *dst) {
  const uint8_t *p = static_cast<const uint8_t *>(src);
  switch (kindOf(dtype)) {
  case Kind::Bf16:
    return widenAll<Kind::Bf16>(p, count, dst);
  case Kind::F16:
    return widenAll<Kind::F16>(p, count, dst);
  case Kind::E4m3:
    return widenAll<Kind::E4m3>(p, count, dst);
  }
}

void widenToF32(const void *src, nhc_dtype_t dtype, uint64_t count,
                float *dst) {
  if (dtype == NHC_DTYPE_F32)
    std::memcpy(dst, src, count * sizeof(float));
  else
    widenNarrow(src, dtype, count, dst);
}

void gemmNTNarrow(uint64_t m, uint64_t n, uint64_t k, const float *a,
                  uint64_t lda, const void *w, nhc_dtype_t dtype, float *c,
                  uint64_t ldc, bool accumulate, float *panel) {
  if (m == 0 || n == 0)
    return;
  const uint8_t *bytes = static_cast<const uint8_t *>(w);
  const Kind kind = kindOf(dtype);
  if (m <= kSkinnyRows) {
    switch (kind) {
    case Kind::Bf16:
      return skinny<Kind::Bf16>(m, n, k, a, lda, bytes, c, ldc, accumulate);
    case Kind::F16:
      return skinny<Kind::F16>(m, n, k, a, lda, bytes, c, ldc, accumulate);
    case Kind::E4m3:
      return skinny<Kind::E4m3>(m, n, k, a, lda, bytes, c, ldc, accumulate);
    }
  }
  // Prefill: each thread widens panels of its own W rows into its own part
  // of `panel` and multiplies A by them with a single-threaded sgemm.
  const uint64_t rowBytes = k * nhc_dtype_size(dtype);
  forEachColumnBlock(n, [&](size_t part, uint64_t j0, uint64_t j1) {
    float *own = panel + part * kPanelRows * k;
    widenNarrow(bytes + j0 * rowBytes, dtype, (j1 - j0) * k, own);
    f32GemmNT(m, j1 - j0, k, a, lda, own, k, accumulate ? 1.0f : 0.0f,
              c + j0, ldc);
  });
}

} // namespace nhc::runtime
