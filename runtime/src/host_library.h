//===- host_library.h - Load the artifact's host kernel library -*- C++ -*-===//
//
// The HOST_SHARED_LIBRARY section is an ELF shared object inside the
// artifact. dlopen needs a file, so the bytes go to an anonymous memfd
// (or, without memfd_create, an unlinked temporary file) that is opened
// through /proc/self/fd/N. Nothing is left on disk.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_HOST_LIBRARY_H
#define NHC_RUNTIME_SRC_HOST_LIBRARY_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace nhc::runtime {

/// `void nhc_<name>_packed(void **args)`: see docs/execution-model.md.
using PackedKernelFn = void (*)(void **args);
/// `int64_t nhc_<name>_sliced_packed(void **args, int64_t slice, int64_t
/// slices, int64_t phase)`: slice `slice` of the kernel's loop `phase`; the
/// slices of a phase may run on different threads at once, and every slice
/// of a phase must finish before the next phase starts. Returns 1 while a
/// later phase exists.
using SlicedKernelFn = int64_t (*)(void **args, int64_t slice, int64_t slices,
                                   int64_t phase);
/// More phases than any kernel has loops: a library that never says "done"
/// is broken.
constexpr int64_t kMaxKernelPhases = 64;

class HostLibrary {
public:
  /// dlopens `size` bytes of ELF. `origin` names the artifact and section in
  /// messages. Throws Error.
  static std::unique_ptr<HostLibrary> load(const void *data, uint64_t size,
                                           const std::string &origin);
  ~HostLibrary();
  HostLibrary(const HostLibrary &) = delete;
  HostLibrary &operator=(const HostLibrary &) = delete;

  /// The packed entry point of `kernel` ("nhc_rms_norm" ->
  /// "nhc_rms_norm_packed"); throws NHC_NOT_FOUND naming the symbol.
  PackedKernelFn packedKernel(const std::string &kernel) const;
  /// As packedKernel, null when the library has no such kernel (one this
  /// runtime can do without, from an older compiler).
  PackedKernelFn optionalPackedKernel(const std::string &kernel) const;
  /// Its sliced entry point ("nhc_rms_norm_sliced_packed"); null for
  /// kernels that have none (a reduction loop) and for libraries without
  /// this runtime's sliced ABI (older artifacts).
  SlicedKernelFn slicedKernel(const std::string &kernel) const;

private:
  HostLibrary(void *handle, int fd, std::string origin);

  void *handle_;
  // Kept open while the library is loaded: glibc recognizes loaded
  // libraries by path, so a reused "/proc/self/fd/N" name must not occur.
  int fd_;
  std::string origin_;
  // The library's sliced entries have this runtime's ABI.
  bool slicedAbi_ = false;
};

/// One slot of a packed argument list (docs/execution-model.md): an entry
/// point's `void **args` holds a pointer to one cell per LLVM-level
/// parameter.
union PackedCell {
  void *ptr;
  int64_t i64;
  float f32;
};

/// Cells of a memref<?xT> argument: allocated, aligned, offset, size, stride.
constexpr size_t kMemrefCells = 5;

/// Writes a dense 1-D memref of `elems` elements at `base` into
/// cell[0 .. kMemrefCells) (the ABI has no const) and returns the next cell.
inline PackedCell *packMemref(PackedCell *cell, const void *base,
                              uint64_t elems) {
  void *p = const_cast<void *>(base);
  cell[0].ptr = p; // allocated
  cell[1].ptr = p; // aligned
  cell[2].i64 = 0; // offset
  cell[3].i64 = static_cast<int64_t>(elems);
  cell[4].i64 = 1; // stride
  return cell + kMemrefCells;
}

/// A kernel's entry points in a loaded library.
struct HostKernel {
  PackedKernelFn fn = nullptr;
  SlicedKernelFn sliced = nullptr; // null: the kernel runs on one thread
};

/// Runs `kernel` on packed `args`: one slice per host thread, all at once,
/// phase after phase (one phase per parallel loop); the slices of a loop
/// are independent, so the result does not depend on the thread count.
/// `origin` names the library in the error for a runaway sliced entry.
void runOnHostThreads(const HostKernel &kernel, void **args,
                      const std::string &origin);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_HOST_LIBRARY_H
