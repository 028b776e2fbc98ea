// IncrementalDecoder never emits half a UTF-8 character and adds up to
// decode().
#include "byte_level.h"
#include "test_util.h"
#include "utf8.h"

#include "nhc/text/tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace nhc::text;
using nhc::text::test::TempDir;

namespace {

Tokenizer byteTokenizer(TempDir &dir) {
  nlohmann::json v = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) {
    std::string s;
    detail::appendCodePoint(s, detail::byteToCodePoint(static_cast<unsigned char>(b)));
    v[s] = b;
  }
  std::string added = R"([{"id": 256, "content": "<s>", "special": true, "normalized": false}])";
  dir.write("tokenizer.json", test::makeTokenizerJson(v.dump(), "[]", added));
  return Tokenizer::load(dir.path());
}

bool completeUtf8(const std::string &s) { return detail::isValidUtf8(s); }

} // namespace

TEST(IncrementalDecoder, HoldsSplitCharactersUntilComplete) {
  TempDir dir;
  Tokenizer t = byteTokenizer(dir);
  IncrementalDecoder d(t, false);
  // U+1F600 = F0 9F 98 80, one byte per token.
  EXPECT_EQ(d.push('a'), "a");
  EXPECT_EQ(d.push(0xF0), "");
  EXPECT_EQ(d.push(0x9F), "");
  EXPECT_EQ(d.push(0x98), "");
  EXPECT_EQ(d.push(0x80), "\xF0\x9F\x98\x80");
  EXPECT_EQ(d.push(0xC3), "");
  EXPECT_EQ(d.push('b'), "\xEF\xBF\xBD" "b"); // broken sequence -> U+FFFD now
  EXPECT_EQ(d.push(0xE6), "");
  EXPECT_EQ(d.finish(), "\xEF\xBF\xBD"); // incomplete tail flushed
}

TEST(IncrementalDecoder, SkipsSpecialTokensAndMatchesDecode) {
  TempDir dir;
  Tokenizer t = byteTokenizer(dir);
  const std::string text = "h\xC3\xA9 \xE4\xB8\x96\xF0\x9F\x91\x8D\xFF\xE2\x82" "x\xF0\x9F";
  std::vector<int32_t> ids{256};
  for (unsigned char c : text) ids.push_back(c);
  ids.push_back(256);
  for (bool skip : {false, true}) {
    IncrementalDecoder d(t, skip);
    std::string all;
    for (int32_t id : ids) {
      std::string piece = d.push(id);
      EXPECT_TRUE(completeUtf8(piece)) << "partial UTF-8 after id " << id;
      all += piece;
    }
    std::string tail = d.finish();
    EXPECT_TRUE(completeUtf8(tail));
    all += tail;
    EXPECT_EQ(all, t.decode(ids, skip));
  }
  IncrementalDecoder d(t, true);
  EXPECT_EQ(d.push(256), "");
  EXPECT_EQ(d.push(999), ""); // no token: no text, like decode()
}

TEST(IncrementalDecoder, IdsWithoutTokenGiveNoTextLikeDecode) {
  // A gap (id 3), ids >= vocabSize() and negative ids: decode() and push()
  // skip them (tokenizers' decode drops them), also in the middle of a
  // character split over tokens and without a decoder (no extra space).
  TempDir dir;
  dir.write("tokenizer.json",
            test::makeTokenizerJson(R"({"a": 0, "\u00c3": 1, "\u00a9": 2, "ab": 9})", "[]"));
  Tokenizer t = Tokenizer::load(dir.path());
  ASSERT_EQ(t.vocabSize(), 10u);
  const std::vector<int32_t> ids{0, 3, 1, 10, -1, 2, INT32_MIN, 9, INT32_MAX, 5};
  EXPECT_EQ(t.decode(ids), "a\xC3\xA9" "ab");
  IncrementalDecoder d(t, false);
  std::string all;
  for (int32_t id : ids) all += d.push(id);
  all += d.finish();
  EXPECT_EQ(all, t.decode(ids));
  EXPECT_EQ(t.tokenBytes(3), ""); // what push() adds for it

  TempDir plain;
  plain.write("tokenizer.json",
              test::makeTokenizerJson(R"({"a": 0, "b": 5, "ab": 9})", "[]", "[]", "",
                                      "null", "null", "null"));
  Tokenizer p = Tokenizer::load(plain.path());
  EXPECT_EQ(p.decode({0, 3, 5, 100, -7, 9}), "a b ab"); // tokenizers: 'a b ab'
  IncrementalDecoder pd(p, false);
  std::string pall;
  for (int32_t id : {0, 3, 5, 100, -7, 9}) pall += pd.push(id);
  EXPECT_EQ(pall + pd.finish(), "a b ab");
}

TEST(IncrementalDecoder, RealTokenizerMultiByteAcrossTokens) {
  // The tiny model's tokenizer: CJK and emoji split over byte tokens.
  Tokenizer t = Tokenizer::load(NHC_REPO_ROOT "/test/golden/dense/model");
  const std::string text = "\xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 caf\xC3\xA9";
  std::vector<int32_t> ids = t.encode(text, true);
  ASSERT_GT(ids.size(), 6u);
  IncrementalDecoder d(t, true);
  std::string all;
  for (int32_t id : ids) {
    std::string piece = d.push(id);
    EXPECT_TRUE(completeUtf8(piece));
    all += piece;
  }
  all += d.finish();
  EXPECT_EQ(all, text);
  EXPECT_EQ(all, t.decode(ids, true));
}
