//===- nhc/serving/openai_api.h - OpenAI-compatible request/response JSON -*- C++ -*-===//
//
// Turns /v1/completions and /v1/chat/completions bodies into engine requests
// and engine events into OpenAI's response, chunk and error objects
// (https://platform.openai.com/docs/api-reference; the `top_k`, `min_p`,
// `repetition_penalty`, `min_tokens`, `stop_token_ids`,
// `include_stop_str_in_output`, `ignore_eos`, `skip_special_tokens` and
// `chat_template_kwargs` extensions follow vLLM's). No HTTP here: nhc-serve does the transport, so this layer
// is tested on its own.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVING_OPENAI_API_H
#define NHC_SERVING_OPENAI_API_H

#include <algorithm>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "nhc/serving/chat_prompt.h"
#include "nhc/serving/engine.h"
#include "nhc/serving/generation_config.h"

namespace nhc::text {
class ChatTemplate;
}

namespace nhc::serving {

/// JSON text of a response object; bytes that are not UTF-8 (none should
/// be: generated text is repaired by the decoder) become U+FFFD rather than
/// failing the response.
std::string toJsonText(const nlohmann::ordered_json &value);

/// A request the API refuses: HTTP status, OpenAI error type, the message
/// (naming the field) and the offending parameter ("" when none).
struct ApiError {
  int status = 400;
  std::string type = "invalid_request_error";
  std::string message;
  std::string param;
  nlohmann::ordered_json body() const; ///< {"error": {message, type, param, code}}
};

enum class Endpoint { Completions, ChatCompletions };


/// One prompt of a request: a chat's one, or each of a completions list.
struct PromptInput {
  std::vector<int32_t> ids;
  std::string echoText;   ///< echo's text for it (the string, or the ids')
  uint64_t maxTokens = 0; ///< its max_tokens (the default fits its length)
};

/// At most this many choices (prompts times n) per request.
inline constexpr uint64_t kMaxChoices = 128;

struct ApiRequest {
  Endpoint endpoint = Endpoint::Completions;
  /// What every choice shares (sampling, stops, logprobs, ...); its prompt
  /// is empty: each choice's prompt and maxTokens come from choice().
  GenerationRequest generation;
  std::vector<PromptInput> prompts; ///< >= 1
  bool promptList = false;          ///< `prompt` was an array of prompts
  uint64_t n = 1;                   ///< choices per prompt
  /// The request field a prompt is: "messages" (chat), "prompt[i]" (a
  /// list's), "prompt".
  std::string promptName(size_t prompt) const;
  /// Choices in OpenAI's order: prompt by prompt, n each.
  size_t numChoices() const { return prompts.size() * n; }
  const PromptInput &promptOf(size_t choice) const {
    return prompts[choice / n];
  }
  /// Choice `index`'s request: its prompt and max_tokens, the seed plus
  /// its place among its prompt's n (so n samples differ, each seeded).
  GenerationRequest choice(size_t index) const;
  /// Whether choice requests need the engine: not for echo with max_tokens
  /// 0 and no logprobs (the prompt's text is the whole answer).
  bool needsEngine() const {
    return generation.promptLogprobs ||
           std::any_of(prompts.begin(), prompts.end(),
                       [](const PromptInput &p) { return p.maxTokens > 0; });
  }
  bool stream = false;
  bool includeUsage = false; ///< stream_options.include_usage
  /// stream_options.continuous_usage_stats (vLLM's), with include_usage:
  /// every chunk also carries its choice's usage so far (choiceUsage).
  bool continuousUsage = false;
  /// vLLM's return_token_ids: the prompt's ids in the response and each
  /// choice's (or chunk's) generated ids.
  bool returnTokenIds = false;
  /// Completions' echo: the prompt's text (the string given, or the ids
  /// decoded) starts the choice's text, and with logprobs its tokens start
  /// the logprobs (the first with null), from generation.promptLogprobs.
  bool echo = false;
  /// Whether the response carries logprobs (the client asked).
  bool reportsLogprobs() const { return generation.logprobs >= 0; }
  /// Usage's prompt tokens: each prompt's once (not n times, as vLLM).
  uint64_t promptTokens() const;
};

class OpenAiApi {
public:
  /// `chatTemplate` may be null: chat requests then get 400 saying the
  /// model has no chat template. The references must
  /// outlive the API object.
  OpenAiApi(const text::Tokenizer &tokenizer,
            const text::ChatTemplate *chatTemplate,
            GenerationDefaults defaults, std::string modelName,
            uint64_t maxSeqLen);

  /// Parses and validates a request body; throws ApiError (400 for bad
  /// JSON, types and values, 404 for an unknown model).
  ApiRequest parse(Endpoint endpoint, const std::string &body) const;

  /// The prompt a chat request renders to (text and ids).
  ChatPrompt renderChat(const nlohmann::ordered_json &request) const;

  /// Non-streaming response for a finished request: `outputs[i]` is
  /// choice i's events merged (mergeEvent).
  nlohmann::ordered_json response(const ApiRequest &request, const std::string &id,
                          int64_t created,
                          const std::vector<GenerationEvent> &outputs) const;
  /// One streamed chunk of choice `index`; `finish` None while running.
  /// `first` (the choice's first chunk) adds the chat role delta, or echo's
  /// prompt text and (`promptLogprobs`) its entries. `textOffset`: the
  /// choice's text before these tokens, in code points (completions'
  /// logprobs.text_offset), advanced past them.
  nlohmann::ordered_json chunk(const ApiRequest &request, const std::string &id,
                       int64_t created, size_t index, const std::string &text,
                       const std::vector<int32_t> &tokens,
                       const std::vector<PickLogprobs> &logprobs,
                       const std::vector<PickLogprobs> &promptLogprobs,
                       uint64_t &textOffset, FinishReason finish,
                       bool first) const;
  /// stream_options.continuous_usage_stats' usage of one chunk, as vLLM
  /// writes it: choice `index`'s prompt tokens and the `completionTokens`
  /// it has generated so far.
  nlohmann::ordered_json choiceUsage(const ApiRequest &request, size_t index,
                                     uint64_t completionTokens) const;
  /// The usage-only chunk of stream_options.include_usage:
  /// `completionTokens` over every choice.
  nlohmann::ordered_json usageChunk(const ApiRequest &request, const std::string &id,
                            int64_t created,
                            uint64_t completionTokens) const;
  /// GET /v1/models.
  nlohmann::ordered_json models(int64_t created) const;

  const std::string &modelName() const { return modelName_; }

private:
  /// A choice's `logprobs`: null unless asked; completions' object
  /// (text_offset, token_logprobs, tokens, top_logprobs) or chat's
  /// {"content": [{token, logprob, bytes, top_logprobs}]}.
  /// With `withPrompt` (echo's first chunk or response), the prompt's
  /// tokens come first: the first with null, then `promptLogprobs`.
  nlohmann::ordered_json logprobsValue(const ApiRequest &request,
                                       const PromptInput &prompt,
                                       const std::vector<int32_t> &tokens,
                                       const std::vector<PickLogprobs> &logprobs,
                                       const std::vector<PickLogprobs> &promptLogprobs,
                                       bool withPrompt,
                                       uint64_t &textOffset) const;
  /// Token `id`'s text as decode() gives it alone (special tokens kept).
  std::string tokenText(int32_t id) const;
  std::string tokenText(const std::vector<int32_t> &ids) const;

  const text::Tokenizer &tokenizer_;
  const text::ChatTemplate *chatTemplate_;
  GenerationDefaults defaults_;
  std::string modelName_;
  uint64_t maxSeqLen_;
};

} // namespace nhc::serving

#endif // NHC_SERVING_OPENAI_API_H
