// Split behaviors and the Oniguruma -> PCRE2 pattern translation.
#include "pre_tokenizer.h"
#include "pcre_regex.h"

#include "nhc/text/text_error.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

using namespace nhc::text::detail;

namespace {

std::vector<std::string> split(const std::string &pattern, SplitBehavior b,
                               const std::string &text, bool invert = false,
                               bool literal = true) {
  PreTokenizer p;
  SplitStep s;
  s.regex = std::make_unique<Regex>(pattern, literal, "test");
  s.behavior = b;
  s.invert = invert;
  p.splits.push_back(std::move(s));
  std::vector<std::string> out;
  p.run(text, out);
  return out;
}

using V = std::vector<std::string>;

} // namespace

TEST(PreTokenizer, SplitBehaviorsLikeTokenizersDocs) {
  // The examples of tokenizers' SplitDelimiterBehavior documentation.
  const std::string t = "the-final--countdown";
  EXPECT_EQ(split("-", SplitBehavior::Removed, t), (V{"the", "final", "countdown"}));
  EXPECT_EQ(split("-", SplitBehavior::Isolated, t),
            (V{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(split("-", SplitBehavior::MergedWithPrevious, t),
            (V{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(split("-", SplitBehavior::MergedWithNext, t),
            (V{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(split("-", SplitBehavior::Contiguous, t),
            (V{"the", "-", "final", "--", "countdown"}));
  EXPECT_EQ(split("-", SplitBehavior::Removed, t, /*invert=*/true), (V{"-", "-", "-"}));
}

TEST(PreTokenizer, OnigEscapesAreTranslated) {
  EXPECT_EQ(translateOnigPattern("\\s+(?!\\S)", "t"),
            "\\p{White_Space}+(?!\\P{White_Space})");
  EXPECT_EQ(translateOnigPattern("[^\\s\\p{L}]", "t"), "[^\\p{White_Space}\\p{L}]");
  EXPECT_EQ(translateOnigPattern("[\\]\\s]", "t"), "[\\]\\p{White_Space}]");
  EXPECT_THROW(translateOnigPattern("[\\W]", "t"), nhc::text::TextError);
  // U+0085 (NEL) is White_Space for Oniguruma but not PCRE2's \s.
  Regex r(translateOnigPattern("\\s", "t"), false, "t");
  EXPECT_TRUE(r.fullMatch("\xC2\x85"));
  EXPECT_TRUE(r.fullMatch("\xE3\x80\x80"));
  EXPECT_FALSE(r.fullMatch("\xE2\x80\x8B")); // ZERO WIDTH SPACE is not
}

TEST(PreTokenizer, BadRegexIsATextError) {
  try {
    Regex r("(unclosed", false, "f.json: pre_tokenizer.pattern.Regex");
    FAIL();
  } catch (const nhc::text::TextError &e) {
    EXPECT_NE(std::string(e.what()).find("f.json: pre_tokenizer.pattern.Regex"),
              std::string::npos);
  }
}

TEST(PreTokenizer, SuperLinearPatternEndsInATextErrorNotAHang) {
  // `a*a*a*a*b|a` backtracks in time quartic in a run of `a` (PCRE2's match
  // limit counts its backtracking, not the quantifiers' inner loops):
  // 1800 bytes took over 100 s unbounded. The encode's time budget (2 s +
  // 50 us per byte) ends it as a TextError naming the pattern's source.
  const std::string text(1800, 'a');
  try {
    split("a*a*a*a*b|a", SplitBehavior::Isolated, text, false,
          /*literal=*/false);
    FAIL() << "no TextError";
  } catch (const nhc::text::TextError &e) {
    EXPECT_NE(std::string(e.what()).find("test: the pre-tokenizer took "
                                         "more than 2090 ms of CPU time over "
                                         "1800 bytes of text"),
              std::string::npos)
        << e.what();
  }
  // A linear pattern over the same text is far inside the budget.
  EXPECT_EQ(split("a", SplitBehavior::Removed, text, false, false).size(), 0u);
}

TEST(PreTokenizer, TimeBudgetCountsTheThreadsCpuTimeNotWaiting) {
  // A budget of 2 s for an empty text; the thread then waits 2.2 s (as a
  // suspended or descheduled process would) before its passes run: waiting
  // spends none of it, so the split still runs (a wall-clock budget failed
  // here).
  RegexBudget scope(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  EXPECT_EQ(split("b", SplitBehavior::Removed, "abcb", false, false),
            (V{"a", "c"}));
}
