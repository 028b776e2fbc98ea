// UTF-8 helpers: validation with Unicode's "substitution of maximal
// subparts" (what Python's bytes.decode("utf-8", "replace") and Rust's
// String::from_utf8_lossy do), code point encode/decode.
#ifndef NHC_TEXT_TOKENIZER_UTF8_H
#define NHC_TEXT_TOKENIZER_UTF8_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nhc::text::detail {

enum class Utf8Seq { Valid, Invalid, Incomplete };

/// Classifies the sequence starting at p[0] (n >= 1 bytes available).
/// Valid: *len = its length. Invalid: *len = the maximal subpart to replace
/// with one U+FFFD (>= 1). Incomplete: all n bytes are a proper prefix of a
/// valid sequence that the end of the buffer cut off; *len = n.
Utf8Seq classifyUtf8(const unsigned char *p, size_t n, size_t *len);

/// True when `s` is well-formed UTF-8.
bool isValidUtf8(std::string_view s);

/// Appends `bytes` to `out` with every maximal invalid subpart replaced by
/// U+FFFD. When `final` is false a trailing incomplete sequence is not
/// consumed. Returns the number of bytes consumed.
size_t appendLossyUtf8(std::string &out, std::string_view bytes, bool final);

/// `bytes` with invalid subparts replaced by U+FFFD.
std::string lossyUtf8(std::string_view bytes);

/// Decodes the (valid) character at s[i]; advances i.
uint32_t nextCodePoint(std::string_view s, size_t &i);

void appendCodePoint(std::string &out, uint32_t cp);

/// Unicode White_Space (Rust's and Oniguruma's \s).
bool isWhiteSpace(uint32_t cp);

} // namespace nhc::text::detail

#endif
