//===- activation.cpp - Pointwise activations of gemm epilogues -----------===//

#include "activation.h"

#include "nhc/format/manifest_schema.h"

#include <cmath>

namespace nhc::runtime {

namespace {
namespace value = ::nhc::format::manifest::value;
struct Named {
  const char *name;
  Activation act;
};
constexpr Named kNames[] = {
    {value::kActivationNone, Activation::None},
    {value::kActivationRelu2, Activation::Relu2},
    {value::kActivationRelu, Activation::Relu},
    {value::kActivationRelu6, Activation::Relu6},
    {value::kActivationSilu, Activation::Silu},
    {value::kActivationGelu, Activation::Gelu},
    {value::kActivationGeluTanh, Activation::GeluTanh},
    {value::kActivationQuickGelu, Activation::QuickGelu},
    {value::kActivationGelu10, Activation::Gelu10},
    {value::kActivationLaplace, Activation::Laplace},
    {value::kActivationLeakyRelu, Activation::LeakyRelu},
    {value::kActivationLinear, Activation::Linear},
    {value::kActivationMish, Activation::Mish},
    {value::kActivationSigmoid, Activation::Sigmoid},
    {value::kActivationTanh, Activation::Tanh},
    {value::kActivationHardswish, Activation::Hardswish},
    {value::kActivationSqrtSoftplus, Activation::SqrtSoftplus},
};

/// torch.nn.functional.softplus (beta 1, threshold 20).
float softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }

/// min(max(x, lo), hi) with NaN kept, as torch.clamp (std::fmax drops it).
float clampKeepNan(float x, float lo, float hi) {
  return x != x ? x : std::fmin(std::fmax(x, lo), hi);
}

float geluErf(float x) {
  return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
}

template <typename F>
void apply(uint64_t m, uint64_t n, float *c, uint64_t ldc, F f) {
  for (uint64_t r = 0; r < m; ++r) {
    float *row = c + r * ldc;
    for (uint64_t j = 0; j < n; ++j)
      row[j] = f(row[j]);
  }
}
} // namespace

std::optional<Activation> activationFromName(const std::string &name) {
  for (const Named &entry : kNames)
    if (name == entry.name)
      return entry.act;
  return std::nullopt;
}

const char *activationNames() {
  static const std::string names = [] {
    std::string list;
    for (const Named &entry : kNames)
      list += (list.empty() ? "" : ", ") + std::string(entry.name);
    return list;
  }();
  return names.c_str();
}

void activateBlock(Activation act, uint64_t m, uint64_t n, float *c,
                   uint64_t ldc) {
  switch (act) {
  case Activation::None:
    return;
  case Activation::Relu2:
    return apply(m, n, c, ldc, [](float x) {
      float r = x > 0.0f || x != x ? x : 0.0f; // NaN stays, as torch's
      return r * r;
    });
  case Activation::Relu:
    // NaN stays NaN, as torch's relu (x > 0 is false for it).
    return apply(m, n, c, ldc,
                 [](float x) { return x > 0.0f || x != x ? x : 0.0f; });
  case Activation::Relu6:
    return apply(m, n, c, ldc,
                 [](float x) { return clampKeepNan(x, 0.0f, 6.0f); });
  case Activation::Silu:
    return apply(m, n, c, ldc,
                 [](float x) { return x / (1.0f + std::exp(-x)); });
  case Activation::Gelu: // 0.5 x (1 + erf(x / sqrt(2)))
    return apply(m, n, c, ldc, geluErf);
  case Activation::GeluTanh: // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    return apply(m, n, c, ldc, [](float x) {
      float u = 0.79788456080286536f * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.0f + std::tanh(u));
    });
  case Activation::QuickGelu: // x sigmoid(1.702 x)
    return apply(m, n, c, ldc,
                 [](float x) { return x / (1.0f + std::exp(-1.702f * x)); });
  case Activation::Gelu10: // clip(gelu(x), -10, 10)
    return apply(m, n, c, ldc,
                 [](float x) { return clampKeepNan(geluErf(x), -10.0f, 10.0f); });
  case Activation::Laplace: // 0.5 (1 + erf((x - mu) / (sigma sqrt(2))))
    return apply(m, n, c, ldc, [](float x) {
      // sigma sqrt(2) as transformers computes it in double, then f32.
      return 0.5f * (1.0f + std::erf((x - 0.707107f) / 0.39894257487763823f));
    });
  case Activation::LeakyRelu: // torch's default slope 0.01
    return apply(m, n, c, ldc,
                 [](float x) { return x > 0.0f || x != x ? x : 0.01f * x; });
  case Activation::Linear:
    return;
  case Activation::Mish: // x tanh(softplus(x))
    return apply(m, n, c, ldc,
                 [](float x) { return x * std::tanh(softplus(x)); });
  case Activation::Sigmoid:
    return apply(m, n, c, ldc,
                 [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
  case Activation::Tanh:
    return apply(m, n, c, ldc, [](float x) { return std::tanh(x); });
  case Activation::Hardswish: // x relu6(x + 3) / 6
    return apply(m, n, c, ldc, [](float x) {
      return x * clampKeepNan(x + 3.0f, 0.0f, 6.0f) / 6.0f;
    });
  case Activation::SqrtSoftplus: // sqrt(softplus(x))
    return apply(m, n, c, ldc,
                 [](float x) { return std::sqrt(softplus(x)); });
  }
}

} // namespace nhc::runtime
