//===- escape_test.cpp - Untrusted text in messages (escape.h) ------------===//

#include <string>

#include <gtest/gtest.h>

#include "nhc/runtime/escape.h"

namespace {

TEST(EscapeTest, ControlsAreEscapedAsBytes) {
  EXPECT_EQ(nhc::escapeControls("a\x1b[31mb"), "a\\x1b[31mb");
  EXPECT_EQ(nhc::escapeControls(std::string("\0\r\n\x7f", 4)),
            "\\x00\\x0d\\x0a\\x7f");
  EXPECT_EQ(nhc::escapeControls("plain \"text\" \\ ok"), "plain \"text\" \\ ok");
}

TEST(EscapeTest, FormatCharactersAreEscapedAsCodePoints) {
  // C1 controls, direction overrides and isolates, zero-width characters.
  EXPECT_EQ(nhc::escapeControls("\xc2\x80"), "\\u0080");
  EXPECT_EQ(nhc::escapeControls("x\xe2\x80\xaey"), "x\\u202ey");
  EXPECT_EQ(nhc::escapeControls("\xe2\x81\xa6"), "\\u2066");
  EXPECT_EQ(nhc::escapeControls("\xe2\x80\x8b"), "\\u200b");
  EXPECT_EQ(nhc::escapeControls("\xef\xbb\xbf"), "\\ufeff");
  // Other characters, however far from ASCII, are kept.
  EXPECT_EQ(nhc::escapeControls("Привет 🙂"), "Привет 🙂");
}

TEST(EscapeTest, BytesThatAreNotUtf8AreEscapedOneByOne) {
  EXPECT_EQ(nhc::escapeControls("\xff"), "\\xff");
  // A sequence cut off at the end, an overlong '/', a surrogate.
  EXPECT_EQ(nhc::escapeControls("a\xe2\x80"), "a\\xe2\\x80");
  EXPECT_EQ(nhc::escapeControls("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(nhc::escapeControls("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  // Past U+10FFFF.
  EXPECT_EQ(nhc::escapeControls("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
}

TEST(EscapeTest, QuotedValuesAreBoundedByCodePoints) {
  EXPECT_EQ(nhc::quoteForMessage("swiglu"), "\"swiglu\"");
  EXPECT_EQ(nhc::quoteForMessage("a'b", '\''), "'a\\'b'");
  EXPECT_EQ(nhc::quoteForMessage("a\"b\\c"), "\"a\\\"b\\\\c\"");
  std::string longValue(100, 'x');
  EXPECT_EQ(nhc::quoteForMessage(longValue),
            "\"" + std::string(nhc::kMaxQuotedChars, 'x') + "\"... (100 bytes)");
  // The cut counts characters, never splitting one.
  std::string cyrillic;
  for (int i = 0; i < 70; ++i)
    cyrillic += "Ж";
  std::string quoted = nhc::quoteForMessage(cyrillic, '"', 3);
  EXPECT_EQ(quoted, "\"ЖЖЖ\"... (140 bytes)");
}

} // namespace
