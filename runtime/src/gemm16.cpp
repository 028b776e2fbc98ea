//===- gemm16.cpp - GEMM with BF16/F16 weights, f32 arithmetic ------------===//

#include "gemm16.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <cblas.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "thread_pool.h"
#include "weights_f32.h"

namespace nhc::runtime {
namespace {

/// Rows of A handled together by one pass over a W row (accumulators).
constexpr uint64_t kRowGroup = 8;

inline float load16(const uint8_t *p, bool bf16) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof(bits));
  return bf16 ? bf16ToF32(bits) : f16ToF32(bits);
}

/// Portable kernel: c[t][j] for rows [r0, r0 + rows) of A, W rows [j0, j1).
void skinnyGeneric(uint64_t rows, uint64_t k, const float *a, uint64_t lda,
                   const uint8_t *w, bool bf16, uint64_t j0, uint64_t j1,
                   float *c, uint64_t ldc, bool accumulate) {
  std::vector<float> row(k);
  for (uint64_t j = j0; j < j1; ++j) {
    const uint8_t *wj = w + j * k * 2;
    for (uint64_t i = 0; i < k; ++i)
      row[i] = load16(wj + 2 * i, bf16);
    for (uint64_t t = 0; t < rows; ++t) {
      const float *at = a + t * lda;
      float sum = 0.0f;
      for (uint64_t i = 0; i < k; ++i)
        sum += at[i] * row[i];
      float &out = c[t * ldc + j];
      out = accumulate ? out + sum : sum;
    }
  }
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) inline __m512 widen16x16(const uint8_t *p,
                                                             bool bf16) {
  __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
  if (bf16)
    return _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
  return _mm512_cvtph_ps(raw);
}

template <int Rows>
__attribute__((target("avx512f"))) void
skinnyAvx512(uint64_t k, const float *a, uint64_t lda, const uint8_t *w,
             bool bf16, uint64_t j0, uint64_t j1, float *c, uint64_t ldc,
             bool accumulate) {
  const uint64_t k16 = k & ~uint64_t(15);
  for (uint64_t j = j0; j < j1; ++j) {
    const uint8_t *wj = w + j * k * 2;
    __m512 acc[Rows];
    for (int t = 0; t < Rows; ++t)
      acc[t] = _mm512_setzero_ps();
    for (uint64_t i = 0; i < k16; i += 16) {
      __m512 wv = widen16x16(wj + 2 * i, bf16);
      for (int t = 0; t < Rows; ++t)
        acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(a + t * lda + i), wv, acc[t]);
    }
    for (int t = 0; t < Rows; ++t) {
      float sum = _mm512_reduce_add_ps(acc[t]);
      for (uint64_t i = k16; i < k; ++i)
        sum += a[t * lda + i] * load16(wj + 2 * i, bf16);
      float &out = c[t * ldc + j];
      out = accumulate ? out + sum : sum;
    }
  }
}

__attribute__((target("avx2,fma,f16c"))) inline __m256 widen16x8(
    const uint8_t *p, bool bf16) {
  __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
  if (bf16)
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
  return _mm256_cvtph_ps(raw);
}

template <int Rows>
__attribute__((target("avx2,fma,f16c"))) void
skinnyAvx2(uint64_t k, const float *a, uint64_t lda, const uint8_t *w,
           bool bf16, uint64_t j0, uint64_t j1, float *c, uint64_t ldc,
           bool accumulate) {
  const uint64_t k8 = k & ~uint64_t(7);
  for (uint64_t j = j0; j < j1; ++j) {
    const uint8_t *wj = w + j * k * 2;
    __m256 acc[Rows];
    for (int t = 0; t < Rows; ++t)
      acc[t] = _mm256_setzero_ps();
    for (uint64_t i = 0; i < k8; i += 8) {
      __m256 wv = widen16x8(wj + 2 * i, bf16);
      for (int t = 0; t < Rows; ++t)
        acc[t] = _mm256_fmadd_ps(_mm256_loadu_ps(a + t * lda + i), wv, acc[t]);
    }
    for (int t = 0; t < Rows; ++t) {
      __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc[t]),
                               _mm256_extractf128_ps(acc[t], 1));
      half = _mm_add_ps(half, _mm_movehl_ps(half, half));
      half = _mm_add_ss(half, _mm_shuffle_ps(half, half, 1));
      float sum = _mm_cvtss_f32(half);
      for (uint64_t i = k8; i < k; ++i)
        sum += a[t * lda + i] * load16(wj + 2 * i, bf16);
      float &out = c[t * ldc + j];
      out = accumulate ? out + sum : sum;
    }
  }
}
#endif

using Isa = Gemm16Isa;

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

using SkinnyFn = void (*)(uint64_t, const float *, uint64_t, const uint8_t *,
                          bool, uint64_t, uint64_t, float *, uint64_t, bool);

#if defined(__x86_64__)
SkinnyFn skinnyFor(Isa isa, uint64_t rows) {
  static constexpr SkinnyFn avx512[] = {
      skinnyAvx512<1>, skinnyAvx512<2>, skinnyAvx512<3>, skinnyAvx512<4>,
      skinnyAvx512<5>, skinnyAvx512<6>, skinnyAvx512<7>, skinnyAvx512<8>};
  static constexpr SkinnyFn avx2[] = {
      skinnyAvx2<1>, skinnyAvx2<2>, skinnyAvx2<3>, skinnyAvx2<4>,
      skinnyAvx2<5>, skinnyAvx2<6>, skinnyAvx2<7>, skinnyAvx2<8>};
  if (isa == Isa::Avx512)
    return avx512[rows - 1];
  if (isa == Isa::Avx2)
    return avx2[rows - 1];
  return nullptr;
}
#else
SkinnyFn skinnyFor(Isa, uint64_t) { return nullptr; }
#endif

void skinny(uint64_t m, uint64_t n, uint64_t k, const float *a, uint64_t lda,
            const uint8_t *w, bool bf16, float *c, uint64_t ldc,
            bool accumulate) {
  Isa isa = activeIsa;
  // W rows split over the threads; each thread reads its rows once per
  // group of kRowGroup A rows.
  parallelFor(n, 64, [&](size_t j0, size_t j1) {
    for (uint64_t r = 0; r < m; r += kRowGroup) {
      uint64_t rows = std::min(kRowGroup, m - r);
      const float *ar = a + r * lda;
      float *cr = c + r * ldc;
      if (SkinnyFn fn = skinnyFor(isa, rows))
        fn(k, ar, lda, w, bf16, j0, j1, cr, ldc, accumulate);
      else
        skinnyGeneric(rows, k, ar, lda, w, bf16, j0, j1, cr, ldc, accumulate);
    }
  });
}

} // namespace

Gemm16Isa gemm16HostIsa() { return detectIsa(); }

void forceGemm16Isa(Gemm16Isa isa) { activeIsa = isa; }

void widen16(const void *src, nhc_dtype_t dtype, uint64_t count, float *dst) {
  const uint8_t *p = static_cast<const uint8_t *>(src);
  const bool bf16 = dtype == NHC_DTYPE_BF16;
  for (uint64_t i = 0; i < count; ++i)
    dst[i] = load16(p + 2 * i, bf16);
}

void gemmNT16(uint64_t m, uint64_t n, uint64_t k, const float *a,
              uint64_t lda, const void *w, nhc_dtype_t dtype, float *c,
              uint64_t ldc, bool accumulate, float *panel) {
  if (m == 0 || n == 0)
    return;
  const uint8_t *bytes = static_cast<const uint8_t *>(w);
  const bool bf16 = dtype == NHC_DTYPE_BF16;
  if (m <= kSkinnyRows) {
    skinny(m, n, k, a, lda, bytes, bf16, c, ldc, accumulate);
    return;
  }
  // Prefill: widen a panel of W rows, then BLAS on it.
  for (uint64_t j0 = 0; j0 < n; j0 += kPanelRows) {
    uint64_t rows = std::min(kPanelRows, n - j0);
    parallelFor(rows, 16, [&](size_t r0, size_t r1) {
      widen16(bytes + (j0 + r0) * k * 2, dtype, (r1 - r0) * k, panel + r0 * k);
    });
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
                static_cast<int>(rows), static_cast<int>(k), 1.0f, a,
                static_cast<int>(lda), panel, static_cast<int>(k),
                accumulate ? 1.0f : 0.0f, c + j0, static_cast<int>(ldc));
  }
}

} // namespace nhc::runtime
