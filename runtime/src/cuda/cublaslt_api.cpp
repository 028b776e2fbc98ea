//===- cublaslt_api.cpp - cuBLASLt, loaded at run time --------------------===//

#include "cuda/cublaslt_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "error.h"

namespace nhc::runtime::cuda {
namespace {

std::shared_ptr<BlasLtApi> open(const std::string &path, void *handle) {
  auto api = std::make_shared<BlasLtApi>();
  api->path = path;
  resolveSymbols(handle, {
      {"cublasLtCreate", reinterpret_cast<void **>(&api->cublasLtCreate)},
      {"cublasLtDestroy", reinterpret_cast<void **>(&api->cublasLtDestroy)},
      {"cublasLtGetVersion", reinterpret_cast<void **>(&api->cublasLtGetVersion)},
      {"cublasLtMatmulDescCreate", reinterpret_cast<void **>(&api->cublasLtMatmulDescCreate)},
      {"cublasLtMatmulDescDestroy", reinterpret_cast<void **>(&api->cublasLtMatmulDescDestroy)},
      {"cublasLtMatmulDescSetAttribute", reinterpret_cast<void **>(&api->cublasLtMatmulDescSetAttribute)},
      {"cublasLtMatrixLayoutCreate", reinterpret_cast<void **>(&api->cublasLtMatrixLayoutCreate)},
      {"cublasLtMatrixLayoutDestroy", reinterpret_cast<void **>(&api->cublasLtMatrixLayoutDestroy)},
      {"cublasLtMatmulPreferenceCreate", reinterpret_cast<void **>(&api->cublasLtMatmulPreferenceCreate)},
      {"cublasLtMatmulPreferenceDestroy", reinterpret_cast<void **>(&api->cublasLtMatmulPreferenceDestroy)},
      {"cublasLtMatmulPreferenceSetAttribute", reinterpret_cast<void **>(&api->cublasLtMatmulPreferenceSetAttribute)},
      {"cublasLtMatmulAlgoGetHeuristic", reinterpret_cast<void **>(&api->cublasLtMatmulAlgoGetHeuristic)},
      {"cublasLtMatmul", reinterpret_cast<void **>(&api->cublasLtMatmul)},
  }, path, "no cuBLASLt");
  return api;
}

} // namespace

std::shared_ptr<const BlasLtApi> loadBlasLtApi() {
  const char *env = std::getenv("NHC_CUBLASLT");
  std::vector<std::string> candidates;
  if (env && *env)
    candidates.push_back(env);
  else
    candidates = {"libcublasLt.so.13", "libcublasLt.so.12"};
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const BlasLtApi>> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  std::string why;
  for (const std::string &path : candidates) {
    auto it = loaded.find(path);
    if (it != loaded.end())
      return it->second;
    // Never unloaded, like the driver.
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!handle) {
      const char *error = dlerror();
      why += cat(why.empty() ? "" : "; ", path, ": ",
                 error ? error : "cannot open");
      continue;
    }
    std::shared_ptr<const BlasLtApi> api = open(path, handle);
    loaded[path] = api;
    return api;
  }
  throw Error(NHC_UNSUPPORTED, cat("no cuBLASLt (", why, ")"));
}

void checkBlasLt(cublasStatus_t result, int status, const std::string &what) {
  if (result == kBlasSuccess)
    return;
  const char *name = result == 1    ? "CUBLAS_STATUS_NOT_INITIALIZED"
                     : result == 3  ? "CUBLAS_STATUS_ALLOC_FAILED"
                     : result == 7  ? "CUBLAS_STATUS_INVALID_VALUE"
                     : result == 8  ? "CUBLAS_STATUS_ARCH_MISMATCH"
                     : result == 13 ? "CUBLAS_STATUS_EXECUTION_FAILED"
                     : result == 14 ? "CUBLAS_STATUS_INTERNAL_ERROR"
                     : result == 15 ? "CUBLAS_STATUS_NOT_SUPPORTED"
                                    : "unknown";
  throw Error(static_cast<nhc_status_t>(status),
              cat(what, ": cuBLASLt status ", result, " (", name, ")"));
}

} // namespace nhc::runtime::cuda
