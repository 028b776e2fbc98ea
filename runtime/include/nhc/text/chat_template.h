// nhc text: Hugging Face chat templates (the Jinja2 `chat_template` of
// tokenizer_config.json) rendered in C++17, byte-identical to what
// transformers' apply_chat_template renders with Python jinja2
// (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
// globals raise_exception / strftime_now / namespace / dict, transformers'
// tojson filter).
//
// Supported: {{ }}, {% %}, {# #}, `-`/`+` whitespace control; if/elif/else,
// for (with `if` filter, else, loop.*, break/continue), set (names, tuples,
// namespace attributes, block set), macro, raw, generation; Python-like
// expressions (literals, arithmetic, ~, comparisons, and/or/not, in, is
// tests, conditional expressions, attributes, subscripts, slices, calls);
// the common jinja2 filters and tests and the str/dict/list methods
// templates call. Anything else (include, extends, import, call blocks,
// filter blocks, recursive loops, '%' formatting, ...) is rejected by
// parse() with its position. docs/chat-template.md lists the details.
#ifndef NHC_TEXT_CHAT_TEMPLATE_H
#define NHC_TEXT_CHAT_TEMPLATE_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include <nhc/text/text_error.h>

namespace nhc::text {

/// Bounds on one render(): a template from a stranger stops with TextError
/// instead of running for minutes or exhausting memory. The defaults bound
/// a render to about a second on one core; tighter bounds suit callers that
/// render untrusted templates often (the fuzzer uses them). Value bounds
/// that are not per render (a string over 64 MiB, a list over 1M items,
/// values nested over 256 levels, ranges over 100000 items) are fixed;
/// docs/chat-template.md lists them all.
struct RenderLimits {
  std::size_t max_output_bytes = 32u << 20; ///< per output buffer
  std::uint64_t max_steps = 10'000'000;     ///< statements + expressions evaluated
  /// Nested macro calls; at most the default (it bounds the C++ stack).
  int max_call_depth = 100;
  /// Statements and expressions being evaluated inside one another at once
  /// (all macro frames together): bounds the renderer's C++ stack, so at
  /// most the default.
  int max_nesting = 1000;
  /// Bulk work: a unit per byte copied or scanned, plus a fixed charge per
  /// item built and per comparison made.
  std::uint64_t max_work = std::uint64_t{1} << 30;
  /// namespace() objects alive at once.
  std::size_t max_namespaces = 100000;
};

/// The largest template source ChatTemplate::parse takes (1 MiB): its
/// syntax tree costs about 170 bytes per source byte, and published
/// templates are a few KiB.
inline constexpr std::size_t kMaxChatTemplateBytes = std::size_t{1} << 20;

class ChatTemplate {
public:
  /// Parses `source`; `name` is used in error messages (e.g.
  /// "tokenizer_config.json chat_template"). Throws TextError
  /// "<name>:<line>:<col>: <what>" on syntax errors and on constructs
  /// outside the supported subset (unknown filters and tests included).
  static ChatTemplate parse(std::string source, std::string name);

  ChatTemplate(ChatTemplate &&) noexcept;
  ChatTemplate &operator=(ChatTemplate &&) noexcept;
  ~ChatTemplate();

  /// Renders with the members of `context` (an object) as the template's
  /// variables, typically {"messages": [...], "add_generation_prompt": bool,
  /// "bos_token": "...", "eos_token": "...", "tools": [...] or null, plus
  /// extra kwargs such as "enable_thinking"}. Throws TextError
  /// "<name>:<line>:<col>: <what>" for runtime errors (using an undefined
  /// value, type errors, ...) and for raise_exception(msg) (what() contains
  /// msg). Rendering is bounded by `limits`: going past one is a TextError
  /// naming it, and so are limits that are zero or negative or, for the two
  /// nesting limits, above their defaults. render() throws nothing but
  /// TextError.
  ///
  /// nlohmann::json keeps object keys sorted, which changes what `tojson`
  /// and dict iteration produce; pass an nlohmann::ordered_json to keep the
  /// document's key order (what Python's json.load and transformers see).
  std::string render(const nlohmann::json &context,
                     const RenderLimits &limits = {}) const;
  std::string render(const nlohmann::ordered_json &context,
                     const RenderLimits &limits = {}) const;

  /// The name given to parse().
  const std::string &name() const;

private:
  struct Impl;
  explicit ChatTemplate(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace nhc::text

#endif // NHC_TEXT_CHAT_TEMPLATE_H
