// nhc chat template: jinja2's filters, tests, operators and the Python
// str/list/dict methods that templates call, over the value model.
#ifndef NHC_TEXT_CHAT_TEMPLATE_BUILTINS_H
#define NHC_TEXT_CHAT_TEMPLATE_BUILTINS_H

#include <string>

#include "value.h"

namespace nhc::text::tpl {

/// Most items range() may produce (jinja2's sandbox MAX_RANGE).
constexpr std::int64_t kMaxRange = 100000;

bool has_filter(const std::string &name);
bool has_test(const std::string &name);
Value apply_filter(const std::string &name, const Value &subject, CallArgs &args);
bool apply_test(const std::string &name, const Value &subject, CallArgs &args);

/// obj.name (jinja2 getattr: attribute/method first, then item).
Value get_attr(const Value &obj, const std::string &name);
/// obj[key] (jinja2 getitem: item first, then attribute).
Value get_item(const Value &obj, const Value &key);
/// obj[start:stop:step]; null pointers for omitted parts.
Value get_slice(const Value &obj, const Value *start, const Value *stop,
                const Value *step);

/// Binary operators + - * / // % ** ~.
Value binary_op(const std::string &op, const Value &a, const Value &b);
Value negate(const Value &v, bool minus);
/// Comparison operators == != < > <= >= in notin.
bool compare_op(const std::string &op, const Value &a, const Value &b);

/// Throws the jinja2 UndefinedError for using `v` (which is undefined).
[[noreturn]] void undefined_error(const Value &v);

} // namespace nhc::text::tpl

#endif // NHC_TEXT_CHAT_TEMPLATE_BUILTINS_H
