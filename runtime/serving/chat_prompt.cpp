//===- chat_prompt.cpp - Messages to prompt ids ---------------------------===//

#include "nhc/serving/chat_prompt.h"

#include "nhc/serving/generation_config.h"
#include "nhc/text/chat_template.h"
#include "nhc/text/tokenizer.h"

namespace nhc::serving {

std::string renderChatText(const text::ChatTemplate &chatTemplate,
                           const text::Tokenizer &tokenizer,
                           const nlohmann::ordered_json &messages,
                           const nlohmann::ordered_json &tools,
                           const nlohmann::ordered_json &documents,
                           const nlohmann::ordered_json &kwargs,
                           bool addGenerationPrompt) {
  static const char *const kReserved[] = {
      "messages",  "tools",     "documents", "add_generation_prompt",
      "bos_token", "eos_token"};
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  context["messages"] = messages;
  context["tools"] = tools;
  context["documents"] = documents;
  context["add_generation_prompt"] = addGenerationPrompt;
  context["bos_token"] = tokenizer.bosToken();
  context["eos_token"] = tokenizer.eosToken();
  if (!kwargs.is_null()) {
    if (!kwargs.is_object())
      throw ServingError("chat template variables must be a JSON object");
    for (auto it = kwargs.begin(); it != kwargs.end(); ++it) {
      for (const char *reserved : kReserved)
        if (it.key() == reserved)
          throw ServingError("chat template variable '" + it.key() +
                             "' is set by the request itself; it cannot be "
                             "a template argument");
      context[it.key()] = it.value();
    }
  }
  return chatTemplate.render(context);
}

} // namespace nhc::serving
