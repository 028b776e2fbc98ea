//===- nhc/serving/stop_strings.h - Stop strings over streamed text -*- C++ -*-===//
//
// Holds back generated text that could still grow into a stop string, so a
// stream never shows part of one (OpenAI's `stop`: the stop string itself is
// not returned, unless vLLM's include_stop_str_in_output asks for it). Text
// arrives in whole UTF-8 characters (from nhc::text::IncrementalDecoder);
// held-back text always starts at a
// character boundary because stop strings do.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVING_STOP_STRINGS_H
#define NHC_SERVING_STOP_STRINGS_H

#include <string>
#include <string_view>
#include <vector>

namespace nhc::serving {

class StopStringMatcher {
public:
  /// Empty strings in `stops` are ignored. `includeStop`: the shown text
  /// ends with the stop string rather than before it.
  explicit StopStringMatcher(std::vector<std::string> stops = {},
                             bool includeStop = false);

  /// Appends `text`; returns the text that can be shown now. When a stop
  /// string appears, `stopped` becomes true and the returned text ends
  /// right before it (or with it, `includeStop`); what follows it is
  /// dropped. Of the stop strings found, the one that starts first wins
  /// (on a tie, the first listed).
  std::string push(std::string_view text, bool &stopped);

  /// Appends text no stop string may lie in (vLLM's min_tokens: the first
  /// min_tokens tokens' text): it and what was held back are shown at
  /// once. A stop may still start in its last (stop length - 1) bytes and
  /// end in text pushed later, as vLLM's search does; the stop's part in
  /// text already shown is not taken back.
  std::string pushUnmatched(std::string_view text);

  /// The end of the generation without a stop string: what was held back.
  std::string flush();

  bool empty() const { return stops_.empty(); }

private:
  std::vector<std::string> stops_;
  bool includeStop_;
  std::string pending_;
  std::string context_; ///< shown text a stop may start in (pushUnmatched)
};

} // namespace nhc::serving

#endif // NHC_SERVING_STOP_STRINGS_H
