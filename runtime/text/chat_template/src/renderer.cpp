// nhc chat template: the renderer (see renderer.h).
#include "renderer.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <unordered_map>
#include <utility>
#include <vector>

#include "builtins.h"
#include "nhc/runtime/escape.h"

namespace nhc::text::tpl {
namespace {

enum class Flow { Normal, Break, Continue };

struct Scope {
  std::unordered_map<std::string, Value> vars;
  Scope *parent = nullptr;
};

void validate_node(const Node &n, int loop_depth) {
  if (n.kind == NK::Filter && !has_filter(n.name))
    throw SyntaxError{n.pos, "unsupported construct: no filter named '" + n.name + "'"};
  if (n.kind == NK::Test && !has_test(n.name))
    throw SyntaxError{n.pos, "unsupported construct: no test named '" + n.name + "'"};
  if ((n.kind == NK::Break || n.kind == NK::Continue) && loop_depth == 0)
    throw SyntaxError{n.pos, std::string("'") + (n.kind == NK::Break ? "break" : "continue") +
                                 "' outside of a loop"};
  for (std::size_t k = 0; k < n.kids.size(); ++k) {
    if (!n.kids[k]) continue;
    int depth = loop_depth;
    if (n.kind == NK::For && k == 2) depth++;   // body
    if (n.kind == NK::Macro && k + 1 == n.kids.size()) depth = 0;
    validate_node(*n.kids[k], depth);
  }
}

class Renderer {
public:
  Renderer(const Limits &l) : limits_(l), meter_(l.max_work) {}
  Renderer(const Renderer &) = delete;
  Renderer &operator=(const Renderer &) = delete;

  // Namespaces are the only mutable values, so the only way to build a
  // reference cycle (a namespace holding itself, directly or through lists)
  // or a chain of unbounded depth. The renderer keeps every namespace alive
  // until the end and then empties each one: that frees cycles (no leak)
  // and never lets one value's destructor recurse through a chain of them.
  ~Renderer() { release_namespaces(); }

  std::string run(const Node &root, const Value &context) {
    install_globals();
    if (context.kind == Kind::Dict)
      for (const auto &kv : context.dict->items)
        if (kv.first.is_string()) globals_.vars[kv.first.str()] = kv.second;
    Scope top;
    top.parent = &globals_;
    top_ = &top;
    std::string out;
    out_ = &out;
    exec_body(root, top);
    return out;
  }

private:
  const Limits &limits_;
  WorkMeter meter_;
  Scope globals_;
  Scope *top_ = nullptr;
  std::string *out_ = nullptr;
  std::uint64_t steps_ = 0;
  int call_depth_ = 0;
  int nesting_ = 0;
  std::vector<std::shared_ptr<NamespaceData>> namespaces_;
  std::size_t compact_at_ = 1024;

  /// Counts one level of statement/expression nesting while alive.
  class Nest {
  public:
    Nest(Renderer &r, const Node &n) : r_(r) {
      if (r_.nesting_ >= r_.limits_.max_nesting)
        r_.fail(n, "template evaluation nested deeper than " +
                       std::to_string(r_.limits_.max_nesting) +
                       " levels (statements, expressions and macro calls)");
      ++r_.nesting_;
    }
    ~Nest() { --r_.nesting_; }
    Nest(const Nest &) = delete;
    Nest &operator=(const Nest &) = delete;

  private:
    Renderer &r_;
  };

  /// Counts one macro call while alive.
  class CallDepth {
  public:
    explicit CallDepth(Renderer &r) : r_(r) {
      if (r_.call_depth_ >= r_.limits_.max_call_depth)
        throw EvalError("macro calls nested deeper than " +
                        std::to_string(r_.limits_.max_call_depth));
      ++r_.call_depth_;
    }
    ~CallDepth() { --r_.call_depth_; }
    CallDepth(const CallDepth &) = delete;
    CallDepth &operator=(const CallDepth &) = delete;

  private:
    Renderer &r_;
  };

  static void empty_namespace(NamespaceData &ns) {
    DictData dead;
    std::swap(dead, ns.attrs); // destroyed here, after ns no longer refers to it
  }

  void release_namespaces() {
    for (auto &ns : namespaces_) empty_namespace(*ns);
    namespaces_.clear();
  }

  void track_namespace(const std::shared_ptr<NamespaceData> &ns) {
    if (namespaces_.size() >= compact_at_) {
      // Drop the namespaces nothing but this list refers to any more.
      std::size_t kept = 0;
      for (std::size_t k = 0; k < namespaces_.size(); ++k) {
        if (namespaces_[k].use_count() == 1) {
          empty_namespace(*namespaces_[k]);
          namespaces_[k].reset();
          continue;
        }
        if (kept != k) namespaces_[kept] = std::move(namespaces_[k]);
        ++kept;
      }
      namespaces_.resize(kept);
      if (namespaces_.size() >= limits_.max_namespaces)
        throw EvalError("more than " + std::to_string(limits_.max_namespaces) +
                        " namespace() objects alive at once");
      compact_at_ = std::max<std::size_t>(1024, 2 * namespaces_.size());
    }
    namespaces_.push_back(ns);
  }

  [[noreturn]] void fail(const Node &n, const std::string &what) {
    throw RenderError{n.pos, what};
  }

  void step(const Node &n) {
    if (++steps_ > limits_.max_steps)
      fail(n, "template evaluation exceeded the limit of " +
                  std::to_string(limits_.max_steps) + " steps");
  }

  void emit(const Node &n, const std::string &s) {
    if (out_->size() + s.size() > limits_.max_output_bytes)
      fail(n, "template output exceeded the limit of " +
                  std::to_string(limits_.max_output_bytes) + " bytes");
    try {
      charge_work(s.size());
    } catch (const EvalError &e) {
      fail(n, e.what());
    }
    *out_ += s;
  }

  static Value lookup(const Scope &scope, const std::string &name) {
    for (const Scope *s = &scope; s; s = s->parent) {
      auto it = s->vars.find(name);
      if (it != s->vars.end()) return it->second;
    }
    return Value::undefined("'" + name + "' is undefined");
  }

  // --- globals --------------------------------------------------------------
  void install_globals() {
    auto &g = globals_.vars;
    g["range"] = Value::make_callable("range", [](CallArgs &a) {
      a.check("range", 3, {});
      std::int64_t start = 0, stop, step = 1;
      auto num = [](const Value &v) {
        if (v.kind != Kind::Int && v.kind != Kind::Bool)
          throw EvalError(std::string("'") + type_name(v) + "' object cannot be interpreted as an integer");
        return v.kind == Kind::Bool ? (std::int64_t)v.b : v.i;
      };
      if (a.args.empty()) throw EvalError("range expected at least 1 argument, got 0");
      if (a.args.size() == 1) stop = num(a.args[0]);
      else { start = num(a.args[0]); stop = num(a.args[1]); }
      if (a.args.size() == 3) step = num(a.args[2]);
      if (step == 0) throw EvalError("range() arg 3 must not be zero");
      // Python's len(range(...)), exactly and without overflow: the
      // differences and |step| are taken as unsigned 64-bit numbers.
      const std::uint64_t mag = step > 0 ? (std::uint64_t)step : 0 - (std::uint64_t)step;
      std::uint64_t count = 0;
      if (step > 0 && start < stop) count = ((std::uint64_t)stop - (std::uint64_t)start - 1) / mag + 1;
      if (step < 0 && start > stop) count = ((std::uint64_t)start - (std::uint64_t)stop - 1) / mag + 1;
      if (count > (std::uint64_t)kMaxRange)
        throw EvalError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (" +
                        std::to_string(kMaxRange) + ").");
      ValueList out;
      out.reserve((std::size_t)count);
      for (std::uint64_t k = 0; k < count; ++k) {
        // start + k*step lies between start and stop: exact modulo 2^64.
        std::uint64_t x = step > 0 ? (std::uint64_t)start + k * mag : (std::uint64_t)start - k * mag;
        out.push_back(Value::integer((std::int64_t)x));
      }
      return Value::make_list(std::move(out));
    });
    auto make_pairs = [](CallArgs &a, const char *what) {
      DictData d;
      if (a.args.size() > 1) throw EvalError(std::string(what) + " expected at most 1 positional argument");
      if (!a.args.empty()) {
        const Value &src = a.args[0];
        if (src.kind == Kind::Dict) d = *src.dict;
        else if (src.kind == Kind::Namespace) d = src.ns->attrs;
        else
          for (const auto &item : iterate(src)) {
            ValueList pair = iterate(item);
            if (pair.size() != 2) throw EvalError(std::string(what) + ": sequence elements must have length 2");
            d.set(pair[0], pair[1]);
          }
      }
      for (auto &kv : a.kwargs) d.set(Value::string(kv.first), kv.second);
      return d;
    };
    g["namespace"] = Value::make_callable("namespace", [this, make_pairs](CallArgs &a) {
      Value v;
      v.kind = Kind::Namespace;
      v.depth = 1;
      v.ns = std::make_shared<NamespaceData>();
      track_namespace(v.ns);
      v.ns->attrs = make_pairs(a, "namespace");
      for (const auto &kv : v.ns->attrs.items)
        if (kv.first.is_string() && !kv.first.str().empty() && kv.first.str()[0] == '_')
          throw EvalError("Chat templates cannot store underscore-prefixed attributes on a namespace, but got " +
                          repr_string(kv.first.str()) + ".");
      return v;
    });
    g["dict"] = Value::make_callable("dict", [make_pairs](CallArgs &a) {
      return Value::make_dict(make_pairs(a, "dict"));
    });
    g["raise_exception"] = Value::make_callable("raise_exception", [](CallArgs &a) -> Value {
      std::string msg = a.args.empty() ? std::string() : to_str(a.args[0]);
      // The template's text goes to a terminal or a log: controls escaped,
      // a long message cut (docs/security.md).
      throw EvalError("raise_exception: " + nhc::escapeBounded(msg, 1000));
    });
    g["strftime_now"] = Value::make_callable("strftime_now", [](CallArgs &a) {
      a.check("strftime_now", 1, {});
      if (a.args.empty() || !a.args[0].is_string()) throw EvalError("strftime_now expects a format string");
      std::time_t t = std::time(nullptr);
      std::tm tm{};
      localtime_r(&t, &tm);
      // strftime says 0 both for an empty result and for a buffer too small:
      // the buffer grows until the text fits or could not be shorter than
      // the limit (no conversion writes more than 64 bytes).
      const std::string &format = a.args[0].str();
      // A conversion costs far more than a byte (%s runs mktime): each call
      // is charged per conversion, so a render of many stays within the
      // work limit's second.
      const std::uint64_t conversions =
          static_cast<std::uint64_t>(std::count(format.begin(), format.end(), '%'));
      std::vector<char> buf(512);
      while (true) {
        charge_work(format.size() + 2000 * conversions);
        std::size_t n = std::strftime(buf.data(), buf.size(), format.c_str(), &tm);
        if (n > 0 || format.empty()) return Value::string(std::string(buf.data(), n));
        if (buf.size() > 64 * format.size() + 64) return Value::string(std::string());
        check_string_size(buf.size() * 2);
        buf.resize(buf.size() * 2);
      }
    });
  }

  // --- statements -----------------------------------------------------------
  Flow exec_body(const Node &body, Scope &scope) {
    for (const auto &s : body.kids) {
      Flow f = exec(*s, scope);
      if (f != Flow::Normal) return f;
    }
    return Flow::Normal;
  }

  Flow exec(const Node &n, Scope &scope) {
    step(n);
    Nest nest(*this, n);
    try {
      return exec_inner(n, scope);
    } catch (const EvalError &e) {
      fail(n, e.what()); // inner expressions throw RenderError with their own position
    }
  }

  Flow exec_inner(const Node &n, Scope &scope) {
    switch (n.kind) {
    case NK::Text: emit(n, n.name); return Flow::Normal;
    case NK::Print: {
      Value v = eval(*n.kids[0], scope);
      std::string s;
      try { s = to_str(v); } catch (const EvalError &e) { fail(n, e.what()); }
      emit(n, s);
      return Flow::Normal;
    }
    case NK::If: {
      std::size_t conds = n.has_else ? n.kids.size() - 1 : n.kids.size();
      for (std::size_t k = 0; k < conds; k += 2)
        if (truthy(eval(*n.kids[k], scope))) return exec_body(*n.kids[k + 1], scope);
      if (n.has_else) return exec_body(*n.kids.back(), scope);
      return Flow::Normal;
    }
    case NK::For: return exec_for(n, scope);
    case NK::Set: {
      Value v = eval(*n.kids[0], scope);
      if (!n.attr.empty()) {
        Value target = lookup(scope, n.targets[0]);
        if (target.kind != Kind::Namespace)
          fail(n, "cannot assign attribute on non-namespace object");
        if (n.attr[0] == '_')
          fail(n, "Chat templates cannot store underscore-prefixed attributes on a namespace, but got " +
                      repr_string(n.attr) + ".");
        target.ns->attrs.set(Value::string(n.attr), std::move(v));
        return Flow::Normal;
      }
      assign(n, scope, n.targets, v);
      return Flow::Normal;
    }
    case NK::SetBlock: {
      std::string captured = capture(*n.kids[0], scope);
      scope.vars[n.targets[0]] = Value::string(std::move(captured));
      return Flow::Normal;
    }
    case NK::Macro: scope.vars[n.name] = make_macro(n); return Flow::Normal;
    case NK::Break: return Flow::Break;
    case NK::Continue: return Flow::Continue;
    case NK::Generation: return exec_body(*n.kids[0], scope);
    case NK::Body: return exec_body(n, scope);
    default: fail(n, "internal error: expression used as a statement");
    }
  }

  void assign(const Node &n, Scope &scope, const std::vector<std::string> &targets,
              const Value &v) {
    if (targets.size() == 1) { scope.vars[targets[0]] = v; return; }
    ValueList items;
    try { items = iterate(v); } catch (const EvalError &e) { fail(n, e.what()); }
    if (items.size() != targets.size())
      fail(n, (items.size() < targets.size() ? "not enough" : "too many") +
                  std::string(" values to unpack (expected ") + std::to_string(targets.size()) +
                  ", got " + std::to_string(items.size()) + ")");
    for (std::size_t k = 0; k < targets.size(); ++k) scope.vars[targets[k]] = items[k];
  }

  std::string capture(const Node &body, Scope &scope) {
    std::string buf;
    std::string *saved = out_;
    out_ = &buf;
    try {
      exec_body(body, scope);
    } catch (...) {
      out_ = saved;
      throw;
    }
    out_ = saved;
    return buf;
  }

  Flow exec_for(const Node &n, Scope &scope) {
    Value seq = eval(*n.kids[0], scope);
    ValueList items;
    try {
      if (seq.kind == Kind::None || seq.kind == Kind::Int || seq.kind == Kind::Float ||
          seq.kind == Kind::Bool || seq.kind == Kind::Namespace || seq.kind == Kind::Callable)
        throw EvalError(std::string("'") + type_name(seq) + "' object is not iterable");
      items = iterate(seq, /*charge=*/false);
    } catch (const EvalError &e) { fail(*n.kids[0], e.what()); }
    if (n.kids[1]) {
      ValueList kept;
      for (auto &item : items) {
        Scope fs;
        fs.parent = &scope;
        assign(n, fs, n.targets, item);
        if (truthy(eval(*n.kids[1], fs))) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    const std::int64_t len = (std::int64_t)items.size();
    static const char *const kKeys[] = {"index", "index0", "revindex", "revindex0", "first",
                                        "last", "length", "depth", "depth0", "previtem",
                                        "nextitem", "cycle"};
    static const std::vector<Value> keys = [] {
      std::vector<Value> v;
      for (const char *k : kKeys) v.push_back(Value::string(k));
      return v;
    }();
    auto current = std::make_shared<std::int64_t>(0);
    Value cycle = Value::make_callable("cycle", [current](CallArgs &a) {
      if (a.args.empty()) throw EvalError("no items for cycling given");
      return a.args[(std::size_t)(*current % (std::int64_t)a.args.size())];
    });
    bool completed = false;
    for (std::int64_t k = 0; k < len; ++k) {
      step(n);
      *current = k;
      Scope it;
      it.parent = &scope;
      assign(n, it, n.targets, items[(std::size_t)k]);
      DictData loop;
      loop.items.reserve(12);
      auto put = [&](int key, Value v) { loop.items.emplace_back(keys[key], std::move(v)); };
      put(0, Value::integer(k + 1));
      put(1, Value::integer(k));
      put(2, Value::integer(len - k));
      put(3, Value::integer(len - k - 1));
      put(4, Value::boolean(k == 0));
      put(5, Value::boolean(k == len - 1));
      put(6, Value::integer(len));
      put(7, Value::integer(1));
      put(8, Value::integer(0));
      if (k > 0) put(9, items[(std::size_t)k - 1]);
      if (k + 1 < len) put(10, items[(std::size_t)k + 1]);
      put(11, cycle);
      // Charged as any dict built: an iteration's cost is mostly this
      // object, so an empty loop body still spends the work budget.
      it.vars["loop"] = Value::make_dict(std::move(loop));
      Flow f = exec_body(*n.kids[2], it);
      if (f == Flow::Break) break;
      if (f == Flow::Normal) completed = true;
    }
    // jinja2 runs `else` unless an iteration reached the end of the body:
    // no items, or every iteration left by continue or break.
    if (!completed && n.kids[3]) exec_body(*n.kids[3], scope);
    return Flow::Normal;
  }

  Value make_macro(const Node &n) {
    const Node *def = &n;
    const bool takesVarargs = n.takes_varargs; // set by the parser
    const bool takesKwargs = n.takes_kwargs;
    return Value::make_callable(n.name, [this, def, takesVarargs,
                                         takesKwargs](CallArgs &a) -> Value {
      const Node &m = *def;
      const std::size_t nparams = m.targets.size();
      if (a.args.size() > nparams && !takesVarargs)
        throw EvalError("macro '" + m.name + "' takes not more than " + std::to_string(nparams) +
                        " argument(s)");
      // Counted before the parameters' default values are evaluated: a
      // default may call the macro itself.
      CallDepth depth(*this);
      Scope ms;
      ms.parent = top_;
      for (std::size_t k = 0; k < nparams; ++k) {
        const std::string &p = m.targets[k];
        if (k < a.args.size()) { ms.vars[p] = a.args[k]; continue; }
        bool found = false;
        for (const auto &kv : a.kwargs)
          if (kv.first == p) { ms.vars[p] = kv.second; found = true; }
        if (found) continue;
        if (m.kids[k]) ms.vars[p] = eval(*m.kids[k], ms);
        else ms.vars[p] = Value::undefined("parameter '" + p + "' was not provided");
      }
      DictData extraKeywords;
      for (const auto &kv : a.kwargs) {
        bool known = false;
        for (const auto &p : m.targets) known = known || p == kv.first;
        if (known) continue;
        if (!takesKwargs)
          throw EvalError("macro '" + m.name + "' takes no keyword argument '" + kv.first + "'");
        extraKeywords.set(Value::string(kv.first), kv.second);
      }
      if (takesVarargs)
        ms.vars["varargs"] = Value::make_tuple(ValueList(
            a.args.begin() + std::min(a.args.size(), nparams), a.args.end()));
      if (takesKwargs)
        ms.vars["kwargs"] = Value::make_dict(std::move(extraKeywords));
      std::string out = capture(*m.kids.back(), ms);
      return Value::string(std::move(out));
    });
  }

  // --- expressions ----------------------------------------------------------
  CallArgs eval_args(const Node &n, std::size_t first, Scope &scope) {
    CallArgs a;
    std::size_t nkw = n.kwnames.size();
    std::size_t npos = n.kids.size() - first - nkw;
    for (std::size_t k = 0; k < npos; ++k) a.args.push_back(eval(*n.kids[first + k], scope));
    for (std::size_t k = 0; k < nkw; ++k)
      a.kwargs.emplace_back(n.kwnames[k], eval(*n.kids[first + npos + k], scope));
    return a;
  }

  Value eval(const Node &n, Scope &scope) {
    step(n);
    Nest nest(*this, n);
    try {
      return eval_inner(n, scope);
    } catch (const EvalError &e) {
      throw RenderError{n.pos, e.what()};
    }
  }

  Value eval_inner(const Node &n, Scope &scope) {
    switch (n.kind) {
    case NK::Literal: return n.value;
    case NK::Name: return lookup(scope, n.name);
    case NK::ListLit: case NK::TupleLit: {
      ValueList items;
      for (const auto &k : n.kids) items.push_back(eval(*k, scope));
      return n.kind == NK::ListLit ? Value::make_list(std::move(items)) : Value::make_tuple(std::move(items));
    }
    case NK::DictLit: {
      DictData d;
      for (std::size_t k = 0; k + 1 < n.kids.size(); k += 2) {
        Value key = eval(*n.kids[k], scope);
        if (key.kind == Kind::List || key.kind == Kind::Dict || key.kind == Kind::Undefined)
          throw EvalError(std::string("unhashable type: '") + type_name(key) + "'");
        d.set(std::move(key), eval(*n.kids[k + 1], scope));
      }
      return Value::make_dict(std::move(d));
    }
    case NK::Attr: return get_attr(eval(*n.kids[0], scope), n.name);
    case NK::Getitem: {
      Value obj = eval(*n.kids[0], scope);
      const Node &idx = *n.kids[1];
      if (idx.kind == NK::Slice) {
        Value parts[3];
        const Value *ptr[3] = {nullptr, nullptr, nullptr};
        for (int k = 0; k < 3; ++k)
          if (idx.kids[k]) { parts[k] = eval(*idx.kids[k], scope); ptr[k] = &parts[k]; }
        return get_slice(obj, ptr[0], ptr[1], ptr[2]);
      }
      return get_item(obj, eval(idx, scope));
    }
    case NK::Call: {
      Value callee = eval(*n.kids[0], scope);
      CallArgs a = eval_args(n, 1, scope);
      if (callee.is_undefined()) undefined_error(callee);
      if (callee.kind != Kind::Callable)
        throw EvalError(std::string("'") + type_name(callee) + "' object is not callable");
      return callee.fn->call(a);
    }
    case NK::Filter: {
      Value subject = eval(*n.kids[0], scope);
      CallArgs a = eval_args(n, 1, scope);
      return apply_filter(n.name, subject, a);
    }
    case NK::Test: {
      Value subject = eval(*n.kids[0], scope);
      CallArgs a = eval_args(n, 1, scope);
      bool r = apply_test(n.name, subject, a);
      return Value::boolean(n.negated ? !r : r);
    }
    case NK::Neg: case NK::Pos: return negate(eval(*n.kids[0], scope), n.kind == NK::Neg);
    case NK::Not: return Value::boolean(!truthy(eval(*n.kids[0], scope)));
    case NK::Bin: return binary_op(n.name, eval(*n.kids[0], scope), eval(*n.kids[1], scope));
    case NK::And: {
      Value l = eval(*n.kids[0], scope);
      return truthy(l) ? eval(*n.kids[1], scope) : l;
    }
    case NK::Or: {
      Value l = eval(*n.kids[0], scope);
      return truthy(l) ? l : eval(*n.kids[1], scope);
    }
    case NK::Compare: {
      Value l = eval(*n.kids[0], scope);
      for (std::size_t k = 0; k < n.ops.size(); ++k) {
        Value r = eval(*n.kids[k + 1], scope);
        if (!compare_op(n.ops[k], l, r)) return Value::boolean(false);
        l = std::move(r);
      }
      return Value::boolean(true);
    }
    case NK::Cond: {
      if (truthy(eval(*n.kids[1], scope))) return eval(*n.kids[0], scope);
      if (n.kids[2]) return eval(*n.kids[2], scope);
      return Value::undefined("the inline if-expression on line " + std::to_string(n.pos.line) +
                              " evaluated to false and no else section was defined.");
    }
    default: throw EvalError("internal error: statement used as an expression");
    }
  }
};

} // namespace

void validate(const Node &root) { validate_node(root, 0); }

std::string render(const Node &root, const Value &context, const Limits &limits) {
  return Renderer(limits).run(root, context);
}

} // namespace nhc::text::tpl
