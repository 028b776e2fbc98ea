//===- nhc/runtime/escape.h - Untrusted text in messages --------*- C++ -*-===//
//
// Messages quote names and values from files nhc did not write (config.json,
// safetensors headers, manifests). Printed raw, such text could drive the
// terminal (ESC and OSC sequences, BEL, CR, C1 controls) or reorder what is
// shown (Unicode direction overrides and isolates), so every message shows
// them escaped: a message shows what the file holds and nothing else.
// Header-only and dependency-free: the runtime and the compiler's config
// reader share it.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_ESCAPE_H
#define NHC_RUNTIME_ESCAPE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nhc {

/// A quoted value shows at most this many code points (docs/security.md).
constexpr size_t kMaxQuotedChars = 60;

namespace escape_detail {
/// Decodes one well-formed UTF-8 sequence at `text[i]` (no overlongs or
/// surrogates). Returns its length, or 0 when the bytes are not one.
inline size_t decodeUtf8(std::string_view text, size_t i, uint32_t &cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                              : (c >> 3) == 30 ? 4 : 0;
  if (length == 0 || i + length > text.size())
    return 0;
  cp = length == 1 ? c : c & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static const uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinimum[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return length;
}

/// Controls (C0, DEL, C1), direction marks, overrides and isolates, and
/// the invisible separators and joiners that hide or reorder text.
inline bool mustEscape(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C ||
         (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
}

inline void appendHex(std::string &out, uint32_t value, int digits) {
  static const char hex[] = "0123456789abcdef";
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
    out += hex[(value >> shift) & 15];
}

/// Appends text[i..] escaped; returns the index after the code point.
inline size_t appendEscaped(std::string &out, std::string_view text, size_t i,
                            char quote) {
  uint32_t cp = 0;
  size_t length = decodeUtf8(text, i, cp);
  if (length == 0 || (length == 1 && mustEscape(cp))) {
    // A control byte, or a byte that is not UTF-8 (shown, never sent raw).
    out += "\\x";
    appendHex(out, static_cast<unsigned char>(text[i]), 2);
    return i + 1;
  }
  if (mustEscape(cp)) {
    out += "\\u";
    appendHex(out, cp, 4);
  } else if (quote && (cp == static_cast<uint32_t>(quote) || cp == '\\')) {
    out += '\\';
    out += static_cast<char>(cp);
  } else {
    out.append(text.substr(i, length));
  }
  return i + length;
}
} // namespace escape_detail

/// `text` with control characters as \x1b, Unicode format characters that
/// reorder or hide text as \u202e, and bytes that are not UTF-8 as \xff.
inline std::string escapeControls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();)
    i = escape_detail::appendEscaped(out, text, i, 0);
  return out;
}

/// `text` escaped as above, at most `maxChars` code points, a longer one
/// followed by "... (N bytes)": unquoted text from a file in a message.
inline std::string escapeBounded(std::string_view text, size_t maxChars) {
  std::string out;
  size_t i = 0;
  for (size_t shown = 0; i < text.size() && shown < maxChars; ++shown)
    i = escape_detail::appendEscaped(out, text, i, 0);
  if (i < text.size())
    out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

/// `text` quoted for a message: escaped as above (and the quote character
/// and backslash too), at most `maxChars` code points, a longer value
/// followed by "... (N bytes)".
inline std::string quoteForMessage(std::string_view text, char quote = '"',
                                   size_t maxChars = kMaxQuotedChars) {
  std::string out(1, quote);
  size_t i = 0;
  for (size_t shown = 0; i < text.size() && shown < maxChars; ++shown)
    i = escape_detail::appendEscaped(out, text, i, quote);
  out += quote;
  if (i < text.size())
    out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

} // namespace nhc

#endif // NHC_RUNTIME_ESCAPE_H
