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

/// The CPU time every regex pass of one encode may take together: 2 s plus
/// 50 us per byte of the text (20 KB/s; published pre-tokenizers run at
/// megabytes per second). PCRE2's match limit bounds each match's
/// backtracking but not the inner loops of its quantifiers, so a pattern
/// such as `a*a*a*b|a` runs in time polynomial of any degree in a run of
/// `a`; past this budget the encode is a TextError, not a hang. The
/// encoding thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so a thread that
/// waits (a suspended process, a busy machine's other work) keeps its
/// budget. Checked between matches: a pass may overrun it by one match
/// (which PCRE2's limit ends). Held for its lifetime by the outermost scope
/// on the thread (Tokenizer::encode for the whole text; nested scopes add
/// nothing).
class RegexBudget {
public:
  explicit RegexBudget(size_t textBytes);
  ~RegexBudget();
  RegexBudget(const RegexBudget &) = delete;
  RegexBudget &operator=(const RegexBudget &) = delete;

  /// Throws TextError naming `re` when the thread's budget is spent.
  static void check(const Regex &re);

private:
  bool outermost_;
};

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
