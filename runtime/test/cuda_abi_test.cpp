//===- cuda_abi_test.cpp - The runtime's CUDA declarations match the toolkit =//
//
// The CUDA backend loads the driver and cuBLASLt with dlopen and declares
// what it uses by its ABI (driver_api.h, cublaslt_api.h) so that it builds
// without the toolkit. Where the toolkit is installed, this test compares
// every such constant and layout with the toolkit's headers.
//
//===----------------------------------------------------------------------===//
#include <cstddef>

#include <gtest/gtest.h>

#include "cuda/cublaslt_api.h"
#include "cuda/driver_api.h"
#include "cuda_abi.h"

namespace {

using namespace nhc::runtime::cuda;

nhc_test::AbiFacts runtimeAbi() {
  return {
      {"CUDA_SUCCESS", kCudaSuccess},
      {"CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR",
       kAttributeComputeCapabilityMajor},
      {"CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR",
       kAttributeComputeCapabilityMinor},
      {"CU_STREAM_CAPTURE_MODE_THREAD_LOCAL", kCaptureModeThreadLocal},
      {"CU_STREAM_NON_BLOCKING", kStreamNonBlocking},
      {"sizeof(CUdeviceptr)", sizeof(CUdeviceptr)},
      {"CUBLAS_STATUS_SUCCESS", kBlasSuccess},
      {"CUBLAS_STATUS_NOT_SUPPORTED", kBlasNotSupported},
      {"CUDA_R_32F", kCudaR32F},
      {"CUDA_R_16F", kCudaR16F},
      {"CUDA_R_16BF", kCudaR16BF},
      {"CUDA_R_8F_E4M3", kCudaR8FE4M3},
      {"CUBLAS_COMPUTE_32F", kComputeF32},
      {"CUBLAS_OP_N", kOpN},
      {"CUBLAS_OP_T", kOpT},
      {"CUBLASLT_MATMUL_DESC_TRANSA", kDescTransA},
      {"CUBLASLT_MATMUL_DESC_TRANSB", kDescTransB},
      {"CUBLASLT_MATMUL_DESC_EPILOGUE", kDescEpilogue},
      {"CUBLASLT_MATMUL_DESC_BIAS_POINTER", kDescBiasPointer},
      {"CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE", kDescBiasDataType},
      {"CUBLASLT_EPILOGUE_DEFAULT", kEpilogueDefault},
      {"CUBLASLT_EPILOGUE_BIAS", kEpilogueBias},
      {"CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES", kPrefMaxWorkspaceBytes},
      {"CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES", kPrefMinAlignmentA},
      {"CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES", kPrefMinAlignmentB},
      {"CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES", kPrefMinAlignmentC},
      {"CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES", kPrefMinAlignmentD},
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

TEST(CudaAbiTest, DeclarationsMatchTheToolkitHeaders) {
  const nhc_test::AbiFacts ours = runtimeAbi(), toolkit = nhc_test::toolkitAbi();
  EXPECT_EQ(ours.size(), toolkit.size()) << "the two tables name the same facts";
  for (const auto &[name, value] : ours) {
    auto found = toolkit.find(name);
    ASSERT_NE(found, toolkit.end()) << name;
    EXPECT_EQ(value, found->second) << name;
  }
}

} // namespace
