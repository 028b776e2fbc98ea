//===- synthetic_weights.h - Seeded random weights ---------------*- C++ -*-===//
//
// The values of nhc_weights_synthetic() (weights.h): every element is a
// function of (seed, the weight's manifest index, the element's index), so
// any part of any tensor can be generated anywhere, in any order, on any
// number of threads. The host generates here; a device backend generates
// the matrices with the kernel library's nhc_fill_normal_* kernels
// (device_ops.mlir), which compute the same bits (DeviceOpsKernelTest).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_SYNTHETIC_WEIGHTS_H
#define NHC_RUNTIME_SRC_SYNTHETIC_WEIGHTS_H

#include <cstdint>
#include <string>

#include "nhc/runtime/dtype.h"

namespace nhc::runtime {

/// What a weight holds, from its name: norm weights and D 1, A_log
/// log(1 + i mod 16), dt_bias -2, FP8 scales fixed (kSyntheticWeightScale,
/// kSyntheticInputScale), everything else about N(0, 0.02).
enum class SyntheticRule { Normal, One, ALog, DtBias, WeightScale, InputScale };

SyntheticRule syntheticRule(const std::string &name);

/// FP8 matrices: N(0, 0.02) as e4m3 with this weight_scale (4 sigma at
/// 448); activations quantized with this input_scale (RMS-normed values up
/// to about 8).
inline constexpr float kSyntheticWeightScale = 0.08f / 448.0f;
inline constexpr float kSyntheticInputScale = 8.0f / 448.0f;

/// The Normal rule: four 16-bit fields of a 64-bit hash of the element
/// summed (Irwin-Hall: mean 131070, standard deviation 37837.9), centred
/// and times this step, so about N(0, 0.02) in [-0.069, 0.069]; integer
/// arithmetic, one exact conversion and one f32 product: the same bits on
/// every machine.
inline constexpr float kSyntheticNormalStep = 0.02f / 37837.9f;
inline constexpr int32_t kSyntheticNormalMean = 131070;
/// The hash's element stride (2^64 / golden ratio) and its finalizer are
/// splitmix64's.
inline constexpr uint64_t kSyntheticGolden = 0x9e3779b97f4a7c15ull;

uint64_t splitmix64(uint64_t x);

/// The key of weight `index` (manifest order) for `seed`: element i of the
/// Normal rule is drawn from splitmix64(key + i * kSyntheticGolden).
uint64_t syntheticKey(uint64_t seed, uint64_t index);

/// One synthetic weight.
struct SyntheticTensor {
  SyntheticRule rule = SyntheticRule::Normal;
  uint64_t key = 0;
  nhc_dtype_t dtype = NHC_DTYPE_INVALID; // stored as: F32, BF16, F16, e4m3
  uint64_t elems = 0;
};

/// Element i as f32, before rounding to the stored dtype.
float syntheticValue(const SyntheticTensor &tensor, uint64_t i);

/// Elements [first, first + count) in the stored dtype into `out`.
void fillSynthetic(const SyntheticTensor &tensor, uint64_t first,
                   uint64_t count, void *out);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_SYNTHETIC_WEIGHTS_H
