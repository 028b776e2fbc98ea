// UTF-8 repair (maximal subparts, like Python's decode("utf-8", "replace"))
// and the GPT-2 byte <-> character map.
#include "byte_level.h"
#include "utf8.h"

#include <gtest/gtest.h>

#include <set>

using namespace nhc::text::detail;

TEST(ByteLevel, MapIsABijectionOnTheDocumentedRanges) {
  std::set<uint32_t> seen;
  for (int b = 0; b < 256; ++b) {
    uint32_t cp = byteToCodePoint(static_cast<unsigned char>(b));
    EXPECT_TRUE(seen.insert(cp).second) << b;
    EXPECT_EQ(codePointToByte(cp), b);
  }
  EXPECT_EQ(byteToCodePoint(' '), 0x120u);  // 'Ġ'
  EXPECT_EQ(byteToCodePoint('\n'), 0x10Au); // 'Ċ'
  EXPECT_EQ(byteToCodePoint(0), 0x100u);
  EXPECT_EQ(byteToCodePoint('A'), uint32_t('A'));
  EXPECT_EQ(byteToCodePoint(0xAD), 0x143u); // last remapped byte
  EXPECT_EQ(byteToCodePoint(0xFF), 0xFFu);
  EXPECT_EQ(codePointToByte(0x144), -1);
  EXPECT_EQ(codePointToByte(0x4E00), -1);
}

TEST(ByteLevel, EncodeAndDecodeToken) {
  std::string s;
  appendByteLevel(s, " hi\n\xC3\xA9");
  EXPECT_EQ(s, "\xC4\xA0hi\xC4\x8A\xC3\x83\xC2\xA9"); // Ġhi Ċ Ã ©
  EXPECT_EQ(byteLevelDecodeToken(s), " hi\n\xC3\xA9");
  // A character outside the map: the token is kept as is.
  EXPECT_EQ(byteLevelDecodeToken("<\xE6\x95\xB0>"), "<\xE6\x95\xB0>");
}

TEST(Utf8, LossyMatchesMaximalSubparts) {
  // Cases checked against Python bytes.decode("utf-8", "replace").
  const std::string R = "\xEF\xBF\xBD";
  EXPECT_EQ(lossyUtf8("a\xFF" "b"), "a" + R + "b");
  EXPECT_EQ(lossyUtf8("\xE2\x82" "A"), R + "A");              // truncated 3-byte: one
  EXPECT_EQ(lossyUtf8("\xF0\x9F\x98"), R);                     // truncated at end
  EXPECT_EQ(lossyUtf8("\xC0\xAF"), R + R);                     // overlong: two
  EXPECT_EQ(lossyUtf8("\xE0\x80\xAF"), R + R + R);
  EXPECT_EQ(lossyUtf8("\xED\xA0\x80"), R + R + R);             // surrogate
  EXPECT_EQ(lossyUtf8("\xF4\x90\x80\x80"), R + R + R + R);     // > U+10FFFF
  EXPECT_EQ(lossyUtf8("\x80\x81"), R + R);
  EXPECT_EQ(lossyUtf8("\xC3\xA9\xC3 \xC3\xA9"), "\xC3\xA9" + R + " \xC3\xA9");
  EXPECT_EQ(lossyUtf8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
  EXPECT_TRUE(isValidUtf8("h\xC3\xA9llo \xF0\x9F\x98\x80"));
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));
}

TEST(Utf8, StreamingHoldsOnlyAnIncompleteTail) {
  std::string out;
  EXPECT_EQ(appendLossyUtf8(out, "ab\xE6\x97", false), 2u);
  EXPECT_EQ(out, "ab");
  out.clear();
  EXPECT_EQ(appendLossyUtf8(out, "\xE6\x97" "A", false), 3u); // not a prefix any more
  EXPECT_EQ(out, "\xEF\xBF\xBD" "A");
}
