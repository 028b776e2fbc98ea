//===- nhc/serving/logits_processor.h - Biases and penalties -*- C++ -*-===//
//
// What a request asks to change in its logits before a token is picked
// (nhc/serving/sampler.h), in vLLM's order (vllm/v1/sample/sampler.py):
//   1. logit_bias: each listed id's logit += its bias (OpenAI, [-100, 100]);
//   2. ids banned for now: -inf (the engine's min_tokens: the stop ids until
//      that many tokens were generated);
//   3. repetition penalty over the prompt's and the generated ids (CTRL,
//      Keskar et al. 2019, as transformers' RepetitionPenaltyLogitsProcessor
//      and vLLM: a positive logit divided by it, a negative one multiplied);
//   4. frequency and presence penalties over the generated ids (OpenAI:
//      logit -= frequency * count + presence * (count > 0)).
// Greedy decoding takes the argmax of the adjusted row, as vLLM's does.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVING_LOGITS_PROCESSOR_H
#define NHC_SERVING_LOGITS_PROCESSOR_H

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nhc/runtime/logit_edits.h"

namespace nhc::serving {

struct LogitAdjustments {
  /// (token id, bias added to its logit); ids in [0, vocab), biases finite.
  std::vector<std::pair<int32_t, float>> logitBias;
  float repetitionPenalty = 1.0f; ///< isRepetitionPenalty; 1 = none
  float frequencyPenalty = 0.0f;  ///< [-2, 2]; 0 = none
  float presencePenalty = 0.0f;   ///< [-2, 2]; 0 = none
  /// Whether any of them changes a logit.
  bool any() const;
};

/// Whether `penalty` is a repetition penalty: a positive float32 normal
/// number (FLT_MIN .. FLT_MAX: a subnormal one divides a positive logit to
/// +inf), the rule of nhc_logit_edit_t.repetition. The one check of
/// requests, generation_config.json and the engine.
bool isRepetitionPenalty(double penalty);

/// One request's adjustments and the history they need: the prompt's ids
/// (for the repetition penalty) and how often each id was generated.
class LogitsProcessor {
public:
  LogitsProcessor(LogitAdjustments adjustments,
                  const std::vector<int32_t> &prompt);
  /// Whether apply() changes anything (with no banned ids).
  bool active() const { return active_; }
  /// Adjusts one row of `vocab` logits in place; `banned` ids (in
  /// [0, vocab)) become -inf. Ids outside [0, vocab) in the history or the
  /// biases are the caller's fault and are skipped. The edits() applied
  /// (nhc_logit_edit_apply), so the session's picks from those edits are
  /// this row's.
  void apply(float *logits, size_t vocab,
             const std::vector<int32_t> &banned = {}) const;
  /// The same adjustments as the runtime's logit edits of logits row `row`
  /// (nhc/runtime/logit_edits.h: one per token changed, in id order),
  /// appended to `out`.
  void edits(uint32_t row, size_t vocab, const std::vector<int32_t> &banned,
             std::vector<nhc_logit_edit_t> &out) const;
  /// Records a generated id.
  void accept(int32_t token);

private:
  /// Where id's bias is or would go in biases_ (sorted by id).
  std::vector<std::pair<int32_t, float>>::iterator biasAt(int32_t id);
  std::vector<std::pair<int32_t, float>>::const_iterator
  biasAt(int32_t id) const;

  LogitAdjustments adjustments_;
  bool active_;
  std::vector<std::pair<int32_t, float>> biases_; ///< by id, distinct
  std::vector<int32_t> promptIds_; ///< sorted, unique; only with a repetition penalty
  std::unordered_map<int32_t, uint32_t> generated_; ///< id -> count
};

} // namespace nhc::serving

#endif // NHC_SERVING_LOGITS_PROCESSOR_H
