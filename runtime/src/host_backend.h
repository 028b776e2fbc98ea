//===- host_backend.h - The host CPU backend -------------------*- C++ -*-===//
//
// The backend that runs a plan on the host: the artifact's x86-64 kernel
// library (packed and per-thread sliced entry points), oneDNN's f32 and bf16
// gemms and the narrow (BF16/F16/e4m3) GEMMs for gemm and moe_experts,
// weights used where the
// checkpoint maps them (f32 copies only of what generated kernels read),
// the session's state pool and scratch in host memory.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_HOST_BACKEND_H
#define NHC_RUNTIME_SRC_HOST_BACKEND_H

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend.h"
#include "gemv_kernels.h"
#include "host_library.h"
#include "moe.h"
#include "scratch.h"
#include "state_pool_internal.h"
#include "weights_f32.h"

namespace nhc::runtime {

class HostBackend final : public Backend {
public:
  /// Loads the artifact's HOST_SHARED_LIBRARY (when the plan has kernels)
  /// and resolves every kernel's entry point. Throws naming the artifact
  /// or the section.
  explicit HostBackend(const BackendContext &context);

  const char *name() const override { return "host"; }
  std::unique_ptr<StateMemory> allocateState(uint64_t bytes,
                                             const std::string &what) override;
  void bindState(nhc_state_pool_t &pool) override;
  void bindWeights(const std::vector<nhc_tensor_info_t> &tensors,
                   const std::vector<bool> &matrixOnly,
                   const std::vector<const SyntheticTensor *> &) override;
  void prepare(const StepShape &shape) override;
  StepInputs stepInputs() override;
  void commitInputs(const StepShape &) override {} // host memory already
  void setLogitsOutput(float *logits, uint64_t) override { logits_ = logits; }
  void launch(const KernelCall &call, const StepShape &shape,
              uint64_t logitsRows) override;
  void gemm(const GemmCall &call, const StepShape &shape) override;
  void moeExperts(const MoeCall &call, const StepShape &shape,
                  float *inputAbsmax) override;
  bool calibratesExperts() const override { return true; }
  void embedding(const EmbeddingCall &call, const StepShape &shape) override;
  void readRows(size_t buffer, uint64_t offset, uint64_t ld, uint64_t width,
                uint64_t rows, float *out) override;
  float absMax(const MatrixRef &a, uint64_t rows, uint64_t cols) override;
  void synchronize() override {} // every call finishes before it returns
  uint64_t scratchBytes() const override {
    return scratch_.bytes() + bf16Rows_.size() * sizeof(uint16_t);
  }
  nhc_gemm_precision_t gemmPrecision() const override {
    return precision_ == GemmPrecision::Bf16 ? NHC_GEMM_PRECISION_BF16
                                             : NHC_GEMM_PRECISION_F32;
  }
  uint64_t convertedWeightBytes() const override {
    return weights_.convertedBytes();
  }
  nhc_dtype_t weightDtype(size_t weight) const override {
    return weights_.data(weight) ? NHC_DTYPE_F32 : weights_.matrix(weight).dtype;
  }

private:
  float *matrixBase(const MatrixRef &ref);
  void allocateGemmPanel();
  GemmScratch gemmScratch();
  /// The experts' matrices of `indices` (one per expert, or one stacked).
  void experts(const std::vector<size_t> &indices, bool stacked,
               uint64_t count, uint64_t perExpert,
               std::vector<WeightMatrix> &out) const;

  std::string origin_; // "artifact '/m.nhc'", for messages
  const ExecutionPlan &plan_; // the session's copy
  uint64_t vocab_;
  uint64_t maxSlots_, maxSeqLen_;
  std::unique_ptr<HostLibrary> library_;
  std::vector<HostKernel> kernels_;       // by plan kernel index
  GemvKernels gemv_;                      // decode gemms on narrow weights
  std::vector<uint8_t *> stateBases_; // by manifest state index: slot 0;
                                      // null until a schedule names it
  std::vector<uint64_t> stateElems_;  // all slots of it, in its dtype
  F32Weights weights_;
  Scratch scratch_;
  MoeWorkspace moeWorkspace_;
  std::vector<float> gemmPanel_; // 16-bit gemm weights widen into it
  GemmPrecision precision_;      // in effect: Bf16 only if available
  uint64_t bf16K_ = 0;           // widest BF16 weight row (precision Bf16)
  std::vector<uint16_t> bf16Rows_; // activations rounded: tokens * bf16K_
  float *logits_ = nullptr;
  std::vector<PackedCell> cells_; // packed arguments: args_[i] = &cells_[i]
  std::vector<void *> args_;
  std::vector<WeightMatrix> up_, down_; // per moe call
  // FP8 experts' scales per moe call: up input, up weight, down input,
  // down weight, each [num_experts] (MoeScales).
  PackedExpertScales expertScales_;
};

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_HOST_BACKEND_H
