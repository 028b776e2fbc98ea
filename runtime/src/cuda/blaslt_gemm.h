//===- blaslt_gemm.h - The CUDA backend's GEMMs through cuBLASLt -*- C++ -*-===//
//
// C[m, n] = alpha * A[m, k] . W[n, k]^T + beta * C (+ bias[n]) with every
// matrix row-major on the device, as cuBLASLt's column-major
// C^T = op_T(W) . A^T: W as a k x n matrix transposed, A as k x m, C as
// n x m. W and A are both f32 (plain f32 arithmetic, no TF32, for parity
// with the host), both bf16 or both e4m3 (f32 sums; e4m3 needs sm_89 and
// cuBLASLt's "TN" form, which this is: W transposed, A not, k a multiple of
// 16 elements); C and the bias are f32, and e4m3 products have no bias.
// Descriptors and an algorithm are made once per shape and reused: the
// heuristic's first choice, or, where prepare() is asked to tune, the
// fastest of its first kTuneCandidates on the device (each timed with CUDA
// events over kTuneTimedRuns products after one untimed, as cuBLASLt's
// LtSgemmSimpleAutoTuning sample and TensorRT-LLM's gemm profiler do: the
// heuristic ranks by a model, and for decode's few rows its first choice
// may leave SMs idle).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CUDA_BLASLT_GEMM_H
#define NHC_RUNTIME_SRC_CUDA_BLASLT_GEMM_H

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "cuda/cublaslt_api.h"
#include "cuda/device_memory.h"
#include "cuda/driver_api.h"

namespace nhc::runtime::cuda {

/// The first compute capability cuBLASLt multiplies e4m3 on (FP8 tensor
/// cores: Ada, sm_89).
constexpr int kE4m3MinSm = 89;

struct GemmShape {
  int type = kCudaR32F; ///< of W and A: kCudaR32F, kCudaR16BF or kCudaR8FE4M3
  uint64_t m = 0, n = 0, k = 0;
  uint64_t lda = 0, ldc = 0; ///< elements between rows
  bool bias = false;
};

class BlasLtGemm {
public:
  /// The heuristic's candidates a tuned plan times, and the timed products
  /// per candidate.
  static constexpr int kTuneCandidates = 8;
  static constexpr int kTuneTimedRuns = 3;

  /// Creates the cuBLASLt handle and a workspace of `workspaceBytes` on the
  /// device; throws NHC_UNSUPPORTED / NHC_OUT_OF_MEMORY.
  BlasLtGemm(std::shared_ptr<const BlasLtApi> api, const DriverApi &driver,
             CUstream stream, uint64_t workspaceBytes);
  ~BlasLtGemm();
  BlasLtGemm(const BlasLtGemm &) = delete;
  BlasLtGemm &operator=(const BlasLtGemm &) = delete;

  /// Makes the plan for `shape` with operands at these device addresses
  /// (their alignment picks the algorithm). With `tune` (a shape without
  /// bias) the heuristic's candidates run on the stream with C written
  /// (alpha 1, beta 0; its old values are lost) and the stream is
  /// synchronized: call it outside graph capture, between steps. Throws
  /// NHC_UNSUPPORTED when cuBLASLt has no algorithm for it, NHC_INTERNAL
  /// when it fails, naming `where`.
  void prepare(const GemmShape &shape, uint64_t w, uint64_t a, uint64_t c,
               const std::string &where, bool tune = false);
  /// Plans whose algorithm was chosen by timing candidates.
  uint64_t tunedPlans() const { return tunedPlans_; }
  /// Whether cuBLASLt has an algorithm for `shape` with 256-byte aligned
  /// operands (a library without FP8 kernels has none for e4m3). Throws
  /// NHC_INTERNAL when cuBLASLt fails otherwise.
  bool supports(const GemmShape &shape);
  /// Enqueues the product on the stream (making its plan if prepare() did
  /// not); `bias` is a device address when shape.bias. Throws as prepare(),
  /// or NHC_INTERNAL when cuBLASLt fails.
  void run(const GemmShape &shape, uint64_t w, uint64_t a, uint64_t c,
           uint64_t bias, float alpha, float beta, const std::string &where);

  /// The cuBLASLt library in use and its version.
  std::string describe() const;

private:
  struct Plan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t w = nullptr, a = nullptr, c = nullptr;
    cublasLtMatmulAlgo_t algo{};
    bool tuned = false; // made for tuning (its only candidate, or timed)
  };
  /// The shape and the operands' alignments (bytes, at most 256).
  using Key = std::tuple<int, uint64_t, uint64_t, uint64_t, uint64_t,
                         uint64_t, bool, uint32_t, uint32_t, uint32_t>;
  Plan &plan(const GemmShape &shape, uint64_t w, uint64_t a, uint64_t c,
             const std::string &where, bool tune);
  /// Enqueues C = alpha W·A (+ beta C) with `plan`'s descriptors and `algo`.
  cublasStatus_t matmul(const Plan &plan, const cublasLtMatmulAlgo_t &algo,
                        uint64_t w, uint64_t a, uint64_t c, float alpha,
                        float beta);
  /// The index in `candidates` of the one whose products took least time
  /// (-1: none ran), each run with `plan`'s descriptors on these operands.
  int fastest(const Plan &plan,
              const cublasLtMatmulHeuristicResult_t *candidates, int count,
              uint64_t w, uint64_t a, uint64_t c, const std::string &where);
  void destroy(Plan &plan);

  std::shared_ptr<const BlasLtApi> api_;
  const DriverApi &driver_;
  CUstream stream_;
  DeviceBuffer workspace_;
  cublasLtHandle_t handle_ = nullptr;
  std::map<Key, Plan> plans_;
  CUevent tuneStart_ = nullptr, tuneEnd_ = nullptr; // made at the first tuning
  uint64_t tunedPlans_ = 0;
};

} // namespace nhc::runtime::cuda

#endif // NHC_RUNTIME_SRC_CUDA_BLASLT_GEMM_H
