// nhc chat template: the value model of the Jinja subset. Values follow
// Python/jinja2 semantics: lists, tuples and dicts are immutable here (the
// ImmutableSandboxedEnvironment that transformers uses forbids mutating
// them), so they are shared by pointer; only namespace() objects mutate.
#ifndef NHC_TEXT_CHAT_TEMPLATE_VALUE_H
#define NHC_TEXT_CHAT_TEMPLATE_VALUE_H

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace nhc::text::tpl {

/// A template runtime error before the renderer adds the template position.
class EvalError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct Value;
struct DictData;
struct NamespaceData;
struct Callable;
using ValueList = std::vector<Value>;

enum class Kind {
  Undefined, None, Bool, Int, Float, String, List, Tuple, Dict, Namespace,
  Callable
};

struct Value {
  Kind kind = Kind::Undefined;
  bool b = false;
  std::int64_t i = 0;
  double f = 0.0;
  std::shared_ptr<const std::string> s;   // String
  std::shared_ptr<const ValueList> list;  // List, Tuple
  std::shared_ptr<const DictData> dict;   // Dict
  std::shared_ptr<NamespaceData> ns;      // Namespace (mutable, shared)
  std::shared_ptr<const Callable> fn;     // Callable
  std::string undefined_hint;             // Undefined: what was missing

  static Value undefined(std::string hint = {});
  static Value none();
  static Value boolean(bool v);
  static Value integer(std::int64_t v);
  static Value floating(double v);
  static Value string(std::string v);
  static Value make_list(ValueList v);
  static Value make_tuple(ValueList v);
  static Value make_dict(DictData d);
  static Value make_callable(std::string name,
                             std::function<Value(struct CallArgs &)> fn);

  bool is_undefined() const { return kind == Kind::Undefined; }
  bool is_none() const { return kind == Kind::None; }
  bool is_string() const { return kind == Kind::String; }
  bool is_number() const {
    return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool;
  }
  bool is_sequence_like() const {
    return kind == Kind::List || kind == Kind::Tuple;
  }
  const std::string &str() const { return *s; }
};

struct DictData {
  std::vector<std::pair<Value, Value>> items; // insertion order
  const Value *find(const Value &key) const;
  void set(Value key, Value value);
};

struct NamespaceData {
  DictData attrs;
};

/// Arguments of a call: positional then keyword (in call order).
struct CallArgs {
  ValueList args;
  std::vector<std::pair<std::string, Value>> kwargs;
  /// Looks up positional `pos` or keyword `name`; nullptr if absent.
  const Value *get(std::size_t pos, const char *name) const;
  /// Errors on keyword arguments not in `allowed` and > max_pos positionals.
  void check(const char *what, std::size_t max_pos,
             std::initializer_list<const char *> allowed) const;
};

struct Callable {
  std::string name;
  std::function<Value(CallArgs &)> call;
};

// --- Python semantics -------------------------------------------------------
bool truthy(const Value &v);
/// Python str(): what {{ v }} prints. Errors for callables.
std::string to_str(const Value &v);
/// Python repr().
std::string to_repr(const Value &v);
std::string repr_string(const std::string &s);
std::string float_repr(double d);
/// Python ==.
bool equals(const Value &a, const Value &b);
/// Python <; throws EvalError for unorderable types.
bool less(const Value &a, const Value &b);
const char *type_name(const Value &v);
/// len(); throws for unsized values.
std::int64_t length(const Value &v);
/// Python iteration: list/tuple items, dict keys, string characters,
/// undefined -> empty. Throws for non-iterables.
ValueList iterate(const Value &v);

/// json.dumps(v, ensure_ascii, indent, separators, sort_keys).
struct JsonOptions {
  bool ensure_ascii = false;
  bool has_indent = false;
  std::string indent; // already expanded (int n -> n spaces)
  bool has_separators = false;
  std::string item_sep, key_sep;
  bool sort_keys = false;
};
std::string to_json(const Value &v, const JsonOptions &opt);

Value from_json(const nlohmann::json &j);
/// Keeps the key order of the document (what Python's json.load does).
Value from_json(const nlohmann::ordered_json &j);

// --- UTF-8 helpers ----------------------------------------------------------
std::u32string utf8_decode(const std::string &s);
std::string utf8_encode(const std::u32string &s);
void utf8_append(std::string &out, char32_t c);
/// Python str.isspace() for one code point.
bool py_isspace(char32_t c);
std::size_t utf8_length(const std::string &s);
std::string py_strip(const std::string &s, const Value *chars, bool left,
                     bool right);
std::string py_lower(const std::string &s);
std::string py_upper(const std::string &s);

} // namespace nhc::text::tpl

#endif // NHC_TEXT_CHAT_TEMPLATE_VALUE_H
