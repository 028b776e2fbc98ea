//===- device.h - The CUDA device and a stream on it ----------*- C++ -*-===//
//
// Device 0 through the driver seam (driver_api.h): its compute capability,
// name and retained primary context; and a stream. Shared by the CUDA
// backend and nhc-bench's measurement of the device's limits.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CUDA_DEVICE_H
#define NHC_RUNTIME_SRC_CUDA_DEVICE_H

#include <memory>
#include <string>

#include "cuda/driver_api.h"

namespace nhc::runtime::cuda {

/// The primary context of device 0, retained while alive (never made
/// current here: see ContextScope). Throws NHC_UNSUPPORTED when the driver
/// sees no device.
class DeviceContext {
public:
  explicit DeviceContext(std::shared_ptr<const DriverApi> api);
  ~DeviceContext();
  DeviceContext(const DeviceContext &) = delete;
  DeviceContext &operator=(const DeviceContext &) = delete;

  const DriverApi &api() const { return *api_; }
  CUcontext context() const { return context_; }
  int sm() const { return sm_; } ///< compute capability, major * 10 + minor
  const std::string &name() const { return name_; }
  /// Shared memory (static and dynamic) a block may use once its function
  /// opts in, bytes (CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN).
  int sharedOptin() const { return sharedOptin_; }

private:
  std::shared_ptr<const DriverApi> api_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  int sm_ = 0;
  int sharedOptin_ = 0;
  std::string name_ = "CUDA device 0";
};

/// A non-blocking stream (no implicit ordering with the legacy default
/// stream an application's own CUDA code may use), destroyed when it goes
/// or at reset(). Create and destroy it with its context current.
class Stream {
public:
  explicit Stream(const DriverApi &api);
  ~Stream() { reset(); }
  Stream(const Stream &) = delete;
  Stream &operator=(const Stream &) = delete;
  void reset();
  CUstream get() const { return stream_; }

private:
  const DriverApi &api_;
  CUstream stream_ = nullptr;
};

} // namespace nhc::runtime::cuda

#endif // NHC_RUNTIME_SRC_CUDA_DEVICE_H
