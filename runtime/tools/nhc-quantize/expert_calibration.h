//===- expert_calibration.h - Routed experts' input statistics -*- C++ -*-===//
//
// The routed experts' calibration as modelopt exports it: each expert's up
// and down projection gets the max |input| over the calibration tokens
// routed to it; an expert no token reached takes the largest of its
// layer's experts for that projection (modelopt's
// set_expert_quantizer_amax: its own would be 0, which no scale can be).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_QUANTIZE_EXPERT_CALIBRATION_H
#define NHC_QUANTIZE_EXPERT_CALIBRATION_H

#include <map>
#include <string>
#include <vector>

namespace nhc::quantize {

struct ExpertCalibration {
  /// Per-expert weight (manifest name) -> the max |input| its scale takes.
  std::map<std::string, float> inputAbsmax;
  /// The projections (weight names without ".weight") whose inputs were
  /// all zero or never reached (no token routed to the expert), which took
  /// their layer's largest, in product order.
  std::vector<std::string> uncalibrated;
  /// Projections one manifest weight serves for several experts, by
  /// checkpoint tensor name: not quantized (modelopt's FP8 experts have a
  /// scale each). Experts with a manifest weight each, bound to slices of a
  /// stacked tensor, are quantized (written per expert).
  std::vector<std::string> stacked;
};

/// `weights` and `absmax` as nhc_session_expert_gemm_weight and
/// nhc_step_options_t.expert_input_absmax give them (expert products in
/// order, up then down per expert). `storedAs` maps a weight that is part
/// of a stacked checkpoint tensor to that tensor's name (stackedTensorOf),
/// which names a weight listed for several experts in `stacked`. Throws std::runtime_error
/// naming the module for a NaN statistic, and for a layer's projection no
/// calibration token reached at all.
ExpertCalibration
calibrateExperts(const std::vector<std::string> &weights,
                 const std::vector<float> &absmax,
                 const std::map<std::string, std::string> &storedAs);

} // namespace nhc::quantize

#endif // NHC_QUANTIZE_EXPERT_CALIBRATION_H
