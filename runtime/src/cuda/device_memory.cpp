//===- device_memory.cpp - Device allocations of the CUDA backend ---------===//

#include "cuda/device_memory.h"

#include "error.h"

namespace nhc::runtime::cuda {

bool DeviceBuffer::reserve(uint64_t bytes, const std::string &what) {
  if (bytes <= bytes_)
    return false;
  CUdeviceptr grown = 0;
  CUresult result = api_->cuMemAlloc(&grown, bytes);
  NHC_CHECK(result == kCudaSuccess, NHC_OUT_OF_MEMORY,
            cat("cuda backend: cannot allocate ", bytes,
                " bytes of device memory for ", what, ": ",
                api_->describe(result)));
  release();
  address_ = grown;
  bytes_ = bytes;
  return true;
}

void DeviceBuffer::release() {
  if (address_)
    api_->cuMemFree(address_); // nothing to do about a failure here
  address_ = 0;
  bytes_ = 0;
}

DeviceStateMemory::DeviceStateMemory(const DriverApi &api, CUcontext context,
                                     CUstream stream, uint64_t bytes,
                                     const std::string &what)
    : api_(api), context_(context), stream_(stream), memory_(api) {
  ContextScope scope(api_, context_);
  memory_.reserve(bytes, what);
}

DeviceStateMemory::~DeviceStateMemory() {
  try {
    ContextScope scope(api_, context_);
    memory_.reset();
  } catch (...) {
    // The context is gone: so is its memory.
  }
}

void DeviceStateMemory::zero(uint64_t offset, uint64_t bytes) {
  if (!bytes)
    return;
  ContextScope scope(api_, context_);
  checkCuda(api_,
            api_.cuMemsetD8Async(memory_.address() + offset, 0, bytes, stream_),
            NHC_INTERNAL, "cuda backend: clearing state");
  checkCuda(api_, api_.cuStreamSynchronize(stream_), NHC_INTERNAL,
            "cuda backend: clearing state");
}

void DeviceStateMemory::read(uint64_t offset, uint64_t bytes, void *out) const {
  if (!bytes)
    return;
  ContextScope scope(api_, context_);
  checkCuda(api_,
            api_.cuMemcpyDtoHAsync(out, memory_.address() + offset, bytes,
                                   stream_),
            NHC_INTERNAL, "cuda backend: reading state");
  checkCuda(api_, api_.cuStreamSynchronize(stream_), NHC_INTERNAL,
            "cuda backend: reading state");
}

void DeviceStateMemory::write(uint64_t offset, uint64_t bytes, const void *in) {
  if (!bytes)
    return;
  ContextScope scope(api_, context_);
  checkCuda(api_,
            api_.cuMemcpyHtoDAsync(memory_.address() + offset, in, bytes,
                                   stream_),
            NHC_INTERNAL, "cuda backend: writing state");
  checkCuda(api_, api_.cuStreamSynchronize(stream_), NHC_INTERNAL,
            "cuda backend: writing state");
}

void DeviceStateMemory::copy(uint64_t from, uint64_t to, uint64_t bytes) {
  if (!bytes)
    return;
  ContextScope scope(api_, context_);
  checkCuda(api_,
            api_.cuMemcpyDtoDAsync(memory_.address() + to,
                                   memory_.address() + from, bytes, stream_),
            NHC_INTERNAL, "cuda backend: copying state");
  checkCuda(api_, api_.cuStreamSynchronize(stream_), NHC_INTERNAL,
            "cuda backend: copying state");
}

} // namespace nhc::runtime::cuda
