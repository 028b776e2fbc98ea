//===- cuda_backend.cpp - The CUDA backend --------------------------------===//

#include "cuda/cuda_backend.h"

#include <cstdint>
#include <cstring>

#include "cuda/driver_api.h"
#include "cuda/launch_table.h"
#include "error.h"
#include "manifest.h"
#include "nhc/runtime/artifact.h"

namespace nhc::runtime::cuda {
namespace {

/// n of a section named "sm_<n>", or -1.
int chipNumber(const char *name) {
  std::string s = name ? name : "";
  if (s.size() < 4 || s.size() > 6 || s.compare(0, 3, "sm_") != 0)
    return -1;
  int n = 0;
  for (size_t i = 3; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9')
      return -1; // "sm_90a" (arch-specific) is not loaded by number
    n = n * 10 + (s[i] - '0');
  }
  return n > 0 ? n : -1;
}

/// Whether `bytes` hold a whole 64-bit ELF file as its header describes it
/// (cuModuleLoadData gets no size: it must not read past the section).
bool wholeElf64(const std::string &bytes) {
  if (bytes.size() < 64 || bytes.compare(0, 4, "\177ELF") != 0 ||
      bytes[4] != 2 /* ELFCLASS64 */)
    return false;
  auto read = [&](size_t at, size_t width) {
    uint64_t v = 0;
    std::memcpy(&v, bytes.data() + at, width); // little-endian hosts only
    return v;
  };
  uint64_t phoff = read(0x20, 8), shoff = read(0x28, 8);
  uint64_t phentsize = read(0x36, 2), phnum = read(0x38, 2);
  uint64_t shentsize = read(0x3a, 2), shnum = read(0x3c, 2);
  auto fits = [&](uint64_t offset, uint64_t size, uint64_t count) {
    return offset <= bytes.size() && size * count <= bytes.size() - offset;
  };
  return fits(phoff, phentsize, phnum) && fits(shoff, shentsize, shnum);
}

/// The primary context of device 0, retained while alive.
class DeviceContext {
public:
  explicit DeviceContext(std::shared_ptr<const DriverApi> api) : api_(std::move(api)) {
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
              api_->cuDeviceGetAttribute(
                  &major, kAttributeComputeCapabilityMajor, device_),
              NHC_UNSUPPORTED, "cuda backend: compute capability");
    checkCuda(*api_,
              api_->cuDeviceGetAttribute(
                  &minor, kAttributeComputeCapabilityMinor, device_),
              NHC_UNSUPPORTED, "cuda backend: compute capability");
    sm_ = major * 10 + minor;
    char name[256] = {};
    if (api_->cuDeviceGetName(name, sizeof(name) - 1, device_) == kCudaSuccess)
      name_ = name;
    checkCuda(*api_, api_->cuDevicePrimaryCtxRetain(&context_, device_),
              NHC_UNSUPPORTED, "cuda backend: the device's context");
    CUresult current = api_->cuCtxSetCurrent(context_);
    if (current != kCudaSuccess) {
      api_->cuDevicePrimaryCtxRelease(device_); // no destructor runs
      checkCuda(*api_, current, NHC_UNSUPPORTED,
                "cuda backend: making the context current");
    }
  }
  ~DeviceContext() {
    if (context_)
      api_->cuDevicePrimaryCtxRelease(device_);
  }
  DeviceContext(const DeviceContext &) = delete;
  DeviceContext &operator=(const DeviceContext &) = delete;

  const DriverApi &api() const { return *api_; }
  int sm() const { return sm_; }
  const std::string &name() const { return name_; }

private:
  std::shared_ptr<const DriverApi> api_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  int sm_ = 0;
  std::string name_ = "CUDA device 0";
};

/// A loaded module, unloaded when it goes.
class Module {
public:
  Module(const DriverApi &api, const GpuImage &image, const std::string &what)
      : api_(api) {
    checkCuda(api, api.cuModuleLoadData(&module_, image.bytes.data()),
              NHC_INVALID_FORMAT, what);
  }
  ~Module() {
    if (module_)
      api_.cuModuleUnload(module_);
  }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  CUmodule get() const { return module_; }

private:
  const DriverApi &api_;
  CUmodule module_ = nullptr;
};

} // namespace

GpuImage selectGpuImage(const nhc_artifact_t &artifact, int sm,
                        const std::string &origin) {
  GpuImage image;
  std::string chips;
  int bestPtx = -1;
  nhc_section_t ptx{};
  size_t count = nhc_artifact_section_count(&artifact);
  for (size_t i = 0; i < count; ++i) {
    nhc_section_t section{};
    if (nhc_artifact_section_at(&artifact, i, &section) != NHC_OK)
      continue;
    if (section.kind != NHC_SECTION_PTX && section.kind != NHC_SECTION_CUBIN)
      continue;
    int n = chipNumber(section.name);
    chips += cat(chips.empty() ? "" : ", ", section.name,
                 section.kind == NHC_SECTION_CUBIN ? " (cubin)" : " (PTX)");
    if (section.kind == NHC_SECTION_CUBIN && n == sm) {
      image.chip = section.name;
      image.cubin = true;
      image.bytes.assign(static_cast<const char *>(section.data), section.size);
      NHC_CHECK(wholeElf64(image.bytes), NHC_INVALID_FORMAT,
                cat(origin, ": CUBIN section '", section.name, "' (",
                    section.size, " bytes) is not a whole ELF file"));
      return image;
    }
    if (section.kind == NHC_SECTION_PTX && n > bestPtx && n <= sm) {
      bestPtx = n;
      ptx = section;
    }
  }
  NHC_CHECK(bestPtx > 0, NHC_NOT_FOUND,
            cat(origin, ": no GPU code for this device (sm_", sm,
                "): the artifact has ",
                chips.empty() ? std::string("none; compile with "
                                            "--target=cuda:sm_XX")
                              : chips));
  image.chip = ptx.name;
  image.bytes.assign(static_cast<const char *>(ptx.data), ptx.size);
  image.bytes.push_back('\0'); // cuModuleLoadData reads PTX up to a NUL
  return image;
}

std::unique_ptr<Backend> createCudaBackend(const BackendContext &context) {
  const std::string &origin = context.manifest->origin;
  DeviceContext device(loadDriverApi());
  const DriverApi &api = device.api();

  nhc_section_t section{};
  NHC_CHECK(nhc_artifact_find_section(context.artifact,
                                      NHC_SECTION_LAUNCH_TABLE_JSON, "cuda",
                                      &section) == NHC_OK,
            NHC_NOT_FOUND,
            cat(origin, ": no LAUNCH_TABLE_JSON section (kind 6) 'cuda': "
                        "compile with --target=cuda:sm_XX"));
  std::string where = cat(origin, ": section 'cuda' (launch table)");
  LaunchTable table = LaunchTable::parse(
      static_cast<const char *>(section.data), section.size, where);
  for (const KernelSpec &kernel : context.plan->kernels)
    NHC_CHECK(table.find(kernel.name) != nullptr, NHC_NOT_FOUND,
              cat(where, ": no function for kernel '", kernel.name, "'"));

  GpuImage image = selectGpuImage(*context.artifact, device.sm(), origin);
  Module module(api, image,
                cat(origin, ": loading the ", image.cubin ? "cubin" : "PTX",
                    " '", image.chip, "' on ", device.name()));
  size_t kernels = 0;
  for (const KernelSpec &kernel : context.plan->kernels)
    for (const LaunchDef &launch : table.find(kernel.name)->launches) {
      auto entry = launch.entry.find(image.chip);
      NHC_CHECK(entry != launch.entry.end(), NHC_NOT_FOUND,
                cat(where, ": '", kernel.name, "' has no entry for ",
                    image.chip));
      CUfunction function = nullptr;
      checkCuda(api,
                api.cuModuleGetFunction(&function, module.get(),
                                        entry->second.c_str()),
                NHC_NOT_FOUND,
                cat(origin, ": GPU kernel '", entry->second, "' of '",
                    kernel.name, "' in ", image.chip));
      ++kernels;
    }
  throw Error(NHC_UNSUPPORTED,
              cat(origin, ": the cuda backend found ", kernels,
                  " GPU kernels for ", image.chip, " (",
                  image.cubin ? "cubin" : "PTX", ") on ", device.name(),
                  " (sm_", device.sm(),
                  "), but cannot run steps yet: device memory, cuBLASLt "
                  "GEMMs and kernel launches are not implemented"));
}

} // namespace nhc::runtime::cuda
