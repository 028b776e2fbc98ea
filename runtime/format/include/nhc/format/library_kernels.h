//===- nhc/format/library_kernels.h - Kernels library ops call -*- C++ -*-===//
//
// Kernels of the host kernel library that the runtime's library operations
// call directly rather than through the execution plan: the decode GEMV
// microkernels of lib/Kernels/gemv.mlir. The compiler's kernel list and the
// runtime name them from here. Their arguments, in order: A (memref f32),
// W's bytes (memref i8), C (memref f32), then m, n, k, lda, ldc and
// accumulate (index): C[t, j] (+)= sum_i A[t, i] W[j, i].
//
//===----------------------------------------------------------------------===//
#ifndef NHC_FORMAT_LIBRARY_KERNELS_H
#define NHC_FORMAT_LIBRARY_KERNELS_H

namespace nhc::format::kernel {

inline constexpr const char kGemvBf16[] = "nhc_gemv_bf16";
inline constexpr const char kGemvF16[] = "nhc_gemv_f16";
inline constexpr const char kGemvE4m3[] = "nhc_gemv_e4m3";

} // namespace nhc::format::kernel

#endif // NHC_FORMAT_LIBRARY_KERNELS_H
