//===- model_runner.h - An artifact, its weights and one session -*- C++ -*-===//
//
// What nhc-quantize runs: a compiled model with one slot, used for
// calibration (max |input| of every body gemm and routed expert) and for comparing the
// quantized model's logits with the original's. Errors are
// std::runtime_error carrying the runtime's message.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_QUANTIZE_MODEL_RUNNER_H
#define NHC_QUANTIZE_MODEL_RUNNER_H

#include <cstdint>
#include <string>
#include <vector>

#include "nhc/runtime/api.h"

namespace nhc::quantize {

using Prompt = std::vector<int32_t>;

class ModelRunner {
public:
  /// Loads `artifactPath`, binds the checkpoint at `weightsPath` and creates
  /// a one-slot session for prompts of up to `maxSeqLen` tokens.
  ModelRunner(const std::string &artifactPath, const std::string &weightsPath,
              uint64_t maxSeqLen);
  ~ModelRunner();
  ModelRunner(const ModelRunner &) = delete;
  ModelRunner &operator=(const ModelRunner &) = delete;

  const nhc_manifest_t *manifest() const;
  const nhc_weights_t *weights() const { return weights_; }
  uint64_t vocab() const { return vocab_; }

  /// The body's gemms: the weight each multiplies by (manifest names).
  std::vector<std::string> gemmWeights() const;
  /// The routed experts' products (nhc_session_expert_gemm_weight): per
  /// expert its up, then its down projection's weight.
  std::vector<std::string> expertGemmWeights() const;
  /// Prefills `prompt` alone (no cache), raising absmax[i] to max |x| over
  /// the input rows of body gemm i, and expertAbsmax[i] over those of
  /// routed expert product i (the rows routed to the expert).
  void observe(const Prompt &prompt, std::vector<float> &absmax,
               std::vector<float> &expertAbsmax);
  /// Prefills `prompt` alone; [tokens, vocab] logits.
  std::vector<float> logits(const Prompt &prompt);

private:
  void step(const Prompt &prompt, nhc_step_options_t &options,
            std::vector<float> &out);

  nhc_artifact_t *artifact_ = nullptr;
  nhc_weights_t *weights_ = nullptr;
  nhc_session_t *session_ = nullptr;
  uint64_t vocab_ = 0;
};

} // namespace nhc::quantize

#endif // NHC_QUANTIZE_MODEL_RUNNER_H
