// nhc chat template: the tree-walking renderer (jinja2's runtime semantics:
// scoping, loops, macros, namespaces, globals) with resource limits.
#ifndef NHC_TEXT_CHAT_TEMPLATE_RENDERER_H
#define NHC_TEXT_CHAT_TEMPLATE_RENDERER_H

#include <cstdint>
#include <string>

#include <nhc/text/chat_template.h>

#include "ast.h"

namespace nhc::text::tpl {

using Limits = ::nhc::text::RenderLimits;

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
