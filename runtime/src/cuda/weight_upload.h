//===- weight_upload.h - Weights to the device through pinned buffers -*- C++ -*-===//
//
// A session's weights go to the device once, at binding. A copy from
// pageable memory (the checkpoint's mapping) is staged by the driver through
// its own small pinned buffer, one copy at a time, on the calling thread;
// so the upload runs at a fraction of the bus rate, and every page of a
// file not yet in memory is read by that one thread. WeightUpload copies the
// bytes into pinned staging buffers on every host thread (reading the
// mapping's pages in parallel), each buffer's copy to the device running
// while the next buffer is filled.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CUDA_WEIGHT_UPLOAD_H
#define NHC_RUNTIME_SRC_CUDA_WEIGHT_UPLOAD_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cuda/driver_api.h"

namespace nhc::runtime::cuda {

/// Uploads on `stream` through up to `buffers` pinned buffers of up to
/// `bufferBytes` each (cuMemHostAlloc), or, where the driver cannot pin
/// them (or `bufferBytes` is 0), through one pageable buffer, a copy at a
/// time.
/// Copies are asynchronous: the destination holds its bytes once finish()
/// (or the destructor) returns. Not thread-safe; the caller's context must
/// be current for every call.
class WeightUpload {
public:
  /// Writes elements [first, first + count) of a tensor into `out`. Called
  /// on several host threads at once for disjoint ranges; must not throw.
  using Produce = std::function<void(uint64_t first, uint64_t count,
                                     uint8_t *out)>;

  /// `totalBytes`: the sum of footprint() of every copy the caller will
  /// make; buffers are no larger than it needs (none for 0 bytes).
  WeightUpload(const DriverApi &api, CUstream stream, uint64_t bufferBytes,
               uint64_t totalBytes, unsigned buffers = 3);
  ~WeightUpload();
  WeightUpload(const WeightUpload &) = delete;
  WeightUpload &operator=(const WeightUpload &) = delete;

  /// `bytes` bytes at `src` to device address `dst`. Throws NHC_INTERNAL
  /// naming `what` if the driver refuses a copy.
  void copy(CUdeviceptr dst, const void *src, uint64_t bytes,
            const std::string &what);
  /// `elems` elements of `elemBytes` bytes each, made by `produce`, to
  /// device address `dst`.
  void produce(CUdeviceptr dst, uint64_t elems, uint64_t elemBytes,
               const Produce &produce, const std::string &what);
  /// Waits for every copy. Throws NHC_INTERNAL naming `what` on an error.
  void finish(const std::string &what);

  /// The bytes a copy of `bytes` takes in a staging buffer (each starts on
  /// a 256-byte boundary: DMA engines move aligned blocks fastest).
  static uint64_t footprint(uint64_t bytes);

  /// Whether the copies go through pinned buffers.
  bool pinned() const { return pinned_; }

private:
  struct Buffer {
    uint8_t *data = nullptr;
    CUevent done = nullptr; ///< recorded after the buffer's last copy
    bool recorded = false;
  };
  /// Waits until buffer `index` may be written again.
  void reuse(size_t index, const std::string &what);
  /// Moves to the next buffer (its copies issued, an event recorded).
  void advance(const std::string &what);
  void release();

  const DriverApi &api_;
  CUstream stream_;
  uint64_t bufferBytes_;
  bool pinned_ = false;
  std::vector<Buffer> buffers_;
  std::vector<uint8_t> pageable_; ///< where pinning fails
  size_t current_ = 0;            ///< the buffer being filled
  uint64_t used_ = 0;             ///< its bytes filled
};

} // namespace nhc::runtime::cuda

#endif // NHC_RUNTIME_SRC_CUDA_WEIGHT_UPLOAD_H
