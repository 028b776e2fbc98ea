//===- logits_processor.cpp - Biases and penalties before sampling --------===//

#include "nhc/serving/logits_processor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

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

void LogitsProcessor::edits(uint32_t row, size_t vocab,
                            const std::vector<int32_t> &banned,
                            std::vector<nhc_logit_edit_t> &out) const {
  auto inVocab = [&](int32_t id) { return id >= 0 && size_t(id) < vocab; };
  std::map<int32_t, nhc_logit_edit_t> byId;
  auto at = [&](int32_t id) -> nhc_logit_edit_t & {
    auto [it, added] = byId.try_emplace(id);
    if (added)
      it->second = {row, id, 0.0f, 0, 1.0f, 0.0f, 0.0f};
    return it->second;
  };
  for (const auto &[id, bias] : adjustments_.logitBias)
    if (inVocab(id))
      at(id).bias += bias;
  for (int32_t id : banned)
    if (inVocab(id))
      at(id).banned = 1;
  const float repetition = adjustments_.repetitionPenalty;
  if (repetition != 1.0f) {
    // Each id of the prompt or the output once.
    for (int32_t id : promptIds_)
      if (inVocab(id))
        at(id).repetition = repetition;
    for (const auto &[id, count] : generated_)
      if (inVocab(id))
        at(id).repetition = repetition;
  }
  const float frequency = adjustments_.frequencyPenalty;
  const float presence = adjustments_.presencePenalty;
  if (frequency != 0.0f || presence != 0.0f)
    for (const auto &[id, count] : generated_)
      if (inVocab(id)) {
        at(id).frequency = frequency * float(count); // as vLLM: two steps
        at(id).presence = presence;
      }
  for (const auto &[id, edit] : byId)
    out.push_back(edit);
}

void LogitsProcessor::apply(float *logits, size_t vocab,
                            const std::vector<int32_t> &banned) const {
  std::vector<nhc_logit_edit_t> changes;
  edits(0, vocab, banned, changes);
  for (const nhc_logit_edit_t &edit : changes)
    if (nhc_logit_edit_apply(&edit, &logits[edit.id]) != NHC_OK)
      throw std::runtime_error(std::string("logit edit: ") +
                               nhc_last_error());
}

} // namespace nhc::serving
