// The post-processor of tokenizer.json reduced to what it does to the ids of
// one sequence: the ids put before and after it when special tokens are
// added (TemplateProcessing "single", RobertaProcessing / BertProcessing
// cls..sep; ByteLevel only moves offsets; Sequence combines them).
#ifndef NHC_TEXT_TOKENIZER_POST_PROCESSOR_H
#define NHC_TEXT_TOKENIZER_POST_PROCESSOR_H

#include <cstdint>
#include <vector>

namespace nhc::text::detail {

struct PostProcessor {
  /// The single-sequence template: ids, with -1 standing for the sequence.
  /// Empty means "no post-processor that adds tokens" (the sequence alone).
  std::vector<int32_t> single;
  bool hasTemplate = false;

  void apply(std::vector<int32_t> &ids) const {
    if (!hasTemplate) return;
    std::vector<int32_t> out;
    out.reserve(ids.size() + single.size());
    for (int32_t t : single) {
      if (t == -1) out.insert(out.end(), ids.begin(), ids.end());
      else out.push_back(t);
    }
    ids.swap(out);
  }
  /// The first id the template puts before the sequence (BOS), if any.
  bool leadingId(int32_t *id) const {
    if (!hasTemplate || single.empty() || single.front() < 0) return false;
    *id = single.front();
    return true;
  }
};

} // namespace nhc::text::detail

#endif
