//===- gemm.h - The `gemm` library operation on the host ----*- C++ -*-===//
#ifndef NHC_RUNTIME_SRC_GEMM_H
#define NHC_RUNTIME_SRC_GEMM_H

#include <cstdint>

namespace nhc::runtime {

/// C[m, n] (+)= A[m, k] . W[n, k]^T, all row-major f32; A rows are `lda`
/// apart, C rows `ldc` apart, W is dense (`k` apart). Overwrites C unless
/// `accumulate`. Callers guarantee the sizes fit BLAS's int.
void gemmNT(uint64_t m, uint64_t n, uint64_t k, const float *a, uint64_t lda,
            const float *w, float *c, uint64_t ldc, bool accumulate);

/// C[r, j] += bias[j] over the [m, n] block of C (rows `ldc` apart).
void addBiasBlock(uint64_t m, uint64_t n, float *c, uint64_t ldc,
                  const float *bias);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_GEMM_H
