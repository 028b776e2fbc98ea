//===- weight_upload.cpp - Weights to the device through pinned buffers ---===//

#include "cuda/weight_upload.h"

#include <algorithm>
#include <cstring>

#include "error.h"
#include "thread_pool.h"

namespace nhc::runtime::cuda {
namespace {

/// Where a piece starts in a staging buffer (DMA engines move aligned
/// blocks fastest).
constexpr uint64_t kPieceAlignment = 256;
/// The least bytes a host thread fills at once: below that the threads'
/// start costs more than the copy.
constexpr uint64_t kThreadGrainBytes = 1ull << 20;
/// A pageable buffer's bytes where pinning fails or is turned off.
constexpr uint64_t kPageableBytes = 16ull << 20;

} // namespace

uint64_t WeightUpload::footprint(uint64_t bytes) {
  return (bytes + kPieceAlignment - 1) / kPieceAlignment * kPieceAlignment;
}

WeightUpload::WeightUpload(const DriverApi &api, CUstream stream,
                           uint64_t bufferBytes, uint64_t totalBytes,
                           unsigned buffers)
    : api_(api), stream_(stream), bufferBytes_(bufferBytes) {
  // No more than the upload needs: a session of weights generated on the
  // device pins a few KiB, not 192 MiB.
  if (bufferBytes_ > totalBytes) {
    bufferBytes_ = std::max<uint64_t>(totalBytes, 4096);
    buffers = 1;
  }
  if (bufferBytes_ && buffers && totalBytes) {
    pinned_ = true;
    buffers_.reserve(buffers); // push_back cannot throw past an allocation
    for (unsigned i = 0; i < buffers && pinned_; ++i) {
      Buffer buffer;
      void *data = nullptr;
      if (api_.cuMemHostAlloc(&data, bufferBytes_, 0) != kCudaSuccess) {
        pinned_ = false;
        break;
      }
      buffer.data = static_cast<uint8_t *>(data);
      if (api_.cuEventCreate(&buffer.done, kEventDisableTiming) !=
          kCudaSuccess) {
        api_.cuMemFreeHost(data);
        pinned_ = false;
        break;
      }
      buffers_.push_back(buffer);
    }
    if (!pinned_)
      release();
  }
  if (!pinned_)
    bufferBytes_ = kPageableBytes;
}

WeightUpload::~WeightUpload() {
  // The buffers may still be read by copies (an error left them running).
  api_.cuStreamSynchronize(stream_);
  release();
}

void WeightUpload::release() {
  for (Buffer &buffer : buffers_) {
    if (buffer.done)
      api_.cuEventDestroy(buffer.done);
    if (buffer.data)
      api_.cuMemFreeHost(buffer.data);
  }
  buffers_.clear();
}

void WeightUpload::copy(CUdeviceptr dst, const void *src, uint64_t bytes,
                        const std::string &what) {
  if (!pinned_) { // the driver stages pageable memory itself
    if (bytes)
      checkCuda(api_, api_.cuMemcpyHtoDAsync(dst, src, bytes, stream_),
                NHC_INTERNAL, what);
    return;
  }
  const uint8_t *from = static_cast<const uint8_t *>(src);
  produce(dst, bytes, 1,
          [from](uint64_t first, uint64_t count, uint8_t *out) {
            std::memcpy(out, from + first, count);
          },
          what);
}

void WeightUpload::produce(CUdeviceptr dst, uint64_t elems, uint64_t elemBytes,
                           const Produce &make, const std::string &what) {
  NHC_CHECK(elemBytes > 0 && elemBytes + kPieceAlignment <= bufferBytes_,
            NHC_INTERNAL, cat(what, ": elements of ", elemBytes,
                              " bytes do not fit a staging buffer"));
  uint64_t done = 0;
  while (done < elems) {
    uint8_t *base;
    uint64_t offset;
    if (pinned_) {
      offset = footprint(used_);
      if (offset + elemBytes > bufferBytes_) {
        advance(what);
        offset = 0;
      }
      base = buffers_[current_].data;
    } else {
      pageable_.resize(bufferBytes_);
      offset = 0;
      base = pageable_.data();
    }
    const uint64_t count =
        std::min((bufferBytes_ - offset) / elemBytes, elems - done);
    uint8_t *out = base + offset;
    const uint64_t grain = std::max<uint64_t>(1, kThreadGrainBytes / elemBytes);
    parallelFor(count, grain, [&](size_t begin, size_t end) {
      make(done + begin, end - begin, out + begin * elemBytes);
    });
    checkCuda(api_,
              api_.cuMemcpyHtoDAsync(dst + done * elemBytes, out,
                                     count * elemBytes, stream_),
              NHC_INTERNAL, what);
    if (pinned_) {
      used_ = offset + count * elemBytes;
    } else { // the next part overwrites the buffer
      checkCuda(api_, api_.cuStreamSynchronize(stream_), NHC_INTERNAL, what);
    }
    done += count;
  }
}

void WeightUpload::advance(const std::string &what) {
  Buffer &filled = buffers_[current_];
  checkCuda(api_, api_.cuEventRecord(filled.done, stream_), NHC_INTERNAL,
            what);
  filled.recorded = true;
  current_ = (current_ + 1) % buffers_.size();
  used_ = 0;
  reuse(current_, what);
}

void WeightUpload::reuse(size_t index, const std::string &what) {
  Buffer &buffer = buffers_[index];
  if (!buffer.recorded)
    return;
  checkCuda(api_, api_.cuEventSynchronize(buffer.done), NHC_INTERNAL, what);
  buffer.recorded = false;
}

void WeightUpload::finish(const std::string &what) {
  checkCuda(api_, api_.cuStreamSynchronize(stream_), NHC_INTERNAL, what);
  for (Buffer &buffer : buffers_)
    buffer.recorded = false;
  current_ = 0;
  used_ = 0;
}

} // namespace nhc::runtime::cuda
