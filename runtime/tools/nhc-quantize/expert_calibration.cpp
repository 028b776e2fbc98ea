//===- expert_calibration.cpp - Routed experts' input statistics ----------===//

#include "expert_calibration.h"
#include "fp8_checkpoint.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nhc::quantize {
namespace {

/// The layer's mixer ("backbone.layers.3.mixer") of an expert's weight.
std::string layerOf(const std::string &weight) {
  return weight.substr(0, weight.find(".experts"));
}

/// Product i's projection: up for even, down for odd.
const char *projectionOf(size_t product) {
  return product % 2 ? "down_proj" : "up_proj";
}

} // namespace

ExpertCalibration
calibrateExperts(const std::vector<std::string> &weights,
                 const std::vector<float> &absmax,
                 const std::map<std::string, std::string> &storedAs) {
  if (weights.size() != absmax.size())
    throw std::runtime_error("internal error: expert statistics do not match "
                             "the expert products");
  std::map<std::string, size_t> uses;
  std::map<std::string, float> layerMax;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (std::isnan(absmax[i]))
      throw std::runtime_error("calibration: the input of '" +
                               moduleOf(weights[i]) +
                               "' held NaN; the model or prompts are broken");
    ++uses[weights[i]];
    float &largest = layerMax[layerOf(weights[i]) + projectionOf(i)];
    largest = std::max(largest, absmax[i]);
  }
  ExpertCalibration result;
  for (size_t i = 0; i < weights.size(); ++i) {
    const std::string &weight = weights[i];
    const std::string module = moduleOf(weight);
    auto stored = storedAs.find(weight);
    if (uses[weight] > 1) {
      const std::string tensor =
          stored != storedAs.end() ? stored->second : weight;
      if (std::find(result.stacked.begin(), result.stacked.end(), tensor) ==
          result.stacked.end())
        result.stacked.push_back(tensor);
      continue;
    }
    float value = absmax[i];
    if (value == 0.0f) {
      value = layerMax[layerOf(weight) + projectionOf(i)];
      if (value == 0.0f)
        throw std::runtime_error(
            std::string("calibration: no routed expert's ") + projectionOf(i) +
            " in '" + layerOf(weight) +
            "' saw a non-zero input; give calibration prompts that "
            "exercise it");
      result.uncalibrated.push_back(module);
    }
    result.inputAbsmax[weight] = value;
  }
  return result;
}

} // namespace nhc::quantize
