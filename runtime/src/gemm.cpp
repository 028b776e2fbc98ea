//===- gemm.cpp - The `gemm` library op: F32 via sgemm, else narrow_gemm -===//

#include "gemm.h"

#include <cblas.h>

#include "narrow_gemm.h"

namespace nhc::runtime {

uint64_t gemmPanelFloats(uint64_t k) { return kPanelRows * k; }

void gemmNT(uint64_t m, uint64_t n, uint64_t k, const float *a, uint64_t lda,
            WeightMatrix w, float *c, uint64_t ldc, bool accumulate,
            float *panel) {
  if (m == 0 || n == 0)
    return;
  if (w.dtype != NHC_DTYPE_F32) {
    gemmNTNarrow(m, n, k, a, lda, w.data, w.dtype, c, ldc, accumulate,
                 panel);
    return;
  }
  // Row-major A . W^T: W is [n, k], so B = W transposed with ldb = k.
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0f, a,
              static_cast<int>(lda), static_cast<const float *>(w.data),
              static_cast<int>(k),
              accumulate ? 1.0f : 0.0f, c, static_cast<int>(ldc));
}

void addBiasBlock(uint64_t m, uint64_t n, float *c, uint64_t ldc,
                  const float *bias) {
  for (uint64_t r = 0; r < m; ++r) {
    float *row = c + r * ldc;
    for (uint64_t j = 0; j < n; ++j)
      row[j] += bias[j];
  }
}

} // namespace nhc::runtime
