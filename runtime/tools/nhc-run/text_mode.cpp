//===- text_mode.cpp - nhc-run --prompt / --chat --------------------------===//

#include "text_mode.h"

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "nhc/serving/chat_prompt.h"
#include "nhc/serving/generation_config.h"
#include "nhc/text/chat_template.h"
#include "nhc/text/text_error.h"

namespace nhc::run {

namespace {
/// The tokenizer file Tokenizer::load(path) reads: `path`, or its
/// tokenizer.json when it is a directory.
std::string tokenizerFile(const std::string &path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) ? path + "/tokenizer.json"
                                                 : path;
}
} // namespace

TextMode::TextMode(const Options &options)
    : tokenizerSource_(tokenizerFile(
          options.tokenizer.empty()
              ? serving::checkpointDirectory(options.weights)
              : options.tokenizer)),
      tokenizer_(text::Tokenizer::load(tokenizerSource_)) {
  serving::GenerationDefaults defaults = serving::readGenerationDefaults(
      serving::checkpointDirectory(options.weights), tokenizer_.eosId());
  if (options.chatGiven) {
    if (tokenizer_.chatTemplate().empty())
      throw text::TextError(
          tokenizer_.chatTemplateSource().empty()
              ? "--chat: the tokenizer has no chat template (no "
                "chat_template.jinja, no chat_template in "
                "tokenizer_config.json); use --prompt"
              : "--chat: the chat template (" +
                    tokenizer_.chatTemplateSource() + ") is empty; use --prompt");
    text::ChatTemplate chatTemplate = text::ChatTemplate::parse(
        tokenizer_.chatTemplate(), tokenizer_.chatTemplateSource());
    // An object: parseOptions checked it.
    nlohmann::ordered_json kwargs =
        options.chatTemplateKwargs.empty()
            ? nlohmann::ordered_json::object()
            : nlohmann::ordered_json::parse(options.chatTemplateKwargs);
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    if (!options.system.empty())
      messages.push_back({{"role", "system"}, {"content", options.system}});
    messages.push_back({{"role", "user"}, {"content", options.chat}});
    std::string prompt;
    try {
      prompt = serving::renderChatText(chatTemplate, tokenizer_, messages,
                                       nullptr, nullptr, kwargs, true);
    } catch (const serving::ServingError &e) {
      throw text::TextError(std::string("--chat-template-kwargs: ") + e.what());
    }
    promptIds_ = tokenizer_.encode(prompt, false);
  } else {
    promptIds_ = tokenizer_.encode(options.prompt, true);
  }
  if (promptIds_.empty())
    throw text::TextError("the prompt gives no tokens");
  stream_ = std::make_unique<serving::TextStream>(
      &tokenizer_, defaults.eosIds, options.stop, true);
}

void TextMode::write(const std::string &text) {
  if (text.empty())
    return;
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

bool TextMode::onToken(int32_t token) {
  serving::TextStream::Piece piece = stream_->push(token);
  write(piece.text);
  return piece.ended;
}

void TextMode::finish() {
  write(stream_->finish());
  write("\n");
}

} // namespace nhc::run
