//===- cublaslt_api.h - cuBLASLt, loaded at run time ----------*- C++ -*-===//
//
// The CUDA backend's GEMMs go through cuBLASLt, resolved with dlopen like
// the driver (driver_api.h): NHC_CUBLASLT names the file (the test double
// runtime/test/fake_cublaslt.c), else libcublasLt.so.13, then .so.12. Types
// and constants are cublasLt.h's, declared by their ABI (checked against the
// toolkit's headers by runtime/test/cuda_abi_test.cpp where it is installed).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CUDA_CUBLASLT_API_H
#define NHC_RUNTIME_SRC_CUDA_CUBLASLT_API_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "cuda/driver_api.h"

// cuBLASLt's handle and descriptor types, at global scope and named as in
// cublasLt.h (the function types must be the library's exactly; the test
// double spells them the same way).
struct cublasLtContext;
typedef struct { uint64_t data[32]; } cublasLtMatmulDescOpaque_t;
typedef struct { uint64_t data[8]; } cublasLtMatrixLayoutOpaque_t;
typedef struct { uint64_t data[8]; } cublasLtMatmulPreferenceOpaque_t;
typedef struct { uint64_t data[8]; } cublasLtMatmulAlgo_t;
typedef struct {
  cublasLtMatmulAlgo_t algo;
  size_t workspaceSize;
  int state;
  float wavesCount;
  int reserved[4];
} cublasLtMatmulHeuristicResult_t;

namespace nhc::runtime::cuda {

using cublasStatus_t = int;
using cublasLtHandle_t = ::cublasLtContext *;
using cublasLtMatmulDesc_t = ::cublasLtMatmulDescOpaque_t *;
using cublasLtMatrixLayout_t = ::cublasLtMatrixLayoutOpaque_t *;
using cublasLtMatmulPreference_t = ::cublasLtMatmulPreferenceOpaque_t *;
using ::cublasLtMatmulAlgo_t;
using ::cublasLtMatmulHeuristicResult_t;

constexpr cublasStatus_t kBlasSuccess = 0;
/// CUBLAS_STATUS_NOT_SUPPORTED: no algorithm for the problem.
constexpr cublasStatus_t kBlasNotSupported = 15;
// cudaDataType_t (library_types.h).
constexpr int kCudaR32F = 0;
constexpr int kCudaR16F = 2;
constexpr int kCudaR16BF = 14;
constexpr int kCudaR8FE4M3 = 28;
// cublasComputeType_t: plain f32 (no TF32).
constexpr int kComputeF32 = 68;
// cublasOperation_t.
constexpr int kOpN = 0;
constexpr int kOpT = 1;
// cublasLtMatmulDescAttributes_t.
constexpr int kDescTransA = 3;
constexpr int kDescTransB = 4;
constexpr int kDescEpilogue = 7;
constexpr int kDescBiasPointer = 8;
constexpr int kDescBiasDataType = 26;
// cublasLtEpilogue_t.
constexpr uint32_t kEpilogueDefault = 1;
constexpr uint32_t kEpilogueBias = 4;
// cublasLtMatmulPreferenceAttributes_t: the workspace, and the operands'
// least alignment (uint32_t bytes; the default assumes 256).
constexpr int kPrefMaxWorkspaceBytes = 1;
constexpr int kPrefMinAlignmentA = 5;
constexpr int kPrefMinAlignmentB = 6;
constexpr int kPrefMinAlignmentC = 7;
constexpr int kPrefMinAlignmentD = 8;

struct BlasLtApi {
  std::string path; ///< the file loaded
  cublasStatus_t (*cublasLtCreate)(cublasLtHandle_t *handle) = nullptr;
  cublasStatus_t (*cublasLtDestroy)(cublasLtHandle_t handle) = nullptr;
  size_t (*cublasLtGetVersion)() = nullptr;
  cublasStatus_t (*cublasLtMatmulDescCreate)(cublasLtMatmulDesc_t *desc,
                                             int computeType,
                                             int scaleType) = nullptr;
  cublasStatus_t (*cublasLtMatmulDescDestroy)(cublasLtMatmulDesc_t desc) = nullptr;
  cublasStatus_t (*cublasLtMatmulDescSetAttribute)(cublasLtMatmulDesc_t desc,
                                                   int attribute,
                                                   const void *value,
                                                   size_t bytes) = nullptr;
  cublasStatus_t (*cublasLtMatrixLayoutCreate)(cublasLtMatrixLayout_t *layout,
                                               int type, uint64_t rows,
                                               uint64_t cols,
                                               int64_t ld) = nullptr;
  cublasStatus_t (*cublasLtMatrixLayoutDestroy)(cublasLtMatrixLayout_t layout) = nullptr;
  cublasStatus_t (*cublasLtMatmulPreferenceCreate)(
      cublasLtMatmulPreference_t *preference) = nullptr;
  cublasStatus_t (*cublasLtMatmulPreferenceDestroy)(
      cublasLtMatmulPreference_t preference) = nullptr;
  cublasStatus_t (*cublasLtMatmulPreferenceSetAttribute)(
      cublasLtMatmulPreference_t preference, int attribute, const void *value,
      size_t bytes) = nullptr;
  cublasStatus_t (*cublasLtMatmulAlgoGetHeuristic)(
      cublasLtHandle_t handle, cublasLtMatmulDesc_t desc,
      cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
      cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t d,
      cublasLtMatmulPreference_t preference, int requested,
      cublasLtMatmulHeuristicResult_t *results, int *returned) = nullptr;
  cublasStatus_t (*cublasLtMatmul)(
      cublasLtHandle_t handle, cublasLtMatmulDesc_t desc, const void *alpha,
      const void *a, cublasLtMatrixLayout_t aLayout, const void *b,
      cublasLtMatrixLayout_t bLayout, const void *beta, const void *c,
      cublasLtMatrixLayout_t cLayout, void *d, cublasLtMatrixLayout_t dLayout,
      const cublasLtMatmulAlgo_t *algo, void *workspace, size_t workspaceBytes,
      CUstream stream) = nullptr;
};

/// cuBLASLt at NHC_CUBLASLT, else libcublasLt.so.13 or .so.12, loaded once
/// per process and path. Throws NHC_UNSUPPORTED "no cuBLASLt (<path>:
/// <reason>)" when none opens or an entry point is missing.
std::shared_ptr<const BlasLtApi> loadBlasLtApi();

/// Throws Error(`status`, "<what>: cuBLASLt status <n> (<name>)") unless
/// `result` is success.
void checkBlasLt(cublasStatus_t result, int status, const std::string &what);

} // namespace nhc::runtime::cuda

#endif // NHC_RUNTIME_SRC_CUDA_CUBLASLT_API_H
