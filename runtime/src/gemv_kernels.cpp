//===- gemv_kernels.cpp - The artifact's decode GEMV microkernels ---------===//

#include "gemv_kernels.h"

#include "nhc/format/library_kernels.h"

namespace nhc::runtime {
namespace {

HostKernel lookup(const HostLibrary *library, const char *name) {
  if (!library)
    return {};
  HostKernel kernel;
  kernel.fn = library->optionalPackedKernel(name);
  if (kernel.fn)
    kernel.sliced = library->slicedKernel(name);
  return kernel;
}

} // namespace

GemvKernels::GemvKernels(const HostLibrary *library, std::string origin)
    : bf16_(lookup(library, format::kernel::kGemvBf16)),
      f16_(lookup(library, format::kernel::kGemvF16)),
      e4m3_(lookup(library, format::kernel::kGemvE4m3)),
      origin_(std::move(origin)) {}

const HostKernel *GemvKernels::kernelFor(nhc_dtype_t dtype) const {
  const HostKernel *kernel = dtype == NHC_DTYPE_BF16      ? &bf16_
                             : dtype == NHC_DTYPE_F16     ? &f16_
                             : dtype == NHC_DTYPE_F8_E4M3 ? &e4m3_
                                                          : nullptr;
  return kernel && kernel->fn ? kernel : nullptr;
}

bool GemvKernels::has(nhc_dtype_t dtype) const {
  return kernelFor(dtype) != nullptr;
}

bool GemvKernels::run(uint64_t m, uint64_t n, uint64_t k, const float *a,
                      uint64_t lda, WeightMatrix w, float *c, uint64_t ldc,
                      bool accumulate) const {
  const HostKernel *kernel = kernelFor(w.dtype);
  if (!kernel)
    return false;
  if (m == 0 || n == 0)
    return true;
  // Three memrefs (A, W's bytes, C), then seven indices; no activation on A
  // (the host applies it in the producing gemm's epilogue).
  constexpr int64_t kNoActivation = -1;
  constexpr size_t kSlots = 3 * kMemrefCells + 7;
  PackedCell cells[kSlots];
  void *args[kSlots];
  PackedCell *cell = packMemref(cells, a, (m - 1) * lda + k);
  cell = packMemref(cell, w.data, n * k * nhc_dtype_size(w.dtype));
  cell = packMemref(cell, c, (m - 1) * ldc + n);
  for (int64_t value : {int64_t(m), int64_t(n), int64_t(k), int64_t(lda),
                        int64_t(ldc), int64_t(accumulate), kNoActivation})
    (cell++)->i64 = value;
  for (size_t i = 0; i < kSlots; ++i)
    args[i] = &cells[i];
  runOnHostThreads(*kernel, args, origin_);
  return true;
}

} // namespace nhc::runtime
