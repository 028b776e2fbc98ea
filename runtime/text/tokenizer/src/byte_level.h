// GPT-2's byte <-> printable character map used by the ByteLevel
// pre-tokenizer and decoder (tokenizers' bytes_char()): bytes '!'..'~',
// 0xA1..0xAC and 0xAE..0xFF stand for themselves, the other 68 bytes map in
// increasing order to U+0100, U+0101, ...
#ifndef NHC_TEXT_TOKENIZER_BYTE_LEVEL_H
#define NHC_TEXT_TOKENIZER_BYTE_LEVEL_H

#include <cstdint>
#include <string>
#include <string_view>

namespace nhc::text::detail {

/// The code point byte `b` is written as.
uint32_t byteToCodePoint(unsigned char b);
/// The byte a code point stands for, or -1 when it is not one of the 256.
int codePointToByte(uint32_t cp);
/// Appends the byte-level form (UTF-8) of `bytes` to `out`.
void appendByteLevel(std::string &out, std::string_view bytes);
/// The ByteLevel decoder's rule for one token: when every character of
/// `token` is in the map, the bytes they stand for; otherwise `token` as is.
std::string byteLevelDecodeToken(std::string_view token);

} // namespace nhc::text::detail

#endif
