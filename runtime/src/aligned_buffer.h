//===- aligned_buffer.h - 64-byte aligned host allocations --*- C++ -*-===//
//
// State pools, f32 weight copies and scratch buffers are all cache-line
// aligned so kernels may use aligned vector loads on any of them.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_ALIGNED_BUFFER_H
#define NHC_RUNTIME_SRC_ALIGNED_BUFFER_H

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace nhc::runtime {

constexpr uint64_t kHostAlignment = 64;

struct FreeDeleter {
  void operator()(uint8_t *p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<uint8_t, FreeDeleter>;

/// `bytes` bytes aligned to kHostAlignment (uninitialized), or null on
/// failure; an empty buffer for 0 bytes.
inline AlignedBuffer tryAllocateAligned(uint64_t bytes) {
  if (bytes == 0 || bytes > static_cast<uint64_t>(SIZE_MAX))
    return AlignedBuffer();
  void *memory = nullptr;
  if (::posix_memalign(&memory, kHostAlignment, static_cast<size_t>(bytes)) !=
      0)
    return AlignedBuffer();
  return AlignedBuffer(static_cast<uint8_t *>(memory));
}

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_ALIGNED_BUFFER_H
