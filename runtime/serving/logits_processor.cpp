//===- logits_processor.cpp - Biases and penalties before sampling --------===//

#include "nhc/serving/logits_processor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <iterator>
#include <stdexcept>
#include <string>

namespace nhc::serving {

bool isRepetitionPenalty(double penalty) {
  return penalty >= double(std::numeric_limits<float>::min()) &&
         penalty <= double(std::numeric_limits<float>::max());
}

bool LogitAdjustments::any() const {
  return !logitBias.empty() || repetitionPenalty != 1.0f ||
         frequencyPenalty != 0.0f || presencePenalty != 0.0f;
}

LogitsProcessor::LogitsProcessor(LogitAdjustments adjustments,
                                 const std::vector<int32_t> &prompt)
    : adjustments_(std::move(adjustments)), active_(adjustments_.any()) {
  // The biases by id (a JSON object's keys are distinct; repeated ids
  // here add up).
  for (const auto &[id, bias] : adjustments_.logitBias) {
    auto at = biasAt(id);
    if (at != biases_.end() && at->first == id)
      at->second += bias;
    else
      biases_.insert(at, {id, bias});
  }
  if (adjustments_.repetitionPenalty != 1.0f) {
    promptIds_ = prompt;
    std::sort(promptIds_.begin(), promptIds_.end());
    promptIds_.erase(std::unique(promptIds_.begin(), promptIds_.end()),
                     promptIds_.end());
  }
}

namespace {
bool idBefore(const std::pair<int32_t, float> &bias, int32_t id) {
  return bias.first < id;
}
} // namespace

std::vector<std::pair<int32_t, float>>::iterator
LogitsProcessor::biasAt(int32_t id) {
  return std::lower_bound(biases_.begin(), biases_.end(), id, idBefore);
}

std::vector<std::pair<int32_t, float>>::const_iterator
LogitsProcessor::biasAt(int32_t id) const {
  return std::lower_bound(biases_.begin(), biases_.end(), id, idBefore);
}

void LogitsProcessor::accept(int32_t token) {
  if (active_)
    ++generated_[token];
}

void LogitsProcessor::edits(uint32_t row, size_t vocab,
                            const std::vector<int32_t> &banned,
                            std::vector<nhc_logit_edit_t> &out) const {
  auto inVocab = [&](int32_t id) { return id >= 0 && size_t(id) < vocab; };
  const float repetition = adjustments_.repetitionPenalty;
  const float frequency = adjustments_.frequencyPenalty;
  const float presence = adjustments_.presencePenalty;
  // The ids this row's edits name, in order: the biased, banned and
  // generated ones (few), merged with the prompt's (sorted already).
  thread_local std::vector<int32_t> named, all, bannedSorted;
  named.clear();
  for (const auto &[id, bias] : biases_)
    named.push_back(id);
  named.insert(named.end(), banned.begin(), banned.end());
  for (const auto &[id, count] : generated_)
    named.push_back(id);
  std::sort(named.begin(), named.end());
  all.clear();
  std::set_union(named.begin(), named.end(), promptIds_.begin(),
                 promptIds_.end(), std::back_inserter(all));
  all.erase(std::unique(all.begin(), all.end()), all.end());
  bannedSorted.assign(banned.begin(), banned.end());
  std::sort(bannedSorted.begin(), bannedSorted.end());
  for (int32_t id : all) {
    if (!inVocab(id))
      continue;
    nhc_logit_edit_t edit{row, id, 0.0f, 0, 1.0f, 0.0f, 0.0f};
    auto bias = biasAt(id);
    const bool biased = bias != biases_.end() && bias->first == id;
    if (biased)
      edit.bias = bias->second;
    edit.banned =
        std::binary_search(bannedSorted.begin(), bannedSorted.end(), id);
    auto generated = generated_.find(id);
    const bool repeated =
        generated != generated_.end() ||
        std::binary_search(promptIds_.begin(), promptIds_.end(), id);
    if (repetition != 1.0f && repeated) // each id of the prompt or output once
      edit.repetition = repetition;
    if ((frequency != 0.0f || presence != 0.0f) &&
        generated != generated_.end()) {
      edit.frequency = frequency * float(generated->second); // vLLM: two steps
      edit.presence = presence;
    }
    // A listed bias of 0 still adds (as apply() always did).
    if (biased || edit.banned || edit.repetition != 1.0f ||
        edit.frequency != 0.0f || edit.presence != 0.0f)
      out.push_back(edit);
  }
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
