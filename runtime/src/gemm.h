//===- gemm.h - The `gemm` library operation on the host ----*- C++ -*-===//
#ifndef NHC_RUNTIME_SRC_GEMM_H
#define NHC_RUNTIME_SRC_GEMM_H

#include <cstddef>
#include <cstdint>
#include <functional>

#include "weight_matrix.h"

namespace nhc::runtime {

class GemvKernels;

/// The arithmetic of gemms on BF16 weights (nhc_gemm_precision_t).
enum class GemmPrecision {
  F32,  // weights widened exactly, f32 products (the default)
  Bf16, // prefill: A rounded to bf16, bf16 products, f32 sums (bf16_gemm.h)
};

/// What gemmNT uses besides its operands, allocated before a step (a step
/// never allocates).
struct GemmScratch {
  float *panel = nullptr;        // gemmPanelFloats(k) floats, narrow weights
  uint16_t *bf16Rows = nullptr;  // A rounded to bf16 (precision Bf16) ...
  uint64_t bf16RowsCapacity = 0; // ... at most this many elements (m * k)
  GemmPrecision precision = GemmPrecision::F32; // Bf16 only if available
  const GemvKernels *gemv = nullptr; // the artifact's decode kernels, if any
};

/// C[m, n] (+)= A[m, k] . W[n, k]^T, row-major; A rows are `lda` apart, C
/// rows `ldc` apart, W is dense (`k` apart) in its stored dtype. Overwrites
/// C unless `accumulate`. Paths:
///   - F32 W: f32_gemm.h (oneDNN sgemm), per block of columns.
///   - BF16 W, m > kSkinnyRows, scratch.precision Bf16: bf16_gemm.h (oneDNN,
///     A rounded to bf16 into scratch.bf16Rows).
///   - BF16/F16/F8_E4M3 W, m <= kSkinnyRows: the artifact's generated GEMV
///     microkernels (gemv_kernels.h) when scratch.gemv has one for W's dtype.
///   - otherwise BF16/F16/F8_E4M3 W: narrow_gemm.h, f32 arithmetic on the
///     exactly widened weights (in registers or a panel at a time).
void gemmNT(uint64_t m, uint64_t n, uint64_t k, const float *a, uint64_t lda,
            WeightMatrix w, float *c, uint64_t ldc, bool accumulate,
            const GemmScratch &scratch);

/// True when gemmNT multiplies `m` rows by a `dtype` weight in bf16.
bool usesBf16Gemm(uint64_t m, nhc_dtype_t dtype, GemmPrecision precision);

/// Scratch floats gemmNT needs for a narrow weight of row length `k`: one
/// panel per host thread.
uint64_t gemmPanelFloats(uint64_t k);

/// Calls body(part, j0, j1) for consecutive blocks [j0, j1) of kPanelRows
/// (narrow_gemm.h) of the n output columns, the blocks spread over the host
/// threads (`part` < hostThreads(), distinct for concurrent calls). The
/// blocks do not depend on the thread count, so neither do the sums: oneDNN
/// picks its kernels by shape. The first exception a block's body throws is
/// rethrown after every thread has finished (the other blocks still run).
void forEachColumnBlock(
    uint64_t n, const std::function<void(size_t, uint64_t, uint64_t)> &body);

/// C[r, j] += bias[j] over the [m, n] block of C (rows `ldc` apart).
void addBiasBlock(uint64_t m, uint64_t n, float *c, uint64_t ldc,
                  const float *bias);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_GEMM_H
