//===- nhc/serving/text_stream.h - Generated ids to shown text -*- C++ -*-===//
//
// One request's generated ids turned into the text a user sees: decoded
// incrementally (whole UTF-8 characters only), ending at an EOS id (not
// shown) or before a stop string (not shown; text that may still become one
// is held back). Used by the serving engine and nhc-run alike.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVING_TEXT_STREAM_H
#define NHC_SERVING_TEXT_STREAM_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nhc/serving/stop_strings.h"
#include "nhc/text/tokenizer.h"

namespace nhc::serving {

class TextStream {
public:
  /// `tokenizer` may be null: no text, only EOS ids end the stream (stop
  /// strings then must be empty). It must outlive the stream.
  /// `includeStop` (vLLM's include_stop_str_in_output): the stop string,
  /// or the text of the EOS id that ended the stream, is shown.
  TextStream(const text::Tokenizer *tokenizer, std::vector<int32_t> eosIds,
             std::vector<std::string> stop, bool skipSpecialTokens,
             bool includeStop = false);

  struct Piece {
    std::string text; ///< what can be shown now
    bool ended = false; ///< an EOS id or a stop string: generate no more
  };

  /// Feeds one generated id. At an EOS id the held-back text is released
  /// (it can no longer become a stop string). `matchStops` false (the
  /// first min_tokens ids): no stop string may lie entirely in this id's
  /// text (StopStringMatcher::pushUnmatched).
  Piece push(int32_t id, bool matchStops = true);
  /// The end for another reason (max tokens): the held-back text.
  std::string finish();

private:
  std::string drain(std::string text);

  std::vector<int32_t> eosIds_;
  bool includeStop_;
  std::optional<text::IncrementalDecoder> decoder_;
  StopStringMatcher stops_;
  bool ended_ = false;
};

} // namespace nhc::serving

#endif // NHC_SERVING_TEXT_STREAM_H
