//===- device_memory.h - Device allocations of the CUDA backend -*- C++ -*-===//
//
// RAII owners of device memory through the driver seam (driver_api.h): a
// buffer that grows, and the state pool's memory (state_pool_internal.h's
// StateMemory) on the device.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CUDA_DEVICE_MEMORY_H
#define NHC_RUNTIME_SRC_CUDA_DEVICE_MEMORY_H

#include <cstdint>
#include <memory>
#include <string>

#include "cuda/driver_api.h"
#include "state_pool_internal.h"

namespace nhc::runtime::cuda {

/// Device memory of `bytes()` bytes, freed when it goes.
class DeviceBuffer {
public:
  explicit DeviceBuffer(const DriverApi &api) : api_(&api) {}
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer &&other) noexcept
      : api_(other.api_), address_(other.address_), bytes_(other.bytes_) {
    other.address_ = 0;
    other.bytes_ = 0;
  }
  DeviceBuffer &operator=(DeviceBuffer &&) = delete;
  DeviceBuffer(const DeviceBuffer &) = delete;

  /// Makes the buffer hold at least `bytes` bytes; contents are not kept
  /// when it grows. Returns whether it moved (grew). Throws
  /// NHC_OUT_OF_MEMORY naming `what` and then changes nothing.
  bool reserve(uint64_t bytes, const std::string &what);
  /// Frees the memory now (with the owner's context current).
  void reset() { release(); }
  uint64_t address() const { return address_; }
  uint64_t bytes() const { return bytes_; }

private:
  void release();
  const DriverApi *api_;
  CUdeviceptr address_ = 0;
  uint64_t bytes_ = 0;
};

/// A state pool's bytes in device memory; every access is a copy on
/// `stream`, finished before the call returns.
class DeviceStateMemory final : public StateMemory {
public:
  DeviceStateMemory(const DriverApi &api, CUcontext context, CUstream stream,
                    uint64_t bytes, const std::string &what);
  ~DeviceStateMemory() override;
  void zero(uint64_t offset, uint64_t bytes) override;
  void read(uint64_t offset, uint64_t bytes, void *out) const override;
  void write(uint64_t offset, uint64_t bytes, const void *in) override;
  void copy(uint64_t from, uint64_t to, uint64_t bytes) override;
  uint8_t *hostAddress(uint64_t) override { return nullptr; }
  uint64_t deviceAddress(uint64_t offset) override {
    return memory_.address() + offset;
  }

private:
  const DriverApi &api_;
  CUcontext context_;
  CUstream stream_;
  DeviceBuffer memory_;
};

} // namespace nhc::runtime::cuda

#endif // NHC_RUNTIME_SRC_CUDA_DEVICE_MEMORY_H
