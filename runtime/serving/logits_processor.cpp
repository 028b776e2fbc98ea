//===- logits_processor.cpp - Biases and penalties before sampling --------===//

#include "nhc/serving/logits_processor.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nhc::serving {

bool LogitAdjustments::any() const {
  return !logitBias.empty() || repetitionPenalty != 1.0f ||
         frequencyPenalty != 0.0f || presencePenalty != 0.0f;
}

LogitsProcessor::LogitsProcessor(LogitAdjustments adjustments,
                                 const std::vector<int32_t> &prompt)
    : adjustments_(std::move(adjustments)), active_(adjustments_.any()) {
  if (adjustments_.repetitionPenalty != 1.0f) {
    promptIds_ = prompt;
    std::sort(promptIds_.begin(), promptIds_.end());
    promptIds_.erase(std::unique(promptIds_.begin(), promptIds_.end()),
                     promptIds_.end());
  }
}

void LogitsProcessor::accept(int32_t token) {
  if (active_)
    ++generated_[token];
}

void LogitsProcessor::apply(float *logits, size_t vocab,
                            const std::vector<int32_t> &banned) const {
  auto inVocab = [&](int32_t id) { return id >= 0 && size_t(id) < vocab; };
  for (const auto &[id, bias] : adjustments_.logitBias)
    if (inVocab(id))
      logits[id] += bias;
  for (int32_t id : banned)
    if (inVocab(id))
      logits[id] = -std::numeric_limits<float>::infinity();
  const float repetition = adjustments_.repetitionPenalty;
  auto penalize = [&](int32_t id) {
    float &l = logits[id];
    l = l > 0.0f ? l / repetition : l * repetition;
  };
  if (repetition != 1.0f) {
    // Each id of the prompt or the output once.
    for (int32_t id : promptIds_)
      if (inVocab(id))
        penalize(id);
    for (const auto &[id, count] : generated_)
      if (inVocab(id) &&
          !std::binary_search(promptIds_.begin(), promptIds_.end(), id))
        penalize(id);
  }
  const float frequency = adjustments_.frequencyPenalty;
  const float presence = adjustments_.presencePenalty;
  if (frequency != 0.0f || presence != 0.0f)
    for (const auto &[id, count] : generated_)
      if (inVocab(id)) {
        logits[id] -= frequency * float(count); // as vLLM: two steps
        logits[id] -= presence;
      }
}

} // namespace nhc::serving
