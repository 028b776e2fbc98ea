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
    const auto &g = request.generation;
    if (g.prompt.empty() || g.maxTokens == 0 ||
        g.prompt.size() + g.maxTokens - 1 > 256)
      std::abort(); // parse must enforce what the engine requires
  } catch (const nhc::serving::ApiError &e) {
    if (e.status < 400 || e.status > 499)
      std::abort();
    nhc::fuzz::requireMessage(true, e.message.c_str());
  }
  return 0;
}
