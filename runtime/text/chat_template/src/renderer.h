// nhc chat template: the tree-walking renderer (jinja2's runtime semantics:
// scoping, loops, macros, namespaces, globals) with resource limits.
#ifndef NHC_TEXT_CHAT_TEMPLATE_RENDERER_H
#define NHC_TEXT_CHAT_TEMPLATE_RENDERER_H

#include <cstdint>
#include <string>

#include "ast.h"

namespace nhc::text::tpl {

struct Limits {
  std::size_t max_output_bytes = 32u << 20; // per output buffer
  std::uint64_t max_steps = 10'000'000;     // statements + expressions evaluated
  int max_call_depth = 100;                 // nested macro calls
  /// Statements and expressions being evaluated inside one another at once
  /// (all macro frames together): bounds the renderer's C++ stack.
  int max_nesting = 1000;
  /// Bulk work (see charge_work in value.h): bytes copied or scanned plus
  /// kItemWork per item built or comparison made.
  std::uint64_t max_work = std::uint64_t{1} << 30;
  /// namespace() objects alive at once.
  std::size_t max_namespaces = 100000;
};

/// A runtime error with the position of the innermost node being evaluated.
struct RenderError {
  Pos pos;
  std::string what;
};

/// Checks names the parser cannot (filters, tests, break/continue placement).
/// Throws SyntaxError.
void validate(const Node &root);

/// Renders `root` with the variables of `context` (a dict). Throws
/// RenderError.
std::string render(const Node &root, const Value &context, const Limits &limits);

} // namespace nhc::text::tpl

#endif // NHC_TEXT_CHAT_TEMPLATE_RENDERER_H
