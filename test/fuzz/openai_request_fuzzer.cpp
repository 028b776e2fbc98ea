//===- openai_request_fuzzer.cpp - request bodies from strangers ----------===//
//
// The input's first byte picks the endpoint, the rest is the body. Parsing
// either gives a request the engine accepts or refuses with a message, or an
// ApiError with a 4xx status and a message; any other exception or crash is
// a finding. Uses the bundled tiny model's tokenizer and chat template.

#include <optional>
#include <string>

#include "FuzzUtil.h"
#include "nhc/serving/openai_api.h"
#include "nhc/text/chat_template.h"
#include "nhc/text/tokenizer.h"

namespace {

struct Fixture {
  nhc::text::Tokenizer tokenizer =
      nhc::text::Tokenizer::load(NHC_FUZZ_TOKENIZER_DIR);
  std::optional<nhc::text::ChatTemplate> chatTemplate;
  std::optional<nhc::serving::OpenAiApi> api;
  Fixture() {
    if (!tokenizer.chatTemplate().empty())
      chatTemplate.emplace(nhc::text::ChatTemplate::parse(
          tokenizer.chatTemplate(), "chat_template"));
    nhc::serving::GenerationDefaults defaults;
    defaults.eosIds = {2};
    api.emplace(tokenizer, chatTemplate ? &*chatTemplate : nullptr, defaults,
                "tiny", 256);
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Fixture fixture;
  if (size == 0)
    return 0;
  auto endpoint = data[0] & 1 ? nhc::serving::Endpoint::ChatCompletions
                              : nhc::serving::Endpoint::Completions;
  std::string body(reinterpret_cast<const char *>(data) + 1, size - 1);
  try {
    nhc::serving::ApiRequest request = fixture.api->parse(endpoint, body);
    // parse must enforce what the engine requires of every choice: a
    // prompt, room for its tokens (the last never stored), at least one
    // token unless echo asks for the prompt alone, min_tokens within them.
    const size_t choices = request.numChoices();
    if (choices == 0 || choices > nhc::serving::kMaxChoices)
      std::abort();
    for (size_t i = 0; i < choices; ++i) {
      const nhc::serving::GenerationRequest g = request.choice(i);
      if (g.prompt.empty() || g.prompt.size() > 256 ||
          (g.maxTokens == 0 && !request.echo) ||
          (g.maxTokens > 0 && g.prompt.size() + g.maxTokens - 1 > 256) ||
          g.minTokens > g.maxTokens)
        std::abort();
    }
  } catch (const nhc::serving::ApiError &e) {
    if (e.status < 400 || e.status > 499)
      std::abort();
    nhc::fuzz::requireMessage(true, e.message.c_str());
  }
  return 0;
}
