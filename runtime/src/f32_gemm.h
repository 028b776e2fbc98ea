//===- f32_gemm.h - f32 GEMM through oneDNN's sgemm -------------*- C++ -*-===//
//
// The f32 products of the host backend: F32 weights at any row count, and
// narrow weights widened a panel at a time for prefill (narrow_gemm.h).
// oneDNN's `dnnl_sgemm` (Debian: libdnnl-dev, 2.6) picks its JIT kernels by
// the CPU's features (AVX-512, AVX2, SSE4.1). Debian 12's OpenBLAS 0.3.21,
// used before, picks by CPU model and runs its AVX2 kernels on AMD Zen 4 and
// 5, half oneDNN's rate there, and multiplies a single row of A at about a
// sixth of it (docs/benchmarks.md, tenth measurement); elsewhere the two measured
// alike.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_F32_GEMM_H
#define NHC_RUNTIME_SRC_F32_GEMM_H

#include <cstdint>

namespace nhc::runtime {

/// C[m, n] = A[m, k] . W[n, k]^T + beta C, f32, row-major with A rows `lda`
/// apart, W rows `ldw` apart, C rows `ldc` apart. Runs on the calling thread
/// only (the host thread pool spreads a gemm's column blocks: gemm.h). For
/// fixed shapes the sums do not depend on the thread or the call. Throws
/// NHC_INTERNAL naming oneDNN's status if it fails.
void f32GemmNT(uint64_t m, uint64_t n, uint64_t k, const float *a,
               uint64_t lda, const float *w, uint64_t ldw, float beta,
               float *c, uint64_t ldc);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_F32_GEMM_H
