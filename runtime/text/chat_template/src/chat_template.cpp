// nhc chat template: the public API (parse, render) over lexer, parser and
// renderer; turns their errors into TextError "<name>:<line>:<col>: <what>".
#include <nhc/text/chat_template.h>

#include "ast.h"
#include "renderer.h"

#include <new>

namespace nhc::text {

struct ChatTemplate::Impl {
  std::string name;
  tpl::NodePtr root;
};

namespace {
std::string where(const std::string &name, tpl::Pos p) {
  return name + ":" + std::to_string(p.line) + ":" + std::to_string(p.col) + ": ";
}

template <class Json>
std::string render_impl(const std::string &name, const tpl::Node &root, const Json &context,
                        const RenderLimits &limits) {
  if (!context.is_object())
    throw TextError(name + ": the render context must be a JSON object");
  // The nesting limits bound the renderer's C++ stack: never above the
  // defaults. Every limit must allow something.
  const RenderLimits defaults;
  auto check = [&](bool ok, const char *what, long long most) {
    if (!ok)
      throw TextError(name + ": render limits: " + what + " must be 1.." +
                      std::to_string(most));
  };
  check(limits.max_nesting >= 1 && limits.max_nesting <= defaults.max_nesting,
        "max_nesting", defaults.max_nesting);
  check(limits.max_call_depth >= 1 &&
            limits.max_call_depth <= defaults.max_call_depth,
        "max_call_depth", defaults.max_call_depth);
  if (!limits.max_output_bytes || !limits.max_steps || !limits.max_work ||
      !limits.max_namespaces)
    throw TextError(name + ": render limits: max_output_bytes, max_steps, "
                           "max_work and max_namespaces must be positive");
  tpl::Value ctx;
  try {
    ctx = tpl::from_json(context);
  } catch (const tpl::EvalError &e) {
    throw TextError(name + ": " + e.what());
  } catch (const std::bad_alloc &) {
    throw TextError(name + ": out of memory while reading the render context");
  }
  try {
    return tpl::render(root, ctx, limits);
  } catch (const tpl::RenderError &e) {
    throw TextError(where(name, e.pos) + e.what);
  } catch (const tpl::EvalError &e) {
    throw TextError(name + ": " + e.what());
  } catch (const std::bad_alloc &) {
    throw TextError(name + ": out of memory while rendering");
  } catch (const std::exception &e) { // safety net: only TextError leaves render()
    throw TextError(name + ": internal error while rendering: " + e.what());
  }
}
} // namespace

ChatTemplate::ChatTemplate(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChatTemplate::ChatTemplate(ChatTemplate &&) noexcept = default;
ChatTemplate &ChatTemplate::operator=(ChatTemplate &&) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

ChatTemplate ChatTemplate::parse(std::string source, std::string name) {
  auto impl = std::make_unique<Impl>();
  impl->name = std::move(name);
  // The syntax tree costs about 170 bytes per byte of source; published
  // templates are a few KiB.
  if (source.size() > kMaxChatTemplateBytes)
    throw TextError(impl->name + ": a chat template of " +
                    std::to_string(source.size()) + " bytes, more than the " +
                    std::to_string(kMaxChatTemplateBytes) + " nhc reads");
  try {
    std::string normalized = tpl::normalize_newlines(source);
    impl->root = tpl::parse(tpl::lex(normalized));
    tpl::validate(*impl->root);
  } catch (const tpl::SyntaxError &e) {
    throw TextError(where(impl->name, e.pos) + e.what);
  }
  return ChatTemplate(std::move(impl));
}

std::string ChatTemplate::render(const nlohmann::json &context,
                                 const RenderLimits &limits) const {
  return render_impl(impl_->name, *impl_->root, context, limits);
}

std::string ChatTemplate::render(const nlohmann::ordered_json &context,
                                 const RenderLimits &limits) const {
  return render_impl(impl_->name, *impl_->root, context, limits);
}

const std::string &ChatTemplate::name() const { return impl_->name; }

} // namespace nhc::text
