//===- options.cpp - nhc-run command line ---------------------------------===//

#include "options.h"

#include "../common/command_line.h"

#include "nhc/runtime/json_scan.h"
#include "nhc/runtime/limits.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

namespace nhc::run {
namespace {

using tools::parseUInt;

bool parseFloat(const std::string &text, float &out) {
  if (text.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  float value = std::strtof(text.c_str(), &end);
  // float32's normal values or 0: strtof need not set ERANGE for a
  // subnormal it holds exactly (0x1p-140), and a subnormal penalty or
  // temperature divides logits to infinity.
  if (errno != 0 || *end != '\0' || !std::isfinite(value) ||
      (value != 0.0f && std::fabs(value) < std::numeric_limits<float>::min()))
    return false;
  out = value;
  return true;
}

/// "1,2,3" -> ids; every entry a non-negative 32-bit integer.
bool parseIds(const std::string &text, std::vector<int32_t> &out,
              std::string &error) {
  out.clear();
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    uint64_t id;
    if (!parseUInt(item, id) ||
        id > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      error = "--prompt-ids: '" + item +
              "' is not a token id (expected e.g. 1,2,3)";
      return false;
    }
    out.push_back(static_cast<int32_t>(id));
    if (comma == std::string::npos)
      return true;
    start = comma + 1;
  }
}

} // namespace

const char *usageText() {
  return "usage: nhc-run MODEL.nhc --weights PATH [options]\n"
         "\n"
         "Runs a compiled Nemotron-H model on token ids or text: prefills the\n"
         "prompt, then generates tokens one at a time.\n"
         "\n"
         "  --weights PATH             checkpoint: .safetensors file, directory\n"
         "                             or model.safetensors.index.json\n"
         "  --prompt-ids 1,2,3         prompt token ids (default: 1)\n"
         "  --prompt TEXT              text prompt (tokenizer special tokens added);\n"
         "                             the generated text streams to stdout\n"
         "  --chat TEXT                one user turn through the checkpoint's chat\n"
         "                             template; the reply streams to stdout\n"
         "  --system TEXT              a system turn before --chat's\n"
         "  --chat-template-kwargs J   JSON object of template variables, e.g.\n"
         "                             '{\"enable_thinking\": false}'\n"
         "  --tokenizer PATH           tokenizer.json or its directory (default:\n"
         "                             the checkpoint's directory)\n"
         "  --stop STR                 end the text before STR (repeatable); text\n"
         "                             mode also stops at generation_config.json's\n"
         "                             eos_token_id\n"
         "  --max-new-tokens N         tokens to generate (default: 16)\n"
         "  --temperature T            0 = greedy (default); > 0 samples\n"
         "  --top-k K                  sample among the K most likely (0 = all)\n"
         "  --top-p P                  sample among the most likely tokens whose\n"
         "                             probabilities sum to P (default: 1 = all)\n"
         "  --min-p P                  sample among tokens at least P times as\n"
         "                             likely as the most likely (default: 0)\n"
         "  --repetition-penalty R     divide (multiply, if negative) the logits\n"
         "                             of prompt and generated ids by R, a\n"
         "                             positive float32 normal number\n"
         "                             (default: 1 = none; greedy decoding too)\n"
         "  --frequency-penalty F      subtract F x count from each generated\n"
         "                             id's logit, F in [-2, 2] (default: 0)\n"
         "  --presence-penalty P       subtract P from each generated id's logit,\n"
         "                             P in [-2, 2] (default: 0)\n"
         "  --seed S                   sampling seed (default: 0)\n"
         "  --max-seq-len L            state size in tokens (default: saved +\n"
         "                             prompt + new tokens - 1; the last new\n"
         "                             token is never fed back; past the\n"
         "                             model's max_position_embeddings only\n"
         "                             when given, with a warning)\n"
         "  --dump-logits FILE         raw f32 logits of every generated token,\n"
         "                             plus FILE.json describing them\n"
         "  --dump-prompt-logits FILE  raw f32 logits of every prompt position\n"
         "  --dump-hidden-states FILE  the prompt's hidden states as transformers'\n"
         "                             output_hidden_states: [layers + 1, prompt,\n"
         "                             hidden] f32 (embeddings, residual after each\n"
         "                             layer, final norm)\n"
         "  --prefill-chunk N          prefill in steps of about N tokens, none of\n"
         "                             one token after others (the logits equal\n"
         "                             those of one whole step; a bf16 SSM state\n"
         "                             rounds at each cut); 1: token by token\n"
         "                             (differs where the dt clamp binds)\n"
         "  --save-state FILE          after the prompt, save the request's state\n"
         "  --load-state FILE          continue a saved request: the prompt ids\n"
         "                             are fed after the saved tokens\n"
         "  --backend NAME             device backend (default: host; see\n"
         "                             nhc_backends())\n"
         "  --gemm-precision P         f32 (default) or bf16: prefill gemms on\n"
         "                             BF16 weights in bf16 arithmetic, as\n"
         "                             transformers runs a bf16 model (CPUs\n"
         "                             with AVX512_BF16 or AMX)\n"
         "  --verbose                  also print binding notes (ignored\n"
         "                             checkpoint tensors)\n"
         "  --help                     this text\n"
         "\n"
         "Prints 'generated: ID ...' (text with --prompt/--chat) on stdout and\n"
         "throughput on stderr.\n"
         "Exit status: 0 ok, 1 error, 2 bad usage.\n";
}

bool parseOptions(int argc, char **argv, Options &options,
                  std::string &error) {
  static const char *const kValued[] = {
      "--weights",     "--prompt-ids", "--max-new-tokens",
      "--temperature", "--top-k",      "--seed",
      "--dump-logits", "--dump-prompt-logits", "--max-seq-len",
      "--prefill-chunk", "--save-state", "--load-state",
      "--dump-hidden-states", "--prompt", "--chat", "--system",
      "--chat-template-kwargs", "--tokenizer", "--top-p", "--stop",
      "--backend", "--gemm-precision", "--min-p", "--repetition-penalty",
      "--frequency-penalty", "--presence-penalty"};
  auto kindOf = [](const std::string &name) {
    if (name == "--verbose")
      return tools::OptionKind::Flag;
    if (name == "--stop")
      return tools::OptionKind::Repeatable;
    for (const char *known : kValued)
      if (name == known)
        return tools::OptionKind::Valued;
    return tools::OptionKind::Unknown;
  };
  auto parseOption = [&](const std::string &name, const std::string &value,
                         std::string &error) {
    bool ok = true;
    if (name == "--verbose")
      options.verbose = true;
    else if (name == "--backend")
      options.backend = value, ok = !value.empty();
    else if (name == "--gemm-precision")
      ok = tools::parseGemmPrecision(value, options.gemmPrecision);
    else if (name == "--weights")
      options.weights = value, ok = !value.empty();
    else if (name == "--prompt-ids")
      ok = parseIds(value, options.promptIds, error),
      options.promptIdsGiven = true;
    else if (name == "--prompt")
      options.prompt = value, ok = !value.empty();
    else if (name == "--chat") // an empty user turn is a turn
      options.chat = value, options.chatGiven = true;
    else if (name == "--system")
      options.system = value;
    else if (name == "--chat-template-kwargs")
      options.chatTemplateKwargs = value, ok = !value.empty();
    else if (name == "--tokenizer")
      options.tokenizer = value, ok = !value.empty();
    else if (name == "--stop")
      options.stop.push_back(value), ok = !value.empty();
    else if (name == "--top-p")
      ok = parseFloat(value, options.topP) && options.topP > 0.0f &&
           options.topP <= 1.0f;
    else if (name == "--min-p")
      ok = parseFloat(value, options.minP) && options.minP >= 0.0f &&
           options.minP <= 1.0f;
    else if (name == "--repetition-penalty")
      ok = parseFloat(value, options.repetitionPenalty) &&
           options.repetitionPenalty > 0.0f &&
           std::isfinite(options.repetitionPenalty);
    else if (name == "--frequency-penalty")
      ok = parseFloat(value, options.frequencyPenalty) &&
           std::fabs(options.frequencyPenalty) <= 2.0f;
    else if (name == "--presence-penalty")
      ok = parseFloat(value, options.presencePenalty) &&
           std::fabs(options.presencePenalty) <= 2.0f;
    else if (name == "--max-new-tokens")
      // No request can hold more tokens than nhc's longest sequence.
      ok = parseUInt(value, options.maxNewTokens) &&
           options.maxNewTokens <= nhc::kMaxSequenceLength;
    else if (name == "--temperature")
      ok = parseFloat(value, options.temperature) &&
           options.temperature >= 0.0f;
    else if (name == "--top-k")
      ok = parseUInt(value, options.topK);
    else if (name == "--seed")
      ok = parseUInt(value, options.seed);
    else if (name == "--dump-logits")
      options.dumpLogits = value, ok = !value.empty();
    else if (name == "--dump-prompt-logits")
      options.dumpPromptLogits = value, ok = !value.empty();
    else if (name == "--max-seq-len")
      ok = parseUInt(value, options.maxSeqLen) && options.maxSeqLen > 0;
    else if (name == "--dump-hidden-states")
      options.dumpHiddenStates = value, ok = !value.empty();
    else if (name == "--save-state")
      options.saveState = value, ok = !value.empty();
    else if (name == "--load-state")
      options.loadState = value, ok = !value.empty();
    else if (name == "--prefill-chunk")
      ok = parseUInt(value, options.prefillChunk) && options.prefillChunk > 0;
    return ok;
  };
  // What a float option takes, for its error. parseFloat refuses what
  // float32 cannot hold: subnormal values (strtof's ERANGE) and overflow.
  static const std::map<std::string, const char *> kFloatRules = {
      {"--temperature", "0 (greedy) or a positive number in float32's "
                        "normal range, 1.17549e-38 to 3.40282e+38"},
      {"--top-p", "a number in (0, 1]"},
      {"--min-p", "a number in [0, 1]"},
      {"--repetition-penalty", "a positive number in float32's normal "
                               "range, 1.17549e-38 to 3.40282e+38 (1 = "
                               "none)"},
      {"--frequency-penalty", "a number in [-2, 2]"},
      {"--presence-penalty", "a number in [-2, 2]"}};
  auto onOption = [&](const std::string &name, const std::string &value,
                      std::string &error) {
    if (parseOption(name, value, error))
      return true;
    auto floatRule = kFloatRules.find(name);
    if (floatRule != kFloatRules.end() && error.empty())
      error = "invalid value '" + value + "' for " + name + ": expected " +
              floatRule->second;
    return false;
  };
  if (!tools::walkCommandLine(argc, argv, options.help, options.model,
                              options.weights, kindOf, onOption, error))
    return false;
  if (options.help)
    return true;
  int promptKinds = options.promptIdsGiven + !options.prompt.empty() +
                    options.chatGiven;
  if (promptKinds > 1) {
    error = "--prompt-ids, --prompt and --chat exclude each other";
    return false;
  }
  if (!options.textMode() &&
      (!options.stop.empty() || !options.system.empty() ||
       !options.chatTemplateKwargs.empty() || !options.tokenizer.empty())) {
    error = "--stop, --system, --chat-template-kwargs and --tokenizer need "
            "--prompt or --chat";
    return false;
  }
  if (!options.chatGiven &&
      (!options.system.empty() || !options.chatTemplateKwargs.empty())) {
    error = "--system and --chat-template-kwargs need --chat";
    return false;
  }
  if (!options.chatTemplateKwargs.empty()) {
    // Scanned first, in constant stack: nlohmann's parser recurses per level.
    size_t tooDeep = scanJsonText(options.chatTemplateKwargs.data(),
                                  options.chatTemplateKwargs.size(),
                                  [](const JsonNumberOverflow &) {});
    if (tooDeep != std::string::npos) {
      error = "--chat-template-kwargs: the JSON nests more than " +
              std::to_string(kMaxJsonDepth) + " levels deep (byte " +
              std::to_string(tooDeep) + ")";
      return false;
    }
    nlohmann::ordered_json kwargs = nlohmann::ordered_json::parse(
        options.chatTemplateKwargs, nullptr, /*allow_exceptions=*/false);
    if (!kwargs.is_object()) {
      error = "--chat-template-kwargs: expected a JSON object, e.g. "
              "'{\"enable_thinking\": false}'";
      return false;
    }
  }
  return true;
}

} // namespace nhc::run
