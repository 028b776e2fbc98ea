//===- f32_gemm.cpp - f32 GEMM through oneDNN's sgemm ---------------------===//

#include "f32_gemm.h"

#include <dnnl.h>

#include "error.h"
#include "onednn_team.h"

namespace nhc::runtime {

void f32GemmNT(uint64_t m, uint64_t n, uint64_t k, const float *a,
               uint64_t lda, const float *w, uint64_t ldw, float beta,
               float *c, uint64_t ldc) {
  OneThreadTeam oneThread;
  const dnnl_status_t status = dnnl_sgemm(
      'N', 'T', static_cast<dnnl_dim_t>(m), static_cast<dnnl_dim_t>(n),
      static_cast<dnnl_dim_t>(k), 1.0f, a, static_cast<dnnl_dim_t>(lda), w,
      static_cast<dnnl_dim_t>(ldw), beta, c, static_cast<dnnl_dim_t>(ldc));
  // oneDNN allocates its packing buffers per call: that can run out.
  NHC_CHECK(status == dnnl_success,
            status == dnnl_out_of_memory ? NHC_OUT_OF_MEMORY : NHC_INTERNAL,
            cat("f32 gemm [", m, " x ", k, "] . [", n, " x ", k,
                "]^T: oneDNN's sgemm failed with status ", int(status),
                status == dnnl_out_of_memory ? " (out of memory)" : ""));
}

} // namespace nhc::runtime
