// BPE merge order on tiny hand-made vocabularies (plain characters, no
// byte-level mapping).
#include "bpe_model.h"

#include "nhc/text/text_error.h"

#include <gtest/gtest.h>

using namespace nhc::text::detail;
using nhc::text::TextError;

namespace {

std::vector<int32_t> run(const BpeModel &m, const std::string &w) {
  std::vector<int32_t> out;
  m.tokenize(w, out);
  return out;
}

} // namespace

TEST(BpeModel, LowestRankFirstThenLeftmost) {
  // a=0 b=1 c=2 ab=3 bc=4 abc=5
  std::unordered_map<std::string, int32_t> v{{"a", 0}, {"b", 1}, {"c", 2},
                                             {"ab", 3}, {"bc", 4}, {"abc", 5}};
  // "b c" ranks before "a b": abc -> a bc (no "a bc" merge) -> [a, bc].
  BpeModel m1(v, {{"b", "c"}, {"a", "b"}, {"ab", "c"}}, {}, "t");
  EXPECT_EQ(run(m1, "abc"), (std::vector<int32_t>{0, 4}));
  // "a b" first: ab c -> abc.
  BpeModel m2(v, {{"a", "b"}, {"b", "c"}, {"ab", "c"}}, {}, "t");
  EXPECT_EQ(run(m2, "abc"), (std::vector<int32_t>{5}));
  // Equal pairs: leftmost first. "aaa" with "a a": [aa, a].
  std::unordered_map<std::string, int32_t> v2{{"a", 0}, {"aa", 1}};
  BpeModel m3(v2, {{"a", "a"}}, {}, "t");
  EXPECT_EQ(run(m3, "aaa"), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(run(m3, "aaaa"), (std::vector<int32_t>{1, 1}));
}

TEST(BpeModel, DuplicateMergeTakesItsLastRank) {
  std::unordered_map<std::string, int32_t> v{{"a", 0}, {"b", 1}, {"c", 2},
                                             {"ab", 3}, {"bc", 4}};
  // "a b" listed first and last: its rank is 2, after "b c".
  BpeModel m(v, {{"a", "b"}, {"b", "c"}, {"a", "b"}}, {}, "t");
  EXPECT_EQ(run(m, "abc"), (std::vector<int32_t>{0, 4}));
}

TEST(BpeModel, IgnoreMergesTakesWholeWordsFromTheVocab) {
  std::unordered_map<std::string, int32_t> v{{"a", 0}, {"b", 1}, {"ab", 2},
                                             {"abab", 3}};
  BpeOptions o;
  EXPECT_EQ(run(BpeModel(v, {{"a", "b"}}, o, "t"), "abab"),
            (std::vector<int32_t>{2, 2}));
  o.ignoreMerges = true;
  EXPECT_EQ(run(BpeModel(v, {{"a", "b"}}, o, "t"), "abab"),
            (std::vector<int32_t>{3}));
}

TEST(BpeModel, UnknownCharactersUnkFuseAndDrop) {
  std::unordered_map<std::string, int32_t> v{{"<unk>", 0}, {"a", 1}};
  BpeOptions o;
  EXPECT_EQ(run(BpeModel(v, {}, o, "t"), "axya"), (std::vector<int32_t>{1, 1}));
  o.unkToken = "<unk>";
  EXPECT_EQ(run(BpeModel(v, {}, o, "t"), "axya"),
            (std::vector<int32_t>{1, 0, 0, 1}));
  o.fuseUnk = true;
  EXPECT_EQ(run(BpeModel(v, {}, o, "t"), "axya"), (std::vector<int32_t>{1, 0, 1}));
}

// As in tokenizers, an unk_token missing from the vocabulary is an error
// only for a text that needs it; the error names the file and shows the
// token escaped.
TEST(BpeModel, MissingUnkTokenIsRefusedWhenNeededNamingTheFile) {
  std::unordered_map<std::string, int32_t> v{{"a", 1}};
  BpeOptions o;
  o.unkToken = "<nope\x1b[2J>";
  BpeModel m(v, {}, o, "/models/x/tokenizer.json");
  EXPECT_EQ(run(m, "aa"), (std::vector<int32_t>{1, 1}));
  try {
    run(m, "ax");
    ADD_FAILURE() << "an unknown character encoded without its unk_token";
  } catch (const TextError &e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind("/models/x/tokenizer.json: model.unk_token ", 0), 0u)
        << msg;
    EXPECT_NE(msg.find("\\x1b[2J"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\x1b'), std::string::npos) << msg;
  }
}

TEST(BpeModel, ByteFallback) {
  std::unordered_map<std::string, int32_t> v{{"a", 0}, {"<0xC3>", 1}, {"<0xA9>", 2}};
  BpeOptions o;
  o.byteFallback = true;
  EXPECT_EQ(run(BpeModel(v, {}, o, "t"), "a\xC3\xA9"),
            (std::vector<int32_t>{0, 1, 2}));
}

TEST(BpeModel, ContinuingSubwordPrefixAndSuffix) {
  std::unordered_map<std::string, int32_t> v{{"a", 0}, {"##b", 1}, {"ab", 2}};
  BpeOptions o;
  o.continuingSubwordPrefix = "##";
  EXPECT_EQ(run(BpeModel(v, {{"a", "##b"}}, o, "t"), "ab"),
            (std::vector<int32_t>{2}));
  std::unordered_map<std::string, int32_t> v2{{"a", 0}, {"b</w>", 1}, {"ab</w>", 2}};
  BpeOptions o2;
  o2.endOfWordSuffix = "</w>";
  EXPECT_EQ(run(BpeModel(v2, {{"a", "b</w>"}}, o2, "t"), "ab"),
            (std::vector<int32_t>{2}));
}

TEST(BpeModel, MergesNamingUnknownTokensAreErrors) {
  std::unordered_map<std::string, int32_t> v{{"a", 0}, {"b", 1}};
  try {
    BpeModel m(v, {{"a", "x"}}, {}, "f.json");
    FAIL();
  } catch (const TextError &e) {
    EXPECT_NE(std::string(e.what()).find("f.json: model.merges[0]: token \"x\""),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(BpeModel(v, {{"a", "b"}}, {}, "f.json"), TextError); // no "ab"
}
