//===- text_mode.cpp - nhc-run --prompt / --chat --------------------------===//

#include "text_mode.h"

#include <algorithm>
#include <cstdio>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "nhc/text/chat_template.h"
#include "nhc/text/text_error.h"

namespace nhc::run {
namespace {

std::string checkpointDirectory(const std::string &weights) {
  struct stat st;
  if (::stat(weights.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return weights;
  size_t slash = weights.find_last_of('/');
  return slash == std::string::npos ? "." : weights.substr(0, slash);
}

} // namespace

TextMode::TextMode(const Options &options)
    : tokenizer_(text::Tokenizer::load(options.tokenizer.empty()
                                           ? checkpointDirectory(options.weights)
                                           : options.tokenizer)),
      stops_(options.stop) {
  std::string dir = checkpointDirectory(options.weights);
  serving::GenerationDefaults defaults = serving::readGenerationDefaults(dir);
  eosIds_ = defaults.eosIds;
  if (eosIds_.empty() && tokenizer_.eosId())
    eosIds_.push_back(*tokenizer_.eosId());
  if (!options.chat.empty()) {
    if (tokenizer_.chatTemplate().empty())
      throw text::TextError("--chat: the tokenizer's tokenizer_config.json "
                            "has no chat_template; use --prompt");
    text::ChatTemplate chatTemplate = text::ChatTemplate::parse(
        tokenizer_.chatTemplate(), "tokenizer_config.json chat_template");
    nlohmann::ordered_json context = nlohmann::ordered_json::object();
    if (!options.chatTemplateKwargs.empty()) {
      try {
        context = nlohmann::ordered_json::parse(options.chatTemplateKwargs);
      } catch (const nlohmann::ordered_json::exception &e) {
        throw text::TextError(std::string("--chat-template-kwargs: not "
                                          "valid JSON: ") + e.what());
      }
      if (!context.is_object())
        throw text::TextError("--chat-template-kwargs: expected a JSON "
                              "object, e.g. '{\"enable_thinking\": false}'");
    }
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    if (!options.system.empty())
      messages.push_back({{"role", "system"}, {"content", options.system}});
    messages.push_back({{"role", "user"}, {"content", options.chat}});
    context["messages"] = messages;
    for (const char *absent : {"tools", "documents"}) // None, as transformers
      if (!context.contains(absent))
        context[absent] = nullptr;
    context["add_generation_prompt"] = true;
    context["bos_token"] = tokenizer_.bosToken();
    context["eos_token"] = tokenizer_.eosToken();
    promptText_ = chatTemplate.render(context);
    promptIds_ = tokenizer_.encode(promptText_, false);
  } else {
    promptText_ = options.prompt;
    promptIds_ = tokenizer_.encode(promptText_, true);
  }
  if (promptIds_.empty())
    throw text::TextError("the prompt gives no tokens");
  decoder_ = std::make_unique<text::IncrementalDecoder>(tokenizer_, true);
}

void TextMode::write(const std::string &text) {
  if (text.empty())
    return;
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

bool TextMode::onToken(int32_t token) {
  if (stopped_)
    return true;
  if (std::find(eosIds_.begin(), eosIds_.end(), token) != eosIds_.end())
    return true; // EOS itself is not text; finish() flushes what is held
  if (uint64_t(token) >= tokenizer_.vocabSize())
    return false; // a padded embedding's id: no text, as transformers
  write(stops_.push(decoder_->push(token), stopped_));
  return stopped_;
}

void TextMode::finish() {
  if (!stopped_) {
    bool hitStop = false;
    write(stops_.push(decoder_->finish(), hitStop));
    if (!hitStop)
      write(stops_.flush());
  }
  write("\n");
}

} // namespace nhc::run
