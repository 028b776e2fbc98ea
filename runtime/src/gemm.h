//===- gemm.h - The `gemm` library operation on the host ----*- C++ -*-===//
#ifndef NHC_RUNTIME_SRC_GEMM_H
#define NHC_RUNTIME_SRC_GEMM_H

#include <cstddef>
#include <cstdint>
#include <functional>

#include "weight_matrix.h"

namespace nhc::runtime {

/// C[m, n] (+)= A[m, k] . W[n, k]^T, row-major, f32 arithmetic; A rows are
/// `lda` apart, C rows `ldc` apart, W is dense (`k` apart) in its stored
/// dtype: F32 through BLAS sgemm, BF16/F16/F8_E4M3 through narrow_gemm.h
/// (widened in registers or a panel at a time). Overwrites C unless
/// `accumulate`. `panel`: gemmPanelFloats(k) floats of scratch for narrow
/// weights (may be null for F32). Callers guarantee the sizes fit BLAS's int.
void gemmNT(uint64_t m, uint64_t n, uint64_t k, const float *a, uint64_t lda,
            WeightMatrix w, float *c, uint64_t ldc, bool accumulate,
            float *panel);

/// Scratch floats gemmNT needs for a narrow weight of row length `k`: one
/// panel per host thread.
uint64_t gemmPanelFloats(uint64_t k);

/// Calls body(part, j0, j1) for consecutive blocks [j0, j1) of kPanelRows
/// (narrow_gemm.h) of the n output columns, the blocks spread over the host
/// threads (`part` < hostThreads(), distinct for concurrent calls). The
/// blocks do not depend on the thread count, so neither do the sums: BLAS
/// picks its kernels by shape.
void forEachColumnBlock(
    uint64_t n, const std::function<void(size_t, uint64_t, uint64_t)> &body);

/// One single-threaded BLAS sgemm, C[m, n] = A[m, k] . B[n, k]^T + beta C,
/// row-major with leading dimensions lda, ldb, ldc. The first call sets
/// OpenBLAS to one thread: the host thread pool (thread_pool.h) owns the
/// cores and runs one such call per part of a GEMM.
void blasSgemmNT(uint64_t m, uint64_t n, uint64_t k, const float *a,
                 uint64_t lda, const float *b, uint64_t ldb, float beta,
                 float *c, uint64_t ldc);

/// C[r, j] += bias[j] over the [m, n] block of C (rows `ldc` apart).
void addBiasBlock(uint64_t m, uint64_t n, float *c, uint64_t ldc,
                  const float *bias);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_GEMM_H
