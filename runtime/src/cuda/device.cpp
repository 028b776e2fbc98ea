//===- device.cpp - The CUDA device and a stream on it --------------------===//

#include "cuda/device.h"

#include "error.h"

namespace nhc::runtime::cuda {

DeviceContext::DeviceContext(std::shared_ptr<const DriverApi> api)
    : api_(std::move(api)) {
  int count = 0;
  checkCuda(*api_, api_->cuDeviceGetCount(&count), NHC_UNSUPPORTED,
            "cuda backend: counting devices");
  NHC_CHECK(count > 0, NHC_UNSUPPORTED,
            cat("cuda backend: the driver (", api_->path,
                ") sees no CUDA device"));
  checkCuda(*api_, api_->cuDeviceGet(&device_, 0), NHC_UNSUPPORTED,
            "cuda backend: device 0");
  int major = 0, minor = 0;
  checkCuda(*api_,
            api_->cuDeviceGetAttribute(&major, kAttributeComputeCapabilityMajor,
                                       device_),
            NHC_UNSUPPORTED, "cuda backend: compute capability");
  checkCuda(*api_,
            api_->cuDeviceGetAttribute(&minor, kAttributeComputeCapabilityMinor,
                                       device_),
            NHC_UNSUPPORTED, "cuda backend: compute capability");
  sm_ = major * 10 + minor;
  checkCuda(*api_,
            api_->cuDeviceGetAttribute(
                &sharedOptin_, kAttributeMaxSharedMemoryPerBlockOptin, device_),
            NHC_UNSUPPORTED, "cuda backend: shared memory per block");
  char name[256] = {};
  if (api_->cuDeviceGetName(name, sizeof(name) - 1, device_) == kCudaSuccess)
    name_ = name;
  checkCuda(*api_, api_->cuDevicePrimaryCtxRetain(&context_, device_),
            NHC_UNSUPPORTED, "cuda backend: the device's context");
}

DeviceContext::~DeviceContext() {
  if (context_)
    api_->cuDevicePrimaryCtxRelease(device_);
}

Stream::Stream(const DriverApi &api) : api_(api) {
  checkCuda(api, api.cuStreamCreate(&stream_, kStreamNonBlocking),
            NHC_UNSUPPORTED, "cuda backend: creating a stream");
}

void Stream::reset() {
  if (stream_)
    api_.cuStreamDestroy(stream_);
  stream_ = nullptr;
}

} // namespace nhc::runtime::cuda
