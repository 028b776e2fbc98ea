// Added tokens: leftmost-longest matching, special tokens, lstrip / rstrip /
// single_word / normalized, and tokenizers' id numbering. Expected ids come
// from tokenizers 0.23.3 on the same tokenizer.json.
#include "byte_level.h"
#include "test_util.h"
#include "utf8.h"

#include "nhc/text/tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace nhc::text;
using nhc::text::test::TempDir;

namespace {

// Vocabulary: the 256 byte-level characters, byte b -> id b; no merges.
std::string byteVocab() {
  nlohmann::json v = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) {
    std::string s;
    detail::appendCodePoint(s, detail::byteToCodePoint(static_cast<unsigned char>(b)));
    v[s] = b;
  }
  return v.dump();
}

Tokenizer load(TempDir &dir) {
  // The file's ids (300..305) are not what tokenizers uses: tokens missing
  // from the model vocabulary are numbered from len(vocab) = 256 on.
  std::string added = R"([
    {"id": 300, "content": "<s>", "special": true, "normalized": false},
    {"id": 301, "content": "[M]", "lstrip": true, "normalized": false},
    {"id": 302, "content": "<r>", "rstrip": true, "normalized": false},
    {"id": 303, "content": "dog", "single_word": true, "normalized": false},
    {"id": 304, "content": "<ss>", "special": true, "normalized": false},
    {"id": 305, "content": "nm", "normalized": true}])";
  std::string pre = R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": false})";
  dir.write("tokenizer.json",
            test::makeTokenizerJson(byteVocab(), "[]", added, "", pre));
  return Tokenizer::load(dir.path());
}

std::vector<int32_t> bytesOf(const std::string &s) {
  std::vector<int32_t> v;
  for (unsigned char c : s) v.push_back(c);
  return v;
}

} // namespace

TEST(AddedTokens, IdsFollowTokenizersNumbering) {
  TempDir dir;
  Tokenizer t = load(dir);
  EXPECT_EQ(t.tokenToId("<s>"), 256);
  EXPECT_EQ(t.tokenToId("nm"), 261);
  EXPECT_EQ(t.vocabSize(), 262u);
  EXPECT_TRUE(t.isSpecial(256));
  EXPECT_FALSE(t.isSpecial(257));
  EXPECT_EQ(t.idToToken(260), "<ss>");
}

TEST(AddedTokens, SplittingMatchesTokenizers) {
  TempDir dir;
  Tokenizer t = load(dir);
  using V = std::vector<int32_t>;
  EXPECT_EQ(t.encode("a<s>b", false), (V{97, 256, 98}));
  EXPECT_EQ(t.encode("a<ss>b<s", false), (V{97, 260, 98, 60, 115}));
  EXPECT_EQ(t.encode("x  [M]y", false), (V{120, 257, 121}));
  EXPECT_EQ(t.encode("x\xE3\x80\x80 [M]  [M]y", false), (V{120, 257, 257, 121}));
  EXPECT_EQ(t.encode("<r>  \t z", false), (V{258, 122}));
  V dogs{259, 32, 104, 111, 116, 100, 111, 103, 32, 100, 111, 103, 95, 32,
         259, 46, 32, 100, 111, 103, 115};
  EXPECT_EQ(t.encode("dog hotdog dog_ dog. dogs", false), dogs);
  EXPECT_EQ(t.encode(" nm<s>nm", false), (V{32, 261, 256, 261}));
  EXPECT_EQ(t.encode("\xC3\xA9 dog", false), (V{195, 169, 32, 259}));
  EXPECT_EQ(t.encode("<s><ss><s>", false), (V{256, 260, 256}));
}

TEST(AddedTokens, DecodeSkipsOnlySpecialTokens) {
  TempDir dir;
  Tokenizer t = load(dir);
  std::vector<int32_t> ids{256, 104, 105, 257, 260};
  EXPECT_EQ(t.decode(ids), "<s>hi[M]<ss>");
  EXPECT_EQ(t.decode(ids, true), "hi[M]");
  EXPECT_EQ(t.tokenBytes(256), "<s>");
  EXPECT_EQ(t.decode(bytesOf("\xE2\x82")), "\xEF\xBF\xBD");
  // Ids with no token give no text, as tokenizers' decode drops them.
  EXPECT_EQ(t.decode({104, 262, 105, -1, 1 << 30, 256}), "hi<s>");
  EXPECT_EQ(t.decode({262}), "");
  EXPECT_EQ(t.decode({-1, INT32_MIN, INT32_MAX}), "");
}

namespace {
Tokenizer loadWithAdded(TempDir &dir, const std::string &added) {
  std::string pre = R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": false})";
  dir.write("tokenizer.json",
            test::makeTokenizerJson(byteVocab(), "[]", added, "", pre));
  return Tokenizer::load(dir.path());
}
} // namespace

// A stripping token of one space over a long run of spaces: every space is
// the token (tokenizers 0.23.3 for 1, 4 and 1000 spaces), and the strips do
// not walk the run once per space (200000 spaces took 31 s that way).
TEST(AddedTokens, StripsOverLongRunsOfSpaces) {
  for (const char *strip : {"lstrip", "rstrip"}) {
    SCOPED_TRACE(strip);
    TempDir dir;
    Tokenizer t = loadWithAdded(
        dir, std::string(R"([{"id": 256, "content": " ", "normalized": false, ")") +
                 strip + R"(": true}])");
    for (size_t n : {1u, 4u, 200000u}) {
      std::vector<int32_t> want(n + 2, 256);
      want.front() = 120;
      want.back() = 121;
      EXPECT_EQ(t.encode("x" + std::string(n, ' ') + "y", false), want) << n;
    }
  }
}

// A token of one space that strips both sides takes the whole run once: its
// later matches inside the run are left empty and dropped (tokenizers 0.23.3
// drops empty splits: one token for 1, 4 and 200000 spaces).
TEST(AddedTokens, BothStripsTakeARunOnce) {
  TempDir dir;
  Tokenizer t = loadWithAdded(dir, R"([{"id": 256, "content": " ", "normalized": false,
                                        "lstrip": true, "rstrip": true}])");
  for (size_t n : {1u, 4u, 200000u})
    EXPECT_EQ(t.encode("x" + std::string(n, ' ') + "y", false),
              (std::vector<int32_t>{120, 256, 121}))
        << n;
}

// A token that lstrips inside the whitespace an earlier token rstrips has
// no split (tokenizers 0.23.3 panics, "AddedVocabulary bad split"): a clear
// error naming the token and where it is. Without the overlap both work.
TEST(AddedTokens, OverlappingStripsAreAnError) {
  TempDir dir;
  Tokenizer t = loadWithAdded(dir, R"([
      {"id": 256, "content": "<r>", "normalized": false, "rstrip": true},
      {"id": 257, "content": " ", "normalized": false, "lstrip": true}])");
  EXPECT_EQ(t.encode("a<r>y b", false),
            (std::vector<int32_t>{97, 256, 121, 257, 98}));
  try {
    t.encode("a<r>   y", false);
    ADD_FAILURE() << "encoded";
  } catch (const TextError &e) {
    EXPECT_NE(std::string(e.what()).find(
                  "added tokens: ' ' (id 257) at byte 4 lies in the whitespace "
                  "that the added token before it strips with rstrip"),
              std::string::npos)
        << e.what();
  }
}

// An added token the text nearly repeats makes the longest-match walk from
// every position long: past kTrieStepsPerByte steps per byte of text the
// encode is refused, not run for a quadratic time.
TEST(AddedTokens, MatchingCostIsBounded) {
  TempDir dir;
  const std::string token = std::string(20000, 'a') + "b";
  Tokenizer t = loadWithAdded(
      dir, R"([{"id": 256, "content": ")" + token + R"(", "normalized": false}])");
  EXPECT_EQ(t.encode("x" + token + "y", false), (std::vector<int32_t>{120, 256, 121}));
  try {
    t.encode(std::string(19999, 'a'), false);
    ADD_FAILURE() << "encoded";
  } catch (const TextError &e) {
    EXPECT_NE(std::string(e.what()).find("added tokens: matching them in a text of 19999 bytes "
                                         "takes more than"),
              std::string::npos)
        << e.what();
  }
}

// The pre-tokenizer's time budget is the whole encode's, not each piece's:
// 20 runs of 450 `a` between added tokens, each a quartic pass of
// `a*a*a*a*b|a` of about 0.6 s (13 s in all when every piece had its own
// budget), end in one TextError after about 2.45 s (2 s + 50 us per byte
// of the 9 KB text).
TEST(AddedTokens, PreTokenizerTimeBudgetIsTheWholeEncodes) {
  TempDir dir;
  std::string added = R"([
    {"id": 300, "content": "<s>", "special": true, "normalized": false}])";
  std::string pre = R"({"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "a*a*a*a*b|a"},
     "behavior": "Isolated", "invert": false},
    {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]})";
  dir.write("tokenizer.json",
            test::makeTokenizerJson(byteVocab(), "[]", added, "", pre));
  Tokenizer tok = Tokenizer::load(dir.path());
  std::string text;
  for (int i = 0; i < 20; ++i)
    text += std::string(450, 'a') + "<s>";
  try {
    tok.encode(text);
    FAIL() << "no TextError";
  } catch (const TextError &e) {
    EXPECT_NE(std::string(e.what()).find(
                  "the pre-tokenizer took more than 2453 ms of CPU time over "
                  "9060 bytes"),
              std::string::npos)
        << e.what();
  }
}
