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
  // The packed ABI (docs/execution-model.md): a memref is 5 slots
  // (allocated, aligned, offset, size, stride), an index one.
  union Cell {
    void *ptr;
    int64_t i64;
  };
  constexpr size_t kSlots = 3 * 5 + 6;
  Cell cells[kSlots];
  void *args[kSlots];
  Cell *cell = cells;
  auto memref = [&cell](const void *base, uint64_t elems) {
    void *p = const_cast<void *>(base); // the ABI has no const
    cell[0].ptr = p;
    cell[1].ptr = p;
    cell[2].i64 = 0;
    cell[3].i64 = static_cast<int64_t>(elems);
    cell[4].i64 = 1;
    cell += 5;
  };
  auto index = [&cell](uint64_t value) {
    (cell++)->i64 = static_cast<int64_t>(value);
  };
  memref(a, (m - 1) * lda + k);
  memref(w.data, n * k * nhc_dtype_size(w.dtype));
  memref(c, (m - 1) * ldc + n);
  for (uint64_t value : {m, n, k, lda, ldc, uint64_t(accumulate)})
    index(value);
  for (size_t i = 0; i < kSlots; ++i)
    args[i] = &cells[i];
  runOnHostThreads(*kernel, args, origin_);
  return true;
}

} // namespace nhc::runtime
