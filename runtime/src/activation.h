//===- activation.h - Pointwise activations of gemm epilogues -*- C++ -*-===//
//
// The activations transformers' ACT2FN gives Nemotron-H's MLPs and experts
// (transformers/activations.py), by the names the manifest uses: gemm
// "epilogue" and moe_experts "activation".
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_ACTIVATION_H
#define NHC_RUNTIME_SRC_ACTIVATION_H

#include <cstdint>
#include <optional>
#include <string>

namespace nhc::runtime {

enum class Activation {
  None, Relu2, Relu, Relu6, Silu, Gelu, GeluTanh, QuickGelu, Gelu10, Laplace,
  LeakyRelu, Linear, Mish, Sigmoid, Tanh, Hardswish, SqrtSoftplus
};

/// "none" and manifest_schema.h's kActivations ("relu2", "relu", "relu6",
/// "silu", "gelu" (erf), "gelu_tanh", "quick_gelu", "gelu_10", "laplace",
/// "leaky_relu", "linear", "mish", "sigmoid", "tanh", "hardswish",
/// "sqrtsoftplus"); nullopt for anything else.
std::optional<Activation> activationFromName(const std::string &name);
/// The accepted names, for error messages.
const char *activationNames();

/// x = act(x) over the [m, n] block of C (rows `ldc` apart), in f32.
void activateBlock(Activation act, uint64_t m, uint64_t n, float *c,
                   uint64_t ldc);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_ACTIVATION_H
