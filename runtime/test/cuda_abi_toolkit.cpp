//===- cuda_abi_toolkit.cpp - The CUDA toolkit's ABI facts ----------------===//
//
// The constants and layouts the runtime declares by their ABI
// (runtime/src/cuda/driver_api.h, cublaslt_api.h), as the installed
// toolkit's cuda.h and cublasLt.h define them. A translation unit of its own:
// the runtime's headers spell the same global type names and cannot be
// included next to the toolkit's.
//
//===----------------------------------------------------------------------===//
#include <cstddef>

#include <cublasLt.h>
#include <cuda.h>

#include "cuda_abi.h"

namespace nhc_test {

AbiFacts toolkitAbi() {
  return {
      {"CUDA_SUCCESS", CUDA_SUCCESS},
      {"CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR",
       CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR},
      {"CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR",
       CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR},
      {"CU_STREAM_CAPTURE_MODE_THREAD_LOCAL", CU_STREAM_CAPTURE_MODE_THREAD_LOCAL},
      {"CU_STREAM_NON_BLOCKING", CU_STREAM_NON_BLOCKING},
      {"sizeof(CUdeviceptr)", sizeof(CUdeviceptr)},
      {"CUBLAS_STATUS_SUCCESS", CUBLAS_STATUS_SUCCESS},
      {"CUBLAS_STATUS_NOT_SUPPORTED", CUBLAS_STATUS_NOT_SUPPORTED},
      {"CUDA_R_32F", CUDA_R_32F},
      {"CUDA_R_16F", CUDA_R_16F},
      {"CUDA_R_16BF", CUDA_R_16BF},
      {"CUDA_R_8F_E4M3", CUDA_R_8F_E4M3},
      {"CUBLAS_COMPUTE_32F", CUBLAS_COMPUTE_32F},
      {"CUBLAS_OP_N", CUBLAS_OP_N},
      {"CUBLAS_OP_T", CUBLAS_OP_T},
      {"CUBLASLT_MATMUL_DESC_TRANSA", CUBLASLT_MATMUL_DESC_TRANSA},
      {"CUBLASLT_MATMUL_DESC_TRANSB", CUBLASLT_MATMUL_DESC_TRANSB},
      {"CUBLASLT_MATMUL_DESC_EPILOGUE", CUBLASLT_MATMUL_DESC_EPILOGUE},
      {"CUBLASLT_MATMUL_DESC_BIAS_POINTER", CUBLASLT_MATMUL_DESC_BIAS_POINTER},
      {"CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE", CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE},
      {"CUBLASLT_EPILOGUE_DEFAULT", CUBLASLT_EPILOGUE_DEFAULT},
      {"CUBLASLT_EPILOGUE_BIAS", CUBLASLT_EPILOGUE_BIAS},
      {"CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES",
       CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES},
      {"CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES",
       CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES},
      {"CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES",
       CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES},
      {"CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES",
       CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES},
      {"CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES",
       CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES},
      {"sizeof(cublasLtMatmulDescOpaque_t)", sizeof(cublasLtMatmulDescOpaque_t)},
      {"sizeof(cublasLtMatrixLayoutOpaque_t)",
       sizeof(cublasLtMatrixLayoutOpaque_t)},
      {"sizeof(cublasLtMatmulPreferenceOpaque_t)",
       sizeof(cublasLtMatmulPreferenceOpaque_t)},
      {"sizeof(cublasLtMatmulAlgo_t)", sizeof(cublasLtMatmulAlgo_t)},
      {"sizeof(cublasLtMatmulHeuristicResult_t)",
       sizeof(cublasLtMatmulHeuristicResult_t)},
      {"offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize)",
       offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize)},
      {"offsetof(cublasLtMatmulHeuristicResult_t, state)",
       offsetof(cublasLtMatmulHeuristicResult_t, state)},
      {"offsetof(cublasLtMatmulHeuristicResult_t, wavesCount)",
       offsetof(cublasLtMatmulHeuristicResult_t, wavesCount)},
  };
}

} // namespace nhc_test
