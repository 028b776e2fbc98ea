//===- bf16_gemm.h - GEMM in bf16 arithmetic through oneDNN -----*- C++ -*-===//
//
// The prefill path of NHC_GEMM_PRECISION_BF16 (session.h): BF16 weights times
// activations rounded to bf16 (round to nearest even), products accumulated
// in f32 -- the numerics of transformers running a bf16 model. oneDNN's
// matmul (Debian: libdnnl-dev) runs it with the CPU's bf16 dot-product
// instructions (AVX512_BF16 `vdpbf16ps`, or AMX), which multiply at twice
// the f32 FMA rate. Without them oneDNN only emulates bf16, slower than the
// f32 path, so the runtime keeps f32 arithmetic there (bf16GemmAvailable()).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_BF16_GEMM_H
#define NHC_RUNTIME_SRC_BF16_GEMM_H

#include <cstdint>

namespace nhc::runtime {

/// True when this CPU has bf16 dot-product instructions that oneDNN uses
/// (avx512_core_bf16 or avx512_core_amx; DNNL_MAX_CPU_ISA can lower it).
bool bf16GemmAvailable();

/// The oneDNN implementation bf16 gemms run on ("brg:avx512_core_bf16", ...),
/// or "" when bf16GemmAvailable() is false. For reports.
const char *bf16GemmImplementation();

/// out[r, i] = bf16(a[r * lda + i]) for r < m, i < k (out is dense, k
/// apart): round to nearest even; NaN stays NaN, infinities stay.
void roundRowsToBf16(uint64_t m, uint64_t k, const float *a, uint64_t lda,
                     uint16_t *out);

/// C[m, n] (+)= A[m, k] . W[n, k]^T with A and W bf16 (dense, k apart), C
/// f32 with rows `ldc` apart, f32 accumulation; overwrites C unless
/// `accumulate`. Runs on the calling thread only (the host thread pool
/// spreads a gemm's column blocks). Requires bf16GemmAvailable(); throws
/// NHC_INTERNAL naming oneDNN's error otherwise.
void bf16GemmNT(uint64_t m, uint64_t n, uint64_t k, const uint16_t *a,
                const uint16_t *w, float *c, uint64_t ldc, bool accumulate);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_BF16_GEMM_H
