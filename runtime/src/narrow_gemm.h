//===- narrow_gemm.h - GEMM with BF16/F16/e4m3 weights, f32 arithmetic -*- C++ -*-===//
//
// C[m, n] (+)= A[m, k] . W[n, k]^T with W stored narrower than f32 (BF16,
// F16, or FP8 e4m3) and widened exactly to f32 in registers, f32
// multiply-add: the numerics of an f32 GEMM on the widened weights, up to
// summation order, without a widened copy of W in memory.
//   - m <= kSkinnyRows (decode): each W row is read once from memory and
//     used for all m rows of A; W's rows split over the host threads.
//     Memory-bound by design: W's bytes / DRAM bandwidth is the limit.
//     Sessions run the artifact's generated kernels for this
//     (gemv_kernels.h); the portable loop here serves artifacts without
//     them.
//   - larger m (prefill): W's rows in blocks of kPanelRows spread over the
//     host threads (forEachColumnBlock, gemm.h); each thread widens a block
//     into its own part of a per-call buffer and multiplies by it with a
//     single-threaded f32 gemm (f32_gemm.h), so
//     prefill runs at the f32 GEMM rate; the widening is O(n k) against
//     O(m n k) work.
// The widening: AVX-512F or AVX2+FMA+F16C when the CPU has them (checked at
// run time), else portable C++. e4m3 is widened through f16 (every e4m3
// value is an f16 value times 2^8), so the same conversion instructions
// serve both.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_NARROW_GEMM_H
#define NHC_RUNTIME_SRC_NARROW_GEMM_H

#include <cstdint>

#include "nhc/runtime/dtype.h"
#include "nhc/runtime/session.h"

namespace nhc::runtime {

/// Rows of A up to which the skinny (decode) path runs.
constexpr uint64_t kSkinnyRows = NHC_GEMV_MAX_ROWS;
/// W rows widened per f32 gemm call on the prefill path.
constexpr uint64_t kPanelRows = 256;

/// True for the weight dtypes gemmNTNarrow reads.
bool isNarrowWeight(nhc_dtype_t dtype);

/// As gemmNT (gemm.h) with `w` an [n, k] BF16, F16 or F8_E4M3 matrix
/// (`dtype`), possibly unaligned. `panel` holds gemmPanelFloats(k) floats
/// (scratch the caller allocated before the step: a step never allocates).
void gemmNTNarrow(uint64_t m, uint64_t n, uint64_t k, const float *a,
                  uint64_t lda, const void *w, nhc_dtype_t dtype, float *c,
                  uint64_t ldc, bool accumulate, float *panel);

/// The widening kernels of the prefill path; the best the CPU has is the
/// default. Tests force each supported one in turn.
enum class NarrowGemmIsa { Generic, Avx2, Avx512 };
/// The best kernels this CPU supports.
NarrowGemmIsa narrowGemmHostIsa();
/// Uses `isa` (which must not exceed narrowGemmHostIsa()) until reset with
/// narrowGemmHostIsa(). Not thread-safe; for tests.
void forceNarrowGemmIsa(NarrowGemmIsa isa);

/// Widens `count` BF16, F16 or F8_E4M3 values at `src` to f32 (exact).
void widenNarrow(const void *src, nhc_dtype_t dtype, uint64_t count,
                 float *dst);
/// As widenNarrow, and copies F32 (any alignment).
void widenToF32(const void *src, nhc_dtype_t dtype, uint64_t count,
                float *dst);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_NARROW_GEMM_H
