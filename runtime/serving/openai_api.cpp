//===- openai_api.cpp - OpenAI-compatible request/response JSON -----------===//

#include "nhc/serving/openai_api.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>

#include "nhc/runtime/json_scan.h"
#include "nhc/serving/chat_prompt.h"
#include "nhc/text/chat_template.h"
#include "nhc/text/text_error.h"
#include "nhc/text/tokenizer.h"

namespace nhc::serving {
namespace {

using json = nlohmann::ordered_json;

/// At most this many stop strings, each at most this long (OpenAI: 4).
constexpr size_t kMaxStopStrings = 16;
constexpr size_t kMaxStopLength = 256;
/// At most this many stop_token_ids (each generated id is looked up in them).
constexpr size_t kMaxStopTokenIds = 256;
/// OpenAI's logit_bias range; vLLM's too.
constexpr double kMaxLogitBias = 100.0;
/// Keys a body's objects may hold, each and in all: an ordered JSON object
/// finds each key by a linear search, so a body's parse costs about the sum
/// over its objects of keys squared (40,000 keys in one object took 5 s).
constexpr size_t kMaxObjectKeys = 4096;
constexpr size_t kMaxBodyKeys = 65536;
/// Logprob entries (picked tokens and alternatives) a request may ask for:
/// all are held until its response is written, about 8 bytes each and
/// more as JSON (a 128k-token generation with 20 alternatives: 2.75 M).
constexpr uint64_t kMaxLogprobEntries = uint64_t(1) << 24;
/// Prompt text beyond this many bytes per token of max_seq_len is refused
/// untokenized (Nemotron-H tokens average ~4 bytes of text).
constexpr size_t kMaxPromptBytesPerToken = 64;

[[noreturn]] void invalid(const std::string &param, const std::string &what) {
  ApiError error;
  error.message = param.empty() ? what : "'" + param + "' " + what;
  error.param = param;
  throw error;
}

/// The prompt's tokens. The tokenizer is the server's file, so a text it
/// cannot encode (an unk_token missing from its vocabulary, a
/// pre-tokenizer regex past its match limits) is the server's fault: 500.
std::vector<int32_t> encodePrompt(const text::Tokenizer &tokenizer,
                                  const std::string &text, bool addSpecial) {
  try {
    return tokenizer.encode(text, addSpecial);
  } catch (const text::TextError &e) {
    ApiError error;
    error.status = 500;
    error.type = "server_error";
    error.message = std::string("the server's tokenizer cannot encode the "
                                "prompt: ") + e.what();
    throw error;
  }
}

std::string typeName(const json &value) {
  return value.is_null() ? "null" : value.type_name();
}

const json *field(const json &body, const char *key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

/// The number at `key` in [lo, hi], or (lo, hi] when `openLo`.
std::optional<double> number(const json &body, const char *key, double lo,
                             double hi, bool openLo = false) {
  const json *value = field(body, key);
  if (!value)
    return std::nullopt;
  if (!value->is_number())
    invalid(key, "must be a number, got " + typeName(*value));
  double x = value->get<double>();
  if (!((openLo ? x > lo : x >= lo) && x <= hi))
    invalid(key, std::string("must be in ") + (openLo ? "(" : "[") +
                     json(lo).dump() + ", " + json(hi).dump() + "], got " +
                     value->dump());
  return x;
}

std::optional<int64_t> integer(const json &body, const char *key, int64_t lo,
                               int64_t hi) {
  const json *value = field(body, key);
  if (!value)
    return std::nullopt;
  // An integer literal beyond 64 bits reads as a float, rounded (to
  // +-2^63 at the edges, whose int64 neighbours no float literal means):
  // say the range.
  const auto outside = [&](double v) {
    return v < double(lo) || v > double(hi) ||
           (lo == INT64_MIN && v <= double(lo)) ||
           (hi == INT64_MAX && v >= double(hi));
  };
  if (value->is_number_float() && std::isfinite(value->get<double>()) &&
      std::trunc(value->get<double>()) == value->get<double>() &&
      outside(value->get<double>()))
    invalid(key, "must be an integer in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "], got " + value->dump());
  if (!value->is_number_integer())
    invalid(key, "must be an integer, got " + typeName(*value) +
                     (value->is_number() ? " " + value->dump() : ""));
  if (value->is_number_unsigned() && value->get<uint64_t>() > uint64_t(hi))
    invalid(key, "must be at most " + std::to_string(hi) + ", got " +
                     value->dump());
  int64_t x = value->get<int64_t>();
  if (x < lo || x > hi)
    invalid(key, "must be in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "], got " + value->dump());
  return x;
}

std::optional<bool> boolean(const json &body, const char *key) {
  const json *value = field(body, key);
  if (!value)
    return std::nullopt;
  if (!value->is_boolean())
    invalid(key, "must be true or false, got " + typeName(*value));
  return value->get<bool>();
}

std::vector<int32_t> tokenIds(const json &ids, const std::string &param) {
  std::vector<int32_t> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    const json &id = ids[i];
    if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
        id.get<int64_t>() > INT32_MAX)
      invalid(param + "[" + std::to_string(i) + "]",
              "must be a token id (an integer >= 0), got " + id.dump());
    out.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  return out;
}

std::string textContent(const json &content, const std::string &param) {
  if (content.is_string())
    return content.get<std::string>();
  if (content.is_null())
    return "";
  if (!content.is_array())
    invalid(param, "must be a string or an array of text parts, got " +
                       typeName(content));
  std::string text; // parts joined by newlines, as vLLM does
  for (size_t i = 0; i < content.size(); ++i) {
    const json &part = content[i];
    std::string where = param + "[" + std::to_string(i) + "]";
    if (!part.is_object() || part.value("type", json()) != "text" ||
        !part.contains("text") || !part["text"].is_string())
      invalid(where, "must be {\"type\": \"text\", \"text\": string}; only "
                     "text parts are supported");
    if (i > 0)
      text += '\n';
    text += part["text"].get<std::string>();
  }
  return text;
}

/// OpenAI and vLLM request fields that change the output and that this
/// server does not implement, with the values that leave the output as it
/// is (their defaults). Any other value is refused, not ignored: a client
/// asking for JSON or beam search must not get plain text silently.
/// Metadata (user, metadata, store, service_tier, priority, request_id,
/// prediction, parallel_tool_calls, ...) is accepted and ignored.
enum class Neutral {
  Null,      ///< only null (or absent)
  Empty,     ///< null, or an empty string, array or object
  False,     ///< null or false
  True,      ///< null or true
  Zero,      ///< null or the number 0
  One,       ///< null or the number 1
  TextOnly,  ///< null, "text" or {"type": "text"} / ["text"]
  NoneOrAuto ///< null, "none" or "auto"
};
struct Unsupported {
  const char *name;
  Neutral neutral;
};
constexpr Unsupported kUnsupported[] = {
    // OpenAI
    {"suffix", Neutral::Empty},
    {"response_format", Neutral::TextOnly},
    {"tool_choice", Neutral::NoneOrAuto},
    {"functions", Neutral::Empty},
    {"function_call", Neutral::NoneOrAuto},
    {"audio", Neutral::Null},
    {"modalities", Neutral::TextOnly},
    {"reasoning_effort", Neutral::Null},
    {"verbosity", Neutral::Null},
    {"web_search_options", Neutral::Null},
    // vLLM's sampling and prompt extensions
    {"length_penalty", Neutral::One},
    {"bad_words", Neutral::Empty},
    {"allowed_token_ids", Neutral::Null},
    {"use_beam_search", Neutral::False},
    {"spaces_between_special_tokens", Neutral::True},
    {"prompt_logprobs", Neutral::Null},
    {"return_tokens_as_token_ids", Neutral::False},
    {"truncate_prompt_tokens", Neutral::Null},
    {"logits_processors", Neutral::Empty},
    {"vllm_xargs", Neutral::Empty},
    {"prompt_embeds", Neutral::Null},
    {"structured_outputs", Neutral::Null},
    {"structural_tag", Neutral::Null},
    {"chat_template", Neutral::Null},
    {"continue_final_message", Neutral::False},
    {"include_reasoning", Neutral::True},
    // and every guided_* field (guided_json, guided_regex, guided_choice,
    // guided_grammar, guided_decoding_backend, ...): only null
};

bool isNeutral(const json &value, Neutral neutral) {
  if (value.is_null())
    return true;
  switch (neutral) {
  case Neutral::Null:
    return false;
  case Neutral::Empty:
    return (value.is_string() || value.is_array() || value.is_object()) &&
           value.empty();
  case Neutral::False:
    return value.is_boolean() && !value.get<bool>();
  case Neutral::True:
    return value.is_boolean() && value.get<bool>();
  case Neutral::Zero:
    return value.is_number() && value.get<double>() == 0.0;
  case Neutral::One:
    return value.is_number() && value.get<double>() == 1.0;
  case Neutral::TextOnly:
    return value == "text" || value == json{{"type", "text"}} ||
           value == json::array({"text"});
  case Neutral::NoneOrAuto:
    return value == "none" || value == "auto";
  }
  return false;
}

const char *neutralText(Neutral neutral) {
  switch (neutral) {
  case Neutral::Null:
    return "null";
  case Neutral::Empty:
    return "empty or null";
  case Neutral::False:
    return "false";
  case Neutral::True:
    return "true";
  case Neutral::Zero:
    return "0";
  case Neutral::One:
    return "1";
  case Neutral::TextOnly:
    return "text output";
  case Neutral::NoneOrAuto:
    return "\"none\" or \"auto\"";
  }
  return "";
}

void refuseUnsupported(const json &body) {
  for (const Unsupported &u : kUnsupported)
    if (auto it = body.find(u.name);
        it != body.end() && !isNeutral(*it, u.neutral))
      invalid(u.name, std::string("is not supported by this server (only ") +
                          neutralText(u.neutral) + "), got " +
                          it->dump().substr(0, 64));
  // vLLM's guided_* fields constrain the output, except two that only
  // configure how: alone they change nothing.
  for (auto it = body.begin(); it != body.end(); ++it)
    if (it.key().rfind("guided_", 0) == 0 && !it->is_null() &&
        it.key() != "guided_decoding_backend" &&
        it.key() != "guided_whitespace_pattern")
      invalid(it.key(), "is not supported by this server: it has no guided "
                        "decoding (only null)");
}

/// Counts a JSON text's object keys, each object's and in all, refusing
/// the body (ApiError) past kMaxObjectKeys or kMaxBodyKeys.
struct KeyCounter : nlohmann::json_sax<json> {
  std::vector<size_t> keys; ///< per open container
  size_t all = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t &) override { return true; }
  bool string(string_t &) override { return true; }
  bool binary(binary_t &) override { return true; }
  bool start_object(std::size_t) override {
    keys.push_back(0);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override {
    keys.push_back(0);
    return true;
  }
  bool end_array() override { return close(); }
  bool key(string_t &) override {
    if (!keys.empty() && ++keys.back() > kMaxObjectKeys)
      invalid("", "the body has an object with more than " +
                      std::to_string(kMaxObjectKeys) + " keys");
    if (++all > kMaxBodyKeys)
      invalid("", "the body has more than " + std::to_string(kMaxBodyKeys) +
                      " keys in all");
    return true;
  }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &) override {
    return false;
  }

private:
  bool close() {
    if (!keys.empty())
      keys.pop_back();
    return true;
  }
};

/// The engine's logprobs (-1 none, else alternatives per token) from
/// completions' `logprobs: N` or chat's `logprobs: true` with
/// `top_logprobs: N`.
int64_t parseLogprobs(Endpoint endpoint, const json &body) {
  const json *logprobs = field(body, "logprobs");
  const bool off = !logprobs || (logprobs->is_boolean() && !logprobs->get<bool>());
  if (endpoint == Endpoint::Completions) {
    if (const json *top = field(body, "top_logprobs");
        top && !(top->is_number() && top->get<double>() == 0.0))
      invalid("top_logprobs", "is a chat completions field; completions take "
                              "'logprobs': N (0 to " +
                                  std::to_string(kMaxTopLogprobs) + ")");
    if (off)
      return -1;
    return *integer(body, "logprobs", 0, kMaxTopLogprobs);
  }
  if (!off && !logprobs->is_boolean())
    invalid("logprobs", "must be true or false, got " + typeName(*logprobs));
  std::optional<int64_t> top = integer(body, "top_logprobs", 0, kMaxTopLogprobs);
  if (off && top && *top != 0)
    invalid("top_logprobs", "needs \"logprobs\": true");
  return off ? -1 : top.value_or(0);
}

/// logit_bias, repetition_penalty, frequency_penalty, presence_penalty.
void parseAdjustments(const json &body, const GenerationDefaults &defaults,
                      GenerationRequest &g) {
  LogitAdjustments &adjust = g.adjustments;
  adjust.repetitionPenalty = defaults.repetitionPenalty.value_or(1.0f);
  if (const json *bias = field(body, "logit_bias")) {
    if (!bias->is_object())
      invalid("logit_bias", "must be an object of token ids (as strings) to "
                            "biases, got " + typeName(*bias));
    std::map<int32_t, float> biases; // "5" and "05": the later, as Python
    for (auto it = bias->begin(); it != bias->end(); ++it) {
      const std::string &key = it.key();
      std::string where = "logit_bias[" + json(key).dump() + "]";
      // Decimal digits, as Python's int() reads them (leading zeros too).
      const size_t significant = std::min(key.find_first_not_of('0'),
                                          key.empty() ? 0 : key.size() - 1);
      const bool digits =
          !key.empty() && key.size() - significant <= 10 &&
          std::all_of(key.begin(), key.end(),
                      [](char c) { return c >= '0' && c <= '9'; });
      const long long id = digits ? std::stoll(key.substr(significant)) : -1;
      if (id < 0 || id > INT32_MAX)
        invalid("logit_bias", "keys must be token ids (decimal integers), "
                              "got " + json(key).dump());
      if (!it->is_number())
        invalid(where, "must be a number, got " + typeName(*it));
      double value = it->get<double>();
      if (!(std::fabs(value) <= kMaxLogitBias))
        invalid(where, "must be in [-100, 100], got " + it->dump());
      biases[int32_t(id)] = float(value);
    }
    adjust.logitBias.assign(biases.begin(), biases.end());
  }
  if (const json *penalty = field(body, "repetition_penalty")) {
    if (!penalty->is_number() || !isRepetitionPenalty(penalty->get<double>()))
      invalid("repetition_penalty",
              "must be a positive number in float32's normal range, "
              "1.17549435e-38 to 3.40282347e+38 (1 = none), got " +
                  penalty->dump());
    adjust.repetitionPenalty = static_cast<float>(penalty->get<double>());
  }
  adjust.frequencyPenalty =
      static_cast<float>(number(body, "frequency_penalty", -2.0, 2.0)
                             .value_or(0.0));
  adjust.presencePenalty =
      static_cast<float>(number(body, "presence_penalty", -2.0, 2.0)
                             .value_or(0.0));
}

/// Usage: each prompt's tokens once (not n times, as vLLM), every choice's
/// generated tokens.
json usageOf(uint64_t promptTokens, uint64_t completionTokens) {
  return {{"prompt_tokens", promptTokens},
          {"completion_tokens", completionTokens},
          {"total_tokens", promptTokens + completionTokens}};
}

json usage(const ApiRequest &request, uint64_t completionTokens) {
  return usageOf(request.promptTokens(), completionTokens);
}

json finishValue(FinishReason finish) {
  if (finish == FinishReason::None)
    return nullptr;
  return finishReasonName(finish);
}

} // namespace

std::string toJsonText(const json &value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json ApiError::body() const {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? json() : json(param)},
            {"code", status}}}};
}

OpenAiApi::OpenAiApi(const text::Tokenizer &tokenizer,
                     const text::ChatTemplate *chatTemplate,
                     GenerationDefaults defaults, std::string modelName,
                     uint64_t maxSeqLen)
    : tokenizer_(tokenizer), chatTemplate_(chatTemplate),
      defaults_(std::move(defaults)), modelName_(std::move(modelName)),
      maxSeqLen_(maxSeqLen) {}

ChatPrompt OpenAiApi::renderChat(const json &body) const {
  if (!chatTemplate_) {
    ApiError error;
    error.message = "this model has no chat template (no chat_template.jinja, "
                    "no 'chat_template' in tokenizer_config.json, or an empty "
                    "one); use /v1/completions";
    throw error;
  }
  const json *messages = field(body, "messages");
  if (!messages)
    invalid("messages", "is required");
  if (!messages->is_array() || messages->empty())
    invalid("messages", "must be a non-empty array of messages");
  json rendered = json::array();
  for (size_t i = 0; i < messages->size(); ++i) {
    const json &message = (*messages)[i];
    std::string where = "messages[" + std::to_string(i) + "]";
    if (!message.is_object())
      invalid(where, "must be an object, got " + typeName(message));
    const json *role = field(message, "role");
    if (!role || !role->is_string())
      invalid(where + ".role", "must be a string");
    static const char *roles[] = {"system", "developer", "user", "assistant",
                                  "tool"};
    bool known = false;
    for (const char *r : roles)
      known = known || *role == r;
    if (!known)
      invalid(where + ".role", "must be one of system, developer, user, "
                               "assistant, tool; got " + role->dump());
    json copy = message;
    auto content = message.find("content");
    copy["content"] = textContent(
        content == message.end() ? json() : *content, where + ".content");
    rendered.push_back(std::move(copy));
  }
  auto arrayOrNull = [&](const char *key) -> json {
    const json *value = field(body, key);
    if (value && !value->is_array())
      invalid(key, "must be an array");
    return value ? *value : json();
  };
  json tools = arrayOrNull("tools");
  json documents = arrayOrNull("documents");
  const json *kwargs = field(body, "chat_template_kwargs");
  if (kwargs && !kwargs->is_object())
    invalid("chat_template_kwargs", "must be an object");
  ChatPrompt prompt;
  try {
    prompt.text = renderChatText(
        *chatTemplate_, tokenizer_, rendered, tools, documents,
        kwargs ? *kwargs : json(),
        boolean(body, "add_generation_prompt").value_or(true));
  } catch (const ServingError &e) {
    invalid("chat_template_kwargs", e.what());
  } catch (const text::TextError &e) {
    invalid("messages", std::string("cannot be rendered by the chat "
                                    "template: ") + e.what());
  }
  prompt.ids = encodePrompt(tokenizer_, prompt.text, false);
  return prompt;
}

ApiRequest OpenAiApi::parse(Endpoint endpoint, const std::string &text) const {
  // No JSON text holds a NUL byte (inside a string it must be escaped), and
  // nlohmann's parser would stop at one and take what came before.
  if (size_t nul = text.find('\0'); nul != std::string::npos)
    invalid("", "the body is not valid JSON: a NUL byte at byte " +
                    std::to_string(nul));
  std::optional<JsonNumberOverflow> overflow;
  size_t tooDeep = scanJsonText(text.data(), text.size(),
                                [&](const JsonNumberOverflow &number) {
                                  if (!overflow)
                                    overflow = number;
                                });
  if (tooDeep != std::string::npos)
    invalid("", "the body nests JSON more than " +
                    std::to_string(kMaxJsonDepth) + " levels deep (byte " +
                    std::to_string(tooDeep) + ")");
  // A strict parser's own words for it name none of the request's terms.
  if (overflow)
    invalid("", "the body holds a number beyond double range ('" +
                    text.substr(overflow->offset,
                                std::min<size_t>(overflow->length, 32)) +
                    "' at byte " + std::to_string(overflow->offset) + ")");
  // Keys counted first by a SAX pass that builds nothing (nlohmann's
  // parse callback rescans a parent array at each closing object: itself
  // quadratic), then the parse proper. A syntax error stops the count; the
  // parse then says what it is.
  KeyCounter counter;
  json::sax_parse(text, &counter);
  json body;
  try {
    body = json::parse(text);
  } catch (const json::exception &e) { // syntax, bad UTF-8, 1e400
    invalid("", std::string("the body is not valid JSON: ") + e.what());
  }
  if (!body.is_object())
    invalid("", "the body must be a JSON object, got " + typeName(body));
  ApiRequest request;
  request.endpoint = endpoint;
  GenerationRequest &g = request.generation;

  if (const json *model = field(body, "model")) {
    if (!model->is_string())
      invalid("model", "must be a string");
    if (*model != modelName_) {
      ApiError error;
      error.status = 404;
      error.type = "not_found_error";
      error.param = "model";
      error.message = "the model " + model->dump() +
                      " does not exist; this server serves \"" + modelName_ +
                      "\" (GET /v1/models)";
      throw error;
    }
  }
  refuseUnsupported(body);

  // The prompt. Text longer than kMaxPromptBytesPerToken bytes per token
  // of max_seq_len cannot fit, and is refused before it is tokenized.
  // A chat's whole body is checked: tools, documents and template
  // variables are rendered into the prompt too.
  // `param` names the field ("" for the whole body), `subject` starts the
  // message.
  auto checkBytes = [&](const std::string &text, const char *param,
                        const char *subject) {
    if (text.size() / kMaxPromptBytesPerToken > maxSeqLen_)
      invalid(param, subject + std::to_string(text.size()) +
                         " bytes, far more than this server's max_seq_len of " +
                         std::to_string(maxSeqLen_) + " tokens can hold");
  };
  // vLLM's add_special_tokens: default true for completions; false for
  // chat (the template writes them), where true is not supported.
  std::optional<bool> addSpecial = boolean(body, "add_special_tokens");
  request.echo = boolean(body, "echo").value_or(false);
  if (endpoint == Endpoint::ChatCompletions) {
    if (request.echo)
      invalid("echo", "is not supported for chat (only false)");
    if (addSpecial.value_or(false))
      invalid("add_special_tokens", "is not supported for chat (only false: "
                                    "the chat template writes the special "
                                    "tokens)");
    checkBytes(text, "", "the chat request is ");
    request.prompts.push_back({renderChat(body).ids, "", 0});
  } else {
    const json *prompt = field(body, "prompt");
    if (!prompt)
      invalid("prompt", "is required");
    // A string, ids, or an array of strings or of id arrays: one prompt
    // each (a choice per prompt, times n).
    auto onePrompt = [&](const json &value, const std::string &where) {
      PromptInput input;
      if (value.is_string()) {
        checkBytes(value.get_ref<const std::string &>(), where.c_str(), "is ");
        input.ids = encodePrompt(tokenizer_,
                                 value.get_ref<const std::string &>(),
                                 addSpecial.value_or(true));
        if (request.echo)
          input.echoText = value.get<std::string>();
      } else if (value.is_array() && !value.empty() && value[0].is_number()) {
        input.ids = tokenIds(value, where);
        if (request.echo) // as vLLM: the ids' text, special tokens kept
          input.echoText = tokenText(input.ids);
      } else {
        invalid(where, "must be a string or an array of token ids; got " +
                           (value.is_array() && value.empty()
                                ? std::string("an empty array")
                                : typeName(value)));
      }
      return input;
    };
    if (prompt->is_array() && !prompt->empty() && !(*prompt)[0].is_number()) {
      request.promptList = true;
      if (prompt->size() > kMaxChoices)
        invalid("prompt", "holds " + std::to_string(prompt->size()) +
                              " prompts; at most " +
                              std::to_string(kMaxChoices) + " are allowed");
      for (size_t i = 0; i < prompt->size(); ++i)
        request.prompts.push_back(
            onePrompt((*prompt)[i], "prompt[" + std::to_string(i) + "]"));
    } else if (prompt->is_string() || prompt->is_array()) {
      request.prompts.push_back(onePrompt(*prompt, "prompt"));
    } else {
      invalid("prompt", "must be a string, an array of token ids, or an "
                        "array of those; got " + typeName(*prompt));
    }
  }
  // A prompt as a message names it: "prompt[i]" in a list, else "the
  // prompt" (a chat's too: its messages are one).
  auto thePrompt = [&](size_t i) {
    return request.promptList ? request.promptName(i)
                              : std::string("the prompt");
  };
  for (size_t i = 0; i < request.prompts.size(); ++i) {
    const std::vector<int32_t> &ids = request.prompts[i].ids;
    if (ids.empty())
      invalid(request.promptName(i), "gives no tokens");
    if (ids.size() > maxSeqLen_)
      invalid(request.promptName(i), "is " + std::to_string(ids.size()) +
                                 " tokens; this server's max_seq_len is " +
                                 std::to_string(maxSeqLen_) + " tokens");
  }

  // Lengths: the OpenAI defaults (16 for completions, the rest of the
  // context for chat), never past max_seq_len.
  // Echo may ask for no tokens: the prompt (and its logprobs) alone.
  const int64_t fewest = request.echo ? 0 : 1;
  std::optional<int64_t> maxTokens =
      integer(body, "max_tokens", fewest, INT64_MAX);
  if (auto completion =
          integer(body, "max_completion_tokens", fewest, INT64_MAX)) {
    // max_completion_tokens is OpenAI's newer name for max_tokens; two
    // different limits would leave one silently unused.
    if (maxTokens && *maxTokens != *completion)
      invalid("max_completion_tokens",
              "is " + std::to_string(*completion) + ", but max_tokens is " +
                  std::to_string(*maxTokens) +
                  ": give one of them, or both equal");
    maxTokens = completion;
  }
  for (size_t i = 0; i < request.prompts.size(); ++i) {
    PromptInput &input = request.prompts[i];
    const uint64_t room = maxSeqLen_ - input.ids.size() + 1;
    if (maxTokens && uint64_t(*maxTokens) > room)
      invalid(field(body, "max_completion_tokens") ? "max_completion_tokens"
                                                   : "max_tokens",
              "is " + std::to_string(*maxTokens) + ", but " + thePrompt(i) +
                  " is " + std::to_string(input.ids.size()) +
                  " tokens and this server's max_seq_len is " +
                  std::to_string(maxSeqLen_) + ": at most " +
                  std::to_string(room) + " tokens can follow it");
    input.maxTokens = maxTokens ? uint64_t(*maxTokens)
                                : endpoint == Endpoint::Completions
                                      ? std::min<uint64_t>(16, room)
                                      : room;
  }

  // Sampling: the request, else the checkpoint's generation_config.json,
  // else OpenAI's defaults (temperature 1, top_p 1).
  g.sampling.temperature = static_cast<float>(
      number(body, "temperature", 0.0, 2.0)
          .value_or(defaults_.temperature.value_or(1.0f)));
  // A top_p below float's smallest normal keeps the most likely token
  // alone, as any tiny nucleus does; it must not round to 0.
  g.sampling.topP = std::max(
      static_cast<float>(number(body, "top_p", 0.0, 1.0, true)
                             .value_or(defaults_.topP.value_or(1.0f))),
      std::numeric_limits<float>::min());
  if (auto k = integer(body, "top_k", -1, INT32_MAX))
    g.sampling.topK = *k <= 0 ? 0 : uint64_t(*k); // vLLM: -1 = all
  else
    g.sampling.topK = defaults_.topK.value_or(0);
  g.sampling.minP = static_cast<float>(number(body, "min_p", 0.0, 1.0)
                                           .value_or(defaults_.minP.value_or(0.0f)));
  if (auto seed = integer(body, "seed", INT64_MIN, INT64_MAX))
    g.sampling.seed = static_cast<uint64_t>(*seed);
  else
    g.sampling.seed = std::random_device{}();

  request.n = uint64_t(integer(body, "n", 1, int64_t(kMaxChoices)).value_or(1));
  if (request.numChoices() > kMaxChoices)
    invalid("n", "is " + std::to_string(request.n) + " for " +
                     std::to_string(request.prompts.size()) +
                     " prompts: at most " + std::to_string(kMaxChoices) +
                     " choices per request");
  if (const json *stop = field(body, "stop")) {
    if (stop->is_string()) {
      g.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array()) {
      for (size_t i = 0; i < stop->size(); ++i) {
        if (!(*stop)[i].is_string())
          invalid("stop[" + std::to_string(i) + "]", "must be a string");
        g.stop.push_back((*stop)[i].get<std::string>());
      }
    } else {
      invalid("stop", "must be a string or an array of strings");
    }
    if (g.stop.size() > kMaxStopStrings)
      invalid("stop", "has " + std::to_string(g.stop.size()) +
                          " strings; at most " +
                          std::to_string(kMaxStopStrings) + " are allowed");
    for (size_t i = 0; i < g.stop.size(); ++i) {
      std::string name = stop->is_array() ? "stop[" + std::to_string(i) + "]"
                                          : std::string("stop");
      if (g.stop[i].size() > kMaxStopLength)
        invalid("stop", "strings are at most " +
                            std::to_string(kMaxStopLength) + " bytes");
      // vLLM refuses it too; nhc-run's --stop '' is a usage error.
      if (g.stop[i].empty())
        invalid(name, "must not be empty");
    }
  }
  if (!boolean(body, "ignore_eos").value_or(false))
    g.stopIds = defaults_.eosIds;
  if (const json *ids = field(body, "stop_token_ids")) {
    if (!ids->is_array())
      invalid("stop_token_ids", "must be an array of token ids");
    if (ids->size() > kMaxStopTokenIds)
      invalid("stop_token_ids", "has " + std::to_string(ids->size()) +
                                    " ids; at most " +
                                    std::to_string(kMaxStopTokenIds) +
                                    " are allowed");
    g.stopTokenIds = tokenIds(*ids, "stop_token_ids");
  }
  g.includeStop = boolean(body, "include_stop_str_in_output").value_or(false);
  if (auto minTokens = integer(body, "min_tokens", 0, INT64_MAX)) {
    for (size_t i = 0; i < request.prompts.size(); ++i)
      if (uint64_t(*minTokens) > request.prompts[i].maxTokens)
        invalid("min_tokens",
                "is " + std::to_string(*minTokens) + ", more than max_tokens (" +
                    std::to_string(request.prompts[i].maxTokens) +
                    (field(body, "max_tokens") ||
                             field(body, "max_completion_tokens")
                         ? std::string()
                         : ", the default for the length of " + thePrompt(i)) +
                    ")");
    g.minTokens = uint64_t(*minTokens);
  }
  g.skipSpecialTokens = boolean(body, "skip_special_tokens").value_or(true);
  request.stream = boolean(body, "stream").value_or(false);
  request.returnTokenIds = boolean(body, "return_token_ids").value_or(false);
  if (const json *options = field(body, "stream_options")) {
    if (!options->is_object())
      invalid("stream_options", "must be an object");
    // As OpenAI and vLLM: the options of a stream need one.
    if (!request.stream)
      invalid("stream_options", "is only allowed with \"stream\": true");
    // Named with their object, as a client's schema path.
    auto option = [&](const char *key) {
      const json *value = field(*options, key);
      if (value && !value->is_boolean())
        invalid(std::string("stream_options.") + key,
                "must be true or false, got " + typeName(*value));
      return value && value->get<bool>();
    };
    request.includeUsage = option("include_usage");
    request.continuousUsage =
        request.includeUsage && option("continuous_usage_stats");
  }

  g.logprobs = parseLogprobs(endpoint, body);
  parseAdjustments(body, defaults_, g);

  // The prompt's logprobs come with the generated ones. Echo's max_tokens
  // 0 without logprobs asks for nothing the engine computes (the server
  // answers it alone, ApiRequest::needsEngine).
  g.promptLogprobs = request.echo && g.logprobs >= 0;
  // Every logprob entry is held until the response is written: bounded.
  if (g.logprobs >= 0) {
    uint64_t positions = 0;
    for (const PromptInput &input : request.prompts)
      positions += (input.maxTokens + (request.echo ? input.ids.size() : 0)) *
                   request.n;
    const uint64_t entries = positions * uint64_t(g.logprobs + 1);
    if (entries > kMaxLogprobEntries)
      invalid("logprobs", "would hold " + std::to_string(entries) +
                              " entries for this request (" +
                              std::to_string(positions) +
                              " tokens times the picked one and " +
                              std::to_string(g.logprobs) +
                              " alternatives); at most " +
                              std::to_string(kMaxLogprobEntries) +
                              ": ask for fewer tokens, choices or alternatives");
  }
  integer(body, "best_of", 1, 1); // only the default, 1
  return request;
}

namespace {

/// A logprob as JSON: -inf (a -inf logit) as OpenAI's -9999.0.
double jsonLogprob(float logprob) { return std::max(double(logprob), -9999.0); }

/// Python's len() of UTF-8 text: its code points.
uint64_t codePoints(const std::string &text) {
  return uint64_t(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

} // namespace

std::string OpenAiApi::tokenText(const std::vector<int32_t> &ids) const {
  try {
    return tokenizer_.decode(ids, /*skipSpecialTokens=*/false);
  } catch (const text::TextError &) {
    return ""; // ids the tokenizer has no token for
  }
}

std::string OpenAiApi::tokenText(int32_t id) const {
  return tokenText(std::vector<int32_t>{id});
}

json OpenAiApi::logprobsValue(const ApiRequest &request,
                              const PromptInput &promptInput,
                              const std::vector<int32_t> &tokens,
                              const std::vector<PickLogprobs> &logprobs,
                              const std::vector<PickLogprobs> &promptLogprobs,
                              bool withPrompt, uint64_t &textOffset) const {
  if (!request.reportsLogprobs())
    return nullptr;
  const size_t n = std::min(tokens.size(), logprobs.size());
  if (request.endpoint == Endpoint::ChatCompletions) {
    // {"content": [{token, logprob, bytes, top_logprobs: [...]}]}
    auto entry = [&](const TokenLogprob &t) {
      std::string bytes;
      try {
        bytes = tokenizer_.tokenBytes(t.id);
      } catch (const text::TextError &) {
      }
      json byteList = json::array();
      for (char c : bytes)
        byteList.push_back(int(static_cast<unsigned char>(c)));
      return json{{"token", tokenText(t.id)},
                  {"logprob", jsonLogprob(t.logprob)},
                  {"bytes", std::move(byteList)}};
    };
    json content = json::array();
    for (size_t i = 0; i < n; ++i) {
      json item = entry(logprobs[i].picked);
      json top = json::array();
      for (const TokenLogprob &t : logprobs[i].top)
        top.push_back(entry(t));
      item["top_logprobs"] = std::move(top);
      content.push_back(std::move(item));
    }
    return {{"content", std::move(content)}};
  }
  // Completions: {text_offset, token_logprobs, tokens, top_logprobs}, each
  // step's top_logprobs the picked token and the `logprobs` most likely,
  // keyed by their text (as vLLM).
  json offsets = json::array(), values = json::array(),
       strings = json::array(), tops = json::array();
  // One token: its text and offset; its logprob and top dict, or nulls.
  auto add = [&](int32_t id, const PickLogprobs *entry) {
    std::string token = tokenText(id);
    offsets.push_back(textOffset);
    textOffset += codePoints(token);
    if (!entry) { // the prompt's first token: nothing predicts it
      values.push_back(nullptr);
      tops.push_back(nullptr);
      strings.push_back(std::move(token));
      return;
    }
    values.push_back(jsonLogprob(entry->picked.logprob));
    json top = json::object();
    top[token] = jsonLogprob(entry->picked.logprob);
    for (const TokenLogprob &t : entry->top) {
      std::string key = tokenText(t.id);
      if (!top.contains(key))
        top[key] = jsonLogprob(t.logprob);
    }
    strings.push_back(std::move(token));
    tops.push_back(std::move(top));
  };
  if (withPrompt) {
    const std::vector<int32_t> &prompt = promptInput.ids;
    for (size_t i = 0; i < prompt.size(); ++i)
      add(prompt[i], i == 0 || i > promptLogprobs.size()
                         ? nullptr
                         : &promptLogprobs[i - 1]);
  }
  for (size_t i = 0; i < n; ++i)
    add(logprobs[i].picked.id, &logprobs[i]);
  return {{"text_offset", std::move(offsets)},
          {"token_logprobs", std::move(values)},
          {"tokens", std::move(strings)},
          {"top_logprobs", std::move(tops)}};
}

uint64_t ApiRequest::promptTokens() const {
  uint64_t tokens = 0;
  for (const PromptInput &input : prompts)
    tokens += input.ids.size();
  return tokens;
}

std::string ApiRequest::promptName(size_t prompt) const {
  if (endpoint == Endpoint::ChatCompletions)
    return "messages";
  return promptList ? "prompt[" + std::to_string(prompt) + "]" : "prompt";
}

GenerationRequest ApiRequest::choice(size_t index) const {
  GenerationRequest g = generation;
  const PromptInput &input = promptOf(index);
  g.prompt = input.ids;
  g.maxTokens = input.maxTokens;
  g.sampling.seed += index % n;
  return g;
}

json OpenAiApi::response(const ApiRequest &request, const std::string &id,
                         int64_t created,
                         const std::vector<GenerationEvent> &outputs) const {
  json out = {{"id", id}, {"created", created}, {"model", modelName_}};
  out["object"] = request.endpoint == Endpoint::ChatCompletions
                      ? "chat.completion"
                      : "text_completion";
  json choices = json::array();
  uint64_t completionTokens = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const GenerationEvent &o = outputs[i];
    const PromptInput &input = request.promptOf(i);
    uint64_t textOffset = 0;
    json choice = {{"index", i},
                   {"logprobs", logprobsValue(request, input, o.tokens,
                                              o.logprobs, o.promptLogprobs,
                                              request.echo, textOffset)},
                   {"finish_reason", finishValue(o.finish)}};
    if (request.endpoint == Endpoint::ChatCompletions)
      choice["message"] = {{"role", "assistant"}, {"content", o.text}};
    else
      choice["text"] = request.echo ? input.echoText + o.text : o.text;
    if (request.returnTokenIds) {
      choice["token_ids"] = o.tokens;
      if (request.prompts.size() > 1) // each choice's own prompt
        choice["prompt_token_ids"] = input.ids;
    }
    choices.push_back(std::move(choice));
    completionTokens += o.completionTokens;
  }
  if (request.returnTokenIds && request.prompts.size() == 1)
    out["prompt_token_ids"] = request.prompts[0].ids;
  out["choices"] = std::move(choices);
  out["usage"] = usage(request, completionTokens);
  return out;
}

json OpenAiApi::chunk(const ApiRequest &request, const std::string &id,
                      int64_t created, size_t index, const std::string &text,
                      const std::vector<int32_t> &tokens,
                      const std::vector<PickLogprobs> &logprobs,
                      const std::vector<PickLogprobs> &promptLogprobs,
                      uint64_t &textOffset, FinishReason finish,
                      bool first) const {
  const bool echoNow = request.echo && first;
  const PromptInput &input = request.promptOf(index);
  json choice = {{"index", index},
                 {"logprobs", logprobsValue(request, input, tokens, logprobs,
                                            promptLogprobs, echoNow,
                                            textOffset)},
                 {"finish_reason", finishValue(finish)}};
  json out = {{"id", id}, {"created", created}, {"model", modelName_}};
  if (request.endpoint == Endpoint::ChatCompletions) {
    out["object"] = "chat.completion.chunk";
    json delta = json::object();
    if (first)
      delta["role"] = "assistant";
    if (!text.empty() || first)
      delta["content"] = text;
    choice["delta"] = std::move(delta);
  } else {
    out["object"] = "text_completion";
    choice["text"] = echoNow ? input.echoText + text : text;
  }
  if (request.returnTokenIds) {
    choice["token_ids"] = tokens;
    if (first && request.prompts.size() > 1)
      choice["prompt_token_ids"] = input.ids;
    else if (first && index == 0)
      out["prompt_token_ids"] = input.ids;
  }
  out["choices"] = json::array({choice});
  return out;
}

json OpenAiApi::choiceUsage(const ApiRequest &request, size_t index,
                            uint64_t completionTokens) const {
  return usageOf(request.promptOf(index).ids.size(), completionTokens);
}

json OpenAiApi::usageChunk(const ApiRequest &request, const std::string &id,
                           int64_t created, uint64_t completionTokens) const {
  return {{"id", id},
          {"object", request.endpoint == Endpoint::ChatCompletions
                         ? "chat.completion.chunk"
                         : "text_completion"},
          {"created", created},
          {"model", modelName_},
          {"choices", json::array()},
          {"usage", usage(request, completionTokens)}};
}

json OpenAiApi::models(int64_t created) const {
  return {{"object", "list"},
          {"data", json::array({{{"id", modelName_},
                                 {"object", "model"},
                                 {"created", created},
                                 {"owned_by", "nhc"},
                                 {"max_model_len", maxSeqLen_}}})}};
}

} // namespace nhc::serving
