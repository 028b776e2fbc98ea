//===- model_runner.cpp - An artifact, its weights and one session --------===//

#include "model_runner.h"

#include <stdexcept>

namespace nhc::quantize {
namespace {
void check(nhc_status_t status, const std::string &what) {
  if (status != NHC_OK)
    throw std::runtime_error(what + ": " + nhc_last_error());
}
} // namespace

ModelRunner::ModelRunner(const std::string &artifactPath,
                         const std::string &weightsPath, uint64_t maxSeqLen) {
  try {
    check(nhc_artifact_load(artifactPath.c_str(), &artifact_), artifactPath);
    check(nhc_weights_open(weightsPath.c_str(), &weights_), weightsPath);
    check(nhc_weights_bind(weights_, nhc_artifact_manifest(artifact_)),
          weightsPath);
    check(nhc_session_create(artifact_, weights_, 1, maxSeqLen, &session_),
          weightsPath);
    nhc_session_info_t info{};
    check(nhc_session_get_info(session_, &info), "session");
    vocab_ = info.vocab_size;
  } catch (...) {
    this->~ModelRunner();
    throw;
  }
}

ModelRunner::~ModelRunner() {
  nhc_session_release(session_);
  nhc_weights_release(weights_);
  nhc_artifact_release(artifact_);
  session_ = nullptr, weights_ = nullptr, artifact_ = nullptr;
}

const nhc_manifest_t *ModelRunner::manifest() const {
  return nhc_artifact_manifest(artifact_);
}

std::vector<std::string> ModelRunner::gemmWeights() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < nhc_session_gemm_count(session_); ++i)
    names.push_back(nhc_session_gemm_weight(session_, i));
  return names;
}

std::vector<std::string> ModelRunner::expertGemmWeights() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < nhc_session_expert_gemm_count(session_); ++i)
    names.push_back(nhc_session_expert_gemm_weight(session_, i));
  return names;
}

void ModelRunner::step(const Prompt &prompt, nhc_step_options_t &options,
                       std::vector<float> &out) {
  uint32_t slot = 0;
  check(nhc_session_claim(session_, &slot), "claim");
  nhc_request_t request{slot, prompt.data(), prompt.size()};
  nhc_status_t status = nhc_session_step_ex(session_, &request, 1, &options,
                                            out.data(), out.size());
  std::string error = status == NHC_OK ? "" : nhc_last_error();
  nhc_session_release_slot(session_, slot);
  if (status != NHC_OK)
    throw std::runtime_error(error);
}

void ModelRunner::observe(const Prompt &prompt, std::vector<float> &absmax,
                          std::vector<float> &expertAbsmax) {
  nhc_step_options_t options{};
  options.logits_mode = NHC_LOGITS_LAST;
  options.gemm_input_absmax = absmax.data();
  options.num_gemm_input_absmax = absmax.size();
  if (!expertAbsmax.empty()) {
    options.expert_input_absmax = expertAbsmax.data();
    options.num_expert_input_absmax = expertAbsmax.size();
  }
  std::vector<float> last(vocab_);
  step(prompt, options, last);
}

std::vector<float> ModelRunner::logits(const Prompt &prompt) {
  nhc_step_options_t options{};
  options.logits_mode = NHC_LOGITS_ALL;
  std::vector<float> all(prompt.size() * vocab_);
  step(prompt, options, all);
  return all;
}

} // namespace nhc::quantize
