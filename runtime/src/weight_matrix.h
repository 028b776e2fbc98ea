//===- weight_matrix.h - A GEMM weight in its stored dtype ---*- C++ -*-===//
//
// The `gemm` and `moe_experts` library operations read their weight
// matrices where the checkpoint mapping holds them: F32, BF16, F16 or
// F8_E4M3, never a widened copy (an 8B BF16 model stays ~16 GB in memory,
// not 32; its FP8 version ~8 GB).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_WEIGHT_MATRIX_H
#define NHC_RUNTIME_SRC_WEIGHT_MATRIX_H

#include <cstdint>

#include "nhc/runtime/dtype.h"

namespace nhc::runtime {

struct WeightMatrix {
  const void *data = nullptr;
  nhc_dtype_t dtype = NHC_DTYPE_F32; ///< F32, BF16, F16 or F8_E4M3

  /// The matrix `elems` elements further on (stacked experts).
  WeightMatrix advance(uint64_t elems) const {
    return {static_cast<const uint8_t *>(data) + elems * nhc_dtype_size(dtype),
            dtype};
  }
};

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_WEIGHT_MATRIX_H
