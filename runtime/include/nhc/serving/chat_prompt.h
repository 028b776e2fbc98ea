//===- nhc/serving/chat_prompt.h - Messages to prompt ids ----*- C++ -*-===//
//
// What transformers' tokenizer.apply_chat_template(messages, tools=...,
// documents=..., add_generation_prompt=..., **kwargs) does: render the
// checkpoint's chat template with messages, tools, documents (None when
// absent), add_generation_prompt, bos_token, eos_token and the extra
// template variables, then tokenize the text without adding special tokens
// (the template writes them). Used by nhc-serve's chat endpoint and
// nhc-run --chat.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVING_CHAT_PROMPT_H
#define NHC_SERVING_CHAT_PROMPT_H

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nhc::text {
class ChatTemplate;
class Tokenizer;
} // namespace nhc::text

namespace nhc::serving {

struct ChatPrompt {
  std::string text;          ///< the rendered template
  std::vector<int32_t> ids;  ///< its tokens, no special tokens added
};

/// The rendered text; callers tokenize it without adding special tokens
/// (the template writes them). `messages`: an array of message objects;
/// `tools`, `documents`: arrays or null; `kwargs`: an object (or null) of
/// extra template variables, which may not name the variables above
/// (ServingError naming the key). Template errors (raise_exception
/// included) throw text::TextError. `tokenizer` gives bos_token/eos_token.
std::string renderChatText(const text::ChatTemplate &chatTemplate,
                           const text::Tokenizer &tokenizer,
                           const nlohmann::ordered_json &messages,
                           const nlohmann::ordered_json &tools,
                           const nlohmann::ordered_json &documents,
                           const nlohmann::ordered_json &kwargs,
                           bool addGenerationPrompt);

} // namespace nhc::serving

#endif // NHC_SERVING_CHAT_PROMPT_H
