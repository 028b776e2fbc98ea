//===- cuda_abi.h - ABI facts of the CUDA driver and cuBLASLt --*- C++ -*-===//
//
// Named integers (constants, sizes, offsets) the runtime declares by their
// ABI (runtime/src/cuda/driver_api.h, cublaslt_api.h), listed once:
// X(name, as the toolkit spells it, as the runtime spells it). The toolkit's
// column is compiled against cuda.h and cublasLt.h (cuda_abi_toolkit.cpp),
// the runtime's against its headers (cuda_abi_test.cpp): the two cannot
// share a translation unit, as they spell the same global type names.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_TEST_CUDA_ABI_H
#define NHC_RUNTIME_TEST_CUDA_ABI_H

#include <map>
#include <string>

#define NHC_CUDA_ABI_FACTS(X) \
  X("CUDA_SUCCESS", CUDA_SUCCESS, kCudaSuccess) \
  X("CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR", CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, kAttributeComputeCapabilityMajor) \
  X("CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR", CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, kAttributeComputeCapabilityMinor) \
  X("CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN", CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, kAttributeMaxSharedMemoryPerBlockOptin) \
  X("CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES", CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, kFuncAttributeSharedSizeBytes) \
  X("CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES", CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, kFuncAttributeMaxDynamicSharedSizeBytes) \
  X("CU_STREAM_CAPTURE_MODE_THREAD_LOCAL", CU_STREAM_CAPTURE_MODE_THREAD_LOCAL, kCaptureModeThreadLocal) \
  X("CU_STREAM_NON_BLOCKING", CU_STREAM_NON_BLOCKING, kStreamNonBlocking) \
  X("CU_EVENT_DEFAULT", CU_EVENT_DEFAULT, kEventDefault) \
  X("CU_EVENT_DISABLE_TIMING", CU_EVENT_DISABLE_TIMING, kEventDisableTiming) \
  X("CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION", CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION, kLaunchAttributeProgrammaticStreamSerialization) \
  X("sizeof(CUlaunchAttribute)", sizeof(CUlaunchAttribute), sizeof(LaunchAttribute)) \
  X("offsetof(CUlaunchAttribute, value)", offsetof(CUlaunchAttribute, value), offsetof(LaunchAttribute, value)) \
  X("offsetof(CUlaunchAttribute, value.programmaticStreamSerializationAllowed)", offsetof(CUlaunchAttribute, value.programmaticStreamSerializationAllowed), offsetof(LaunchAttribute, value.programmaticStreamSerializationAllowed)) \
  X("sizeof(CUlaunchConfig)", sizeof(CUlaunchConfig), sizeof(LaunchConfig)) \
  X("offsetof(CUlaunchConfig, sharedMemBytes)", offsetof(CUlaunchConfig, sharedMemBytes), offsetof(LaunchConfig, sharedMemBytes)) \
  X("offsetof(CUlaunchConfig, hStream)", offsetof(CUlaunchConfig, hStream), offsetof(LaunchConfig, hStream)) \
  X("offsetof(CUlaunchConfig, attrs)", offsetof(CUlaunchConfig, attrs), offsetof(LaunchConfig, attrs)) \
  X("offsetof(CUlaunchConfig, numAttrs)", offsetof(CUlaunchConfig, numAttrs), offsetof(LaunchConfig, numAttrs)) \
  X("sizeof(CUdeviceptr)", sizeof(CUdeviceptr), sizeof(CUdeviceptr)) \
  X("CUBLAS_STATUS_SUCCESS", CUBLAS_STATUS_SUCCESS, kBlasSuccess) \
  X("CUBLAS_STATUS_NOT_SUPPORTED", CUBLAS_STATUS_NOT_SUPPORTED, kBlasNotSupported) \
  X("CUDA_R_32F", CUDA_R_32F, kCudaR32F) \
  X("CUDA_R_16F", CUDA_R_16F, kCudaR16F) \
  X("CUDA_R_16BF", CUDA_R_16BF, kCudaR16BF) \
  X("CUDA_R_8F_E4M3", CUDA_R_8F_E4M3, kCudaR8FE4M3) \
  X("CUBLAS_COMPUTE_32F", CUBLAS_COMPUTE_32F, kComputeF32) \
  X("CUBLAS_OP_N", CUBLAS_OP_N, kOpN) \
  X("CUBLAS_OP_T", CUBLAS_OP_T, kOpT) \
  X("CUBLASLT_MATMUL_DESC_TRANSA", CUBLASLT_MATMUL_DESC_TRANSA, kDescTransA) \
  X("CUBLASLT_MATMUL_DESC_TRANSB", CUBLASLT_MATMUL_DESC_TRANSB, kDescTransB) \
  X("CUBLASLT_MATMUL_DESC_EPILOGUE", CUBLASLT_MATMUL_DESC_EPILOGUE, kDescEpilogue) \
  X("CUBLASLT_MATMUL_DESC_BIAS_POINTER", CUBLASLT_MATMUL_DESC_BIAS_POINTER, kDescBiasPointer) \
  X("CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE", CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, kDescBiasDataType) \
  X("CUBLASLT_EPILOGUE_DEFAULT", CUBLASLT_EPILOGUE_DEFAULT, kEpilogueDefault) \
  X("CUBLASLT_EPILOGUE_BIAS", CUBLASLT_EPILOGUE_BIAS, kEpilogueBias) \
  X("CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES", CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, kPrefMaxWorkspaceBytes) \
  X("CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES", CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, kPrefMinAlignmentA) \
  X("CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES", CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, kPrefMinAlignmentB) \
  X("CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES", CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, kPrefMinAlignmentC) \
  X("CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES", CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, kPrefMinAlignmentD) \
  X("sizeof(cublasLtMatmulDescOpaque_t)", sizeof(cublasLtMatmulDescOpaque_t), sizeof(cublasLtMatmulDescOpaque_t)) \
  X("sizeof(cublasLtMatrixLayoutOpaque_t)", sizeof(cublasLtMatrixLayoutOpaque_t), sizeof(cublasLtMatrixLayoutOpaque_t)) \
  X("sizeof(cublasLtMatmulPreferenceOpaque_t)", sizeof(cublasLtMatmulPreferenceOpaque_t), sizeof(cublasLtMatmulPreferenceOpaque_t)) \
  X("sizeof(cublasLtMatmulAlgo_t)", sizeof(cublasLtMatmulAlgo_t), sizeof(cublasLtMatmulAlgo_t)) \
  X("sizeof(cublasLtMatmulHeuristicResult_t)", sizeof(cublasLtMatmulHeuristicResult_t), sizeof(cublasLtMatmulHeuristicResult_t)) \
  X("offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize)", offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize), offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize)) \
  X("offsetof(cublasLtMatmulHeuristicResult_t, state)", offsetof(cublasLtMatmulHeuristicResult_t, state), offsetof(cublasLtMatmulHeuristicResult_t, state)) \
  X("offsetof(cublasLtMatmulHeuristicResult_t, wavesCount)", offsetof(cublasLtMatmulHeuristicResult_t, wavesCount), offsetof(cublasLtMatmulHeuristicResult_t, wavesCount))

namespace nhc_test {

using AbiFacts = std::map<std::string, long long>;

/// The facts as the installed CUDA toolkit's cuda.h and cublasLt.h define
/// them.
AbiFacts toolkitAbi();

} // namespace nhc_test

#endif // NHC_RUNTIME_TEST_CUDA_ABI_H
