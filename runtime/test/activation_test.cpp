//===- activation_test.cpp - The host backend's epilogue activations ------===//
//
// activateBlock (runtime/src/activation.h), which the host backend's gemm
// epilogues and routed experts apply, against transformers' ACT2FN
// formulas (transformers/activations.py) in double: every manifest name,
// on [-25, 25] (past gelu_10's clip and softplus' threshold of 20), on a
// strided block whose padding must stay.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "activation.h"
#include "nhc/format/manifest_schema.h"

namespace {
using nhc::runtime::Activation;

double softplus(double x) { return x > 20 ? x : std::log1p(std::exp(x)); }
double gelu(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }

const std::map<std::string, std::function<double(double)>> &formulas() {
  static const std::map<std::string, std::function<double(double)>> f = {
      {"relu2", [](double x) { return x > 0 ? x * x : 0; }},
      {"relu", [](double x) { return x > 0 ? x : 0; }},
      {"relu6", [](double x) { return std::fmin(std::fmax(x, 0), 6); }},
      {"silu", [](double x) { return x / (1 + std::exp(-x)); }},
      {"gelu", gelu},
      {"gelu_tanh",
       [](double x) {
         return 0.5 * x *
                (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
       }},
      {"quick_gelu", [](double x) { return x / (1 + std::exp(-1.702 * x)); }},
      {"gelu_10", [](double x) { return std::fmin(std::fmax(gelu(x), -10), 10); }},
      {"laplace",
       [](double x) {
         return 0.5 * (1 + std::erf((x - 0.707107) / (0.282095 * std::sqrt(2.0))));
       }},
      {"leaky_relu", [](double x) { return x > 0 ? x : 0.01 * x; }},
      {"linear", [](double x) { return x; }},
      {"mish", [](double x) { return x * std::tanh(softplus(x)); }},
      {"sigmoid", [](double x) { return 1 / (1 + std::exp(-x)); }},
      {"tanh", [](double x) { return std::tanh(x); }},
      {"hardswish",
       [](double x) { return x * std::fmin(std::fmax(x + 3, 0), 6) / 6; }},
      {"sqrtsoftplus", [](double x) { return std::sqrt(softplus(x)); }},
  };
  return f;
}

TEST(Activation, EveryManifestNameIsTransformersFormula) {
  namespace value = nhc::format::manifest::value;
  ASSERT_EQ(formulas().size(), std::size(value::kActivations));
  const uint64_t m = 3, n = 67, ld = 70;
  for (const char *name : value::kActivations) {
    SCOPED_TRACE(name);
    std::optional<Activation> act = nhc::runtime::activationFromName(name);
    ASSERT_TRUE(act.has_value());
    auto formula = formulas().find(name);
    ASSERT_NE(formula, formulas().end());
    std::vector<float> c(m * ld, 77.0f);
    for (uint64_t r = 0; r < m; ++r)
      for (uint64_t j = 0; j < n; ++j)
        c[r * ld + j] = -25.0f + 50.0f * float(r * n + j) / float(m * n - 1);
    const std::vector<float> before = c;
    nhc::runtime::activateBlock(*act, m, n, c.data(), ld);
    for (uint64_t r = 0; r < m; ++r)
      for (uint64_t j = 0; j < ld; ++j) {
        const float x = before[r * ld + j];
        if (j >= n) {
          ASSERT_EQ(c[r * ld + j], 77.0f) << "padding written";
          continue;
        }
        const double want = formula->second(x);
        EXPECT_NEAR(c[r * ld + j], want, 2e-6 * (1 + std::fabs(want)))
            << "x = " << x;
      }
  }
  // NaN stays NaN, as in torch (and the kernel library's maximumf).
  for (const char *name : value::kActivations) {
    float x = std::nanf("");
    nhc::runtime::activateBlock(*nhc::runtime::activationFromName(name), 1, 1,
                                &x, 1);
    EXPECT_TRUE(std::isnan(x)) << name << " of NaN";
  }
  EXPECT_FALSE(nhc::runtime::activationFromName("prelu").has_value());
  EXPECT_FALSE(nhc::runtime::activationFromName("swish").has_value())
      << "aliases are the compiler's; the manifest names one form";
}

} // namespace
