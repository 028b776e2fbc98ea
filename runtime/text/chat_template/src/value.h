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

// --- resource bounds of values ----------------------------------------------
/// Most bytes one string value may hold (repetition, concatenation, join,
/// str() of a container, tojson, ...).
constexpr std::size_t kMaxStringBytes = 64u << 20;
/// Most items one list, tuple or dict may hold (repetition, concatenation,
/// iterating a string, split, ...).
constexpr std::size_t kMaxListItems = 1'000'000;
/// Deepest nesting of lists/tuples/dicts a value may have (checked when a
/// container is built, so destroying or comparing one never recurses deeper).
constexpr int kMaxValueDepth = 256;
/// Deepest str()/repr() walk (namespaces may nest without a static bound).
constexpr int kMaxReprDepth = 512;

/// Throws EvalError when `n` is larger than kMaxStringBytes.
void check_string_size(std::size_t n);
/// Throws EvalError when `n` is larger than kMaxListItems.
void check_list_items(std::size_t n);

/// Work accounting: bulk operations (copying bytes or items, comparing,
/// scanning strings) charge units to the meter of the render running on this
/// thread, so that no single evaluation step can do unbounded work. One unit
/// per byte, kItemWork per item built or copied (about a Value's size),
/// kCompareWork per comparison. Without an active meter charge_work does
/// nothing.
constexpr std::uint64_t kItemWork = 128;
constexpr std::uint64_t kCompareWork = 16;
/// Per byte of text decoded to code points (utf8_decode, and per code point
/// encoded back) or parsed as a number: about 8 times a byte copy's time
/// (measured on 50 MB strings, 2026-12-06), so that `isalpha`, `lower`,
/// `strip`, `|int` and the like reach the limit in about the same time as
/// copying.
constexpr std::uint64_t kCodePointWork = 8;
void charge_work(std::uint64_t units);
class WorkMeter {
public:
  explicit WorkMeter(std::uint64_t limit);
  ~WorkMeter();
  WorkMeter(const WorkMeter &) = delete;
  WorkMeter &operator=(const WorkMeter &) = delete;
  std::uint64_t used = 0;
  std::uint64_t limit;

private:
  WorkMeter *saved_;
};

struct Value;
struct DictData;
struct NamespaceData;
struct Callable;
struct IteratorData;
using ValueList = std::vector<Value>;

enum class Kind {
  Undefined, None, Bool, Int, Float, String, List, Tuple, Dict, Namespace,
  Callable, Iterator
};

/// Puts the next item of an iterator into its argument; false once there is
/// none (and from then on).
using PullFn = std::function<bool(Value &)>;

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
  std::shared_ptr<IteratorData> iter;     // Iterator (mutable, shared)
  std::string undefined_hint;             // Undefined: what was missing
  int depth = 0; // container nesting: 0 scalars, 1 + max over items for
                 // lists/tuples/dicts, 1 for namespaces (mutable, unbounded)

  static Value undefined(std::string hint = {});
  static Value none();
  static Value boolean(bool v);
  static Value integer(std::int64_t v);
  static Value floating(double v);
  static Value string(std::string v);
  static Value make_list(ValueList v);
  static Value make_tuple(ValueList v);
  /// `charge`: count the items as work (false for the renderer's own
  /// bookkeeping, e.g. the per-iteration `loop` object).
  static Value make_dict(DictData d, bool charge = true);
  static Value make_callable(std::string name,
                             std::function<Value(struct CallArgs &)> fn);
  /// A Python iterator: what jinja2's generator filters (select, map,
  /// unique, items, ...) and reversed() return. `type` is its Python type
  /// name ("generator", "list_reverseiterator"), `shown` what str() prints
  /// between < and > ("generator object select_or_reject");
  /// `captured_depth` the largest depth of the values `pull` holds (its
  /// source, a filter's arguments): a chain of generators is pulled, and
  /// destroyed, recursively, so it is bounded as nesting is.
  static Value make_iterator(std::string type, std::string shown, int captured_depth,
                             PullFn pull);

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

/// A single-pass iterator, as in Python: truthy whatever it holds, no len(),
/// no indexing; its items go to whoever iterates first, and copies share
/// the position (`{% set g = x|select %}` then two loops over `g`: the
/// second sees nothing, as in jinja2).
struct IteratorData {
  std::string type, shown;
  PullFn pull;
  bool exhausted = false;
  bool running = false; // inside pull: pulling again is Python's ValueError
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
/// Throws Python's TypeError for a value that cannot be a dict key or set
/// member (a list, a dict, a tuple holding one).
void require_hashable(const Value &v);
/// Python ==.
bool equals(const Value &a, const Value &b);
/// Python <; throws EvalError for unorderable types. int/float compare
/// exactly (like Python, not through double).
bool less(const Value &a, const Value &b);
/// A total order for sorting (sort, dictsort): Python's < except that NaN
/// sorts after every other number and equal to NaN, so the order is a strict
/// weak ordering. Returns <0, 0, >0; throws EvalError for unorderable types.
int sort_compare(const Value &a, const Value &b);
/// sort_compare of two lists' items in Python's list order: the first pair
/// that is not == decides, else the shorter list sorts first.
int sort_compare_items(const ValueList &x, const ValueList &y);
const char *type_name(const Value &v);
/// len(); throws for unsized values.
std::int64_t length(const Value &v);
/// Python iteration: list/tuple items, dict keys, string characters,
/// undefined -> empty. Throws for non-iterables. `charge`: count copying the
/// items as work (a for loop does not: it spends a step per item anyway).
ValueList iterate(const Value &v, bool charge = true);
/// Python's iter(v) as a pull function: a cursor over a list's or tuple's
/// items or a dict's keys (shared, immutable: nothing copied), a string's
/// characters, nothing for undefined, an iterator's own pull. Throws for
/// non-iterables.
PullFn pull_from(const Value &v);
/// next(it) of an Iterator value: false when exhausted.
bool next_item(const Value &it, Value &out);

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
/// Substring search in linear time (two-way, no quadratic worst case):
/// first match at or after `from` / last match starting at or before `pos`;
/// npos when none.
std::size_t find_sub(const std::string &s, const std::string &sub,
                     std::size_t from = 0);
std::size_t rfind_sub(const std::string &s, const std::string &sub,
                      std::size_t pos = std::string::npos);
std::string py_strip(const std::string &s, const Value *chars, bool left,
                     bool right);
std::string py_lower(const std::string &s);
std::string py_upper(const std::string &s);

} // namespace nhc::text::tpl

#endif // NHC_TEXT_CHAT_TEMPLATE_VALUE_H
