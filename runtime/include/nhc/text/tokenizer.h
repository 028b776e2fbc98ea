// nhc text: a Hugging Face `tokenizer.json` tokenizer (byte-level BPE, as
// Nemotron-H / Nemotron Nano v2 ship it) that gives the same ids as the Python
// `tokenizers` library (checked against tokenizers 0.23 by
// tools/text/check_tokenizer.py), plus streaming decoding.
//
// What is supported and which errors are raised: docs/tokenizer.md.
//
// Units: ids are int32 (tokenizers' u32 ids; files with ids >= 2^24 are
// refused). Text is UTF-8 bytes in std::string / std::string_view.
//
// Invalid UTF-8 input: Python strings cannot hold it, so encode() first
// replaces every maximal invalid subsequence of the input bytes with U+FFFD,
// exactly what Python's `bytes.decode("utf-8", "replace")` does (Unicode
// "substitution of maximal subparts"), and tokenizes the result.
//
// Thread safety: a loaded Tokenizer is immutable except for an internal word
// cache guarded by a mutex; encode()/decode() may run concurrently.
#ifndef NHC_TEXT_TOKENIZER_H
#define NHC_TEXT_TOKENIZER_H

#include "nhc/text/text_error.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nhc::text {

/// The file beside tokenizer.json that holds the chat template in
/// checkpoints transformers 5 saved (it wins over tokenizer_config.json's).
inline constexpr const char kChatTemplateFile[] = "chat_template.jinja";

class Tokenizer {
public:
  /// `path`: a tokenizer.json file, or a directory holding tokenizer.json
  /// (and optionally tokenizer_config.json, which is read when present next
  /// to it). Throws TextError naming the file and JSON key for unreadable,
  /// oversized (> 256 MiB, vocab > 2^24 entries, JSON nested > 128 deep),
  /// malformed or unsupported content: unknown model / normalizer /
  /// pre-tokenizer / post-processor / decoder type, a regex PCRE2 rejects,
  /// merges naming tokens missing from the vocab, two tokens with one id, a
  /// negative or too large id. Gaps between ids are allowed. Any other
  /// fault in the JSON (a field of the wrong type, ...) is a TextError naming
  /// the file too; load() throws nothing else.
  static Tokenizer load(const std::string &path);

  Tokenizer(Tokenizer &&) noexcept;
  Tokenizer &operator=(Tokenizer &&) noexcept;
  ~Tokenizer();

  /// Text -> ids, as tokenizers' `Tokenizer.encode(text,
  /// add_special_tokens=addSpecialTokens).ids`. Added/special tokens written
  /// in the text (e.g. "<s>", "<think>") are always recognised;
  /// addSpecialTokens only says whether the post-processor's tokens (BOS) are
  /// added. Throws TextError only if the pre-tokenizer regex hits PCRE2's
  /// match limits (pathological input for a pathological pattern).
  std::vector<int32_t> encode(std::string_view text,
                              bool addSpecialTokens = true) const;

  /// Ids -> text, as tokenizers' `decode(ids, skip_special_tokens=...)`:
  /// the ByteLevel decoder maps tokens back to bytes and invalid UTF-8 in the
  /// result becomes U+FFFD. An id with no token (negative, >= vocabSize(), or
  /// in a gap between ids) is skipped: it gives no text (and, without a
  /// decoder, no separating space), as tokenizers' decode drops such ids.
  /// Never throws for any id.
  std::string decode(const std::vector<int32_t> &ids,
                     bool skipSpecialTokens = false) const;

  /// Max id + 1 over the model vocabulary and the added tokens.
  size_t vocabSize() const;
  std::optional<int32_t> tokenToId(std::string_view token) const;
  std::optional<std::string> idToToken(int32_t id) const;
  /// True for added tokens marked "special" in tokenizer.json.
  bool isSpecial(int32_t id) const;

  /// From tokenizer_config.json ("bos_token"/"eos_token", a string or an
  /// {"content": ...} object) when present, else BOS from the post-processor
  /// template, else nothing.
  std::optional<int32_t> bosId() const;
  std::optional<int32_t> eosId() const;
  const std::string &bosToken() const; ///< "" when unknown
  const std::string &eosToken() const; ///< "" when unknown
  /// tokenizer_config.json "add_bos_token" / "add_eos_token" (informational:
  /// encode() follows tokenizer.json's post_processor, as tokenizers does).
  std::optional<bool> addBosToken() const;
  std::optional<bool> addEosToken() const;
  /// The chat template, as transformers 5 finds it: the contents of
  /// chat_template.jinja beside the tokenizer (kChatTemplateFile), else
  /// tokenizer_config.json "chat_template": the string, or from a list of
  /// {"name", "template"} the one named "default". "" when there is none.
  const std::string &chatTemplate() const;
  /// Where chatTemplate() came from ("<dir>/chat_template.jinja" or
  /// "<dir>/tokenizer_config.json chat_template"), for diagnostics; "" when
  /// there is none.
  const std::string &chatTemplateSource() const;

  /// The raw bytes token `id` stands for after the ByteLevel decoder (what
  /// incremental decoding concatenates). Added/special tokens give their
  /// content (put through the same decoder rule as decode(), so the two
  /// always agree). May be an incomplete UTF-8 sequence. "" for an id with no
  /// token (what decode() and IncrementalDecoder::push() add for it; use
  /// idToToken() to tell such ids apart).
  std::string tokenBytes(int32_t id) const;

  struct Impl;
  const Impl &impl() const { return *impl_; }

private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Streams text out of generated ids. push() returns the newly completed
/// text and never half a UTF-8 character: the bytes of a character that is
/// still incomplete are held until the next push. finish() flushes what is
/// left (an incomplete tail becomes U+FFFD) and resets the decoder.
/// skipSpecialTokens drops special tokens like decode(..., true). The
/// concatenation of all push()es and finish() equals decode(all ids).
/// The Tokenizer must outlive the decoder. push() of an id with no token
/// (negative, >= vocabSize(), or in a gap) returns "" and changes nothing,
/// as decode() skips it.
class IncrementalDecoder {
public:
  IncrementalDecoder(const Tokenizer &tokenizer, bool skipSpecialTokens);
  std::string push(int32_t id);
  std::string finish();

private:
  const Tokenizer *tokenizer_;
  bool skipSpecial_;
  bool first_ = true;
  std::string pending_; ///< bytes of an incomplete trailing character
};

} // namespace nhc::text

#endif // NHC_TEXT_TOKENIZER_H
