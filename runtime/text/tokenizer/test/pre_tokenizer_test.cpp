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

// What Oniguruma (tokenizers' regex engine) and PCRE2 read differently, each
// example one where tokenizers 0.23 and the untranslated pattern disagreed
// (found by a differential hunt, 2026-12-08).
TEST(PreTokenizer, OnigClassesAndSyntaxKeepTheirMeaning) {
  auto full = [](const char *onig, const std::string &text) {
    return Regex(translateOnigPattern(onig, "t"), false, "t").fullMatch(text);
  };
  EXPECT_TRUE(full("\\w", "\u00B3"));   // superscript three: Oniguruma's \w
  EXPECT_FALSE(full("\\w", "\u200D"));  // ZWJ: Rust regex's \w, not Oniguruma's
  EXPECT_FALSE(full("\\w", "\u09F4"));  // a No outside Latin-1
  EXPECT_TRUE(full("\\W", "\u200D"));
  EXPECT_TRUE(full("a\\B\u0300", "a\u0300")); // a mark is a word character
  EXPECT_TRUE(full("[[:alpha:]]", "\u216B")); // Alphabetic, not just L
  EXPECT_FALSE(full("[[:alpha:]]", "\u0300"));
  EXPECT_TRUE(full("[[:punct:]]", "\u20B9")); // symbols too
  EXPECT_TRUE(full("[[:punct:]]", "$"));
  EXPECT_FALSE(full("[[:word:]]", "\u2469"));
  EXPECT_TRUE(full("[[:^alpha:]]", "1"));
  EXPECT_TRUE(full("\\p{Han}", "\u4E00"));
  EXPECT_FALSE(full("\\p{Han}", "\u3002")); // Script, not Script_Extensions
  EXPECT_TRUE(full("\\P{Han}", "\u3002"));
  EXPECT_TRUE(full("\\p{L}", "a"));
  EXPECT_TRUE(full("(?m).", "\n"));             // Ruby's m is dot-all
  EXPECT_TRUE(full("(?i:(?m:.)A)", "\na"));
  EXPECT_TRUE(full("x{,3}", "xx"));              // {,n} is {0,n}
  EXPECT_FALSE(full("x{,3}", "x{,3}"));
  EXPECT_TRUE(full("[\\b]", "\b"));             // backspace in a class
  for (const char *refused : {"[a-z&&[^aeiou]]", "(?s).", "(?is).",
                              "[[:^word:]]", "[[:nonsense:]]"})
    EXPECT_THROW(translateOnigPattern(refused, "t"), nhc::text::TextError)
        << refused;
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
