//===- driver_api.cpp - The CUDA driver API, loaded at run time -----------===//

#include "cuda/driver_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "error.h"

namespace nhc::runtime::cuda {
namespace {

std::shared_ptr<DriverApi> open(const std::string &path) {
  auto api = std::make_shared<DriverApi>();
  api->path = path;
  // Never unloaded (RTLD_NODELETE, no dlclose): unloading a GPU driver at
  // exit races its own threads.
  api->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!api->handle) {
    const char *why = dlerror();
    throw Error(NHC_UNSUPPORTED,
                cat("no CUDA driver (", path, ": ", why ? why : "cannot open",
                    ")"));
  }
  // The _v2 names are the 64-bit-size entry points cuda.h maps to.
  resolveSymbols(api->handle, {
      {"cuInit", reinterpret_cast<void **>(&api->cuInit)},
      {"cuDriverGetVersion", reinterpret_cast<void **>(&api->cuDriverGetVersion)},
      {"cuDeviceGetCount", reinterpret_cast<void **>(&api->cuDeviceGetCount)},
      {"cuDeviceGet", reinterpret_cast<void **>(&api->cuDeviceGet)},
      {"cuDeviceGetAttribute", reinterpret_cast<void **>(&api->cuDeviceGetAttribute)},
      {"cuDeviceGetName", reinterpret_cast<void **>(&api->cuDeviceGetName)},
      {"cuDevicePrimaryCtxRetain", reinterpret_cast<void **>(&api->cuDevicePrimaryCtxRetain)},
      {"cuDevicePrimaryCtxRelease_v2", reinterpret_cast<void **>(&api->cuDevicePrimaryCtxRelease)},
      {"cuCtxPushCurrent_v2", reinterpret_cast<void **>(&api->cuCtxPushCurrent)},
      {"cuCtxPopCurrent_v2", reinterpret_cast<void **>(&api->cuCtxPopCurrent)},
      {"cuModuleLoadData", reinterpret_cast<void **>(&api->cuModuleLoadData)},
      {"cuModuleUnload", reinterpret_cast<void **>(&api->cuModuleUnload)},
      {"cuModuleGetFunction", reinterpret_cast<void **>(&api->cuModuleGetFunction)},
      {"cuFuncGetAttribute", reinterpret_cast<void **>(&api->cuFuncGetAttribute)},
      {"cuFuncSetAttribute", reinterpret_cast<void **>(&api->cuFuncSetAttribute)},
      {"cuMemAlloc_v2", reinterpret_cast<void **>(&api->cuMemAlloc)},
      {"cuMemFree_v2", reinterpret_cast<void **>(&api->cuMemFree)},
      {"cuMemcpyHtoD_v2", reinterpret_cast<void **>(&api->cuMemcpyHtoD)},
      {"cuMemcpyDtoH_v2", reinterpret_cast<void **>(&api->cuMemcpyDtoH)},
      {"cuMemcpyHtoDAsync_v2", reinterpret_cast<void **>(&api->cuMemcpyHtoDAsync)},
      {"cuMemcpyDtoHAsync_v2", reinterpret_cast<void **>(&api->cuMemcpyDtoHAsync)},
      {"cuMemcpyDtoDAsync_v2", reinterpret_cast<void **>(&api->cuMemcpyDtoDAsync)},
      {"cuMemsetD8Async", reinterpret_cast<void **>(&api->cuMemsetD8Async)},
      {"cuStreamCreate", reinterpret_cast<void **>(&api->cuStreamCreate)},
      {"cuStreamDestroy_v2", reinterpret_cast<void **>(&api->cuStreamDestroy)},
      {"cuStreamSynchronize", reinterpret_cast<void **>(&api->cuStreamSynchronize)},
      {"cuLaunchKernel", reinterpret_cast<void **>(&api->cuLaunchKernel)},
      {"cuStreamBeginCapture_v2", reinterpret_cast<void **>(&api->cuStreamBeginCapture)},
      {"cuStreamEndCapture", reinterpret_cast<void **>(&api->cuStreamEndCapture)},
      {"cuGraphInstantiateWithFlags", reinterpret_cast<void **>(&api->cuGraphInstantiateWithFlags)},
      {"cuGraphLaunch", reinterpret_cast<void **>(&api->cuGraphLaunch)},
      {"cuGraphExecDestroy", reinterpret_cast<void **>(&api->cuGraphExecDestroy)},
      {"cuGraphDestroy", reinterpret_cast<void **>(&api->cuGraphDestroy)},
      {"cuGetErrorName", reinterpret_cast<void **>(&api->cuGetErrorName)},
      {"cuEventCreate", reinterpret_cast<void **>(&api->cuEventCreate)},
      {"cuEventRecord", reinterpret_cast<void **>(&api->cuEventRecord)},
      // The first version (every driver has it; cuda.h maps to _v2 from
      // CUDA 12.8 on, which older drivers lack): the same arguments.
      {"cuEventElapsedTime", reinterpret_cast<void **>(&api->cuEventElapsedTime)},
      {"cuEventDestroy_v2", reinterpret_cast<void **>(&api->cuEventDestroy)},
      {"cuEventSynchronize", reinterpret_cast<void **>(&api->cuEventSynchronize)},
      {"cuMemHostAlloc", reinterpret_cast<void **>(&api->cuMemHostAlloc)},
      {"cuMemFreeHost", reinterpret_cast<void **>(&api->cuMemFreeHost)},
  }, path, "no CUDA driver");
  // Optional entry points: null where this driver lacks them.
  api->cuLaunchKernelEx = reinterpret_cast<decltype(api->cuLaunchKernelEx)>(
      dlsym(api->handle, "cuLaunchKernelEx"));
  CUresult init = api->cuInit(0);
  NHC_CHECK(init == kCudaSuccess, NHC_UNSUPPORTED,
            cat("no CUDA driver (", path, ": cuInit failed: ",
                api->describe(init), ")"));
  return api;
}

} // namespace

void resolveSymbols(void *handle, std::initializer_list<Symbol> symbols,
                    const std::string &path, const char *missing) {
  for (const Symbol &symbol : symbols) {
    *symbol.slot = dlsym(handle, symbol.name);
    NHC_CHECK(*symbol.slot != nullptr, NHC_UNSUPPORTED,
              cat(missing, " (", path, " has no ", symbol.name, ")"));
  }
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

ContextScope::ContextScope(const DriverApi &api, CUcontext context)
    : api_(api) {
  checkCuda(api, api.cuCtxPushCurrent(context), NHC_INTERNAL,
            "cuda backend: making the session's context current");
}

ContextScope::~ContextScope() {
  CUcontext popped = nullptr;
  api_.cuCtxPopCurrent(&popped);
}

} // namespace nhc::runtime::cuda
