// IncrementalDecoder: decode() one id at a time. The lossy UTF-8 repair
// decides each byte from the bytes before it and at most three after, so
// holding back only a trailing incomplete character gives exactly the text
// decode() gives for all ids at once.
#include "tokenizer_impl.h"
#include "utf8.h"

namespace nhc::text {

IncrementalDecoder::IncrementalDecoder(const Tokenizer &tokenizer,
                                       bool skipSpecialTokens)
    : tokenizer_(&tokenizer), skipSpecial_(skipSpecialTokens) {}

std::string IncrementalDecoder::push(int32_t id) {
  const Tokenizer::Impl &im = tokenizer_->impl();
  const IdEntry *e = im.entry(id);
  if (!e) return {}; // no token: no text, as decode() (and tokenizers)
  if (skipSpecial_ && e->special) return {};
  if (im.decoder == DecoderKind::None && !first_) pending_.push_back(' ');
  first_ = false;
  pending_ += e->bytes;
  std::string out;
  size_t used = detail::appendLossyUtf8(out, pending_, /*final=*/false);
  pending_.erase(0, used);
  return out;
}

std::string IncrementalDecoder::finish() {
  std::string out = detail::lossyUtf8(pending_);
  pending_.clear();
  first_ = true;
  return out;
}

} // namespace nhc::text
