//===- driver_api.cpp - The CUDA driver API, loaded at run time -----------===//

#include "cuda/driver_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "error.h"

namespace nhc::runtime::cuda {
namespace {

/// Resolves `symbol` into `slot`; false if the driver lacks it.
template <typename Fn> bool resolve(void *handle, const char *symbol, Fn &slot) {
  slot = reinterpret_cast<Fn>(dlsym(handle, symbol));
  return slot != nullptr;
}

std::shared_ptr<DriverApi> open(const std::string &path) {
  auto api = std::make_shared<DriverApi>();
  api->path = path;
  api->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!api->handle) {
    const char *why = dlerror();
    throw Error(NHC_UNSUPPORTED,
                cat("no CUDA driver (", path, ": ", why ? why : "cannot open",
                    ")"));
  }
  // The _v2 names are the 64-bit-size entry points cuda.h maps to.
  struct Entry {
    const char *symbol;
    bool ok;
  };
  Entry entries[] = {
      {"cuInit", resolve(api->handle, "cuInit", api->cuInit)},
      {"cuDriverGetVersion",
       resolve(api->handle, "cuDriverGetVersion", api->cuDriverGetVersion)},
      {"cuDeviceGetCount",
       resolve(api->handle, "cuDeviceGetCount", api->cuDeviceGetCount)},
      {"cuDeviceGet", resolve(api->handle, "cuDeviceGet", api->cuDeviceGet)},
      {"cuDeviceGetAttribute", resolve(api->handle, "cuDeviceGetAttribute",
                                       api->cuDeviceGetAttribute)},
      {"cuDeviceGetName",
       resolve(api->handle, "cuDeviceGetName", api->cuDeviceGetName)},
      {"cuDevicePrimaryCtxRetain",
       resolve(api->handle, "cuDevicePrimaryCtxRetain",
               api->cuDevicePrimaryCtxRetain)},
      {"cuDevicePrimaryCtxRelease_v2",
       resolve(api->handle, "cuDevicePrimaryCtxRelease_v2",
               api->cuDevicePrimaryCtxRelease)},
      {"cuCtxSetCurrent",
       resolve(api->handle, "cuCtxSetCurrent", api->cuCtxSetCurrent)},
      {"cuModuleLoadData",
       resolve(api->handle, "cuModuleLoadData", api->cuModuleLoadData)},
      {"cuModuleUnload",
       resolve(api->handle, "cuModuleUnload", api->cuModuleUnload)},
      {"cuModuleGetFunction",
       resolve(api->handle, "cuModuleGetFunction", api->cuModuleGetFunction)},
      {"cuMemAlloc_v2", resolve(api->handle, "cuMemAlloc_v2", api->cuMemAlloc)},
      {"cuMemFree_v2", resolve(api->handle, "cuMemFree_v2", api->cuMemFree)},
      {"cuMemcpyHtoD_v2",
       resolve(api->handle, "cuMemcpyHtoD_v2", api->cuMemcpyHtoD)},
      {"cuMemcpyDtoH_v2",
       resolve(api->handle, "cuMemcpyDtoH_v2", api->cuMemcpyDtoH)},
      {"cuStreamCreate",
       resolve(api->handle, "cuStreamCreate", api->cuStreamCreate)},
      {"cuStreamDestroy_v2",
       resolve(api->handle, "cuStreamDestroy_v2", api->cuStreamDestroy)},
      {"cuStreamSynchronize",
       resolve(api->handle, "cuStreamSynchronize", api->cuStreamSynchronize)},
      {"cuLaunchKernel",
       resolve(api->handle, "cuLaunchKernel", api->cuLaunchKernel)},
      {"cuGetErrorName",
       resolve(api->handle, "cuGetErrorName", api->cuGetErrorName)},
  };
  for (const Entry &entry : entries)
    NHC_CHECK(entry.ok, NHC_UNSUPPORTED,
              cat("no CUDA driver (", path, " has no ", entry.symbol, ")"));
  CUresult init = api->cuInit(0);
  NHC_CHECK(init == kCudaSuccess, NHC_UNSUPPORTED,
            cat("no CUDA driver (", path, ": cuInit failed: ",
                api->describe(init), ")"));
  return api;
}

} // namespace

DriverApi::~DriverApi() {
  if (handle)
    dlclose(handle);
}

std::string DriverApi::describe(CUresult result) const {
  const char *name = nullptr;
  if (cuGetErrorName && cuGetErrorName(result, &name) == kCudaSuccess && name)
    return cat(name, " (", result, ")");
  return cat("CUDA error ", result);
}

std::shared_ptr<const DriverApi> loadDriverApi() {
  const char *env = std::getenv("NHC_CUDA_DRIVER");
  std::string path = env && *env ? env : "libcuda.so.1";
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const DriverApi>> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = loaded.find(path);
  if (it != loaded.end())
    return it->second;
  std::shared_ptr<const DriverApi> api = open(path);
  loaded[path] = api;
  return api;
}

void checkCuda(const DriverApi &api, CUresult result, int status,
               const std::string &what) {
  NHC_CHECK(result == kCudaSuccess, static_cast<nhc_status_t>(status),
            cat(what, ": ", api.describe(result)));
}

} // namespace nhc::runtime::cuda
