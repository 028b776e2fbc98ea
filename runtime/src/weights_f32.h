//===- weights_f32.h - Bound weights as f32 for host kernels -*- C++ -*-===//
//
// Generated kernels read f32 weights (docs/execution-model.md, Numerics):
// BF16 and F16 tensors they use are converted once, at session creation.
// F32 tensors, and BF16/F16/F8_E4M3 tensors only the gemm / moe_experts
// library ops read (the matrices: nearly all of a model's bytes), are used
// in place from the checkpoint mapping (weight_matrix.h).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_WEIGHTS_F32_H
#define NHC_RUNTIME_SRC_WEIGHTS_F32_H

#include <cstdint>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "weight_matrix.h"
#include "nhc/runtime/weights.h"

namespace nhc::runtime {

float bf16ToF32(uint16_t bits);
float f16ToF32(uint16_t bits);

class F32Weights {
public:
  /// Converts or adopts every tensor (manifest order); BF16/F16/F8_E4M3
  /// tensors with `matrixOnly[i]` stay in place (no f32 copy, data(i) is
  /// null). Other F8 and non-float dtypes throw NHC_UNSUPPORTED naming the
  /// tensor and `origin`.
  static F32Weights build(const std::vector<nhc_tensor_info_t> &tensors,
                          const std::string &origin,
                          const std::vector<bool> &matrixOnly = {});

  /// The f32 values (null for a tensor kept in its narrow dtype).
  const float *data(size_t index) const { return data_[index]; }
  /// The tensor as a GEMM weight: its f32 values, else its stored bytes.
  WeightMatrix matrix(size_t index) const { return matrix_[index]; }
  uint64_t elems(size_t index) const { return elems_[index]; }
  size_t size() const { return data_.size(); }
  /// Host memory held by converted copies.
  uint64_t convertedBytes() const { return convertedBytes_; }

private:
  std::vector<const float *> data_;
  std::vector<WeightMatrix> matrix_;
  std::vector<uint64_t> elems_;
  std::vector<AlignedBuffer> owned_;
  uint64_t convertedBytes_ = 0;
};

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_WEIGHTS_F32_H
