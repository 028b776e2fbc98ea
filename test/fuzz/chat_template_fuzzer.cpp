//===- chat_template_fuzzer.cpp - chat templates from strangers -----------===//
//
// The input is a chat template. It either fails to parse or render with a
// TextError (a message), or renders; any other exception, a crash, a hang
// past -timeout or an allocation past -malloc_limit_mb is a finding.
//
// Renders run with a twentieth of the default steps and work (and fewer
// namespaces and output bytes): with the defaults a template at the limits
// takes seconds under ASan and coverage instrumentation, which a loaded
// machine stretches past -timeout. The limit checks themselves are the same
// code, so reaching them stays as likely; the stack bounds (nesting, macro
// calls) keep their defaults, which is what they guard.

#include <string>

#include <nlohmann/json.hpp>

#include "FuzzUtil.h"
#include "nhc/text/chat_template.h"
#include "nhc/text/text_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const nlohmann::json context = nlohmann::json::parse(R"({
    "messages": [
      {"role": "system", "content": "You are helpful. /think"},
      {"role": "user", "content": "Hi \"there\" \\ ünï 🙂"},
      {"role": "assistant", "content": "<think>hmm</think>Hello",
       "tool_calls": [{"type": "function", "function": {"name": "f",
                       "arguments": {"x": 1}}}]},
      {"role": "tool", "content": "42"},
      {"role": "user", "content": ""}
    ],
    "tools": [{"type": "function", "function": {"name": "f",
               "parameters": {"type": "object"}}}],
    "add_generation_prompt": true, "enable_thinking": false,
    "bos_token": "<s>", "eos_token": "</s>"
  })");
  static const nhc::text::RenderLimits limits = [] {
    nhc::text::RenderLimits l;
    l.max_steps /= 20;
    l.max_work /= 20;
    l.max_namespaces /= 20;
    l.max_output_bytes /= 8;
    return l;
  }();
  std::string source(reinterpret_cast<const char *>(data), size);
  try {
    nhc::text::ChatTemplate::parse(source, "fuzz").render(context, limits);
  } catch (const nhc::text::TextError &e) {
    nhc::fuzz::requireMessage(true, e.what());
  }
  return 0;
}
