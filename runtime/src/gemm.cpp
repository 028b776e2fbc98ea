//===- gemm.cpp - The `gemm` library op: sgemm, bf16, GEMV or narrow ------===//

#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>

#include "bf16_gemm.h"
#include "error.h"
#include "f32_gemm.h"
#include "gemv_kernels.h"
#include "narrow_gemm.h"
#include "thread_pool.h"

namespace nhc::runtime {

void forEachColumnBlock(
    uint64_t n, const std::function<void(size_t, uint64_t, uint64_t)> &body) {
  const uint64_t blocks = (n + kPanelRows - 1) / kPanelRows;
  // Each thread claims the next block until none is left: 3 blocks on 2
  // threads or 17 on 16 keep every thread busy to the end.
  std::atomic<uint64_t> next{0};
  const uint64_t parts = std::min<uint64_t>(hostThreads(), blocks);
  // A parallel body must not throw: the first error (oneDNN's, or memory
  // for a new primitive) is carried out of the loop and rethrown.
  std::exception_ptr failure;
  std::mutex failureLock;
  parallelForParts(parts, 1, [&](size_t part, size_t, size_t) {
    for (uint64_t b;
         (b = next.fetch_add(1, std::memory_order_relaxed)) < blocks;) {
      try {
        body(part, b * kPanelRows, std::min(n, (b + 1) * kPanelRows));
      } catch (...) {
        std::lock_guard<std::mutex> hold(failureLock);
        if (!failure)
          failure = std::current_exception();
      }
    }
  });
  if (failure)
    std::rethrow_exception(failure);
}

uint64_t gemmPanelFloats(uint64_t k) { return hostThreads() * kPanelRows * k; }

bool usesBf16Gemm(uint64_t m, nhc_dtype_t dtype, GemmPrecision precision) {
  return precision == GemmPrecision::Bf16 && dtype == NHC_DTYPE_BF16 &&
         m > kSkinnyRows;
}

namespace {

/// A rounded to bf16 once, then each thread multiplies it by its blocks of
/// W's rows.
void gemmNTBf16(uint64_t m, uint64_t n, uint64_t k, const float *a,
                uint64_t lda, const uint16_t *w, float *c, uint64_t ldc,
                bool accumulate, const GemmScratch &scratch) {
  NHC_CHECK(scratch.bf16Rows && m * k <= scratch.bf16RowsCapacity,
            NHC_INTERNAL,
            cat("bf16 gemm: ", m, " x ", k, " activations exceed the ",
                scratch.bf16RowsCapacity, "-element scratch"));
  uint16_t *rows = scratch.bf16Rows;
  parallelFor(m, 8, [&](size_t r0, size_t r1) {
    roundRowsToBf16(r1 - r0, k, a + r0 * lda, lda, rows + r0 * k);
  });
  forEachColumnBlock(n, [&](size_t, uint64_t j0, uint64_t j1) {
    bf16GemmNT(m, j1 - j0, k, rows, w + j0 * k, c + j0, ldc, accumulate);
  });
}

} // namespace

void gemmNT(uint64_t m, uint64_t n, uint64_t k, const float *a, uint64_t lda,
            WeightMatrix w, float *c, uint64_t ldc, bool accumulate,
            const GemmScratch &scratch) {
  if (m == 0 || n == 0)
    return;
  if (usesBf16Gemm(m, w.dtype, scratch.precision)) {
    gemmNTBf16(m, n, k, a, lda, static_cast<const uint16_t *>(w.data), c,
               ldc, accumulate, scratch);
    return;
  }
  if (w.dtype != NHC_DTYPE_F32 && m <= kSkinnyRows && scratch.gemv &&
      scratch.gemv->run(m, n, k, a, lda, w, c, ldc, accumulate))
    return;
  if (w.dtype != NHC_DTYPE_F32) {
    gemmNTNarrow(m, n, k, a, lda, w.data, w.dtype, c, ldc, accumulate,
                 scratch.panel);
    return;
  }
  // Each thread multiplies A by its own rows of W (columns of C).
  const float *weights = static_cast<const float *>(w.data);
  forEachColumnBlock(n, [&](size_t, uint64_t j0, uint64_t j1) {
    f32GemmNT(m, j1 - j0, k, a, lda, weights + j0 * k, k,
              accumulate ? 1.0f : 0.0f, c + j0, ldc);
  });
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
