//===- gemv_kernels.h - The artifact's decode GEMV microkernels -*- C++ -*-===//
//
// Decode gemms (at most kSkinnyRows rows of A) on BF16, F16 and e4m3
// weights run the kernel library's nhc_gemv_<dtype> (lib/Kernels/gemv.mlir:
// vector-dialect code, built for the x86-64 level of this CPU), each W row
// read once and widened in registers, through its sliced entry on the host
// threads. Artifacts from before those kernels fall back to narrow_gemm.h.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_GEMV_KERNELS_H
#define NHC_RUNTIME_SRC_GEMV_KERNELS_H

#include <cstdint>
#include <string>

#include "host_library.h"
#include "weight_matrix.h"

namespace nhc::runtime {

class GemvKernels {
public:
  /// The GEMV kernels `library` exports (none if it is null or older).
  GemvKernels(const HostLibrary *library, std::string origin);

  /// C[m, n] (+)= A[m, k] . W[n, k]^T (A rows `lda` apart, C rows `ldc`
  /// apart, W dense) when there is a kernel for W's dtype; false otherwise.
  bool run(uint64_t m, uint64_t n, uint64_t k, const float *a, uint64_t lda,
           WeightMatrix w, float *c, uint64_t ldc, bool accumulate) const;

  /// True when a kernel for `dtype` was found.
  bool has(nhc_dtype_t dtype) const;

private:
  const HostKernel *kernelFor(nhc_dtype_t dtype) const;

  HostKernel bf16_, f16_, e4m3_;
  std::string origin_;
};

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_GEMV_KERNELS_H
