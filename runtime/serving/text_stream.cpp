//===- text_stream.cpp - Generated ids to shown text ----------------------===//

#include "nhc/serving/text_stream.h"

#include <algorithm>

namespace nhc::serving {

TextStream::TextStream(const text::Tokenizer *tokenizer,
                       std::vector<int32_t> eosIds,
                       std::vector<std::string> stop, bool skipSpecialTokens,
                       bool includeStop)
    : eosIds_(std::move(eosIds)), includeStop_(includeStop),
      stops_(std::move(stop), includeStop) {
  if (tokenizer)
    decoder_.emplace(*tokenizer, skipSpecialTokens);
}

std::string TextStream::drain(std::string text) {
  // The decoder's unfinished bytes, then whatever the matcher held.
  bool stopped = false;
  if (decoder_)
    text += stops_.push(decoder_->finish(), stopped);
  if (!stopped)
    text += stops_.flush();
  return text;
}

TextStream::Piece TextStream::push(int32_t id, bool matchStops) {
  Piece piece;
  if (ended_) {
    piece.ended = true;
    return piece;
  }
  if (std::find(eosIds_.begin(), eosIds_.end(), id) != eosIds_.end()) {
    bool stopped = false;
    if (includeStop_ && decoder_)
      piece.text = stops_.push(decoder_->push(id), stopped);
    if (!stopped)
      piece.text = drain(std::move(piece.text));
    piece.ended = ended_ = true;
    return piece;
  }
  if (decoder_) {
    bool stopped = false;
    if (matchStops)
      piece.text = stops_.push(decoder_->push(id), stopped);
    else
      piece.text = stops_.pushUnmatched(decoder_->push(id));
    piece.ended = ended_ = stopped;
  }
  return piece;
}

std::string TextStream::finish() {
  if (ended_)
    return {};
  ended_ = true;
  return drain({});
}

} // namespace nhc::serving
