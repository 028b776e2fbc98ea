//===- driver_api.h - The CUDA driver API, loaded at run time -*- C++ -*-===//
//
// The runtime calls the CUDA driver through these entry points, resolved
// with dlopen from libcuda.so.1 (or the file NHC_CUDA_DRIVER names: the test
// double in runtime/test/fake_cuda_driver.c), so neither the runtime nor its
// users link against CUDA and a machine without a driver gets a clear
// error. The types are the driver API's (cuda.h), declared here by their
// ABI: handles are pointers, device addresses 64-bit integers.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CUDA_DRIVER_API_H
#define NHC_RUNTIME_SRC_CUDA_DRIVER_API_H

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

// The driver's opaque handle types, at global scope as in cuda.h (the
// function types must be the driver's exactly).
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUgraph_st;
struct CUgraphExec_st;
struct CUevent_st;

namespace nhc::runtime::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = ::CUctx_st *;
using CUmodule = ::CUmod_st *;
using CUfunction = ::CUfunc_st *;
using CUstream = ::CUstream_st *;
using CUgraph = ::CUgraph_st *;
using CUgraphExec = ::CUgraphExec_st *;
using CUevent = ::CUevent_st *;

constexpr CUresult kCudaSuccess = 0;
/// cuDeviceGetAttribute: CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR/MINOR.
constexpr int kAttributeComputeCapabilityMajor = 75;
constexpr int kAttributeComputeCapabilityMinor = 76;
/// cuDeviceGetAttribute: CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
/// the most shared memory (static and dynamic, bytes) a block may use once
/// its function opts in.
constexpr int kAttributeMaxSharedMemoryPerBlockOptin = 97;
/// cuFuncGetAttribute: CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, a function's
/// static shared memory in bytes.
constexpr int kFuncAttributeSharedSizeBytes = 1;
/// cuFuncSetAttribute: CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, the
/// dynamic shared memory a launch of the function may ask for (without it,
/// 48 KiB less the static bytes).
constexpr int kFuncAttributeMaxDynamicSharedSizeBytes = 8;
/// CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: only this thread's unsafe calls
/// (synchronizing ones) fail while it captures.
constexpr int kCaptureModeThreadLocal = 1;
/// CU_STREAM_NON_BLOCKING: no implicit synchronization with stream 0.
constexpr unsigned kStreamNonBlocking = 1;
/// CU_EVENT_DEFAULT: an event that records its time.
constexpr unsigned kEventDefault = 0;
/// CU_EVENT_DISABLE_TIMING: an event only waited for (lighter to record).
constexpr unsigned kEventDisableTiming = 0x2;
/// CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION: the launch may
/// start before the kernel ahead of it on the stream completes; the kernel
/// itself waits for it (griddepcontrol.wait) before reading its results.
constexpr int kLaunchAttributeProgrammaticStreamSerialization = 6;
/// The first driver whose stream capture records programmatic launches as
/// graph edges (CUDA 12.3, cuDriverGetVersion's 1000 * major + 10 * minor).
constexpr int kProgrammaticCaptureDriverVersion = 12030;

/// cuda.h's CUlaunchAttribute: an id, padding to 8 bytes, a 64-byte value
/// union (here only its first int, programmaticStreamSerializationAllowed).
struct LaunchAttribute {
  int id = 0;
  char pad[4] = {};
  union {
    int programmaticStreamSerializationAllowed;
    alignas(8) unsigned char bytes[64];
  } value = {};
};
static_assert(sizeof(LaunchAttribute) == 72, "cuda.h's CUlaunchAttribute");

/// cuda.h's CUlaunchConfig: cuLaunchKernel's sizes and stream, and
/// attributes.
struct LaunchConfig {
  unsigned gridDimX = 1, gridDimY = 1, gridDimZ = 1;
  unsigned blockDimX = 1, blockDimY = 1, blockDimZ = 1;
  unsigned sharedMemBytes = 0;
  CUstream hStream = nullptr;
  LaunchAttribute *attrs = nullptr;
  unsigned numAttrs = 0;
};

struct DriverApi {
  std::string path; ///< the file loaded
  void *handle = nullptr;
  CUresult (*cuInit)(unsigned flags) = nullptr;
  CUresult (*cuDriverGetVersion)(int *version) = nullptr;
  CUresult (*cuDeviceGetCount)(int *count) = nullptr;
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal) = nullptr;
  CUresult (*cuDeviceGetAttribute)(int *value, int attribute,
                                   CUdevice device) = nullptr;
  CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device) = nullptr;
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context,
                                       CUdevice device) = nullptr;
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice device) = nullptr;
  CUresult (*cuCtxPushCurrent)(CUcontext context) = nullptr;
  CUresult (*cuCtxPopCurrent)(CUcontext *context) = nullptr;
  CUresult (*cuModuleLoadData)(CUmodule *module, const void *image) = nullptr;
  CUresult (*cuModuleUnload)(CUmodule module) = nullptr;
  CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module,
                                  const char *name) = nullptr;
  CUresult (*cuFuncGetAttribute)(int *value, int attribute,
                                 CUfunction function) = nullptr;
  CUresult (*cuFuncSetAttribute)(CUfunction function, int attribute,
                                 int value) = nullptr;
  CUresult (*cuMemAlloc)(CUdeviceptr *address, size_t bytes) = nullptr;
  CUresult (*cuMemFree)(CUdeviceptr address) = nullptr;
  CUresult (*cuMemcpyHtoD)(CUdeviceptr dst, const void *src,
                           size_t bytes) = nullptr;
  CUresult (*cuMemcpyDtoH)(void *dst, CUdeviceptr src, size_t bytes) = nullptr;
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr dst, const void *src, size_t bytes,
                                CUstream stream) = nullptr;
  CUresult (*cuMemcpyDtoHAsync)(void *dst, CUdeviceptr src, size_t bytes,
                                CUstream stream) = nullptr;
  CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                                CUstream stream) = nullptr;
  CUresult (*cuMemsetD8Async)(CUdeviceptr dst, unsigned char value,
                              size_t bytes, CUstream stream) = nullptr;
  CUresult (*cuStreamCreate)(CUstream *stream, unsigned flags) = nullptr;
  CUresult (*cuStreamDestroy)(CUstream stream) = nullptr;
  CUresult (*cuStreamSynchronize)(CUstream stream) = nullptr;
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned gridX,
                             unsigned gridY, unsigned gridZ, unsigned blockX,
                             unsigned blockY, unsigned blockZ,
                             unsigned sharedBytes, CUstream stream,
                             void **params, void **extra) = nullptr;
  /// Optional (drivers of CUDA 11.8 and newer have it): nullptr where the
  /// driver lacks it, and launches do without attributes.
  CUresult (*cuLaunchKernelEx)(const LaunchConfig *config, CUfunction function,
                               void **params, void **extra) = nullptr;
  CUresult (*cuStreamBeginCapture)(CUstream stream, int mode) = nullptr;
  CUresult (*cuStreamEndCapture)(CUstream stream, CUgraph *graph) = nullptr;
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *exec, CUgraph graph,
                                          unsigned long long flags) = nullptr;
  CUresult (*cuGraphLaunch)(CUgraphExec exec, CUstream stream) = nullptr;
  CUresult (*cuGraphExecDestroy)(CUgraphExec exec) = nullptr;
  CUresult (*cuGraphDestroy)(CUgraph graph) = nullptr;
  CUresult (*cuGetErrorName)(CUresult result, const char **name) = nullptr;
  // Events time schedule entries (nhc_step_options_t.entry_seconds).
  CUresult (*cuEventCreate)(CUevent *event, unsigned flags) = nullptr;
  CUresult (*cuEventRecord)(CUevent event, CUstream stream) = nullptr;
  CUresult (*cuEventElapsedTime)(float *milliseconds, CUevent start,
                                 CUevent end) = nullptr;
  CUresult (*cuEventDestroy)(CUevent event) = nullptr;
  // Weight uploads through pinned staging buffers (weight_upload.h).
  CUresult (*cuEventSynchronize)(CUevent event) = nullptr;
  CUresult (*cuMemHostAlloc)(void **pointer, size_t bytes,
                             unsigned flags) = nullptr;
  CUresult (*cuMemFreeHost)(void *pointer) = nullptr;

  /// "CUDA_ERROR_OUT_OF_MEMORY (2)", or "CUDA error 2" if the driver does
  /// not name it.
  std::string describe(CUresult result) const;
};

/// An entry point a library loaded with dlopen must export: `slot` is a
/// function pointer member, written as dlsym returns it.
struct Symbol {
  const char *name;
  void **slot;
};
/// Resolves every symbol in `handle` (the library at `path`); throws
/// NHC_UNSUPPORTED "<missing> (<path> has no <name>)" for one it lacks.
void resolveSymbols(void *handle, std::initializer_list<Symbol> symbols,
                    const std::string &path, const char *missing);

/// The driver at NHC_CUDA_DRIVER, else libcuda.so.1, loaded and cuInit'ed
/// once per process and path. Throws NHC_UNSUPPORTED "no CUDA driver
/// (<path>: <reason>)" when it cannot be opened, lacks an entry point, or
/// cuInit fails (e.g. no device or a driver without a kernel module).
std::shared_ptr<const DriverApi> loadDriverApi();

/// Throws Error(`status`, "<what>: <the driver's name of the error>")
/// unless `result` is success.
void checkCuda(const DriverApi &api, CUresult result, int status,
               const std::string &what);

/// Makes `context` current on this thread while it lives (push, then pop):
/// the driver's current context is per thread, and a session may be used
/// from any thread (one call at a time) next to an application's own CUDA
/// code. Throws NHC_INTERNAL if the push fails.
class ContextScope {
public:
  ContextScope(const DriverApi &api, CUcontext context);
  ~ContextScope();
  ContextScope(const ContextScope &) = delete;
  ContextScope &operator=(const ContextScope &) = delete;

private:
  const DriverApi &api_;
};

} // namespace nhc::runtime::cuda

#endif // NHC_RUNTIME_SRC_CUDA_DRIVER_API_H
