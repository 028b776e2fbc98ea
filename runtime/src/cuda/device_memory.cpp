//===- device_memory.cpp - Device allocations of the CUDA backend ---------===//

#include "cuda/device_memory.h"

#include "error.h"

namespace nhc::runtime::cuda {

void DeviceBuffer::reserve(uint64_t bytes, const std::string &what) {
  if (bytes <= bytes_)
    return;
  CUdeviceptr grown = 0;
  CUresult result = api_->cuMemAlloc(&grown, bytes);
  NHC_CHECK(result == kCudaSuccess, NHC_OUT_OF_MEMORY,
            cat("cuda backend: cannot allocate ", bytes,
                " bytes of device memory for ", what, ": ",
                api_->describe(result)));
  release();
  address_ = grown;
  bytes_ = bytes;
}

void DeviceBuffer::release() {
  if (address_)
    api_->cuMemFree(address_); // nothing to do about a failure here
  address_ = 0;
  bytes_ = 0;
}

DeviceStateMemory::DeviceStateMemory(const DriverApi &api, CUstream stream,
                                     uint64_t bytes, const std::string &what)
    : api_(api), stream_(stream), memory_(api) {
  memory_.reserve(bytes, what);
}

void DeviceStateMemory::zero(uint64_t offset, uint64_t bytes) {
  if (!bytes)
    return;
  checkCuda(api_,
            api_.cuMemsetD8Async(memory_.address() + offset, 0, bytes, stream_),
            NHC_INTERNAL, "cuda backend: clearing state");
  checkCuda(api_, api_.cuStreamSynchronize(stream_), NHC_INTERNAL,
            "cuda backend: clearing state");
}

void DeviceStateMemory::read(uint64_t offset, uint64_t bytes, void *out) const {
  if (!bytes)
    return;
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
  checkCuda(api_,
            api_.cuMemcpyHtoDAsync(memory_.address() + offset, in, bytes,
                                   stream_),
            NHC_INTERNAL, "cuda backend: writing state");
  checkCuda(api_, api_.cuStreamSynchronize(stream_), NHC_INTERNAL,
            "cuda backend: writing state");
}

} // namespace nhc::runtime::cuda
