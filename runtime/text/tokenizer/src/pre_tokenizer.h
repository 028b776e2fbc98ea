// The pre-tokenizer of tokenizer.json: zero or more Split steps (regex or
// literal pattern; behaviors Removed, Isolated, MergedWithPrevious,
// MergedWithNext, Contiguous; invert), optionally followed by one ByteLevel
// step (add_prefix_space, use_regex with GPT-2's pattern), which must be the
// last. A lone ByteLevel is GPT-2's setup.
#ifndef NHC_TEXT_TOKENIZER_PRE_TOKENIZER_H
#define NHC_TEXT_TOKENIZER_PRE_TOKENIZER_H

#include "pcre_regex.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nhc::text::detail {

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct SplitStep {
  std::unique_ptr<Regex> regex;
  SplitBehavior behavior = SplitBehavior::Isolated;
  bool invert = false;
};

class PreTokenizer {
public:
  std::vector<SplitStep> splits;
  bool byteLevel = false;
  bool addPrefixSpace = false;
  std::unique_ptr<Regex> byteLevelRegex; ///< when use_regex is true

  /// Appends the words of `text` (valid UTF-8) to `words`, byte-level
  /// mapped when byteLevel is set.
  void run(std::string_view text, std::vector<std::string> &words) const;

private:
  static void applySplit(const SplitStep &step, std::string_view piece,
                         std::vector<std::string_view> &out);
};

/// GPT-2's pattern, used by ByteLevel with use_regex true.
extern const char *const kGpt2Pattern;

} // namespace nhc::text::detail

#endif
