//===- text_mode.h - nhc-run --prompt / --chat ---------------*- C++ -*-===//
//
// Text in, text out: builds the prompt's ids from --prompt (the tokenizer's
// special tokens added) or --chat (the checkpoint's chat template, as
// transformers' apply_chat_template(add_generation_prompt=True) does), and
// streams the generated text to stdout, stopping at the EOS ids of
// generation_config.json or a --stop string.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUN_TEXT_MODE_H
#define NHC_RUN_TEXT_MODE_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nhc/serving/text_stream.h"
#include "nhc/text/tokenizer.h"
#include "options.h"

namespace nhc::run {

class TextMode {
public:
  /// Loads the tokenizer (--tokenizer, else the checkpoint's directory),
  /// the chat template and generation_config.json; throws std::exception
  /// with a message naming the file on failure.
  explicit TextMode(const Options &options);

  const std::vector<int32_t> &promptIds() const { return promptIds_; }
  /// The tokenizer.json loaded (--tokenizer's, else the checkpoint
  /// directory's), for messages.
  const std::string &tokenizerSource() const { return tokenizerSource_; }

  /// Streams the text `token` completes to stdout; true when generation
  /// must stop (an EOS id or a stop string).
  bool onToken(int32_t token);
  /// Prints what is still held and a final newline.
  void finish();

private:
  void write(const std::string &text);

  std::string tokenizerSource_;
  text::Tokenizer tokenizer_;
  std::vector<int32_t> promptIds_;
  std::unique_ptr<serving::TextStream> stream_;
};

} // namespace nhc::run

#endif // NHC_RUN_TEXT_MODE_H
