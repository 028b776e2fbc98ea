//===- moe.h - The `moe_experts` library operation ----------*- C++ -*-===//
#ifndef NHC_RUNTIME_SRC_MOE_H
#define NHC_RUNTIME_SRC_MOE_H

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "activation.h"
#include "gemm.h"
#include "plan.h"
#include "weight_matrix.h"
#include "weights_f32.h"

namespace nhc::runtime {

/// FP8 (e4m3) experts' scales, one f32 per expert each (docs/fp8.md):
/// expert e quantizes its input rows as sat_e4m3(x / upInput[e]) and
/// multiplies the e4m3 product by upInput[e] * upWeight[e]; likewise for
/// down with the activation's output.
struct MoeScales {
  const float *upInput = nullptr, *upWeight = nullptr;
  const float *downInput = nullptr, *downWeight = nullptr;
};

/// The place of each list in a packed call's scales (MoeCall::scaleLists()
/// order): list L of expert e at packed[L * E + e], as nhc_moe_fp8_rows
/// reads them too.
enum MoeScaleList : int64_t {
  kUpInputScales, kUpWeightScales, kDownInputScales, kDownWeightScales
};

/// Every FP8 moe_experts call of `plan` (body and heads) to its scales,
/// read once from `weights` (one-element F32 tensors) and packed as four
/// lists of E f32 (MoeScaleList).
using PackedExpertScales =
    std::unordered_map<const MoeCall *, std::vector<float>>;
PackedExpertScales packExpertScales(const ExecutionPlan &plan,
                                    const F32Weights &weights);
/// MoeScales over one call's packed lists of `experts` each.
MoeScales moeScalesOf(const std::vector<float> &packed, uint64_t experts);

/// One moe_experts call over a step's T tokens (all row-major f32, dense).
struct MoeProblem {
  uint64_t tokens = 0, experts = 0, topK = 0, hidden = 0, intermediate = 0;
  const float *input = nullptr;     // [T, hidden]
  const int32_t *indices = nullptr; // [T, topK], from nhc_moe_route
  const float *weights = nullptr;   // [T, topK]
  float *output = nullptr;          // [T, hidden], overwritten
  const WeightMatrix *up = nullptr;   // per expert: [intermediate, hidden]
  const WeightMatrix *down = nullptr; // per expert: [hidden, intermediate]
  GemmScratch gemm; // for k up to max(hidden, intermediate), T rows
  Activation activation = Activation::Relu2;
  const MoeScales *scales = nullptr; // FP8 experts only
  // Calibration, or null: [2 * experts] maxima raised by expert e's input
  // rows (2e) and its activation's output (2e + 1), before any FP8
  // quantization (Backend::moeExperts).
  float *inputAbsmax = nullptr;
};

/// Scratch for gathering one expert's tokens. Sized up front by prepare()
/// so that running a step never allocates (an allocation failure half-way
/// through a step would leave state half-updated).
class MoeWorkspace {
public:
  /// Grows to hold a call of these sizes; throws on allocation failure.
  void prepare(uint64_t tokens, uint64_t experts, uint64_t topK,
               uint64_t hidden, uint64_t intermediate);
  /// output = sum over routed (t, e, w) of w * down_e(act(up_e(x_t))).
  /// Indices outside [0, experts) are skipped.
  void run(const MoeProblem &p);

private:
  std::vector<float> x_, h_, y_;
  std::vector<uint64_t> counts_;
  std::vector<uint64_t> rowToken_;
  std::vector<float> rowWeight_;
};

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_MOE_H
