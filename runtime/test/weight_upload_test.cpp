//===- weight_upload_test.cpp - Weights through pinned staging buffers ----===//
//
// WeightUpload (src/cuda/weight_upload.h) on the driver double, whose copies
// from pinned memory run only when the host waits or issues other work (as
// a GPU's run while the host goes on): so a buffer refilled before its copy
// finished would upload the wrong bytes here, as on a device.

#include <dlfcn.h>

#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cuda/driver_api.h"
#include "cuda/weight_upload.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using namespace runtime::cuda;

long fakeCounter(const char *name) {
  void *handle = dlopen(NHC_FAKE_CUDA_DRIVER_PATH, RTLD_NOW | RTLD_NOLOAD);
  void *counter = handle ? dlsym(handle, name) : nullptr;
  long value = counter ? reinterpret_cast<long (*)()>(counter)() : -1;
  if (handle)
    dlclose(handle);
  return value;
}

/// The double's driver with its device's context current and a stream.
struct Device {
  ScopedEnv driver{"NHC_CUDA_DRIVER", NHC_FAKE_CUDA_DRIVER_PATH};
  std::shared_ptr<const DriverApi> api = loadDriverApi();
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  std::vector<CUdeviceptr> allocations;

  Device() {
    EXPECT_EQ(api->cuDevicePrimaryCtxRetain(&context, 0), kCudaSuccess);
    EXPECT_EQ(api->cuCtxPushCurrent(context), kCudaSuccess);
    EXPECT_EQ(api->cuStreamCreate(&stream, 0), kCudaSuccess);
  }
  ~Device() {
    for (CUdeviceptr address : allocations)
      api->cuMemFree(address);
    api->cuStreamDestroy(stream);
    CUcontext popped = nullptr;
    api->cuCtxPopCurrent(&popped);
  }
  CUdeviceptr alloc(size_t bytes) {
    CUdeviceptr address = 0;
    EXPECT_EQ(api->cuMemAlloc(&address, bytes), kCudaSuccess);
    allocations.push_back(address);
    return address;
  }
  std::vector<uint8_t> read(CUdeviceptr address, size_t bytes) {
    std::vector<uint8_t> out(bytes);
    EXPECT_EQ(api->cuMemcpyDtoH(out.data(), address, bytes), kCudaSuccess);
    return out;
  }
};

std::vector<uint8_t> pattern(size_t bytes, unsigned seed) {
  std::vector<uint8_t> out(bytes);
  for (size_t i = 0; i < bytes; ++i)
    out[i] = static_cast<uint8_t>((i * 2654435761u + seed) >> 7);
  return out;
}

/// Tensors larger than a buffer, and many small ones packed into one, all
/// land whole, through three buffers of 4 KiB reused about a hundred times
/// (each reuse waits for the buffer's copies); widened tensors too.
TEST(WeightUpload, PinnedBuffersCarryEveryByteInOrder) {
  Device device;
  const long copiesBefore = fakeCounter("nhc_fake_cuda_pinned_copies");
  const std::vector<size_t> sizes = {100000, 3, 1, 4096, 4095, 4097, 777,
                                     65536, 10, 250000};
  std::vector<std::vector<uint8_t>> tensors;
  std::vector<CUdeviceptr> addresses;
  {
    WeightUpload upload(*device.api, device.stream, 4096, 1ull << 30);
    ASSERT_TRUE(upload.pinned());
    EXPECT_EQ(fakeCounter("nhc_fake_cuda_pinned_live"), 3);
    for (size_t i = 0; i < sizes.size(); ++i) {
      tensors.push_back(pattern(sizes[i], static_cast<unsigned>(i)));
      addresses.push_back(device.alloc(sizes[i]));
      upload.copy(addresses.back(), tensors.back().data(), sizes[i],
                  "tensor " + std::to_string(i));
    }
    // 30000 u16 values widened to u32 by a producer, as the backend widens
    // bf16 matrices to f32.
    std::vector<uint16_t> narrow(30000);
    std::iota(narrow.begin(), narrow.end(), uint16_t{7});
    const CUdeviceptr wide = device.alloc(narrow.size() * 4);
    upload.produce(wide, narrow.size(), 4,
                   [&](uint64_t first, uint64_t count, uint8_t *out) {
                     for (uint64_t j = 0; j < count; ++j) {
                       uint32_t value = uint32_t{narrow[first + j]} << 16;
                       std::memcpy(out + 4 * j, &value, 4);
                     }
                   },
                   "widened");
    upload.finish("the test's upload");
    std::vector<uint8_t> got = device.read(wide, narrow.size() * 4);
    for (size_t j = 0; j < narrow.size(); ++j) {
      uint32_t value;
      std::memcpy(&value, got.data() + 4 * j, 4);
      ASSERT_EQ(value, uint32_t{narrow[j]} << 16) << "element " << j;
    }
  }
  for (size_t i = 0; i < sizes.size(); ++i)
    EXPECT_EQ(device.read(addresses[i], sizes[i]), tensors[i]) << "tensor " << i;
  EXPECT_GT(fakeCounter("nhc_fake_cuda_pinned_copies") - copiesBefore, 100)
      << "the copies went through the pinned buffers";
  EXPECT_EQ(fakeCounter("nhc_fake_cuda_pinned_live"), 0)
      << "the buffers are freed with the upload";
}

/// The double is strict enough to catch a missing wait: rewriting a pinned
/// buffer after queueing its copy, without waiting, uploads the new bytes
/// (as a GPU whose copy had not started would).
TEST(WeightUpload, TheDoubleCopiesFromPinnedMemoryOnlyWhenTheHostWaits) {
  Device device;
  void *pinned = nullptr;
  ASSERT_EQ(device.api->cuMemHostAlloc(&pinned, 16, 0), kCudaSuccess);
  const CUdeviceptr address = device.alloc(16);
  std::memset(pinned, 1, 16);
  ASSERT_EQ(device.api->cuMemcpyHtoDAsync(address, pinned, 16, device.stream),
            kCudaSuccess);
  std::memset(pinned, 2, 16); // too early
  ASSERT_EQ(device.api->cuStreamSynchronize(device.stream), kCudaSuccess);
  EXPECT_EQ(device.read(address, 16), std::vector<uint8_t>(16, 2));
  // With the wait in between (an event recorded after the copy), the
  // device has the first bytes.
  CUevent done = nullptr;
  ASSERT_EQ(device.api->cuEventCreate(&done, kEventDisableTiming), kCudaSuccess);
  std::memset(pinned, 1, 16);
  ASSERT_EQ(device.api->cuMemcpyHtoDAsync(address, pinned, 16, device.stream),
            kCudaSuccess);
  ASSERT_EQ(device.api->cuEventRecord(done, device.stream), kCudaSuccess);
  ASSERT_EQ(device.api->cuEventSynchronize(done), kCudaSuccess);
  std::memset(pinned, 2, 16);
  EXPECT_EQ(device.read(address, 16), std::vector<uint8_t>(16, 1));
  EXPECT_EQ(device.api->cuEventDestroy(done), kCudaSuccess);
  EXPECT_EQ(device.api->cuMemFreeHost(pinned), kCudaSuccess);
  EXPECT_NE(device.api->cuMemFreeHost(pinned), kCudaSuccess);
}

/// Where the driver cannot pin memory (or NHC_CUDA_STAGING_BYTES=0 asks for
/// none) the bytes go from pageable memory, the same bytes.
TEST(WeightUpload, WithoutPinnedMemoryTheBytesGoFromPageableMemory) {
  Device device;
  for (bool refuse : {true, false}) {
    SCOPED_TRACE(refuse ? "the driver refuses to pin" : "no staging asked");
    ScopedEnv pinning("NHC_FAKE_CUDA_PINNED", refuse ? "fail" : "");
    const long copiesBefore = fakeCounter("nhc_fake_cuda_pinned_copies");
    WeightUpload upload(*device.api, device.stream, refuse ? 4096 : 0,
                        1ull << 30);
    EXPECT_FALSE(upload.pinned());
    EXPECT_EQ(fakeCounter("nhc_fake_cuda_pinned_live"), 0);
    const std::vector<uint8_t> bytes = pattern(50000, 3);
    const CUdeviceptr address = device.alloc(bytes.size());
    upload.copy(address, bytes.data(), bytes.size(), "plain");
    const CUdeviceptr wide = device.alloc(4 * 20000000);
    upload.produce(wide, 20000000, 4, // more than the pageable buffer's part
                   [](uint64_t first, uint64_t count, uint8_t *out) {
                     for (uint64_t j = 0; j < count; ++j) {
                       uint32_t value = static_cast<uint32_t>(first + j);
                       std::memcpy(out + 4 * j, &value, 4);
                     }
                   },
                   "widened");
    upload.finish("the test's upload");
    EXPECT_EQ(device.read(address, bytes.size()), bytes);
    std::vector<uint8_t> got = device.read(wide, 4 * 20000000);
    for (uint32_t j = 0; j < 20000000; j += 999983) {
      uint32_t value;
      std::memcpy(&value, got.data() + 4 * uint64_t{j}, 4);
      ASSERT_EQ(value, j);
    }
    EXPECT_EQ(fakeCounter("nhc_fake_cuda_pinned_copies"), copiesBefore);
  }
}

} // namespace
} // namespace nhc::test
