// nhc chat template: filters, tests, operators and methods (see builtins.h).
#include "builtins.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "nhc/runtime/escape.h"

namespace nhc::text::tpl {
namespace {

std::int64_t as_int(const Value &v) { return v.kind == Kind::Bool ? (v.b ? 1 : 0) : v.i; }
double as_double(const Value &v) {
  return v.kind == Kind::Float ? v.f : (double)as_int(v);
}
bool is_intlike(const Value &v) { return v.kind == Kind::Int || v.kind == Kind::Bool; }

// CPython's round(int, ndigits): the int itself for ndigits >= 0, else the
// nearest multiple of 10**-ndigits, ties to the even multiple (exact).
std::int64_t python_round_int(std::int64_t x, std::int64_t ndigits) {
  if (ndigits >= 0) return x;
  if (ndigits < -18) return 0; // |x| < 2**63 < 10**19 / 2
  std::int64_t unit = 1;
  for (std::int64_t i = 0; i < -ndigits; ++i) unit *= 10;
  std::int64_t q = x / unit, r = x % unit;
  if (r < 0) { r += unit; --q; } // floor division, as Python's divmod
  if (2 * (unsigned long long)r > (unsigned long long)unit ||
      (2 * (unsigned long long)r == (unsigned long long)unit && (q & 1)))
    ++q;
  std::int64_t out;
  if (__builtin_mul_overflow(q, unit, &out))
    throw EvalError("integer overflow (values are limited to 64 bits)");
  return out;
}

// CPython's round(float, ndigits): the exact binary value rounded to
// ndigits decimal places, ties to even (its dtoa in mode 3); printf's
// conversions are exact and round to even, so they give the same digits.
double python_round_float(double x, std::int64_t ndigits) {
  if (!std::isfinite(x) || x == 0.0) return x;
  // Past a double's decimal digits rounding changes nothing; before its
  // smallest power of ten it gives a signed zero.
  if (ndigits > 323) return x;
  if (ndigits < -308) return 0.0 * x;
  std::vector<char> buf(700);
  if (ndigits >= 0) {
    std::snprintf(buf.data(), buf.size(), "%.*f", (int)ndigits, x);
    return std::strtod(buf.data(), nullptr);
  }
  // Negative ndigits: keep the significant digits above 10**-ndigits.
  // x's decimal exponent e (10**e <= |x| < 10**(e+1)), from its %e form.
  std::snprintf(buf.data(), buf.size(), "%.17e", std::fabs(x));
  std::int64_t e = std::strtol(std::strchr(buf.data(), 'e') + 1, nullptr, 10);
  std::int64_t digits = e + 1 + ndigits; // significant digits kept
  if (digits <= 0) {
    // |x| < 10**-ndigits: 0 or one unit, ties to 0 (the even one).
    std::snprintf(buf.data(), buf.size(), "1e%lld", (long long)-ndigits);
    double unit = std::strtod(buf.data(), nullptr);
    double r = digits == 0 && std::fabs(x) * 2 > unit ? unit : 0.0;
    return std::copysign(r, x);
  }
  std::snprintf(buf.data(), buf.size(), "%.*e", (int)(digits - 1), x);
  return std::strtod(buf.data(), nullptr);
}

void check_size(std::size_t n) { check_string_size(n); }

[[noreturn]] void type_error(const std::string &what) { throw EvalError(what); }

std::string need_str(const Value &v, const char *what) {
  if (v.is_undefined()) undefined_error(v);
  if (!v.is_string())
    type_error(std::string(what) + " expects a string, got '" + type_name(v) + "'");
  return v.str();
}

std::int64_t need_int(const Value &v, const char *what) {
  if (v.is_undefined()) undefined_error(v);
  if (!is_intlike(v))
    type_error(std::string(what) + " expects an integer, got '" + type_name(v) + "'");
  return as_int(v);
}

bool arg_bool(const CallArgs &a, std::size_t pos, const char *name, bool def) {
  const Value *v = a.get(pos, name);
  return v ? truthy(*v) : def;
}

// Python str.split / rsplit.
Value split(const std::string &s, const Value *sep, std::int64_t maxsplit, bool right) {
  ValueList out;
  if (!sep || sep->is_none()) {
    std::u32string u = utf8_decode(s);
    std::vector<std::u32string> parts;
    if (!right) {
      std::size_t k = 0;
      while (true) {
        while (k < u.size() && py_isspace(u[k])) ++k;
        if (k >= u.size()) break;
        if (maxsplit >= 0 && (std::int64_t)parts.size() == maxsplit) {
          std::size_t e = u.size();
          parts.push_back(u.substr(k, e - k));
          // Python keeps trailing whitespace of the remainder? No: it strips
          // only the leading side; trailing is kept as is.
          break;
        }
        std::size_t e = k;
        while (e < u.size() && !py_isspace(u[e])) ++e;
        check_list_items(parts.size() + 1);
        parts.push_back(u.substr(k, e - k));
        k = e;
      }
    } else {
      std::size_t e = u.size();
      while (true) {
        while (e > 0 && py_isspace(u[e - 1])) --e;
        if (e == 0) break;
        if (maxsplit >= 0 && (std::int64_t)parts.size() == maxsplit) {
          parts.push_back(u.substr(0, e));
          break;
        }
        std::size_t b = e;
        while (b > 0 && !py_isspace(u[b - 1])) --b;
        check_list_items(parts.size() + 1);
        parts.push_back(u.substr(b, e - b));
        e = b;
      }
      std::reverse(parts.begin(), parts.end());
    }
    for (auto &p : parts) out.push_back(Value::string(utf8_encode(p)));
    return Value::make_list(std::move(out));
  }
  std::string sp = need_str(*sep, "split");
  if (sp.empty()) type_error("empty separator");
  std::vector<std::string> parts;
  if (!right) {
    std::size_t k = 0;
    while (true) {
      std::size_t f = find_sub(s, sp, k);
      if (f == std::string::npos || (maxsplit >= 0 && (std::int64_t)parts.size() == maxsplit)) {
        parts.push_back(s.substr(k));
        break;
      }
      check_list_items(parts.size() + 2);
      parts.push_back(s.substr(k, f - k));
      k = f + sp.size();
    }
  } else {
    // Right-to-left matching is left-to-right matching on the reversed
    // string: one reversal, then linear searches.
    const std::string rs(s.rbegin(), s.rend()), rsp(sp.rbegin(), sp.rend());
    charge_work(rs.size());
    std::size_t k = 0;
    while (true) {
      std::size_t f = (maxsplit >= 0 && (std::int64_t)parts.size() == maxsplit)
                          ? std::string::npos
                          : find_sub(rs, rsp, k);
      std::size_t e = f == std::string::npos ? rs.size() : f;
      parts.emplace_back(rs.rbegin() + (std::ptrdiff_t)(rs.size() - e),
                         rs.rbegin() + (std::ptrdiff_t)(rs.size() - k));
      if (f == std::string::npos) break;
      check_list_items(parts.size() + 1);
      k = f + rsp.size();
    }
    std::reverse(parts.begin(), parts.end());
  }
  for (auto &p : parts) out.push_back(Value::string(std::move(p)));
  return Value::make_list(std::move(out));
}

std::string replace(const std::string &s, const std::string &old, const std::string &neu,
                    std::int64_t count) {
  std::string out;
  if (old.empty()) {
    // Python inserts `neu` between every character and at both ends.
    std::u32string u = utf8_decode(s);
    std::int64_t n = 0;
    for (std::size_t k = 0; k <= u.size(); ++k) {
      if (count < 0 || n < count) { out += neu; ++n; }
      if (k < u.size()) utf8_append(out, u[k]);
      check_size(out.size());
    }
    return out;
  }
  std::size_t k = 0;
  std::int64_t n = 0;
  while (true) {
    if (count >= 0 && n >= count) break;
    std::size_t f = find_sub(s, old, k);
    if (f == std::string::npos) break;
    out.append(s, k, f - k);
    out += neu;
    check_size(out.size());
    k = f + old.size();
    ++n;
  }
  out.append(s, k, std::string::npos);
  return out;
}

// Python str.title() (method) and capitalize().
bool is_cased_letter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= 0xc0 && c <= 0x24f && c != 0xd7 && c != 0xf7) ||
         (c >= 0x370 && c <= 0x3ff) || (c >= 0x400 && c <= 0x52f);
}
// Python's `\w` / isalnum() for one code point. Exact for ASCII and
// Latin-1; elsewhere an approximation without Unicode tables: letters and
// digits of all scripts count, the common punctuation, symbol, emoji,
// combining-mark and private-use blocks do not.
bool is_word_char(char32_t c) {
  if (c < 0x80) return std::isalnum((int)c) || c == '_';
  if (c <= 0xbf)
    return c == 0xaa || c == 0xb2 || c == 0xb3 || c == 0xb5 || c == 0xb9 || c == 0xba ||
           c == 0xbc || c == 0xbd || c == 0xbe;
  if (c == 0xd7 || c == 0xf7 || py_isspace(c)) return false;
  if ((c >= 0x300 && c <= 0x36f) || (c >= 0x2000 && c <= 0x206f) ||
      (c >= 0x20a0 && c <= 0x20ff) || (c >= 0x2190 && c <= 0x2bff) ||
      (c >= 0x2e00 && c <= 0x2e7f) || (c >= 0x3000 && c <= 0x3004) ||
      (c >= 0x3008 && c <= 0x3020) || c == 0x3030 || (c >= 0xfe00 && c <= 0xfe0f) ||
      (c >= 0xfe10 && c <= 0xfe1f) || (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) ||
      (c >= 0xff3b && c <= 0xff40 && c != 0xff3f) || (c >= 0xff5b && c <= 0xff65) ||
      (c >= 0xe000 && c <= 0xf8ff) || (c >= 0x1f000 && c <= 0x1faff) || c >= 0xf0000)
    return false;
  return true;
}
std::string one_upper(char32_t c) { std::string s; utf8_append(s, c); return py_upper(s); }
std::string one_lower(char32_t c) { std::string s; utf8_append(s, c); return py_lower(s); }

std::string py_title(const std::string &s) {
  std::string out;
  bool prev_cased = false;
  for (char32_t c : utf8_decode(s)) {
    if (is_cased_letter(c)) {
      out += prev_cased ? one_lower(c) : one_upper(c);
      prev_cased = true;
    } else {
      utf8_append(out, c);
      prev_cased = false;
    }
  }
  return out;
}

std::string py_capitalize(const std::string &s) {
  std::u32string u = utf8_decode(s);
  std::string out;
  for (std::size_t k = 0; k < u.size(); ++k) out += k ? one_lower(u[k]) : one_upper(u[k]);
  return out;
}

// jinja2's title filter: words start after whitespace, '-', '(', '{', '[', '<'.
std::string jinja_title(const std::string &s) {
  std::u32string u = utf8_decode(s);
  std::string out;
  bool start = true;
  for (char32_t c : u) {
    bool sep = py_isspace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (sep) { utf8_append(out, c); start = true; continue; }
    out += start ? one_upper(c) : one_lower(c);
    start = false;
  }
  return out;
}

std::int64_t py_find(const std::string &s, const std::string &sub, bool reverse) {
  std::size_t f = reverse ? rfind_sub(s, sub) : find_sub(s, sub);
  if (f == std::string::npos) return -1;
  return (std::int64_t)utf8_length(s.substr(0, f));
}

std::int64_t py_count(const std::string &s, const std::string &sub) {
  if (sub.empty()) return (std::int64_t)utf8_length(s) + 1;
  std::int64_t n = 0;
  for (std::size_t k = find_sub(s, sub); k != std::string::npos; k = find_sub(s, sub, k + sub.size())) ++n;
  return n;
}

bool affix_match(const std::string &s, const Value &affix, bool end) {
  auto one = [&](const Value &a) {
    std::string x = need_str(a, end ? "endswith" : "startswith");
    if (x.size() > s.size()) return false;
    return end ? s.compare(s.size() - x.size(), x.size(), x) == 0 : s.compare(0, x.size(), x) == 0;
  };
  if (affix.kind == Kind::Tuple) {
    for (const auto &a : *affix.list) if (one(a)) return true;
    return false;
  }
  return one(affix);
}

template <class Pred> bool all_chars(const std::string &s, Pred p) {
  std::u32string u = utf8_decode(s);
  if (u.empty()) return false;
  for (char32_t c : u) if (!p(c)) return false;
  return true;
}

std::string join_values(const ValueList &items, const std::string &sep) {
  std::string out;
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (k) out += sep;
    out += to_str(items[k]);
    check_size(out.size());
  }
  return out;
}

[[noreturn]] void unsafe(const std::string &name, const Value &obj) {
  throw EvalError("access to attribute '" + name + "' of '" + type_name(obj) +
                  "' object is unsafe (templates run in jinja2's immutable sandbox)");
}

Value method(const Value &obj, const std::string &name) {
  return Value::make_callable(name, [obj, name](CallArgs &a) -> Value {
    const char *n = name.c_str();
    if (obj.kind == Kind::String) {
      const std::string &s = obj.str();
      if (name == "strip" || name == "lstrip" || name == "rstrip") {
        a.check(n, 1, {"chars"});
        return Value::string(py_strip(s, a.get(0, "chars"), name != "rstrip", name != "lstrip"));
      }
      if (name == "split" || name == "rsplit") {
        a.check(n, 2, {"sep", "maxsplit"});
        const Value *ms = a.get(1, "maxsplit");
        return split(s, a.get(0, "sep"), ms ? need_int(*ms, n) : -1, name == "rsplit");
      }
      if (name == "splitlines") {
        a.check(n, 1, {"keepends"});
        bool keep = arg_bool(a, 0, "keepends", false);
        ValueList out;
        std::u32string u = utf8_decode(s);
        std::u32string line;
        for (std::size_t k = 0; k < u.size(); ++k) {
          char32_t c = u[k];
          bool br = c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c ||
                    c == 0x1d || c == 0x1e || c == 0x85 || c == 0x2028 || c == 0x2029;
          if (!br) { line += c; continue; }
          std::u32string end(1, c);
          if (c == '\r' && k + 1 < u.size() && u[k + 1] == '\n') { end += U'\n'; ++k; }
          if (keep) line += end;
          check_list_items(out.size() + 1);
          out.push_back(Value::string(utf8_encode(line)));
          line.clear();
        }
        if (!line.empty()) out.push_back(Value::string(utf8_encode(line)));
        return Value::make_list(std::move(out));
      }
      if (name == "startswith" || name == "endswith") {
        a.check(n, 1, {});
        if (a.args.empty()) type_error(name + "() takes at least 1 argument");
        return Value::boolean(affix_match(s, a.args[0], name == "endswith"));
      }
      if (name == "replace") {
        a.check(n, 3, {"count"});
        if (a.args.size() < 2) type_error("replace() takes at least 2 arguments");
        const Value *cnt = a.get(2, "count");
        return Value::string(replace(s, need_str(a.args[0], n), need_str(a.args[1], n),
                                     cnt ? need_int(*cnt, n) : -1));
      }
      if (name == "lower") { a.check(n, 0, {}); return Value::string(py_lower(s)); }
      if (name == "upper") { a.check(n, 0, {}); return Value::string(py_upper(s)); }
      if (name == "title") { a.check(n, 0, {}); return Value::string(py_title(s)); }
      if (name == "capitalize") { a.check(n, 0, {}); return Value::string(py_capitalize(s)); }
      if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
        a.check(n, 1, {});
        if (a.args.empty()) type_error(name + "() takes at least 1 argument");
        std::int64_t r = py_find(s, need_str(a.args[0], n), name[0] == 'r');
        if (r < 0 && name.find("index") != std::string::npos) type_error("substring not found");
        return Value::integer(r);
      }
      if (name == "count") {
        a.check(n, 1, {});
        if (a.args.empty()) type_error("count() takes at least 1 argument");
        return Value::integer(py_count(s, need_str(a.args[0], n)));
      }
      if (name == "join") {
        a.check(n, 1, {});
        if (a.args.empty()) type_error("join() takes exactly one argument");
        ValueList items = iterate(a.args[0]);
        for (const auto &it : items)
          if (!it.is_string()) type_error("sequence item: expected str instance, " +
                                          std::string(type_name(it)) + " found");
        return Value::string(join_values(items, s));
      }
      a.check(n, 0, {});
      if (name == "isdigit") return Value::boolean(all_chars(s, [](char32_t c) { return c >= '0' && c <= '9'; }));
      if (name == "isalpha") return Value::boolean(all_chars(s, [](char32_t c) { return is_word_char(c) && c != '_' && !(c >= '0' && c <= '9'); }));
      if (name == "isalnum") return Value::boolean(all_chars(s, [](char32_t c) { return is_word_char(c) && c != '_'; }));
      if (name == "isspace") return Value::boolean(all_chars(s, py_isspace));
      if (name == "islower") return Value::boolean(py_lower(s) == s && py_upper(s) != s);
      if (name == "isupper") return Value::boolean(py_upper(s) == s && py_lower(s) != s);
    } else if (obj.kind == Kind::Dict) {
      const DictData &d = *obj.dict;
      if (name == "items") {
        a.check(n, 0, {});
        ValueList out;
        for (const auto &kv : d.items) out.push_back(Value::make_tuple({kv.first, kv.second}));
        return Value::make_list(std::move(out));
      }
      if (name == "keys" || name == "values") {
        a.check(n, 0, {});
        ValueList out;
        for (const auto &kv : d.items) out.push_back(name == "keys" ? kv.first : kv.second);
        return Value::make_list(std::move(out));
      }
      if (name == "get") {
        a.check(n, 2, {});
        if (a.args.empty()) type_error("get expected at least 1 argument");
        require_hashable(a.args[0]); // Python hashes the key first
        const Value *v = d.find(a.args[0]);
        if (v) return *v;
        return a.args.size() > 1 ? a.args[1] : Value::none();
      }
    } else if (obj.kind == Kind::List || obj.kind == Kind::Tuple) {
      if (name == "index" || name == "count") {
        a.check(n, 1, {});
        if (a.args.empty()) type_error(name + "() takes exactly one argument");
        std::int64_t c = 0;
        for (std::size_t k = 0; k < obj.list->size(); ++k) {
          if (!equals((*obj.list)[k], a.args[0])) continue;
          if (name == "index") return Value::integer((std::int64_t)k);
          ++c;
        }
        if (name == "index") type_error("value is not in list");
        return Value::integer(c);
      }
    }
    unsafe(name, obj);
  });
}

bool is_method(const Value &obj, const std::string &name) {
  static const std::set<std::string> str_methods = {
      "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith",
      "endswith", "replace", "lower", "upper", "title", "capitalize", "find", "rfind",
      "index", "rindex", "count", "join", "isdigit", "isalpha", "isalnum", "isspace",
      "islower", "isupper"};
  static const std::set<std::string> dict_methods = {
      "items", "keys", "values", "get", "pop", "popitem", "update", "setdefault",
      "clear", "copy", "fromkeys"};
  static const std::set<std::string> list_methods = {
      "index", "count", "append", "extend", "insert", "pop", "remove", "clear",
      "sort", "reverse", "copy"};
  switch (obj.kind) {
  case Kind::String: return str_methods.count(name) != 0;
  case Kind::Dict: return dict_methods.count(name) != 0;
  case Kind::List: return list_methods.count(name) != 0;
  case Kind::Tuple: return name == "index" || name == "count";
  default: return false;
  }
}

std::string no_attr_hint(const Value &obj, const std::string &name) {
  return "'" + std::string(type_name(obj)) + " object' has no attribute '" + name + "'";
}

// make_attrgetter: "a.b.0" resolved with getitem semantics.
Value attr_path(const Value &item, const Value &attribute) {
  if (!attribute.is_string()) return get_item(item, attribute);
  Value cur = item;
  const std::string &path = attribute.str();
  std::size_t k = 0;
  while (true) {
    std::size_t e = path.find('.', k);
    std::string part = path.substr(k, e == std::string::npos ? std::string::npos : e - k);
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
    // strtoll saturates (a huge index is then out of range, as in Python).
    cur = get_item(cur, digits ? Value::integer(std::strtoll(part.c_str(), nullptr, 10))
                               : Value::string(part));
    if (e == std::string::npos) break;
    k = e + 1;
  }
  return cur;
}

// For sort/unique/min/max with case_sensitive=False.
Value fold_case(const Value &v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(py_lower(v.str()));
  return v;
}

ValueList sorted_values(ValueList items, bool reverse, bool case_sensitive,
                        const Value *attribute, bool list_keys) {
  // Python's sort is stable: ties keep their order (the index breaks them).
  // A key is its parts: do_sort's make_multi_attrgetter makes a list of one
  // per comma-separated attribute ('a,b' sorts by a, then b), compared in
  // Python's list order (== before <: items that all miss the attribute
  // keep their order); dictsort's is its key or value alone, compared
  // directly.
  std::vector<Value> parts;
  if (list_keys && attribute && attribute->is_string()) {
    const std::string &all = attribute->str();
    for (std::size_t k = 0, e; k <= all.size(); k = e + 1) {
      e = all.find(',', k);
      if (e == std::string::npos) e = all.size();
      parts.push_back(Value::string(all.substr(k, e - k)));
    }
  } else if (attribute) {
    parts.push_back(*attribute);
  }
  std::vector<std::pair<ValueList, std::size_t>> keyed;
  for (std::size_t k = 0; k < items.size(); ++k) {
    ValueList key;
    for (const Value &part : parts)
      key.push_back(fold_case(attr_path(items[k], part), case_sensitive));
    if (parts.empty())
      key.push_back(fold_case(items[k], case_sensitive));
    keyed.emplace_back(std::move(key), k);
  }
  // sort_compare is a total order (NaN sorts last), so with the index as the
  // tie-break the comparator is a strict weak ordering, as std::sort needs.
  std::sort(keyed.begin(), keyed.end(), [&](const auto &a, const auto &b) {
    int c = list_keys ? sort_compare_items(a.first, b.first)
                      : sort_compare(a.first.front(), b.first.front());
    if (reverse) c = -c;
    if (c != 0) return c < 0;
    return a.second < b.second;
  });
  ValueList out;
  for (auto &kv : keyed) out.push_back(items[kv.second]);
  return out;
}

std::string html_escape(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&#34;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

// A jinja2 generator filter: `start` is the generator's body up to its
// loop (argument checks, the source's iter()), run at the first pull as
// Python runs it, and returns the pull of the items (nothing: no items).
static Value lazy_generator(const char *function, int captured_depth,
                            std::function<PullFn()> start) {
  struct State {
    std::function<PullFn()> start;
    PullFn pull;
  };
  auto state = std::make_shared<State>(State{std::move(start), nullptr});
  return Value::make_iterator("generator", std::string("generator object ") + function,
                              captured_depth, [state](Value &out) {
                                if (state->start) {
                                  auto start = std::move(state->start);
                                  state->start = nullptr;
                                  state->pull = start();
                                }
                                return state->pull && state->pull(out);
                              });
}

// The deepest of a generator's source and a filter's arguments, which its
// pull holds.
static int captured_depth(const Value &source, const CallArgs &a) {
  int depth = source.depth;
  for (const Value &v : a.args) depth = std::max(depth, v.depth);
  for (const auto &kv : a.kwargs) depth = std::max(depth, kv.second.depth);
  return depth;
}

// select/reject/selectattr/rejectattr (jinja2's select_or_reject generator)
Value select_impl(const Value &seq, CallArgs &a, bool attr, bool keep_when) {
  return lazy_generator("select_or_reject", captured_depth(seq, a),
                        [seq, a, attr, keep_when]() -> PullFn {
    if (!truthy(seq)) return nullptr;
    std::size_t first_test = attr ? 1 : 0;
    Value attribute;
    if (attr) {
      if (a.args.empty()) type_error("selectattr/rejectattr need an attribute name");
      attribute = a.args[0];
    }
    std::string test;
    CallArgs targs;
    if (a.args.size() > first_test) {
      test = need_str(a.args[first_test], "select");
      if (!has_test(test)) type_error("No test named '" + test + "'");
      targs.args.assign(a.args.begin() + first_test + 1, a.args.end());
    }
    targs.kwargs = a.kwargs;
    PullFn source = pull_from(seq);
    return [=](Value &out) mutable {
      Value item;
      while (source(item)) {
        Value subject = attr ? attr_path(item, attribute) : item;
        bool ok = test.empty() ? truthy(subject) : apply_test(test, subject, targs);
        if (ok == keep_when) {
          out = std::move(item);
          return true;
        }
      }
      return false;
    };
  });
}

std::int64_t checked(bool overflow, std::int64_t v) {
  if (overflow) throw EvalError("integer overflow (values are limited to 64 bits)");
  return v;
}

// The overflow check runs before the result is read: as arguments of one
// call, `__builtin_*_overflow(.., &r)` and `r` are unsequenced (GCC reads r
// first).
std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  bool overflow = __builtin_add_overflow(a, b, &r);
  return checked(overflow, r);
}
std::int64_t checked_sub(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  bool overflow = __builtin_sub_overflow(a, b, &r);
  return checked(overflow, r);
}
std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  bool overflow = __builtin_mul_overflow(a, b, &r);
  return checked(overflow, r);
}


} // namespace

void undefined_error(const Value &v) {
  throw EvalError(v.undefined_hint.empty() ? "value is undefined"
                                           : v.undefined_hint);
}

/// Python's int(s, base) for a stripped string: an optional sign, digits
/// of `base` (2-36; 0: the prefix's, 0x / 0o / 0b, else decimal without
/// leading zeros), single underscores between digits or after a prefix.
/// False where Python raises ValueError; `overflow` past 64 bits.
bool parse_py_int(const std::string &s, std::int64_t base, std::int64_t &out,
                  bool &overflow) {
  charge_work(kCodePointWork * s.size());
  if (base != 0 && (base < 2 || base > 36)) return false;
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  auto prefix = [&](char letter) {
    return i + 1 < s.size() && s[i] == '0' &&
           std::tolower((unsigned char)s[i + 1]) == letter;
  };
  bool prefixed = false;
  for (auto [letter, b] : {std::pair<char, int>{'x', 16}, {'o', 8}, {'b', 2}})
    if ((base == 0 || base == b) && prefix(letter)) {
      base = b, i += 2, prefixed = true;
      break;
    }
  const bool zeroOnly = base == 0; // decimal by default: no leading zeros
  if (base == 0) base = 10;
  unsigned __int128 value = 0;
  bool digits = false, lastUnderscore = false, nonzero = false,
       leadingZero = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      if (lastUnderscore || (!digits && !prefixed)) return false;
      lastUnderscore = true;
      continue;
    }
    int d = std::isdigit((unsigned char)c) ? c - '0'
            : std::isalpha((unsigned char)c)
                ? std::tolower((unsigned char)c) - 'a' + 10
                : 99;
    if (d >= base) return false;
    if (!digits && d == 0) leadingZero = true;
    nonzero = nonzero || d != 0;
    digits = true;
    lastUnderscore = false;
    value = value * base + d;
    if (value > (unsigned __int128)INT64_MAX + 1) overflow = true, value = 0;
  }
  if (!digits || lastUnderscore) return false;
  if (zeroOnly && !prefixed && leadingZero && nonzero) return false;
  if (!overflow && !negative && value > (unsigned __int128)INT64_MAX)
    overflow = true;
  out = overflow ? 0
        : negative ? (std::int64_t)(0 - (std::uint64_t)value)
                   : (std::int64_t)value;
  return true;
}

/// Python's float(s) for a stripped string: decimal digits with single
/// underscores between them, a point, an exponent, or inf / infinity / nan
/// in any case, each after an optional sign (no hex). False where Python
/// raises ValueError.
bool parse_py_float(const std::string &s, double &out) {
  charge_work(kCodePointWork * s.size());
  std::size_t i = 0;
  std::string clean;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean += s[i++];
  std::string rest = s.substr(i);
  std::string lowered;
  for (char c : rest) lowered += (char)std::tolower((unsigned char)c);
  if (lowered == "inf" || lowered == "infinity" || lowered == "nan") {
    out = std::strtod((clean + lowered).c_str(), nullptr);
    return true;
  }
  // digitpart: digit (["_"] digit)*; returns the count of digits.
  auto digitpart = [&]() -> int {
    int count = 0;
    while (i < s.size()) {
      if (std::isdigit((unsigned char)s[i])) {
        clean += s[i++], ++count;
      } else if (s[i] == '_' && count && i + 1 < s.size() &&
                 std::isdigit((unsigned char)s[i + 1])) {
        ++i;
      } else {
        break;
      }
    }
    return count;
  };
  int mantissa = digitpart();
  if (i < s.size() && s[i] == '.') {
    clean += s[i++];
    mantissa += digitpart();
  }
  if (!mantissa) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    clean += s[i++];
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean += s[i++];
    if (!digitpart()) return false;
  }
  if (i != s.size()) return false;
  out = std::strtod(clean.c_str(), nullptr);
  return true;
}

// --- attribute / item access ------------------------------------------------
Value get_attr(const Value &obj, const std::string &name) {
  switch (obj.kind) {
  case Kind::Undefined: undefined_error(obj);
  case Kind::Namespace: {
    const Value *v = obj.ns->attrs.find(Value::string(name));
    return v ? *v : Value::undefined("'Namespace' object has no attribute '" + name + "'");
  }
  default: break;
  }
  if (is_method(obj, name)) return method(obj, name);
  if (obj.kind == Kind::Dict) {
    const Value *v = obj.dict->find(Value::string(name));
    if (v) return *v;
  }
  return Value::undefined(no_attr_hint(obj, name));
}

Value get_item(const Value &obj, const Value &key) {
  switch (obj.kind) {
  case Kind::Undefined: undefined_error(obj);
  case Kind::Dict: {
    const Value *v = obj.dict->find(key);
    if (v) return *v;
    break;
  }
  case Kind::List: case Kind::Tuple: case Kind::String: {
    if (!is_intlike(key)) break;
    std::int64_t i = as_int(key);
    if (obj.kind == Kind::String) {
      std::u32string u = utf8_decode(obj.str());
      std::int64_t n = (std::int64_t)u.size();
      if (i < 0) i += n;
      if (i < 0 || i >= n) return Value::undefined("string index out of range");
      std::string one;
      utf8_append(one, u[(std::size_t)i]);
      return Value::string(std::move(one));
    }
    std::int64_t n = (std::int64_t)obj.list->size();
    if (i < 0) i += n;
    if (i < 0 || i >= n)
      return Value::undefined(std::string(type_name(obj)) + " object has no element " +
                              std::to_string(as_int(key)));
    return (*obj.list)[(std::size_t)i];
  }
  case Kind::Namespace:
    if (key.is_string()) return get_attr(obj, key.str());
    break;
  default: break;
  }
  if (key.is_string()) return get_attr(obj, key.str());
  return Value::undefined(std::string("'") + type_name(obj) + " object' has no attribute '" +
                          to_str(key) + "'");
}

Value get_slice(const Value &obj, const Value *start, const Value *stop, const Value *step) {
  if (obj.is_undefined()) undefined_error(obj);
  // jinja2 slices with Python's own subscript (not environment.getitem):
  // None[1:], 7[::-1] or a non-integer bound is an error, as here.
  auto opt = [](const Value *v, const char *what) -> std::pair<bool, std::int64_t> {
    if (!v || v->is_none()) return {false, 0};
    return {true, need_int(*v, what)};
  };
  std::pair<bool, std::int64_t> step_v = opt(step, "slice step");
  const std::int64_t st = step_v.first ? step_v.second : 1;
  if (st == 0) type_error("slice step cannot be zero");
  std::u32string u;
  std::int64_t n;
  if (obj.kind == Kind::String) { u = utf8_decode(obj.str()); n = (std::int64_t)u.size(); }
  else if (obj.is_sequence_like()) n = (std::int64_t)obj.list->size();
  else type_error(std::string("'") + type_name(obj) + "' object is not subscriptable");
  auto norm = [&](std::pair<bool, std::int64_t> v, std::int64_t def) {
    if (!v.first) return def;
    std::int64_t x = v.second;
    if (x < 0) { x += n; if (x < 0) x = st < 0 ? -1 : 0; }
    else if (x >= n) x = st < 0 ? n - 1 : n;
    return x;
  };
  std::int64_t b = norm(opt(start, "slice start"), st < 0 ? n - 1 : 0);
  std::int64_t e = norm(opt(stop, "slice stop"), st < 0 ? -1 : n);
  // b and e lie in [-1, n]: the item count is computed without overflow
  // and the indices b + i*st (i < count) stay within [min(b,e), max(b,e)].
  const std::uint64_t mag = st > 0 ? (std::uint64_t)st : 0 - (std::uint64_t)st;
  std::uint64_t count = 0;
  if (st > 0 && b < e) count = ((std::uint64_t)(e - b) - 1) / mag + 1;
  if (st < 0 && b > e) count = ((std::uint64_t)(b - e) - 1) / mag + 1;
  auto index = [&](std::uint64_t i) {
    return (std::size_t)(st > 0 ? (std::uint64_t)b + i * mag : (std::uint64_t)b - i * mag);
  };
  if (obj.kind == Kind::String) {
    std::u32string r;
    r.reserve((std::size_t)count);
    for (std::uint64_t i = 0; i < count; ++i) r += u[index(i)];
    return Value::string(utf8_encode(r));
  }
  ValueList out;
  out.reserve((std::size_t)count);
  for (std::uint64_t i = 0; i < count; ++i) out.push_back((*obj.list)[index(i)]);
  return obj.kind == Kind::Tuple ? Value::make_tuple(std::move(out)) : Value::make_list(std::move(out));
}

// --- operators --------------------------------------------------------------
Value binary_op(const std::string &op, const Value &a, const Value &b) {
  if (op == "~") {
    std::string s = to_str(a);
    std::string t = to_str(b);
    check_size(s.size() + t.size());
    s += t;
    return Value::string(std::move(s));
  }
  if (a.is_undefined()) undefined_error(a);
  if (b.is_undefined()) undefined_error(b);
  bool nums = a.is_number() && b.is_number();
  bool ints = is_intlike(a) && is_intlike(b);
  if (op == "+") {
    if (ints) return Value::integer(checked_add(as_int(a), as_int(b)));
    if (nums) return Value::floating(as_double(a) + as_double(b));
    if (a.is_string() && b.is_string()) {
      check_size(a.str().size() + b.str().size());
      return Value::string(a.str() + b.str());
    }
    if ((a.kind == Kind::List && b.kind == Kind::List) || (a.kind == Kind::Tuple && b.kind == Kind::Tuple)) {
      check_list_items(a.list->size() + b.list->size());
      ValueList out;
      out.reserve(a.list->size() + b.list->size());
      out.insert(out.end(), a.list->begin(), a.list->end());
      out.insert(out.end(), b.list->begin(), b.list->end());
      return a.kind == Kind::List ? Value::make_list(std::move(out)) : Value::make_tuple(std::move(out));
    }
    if (a.is_string())
      type_error(std::string("can only concatenate str (not \"") + type_name(b) + "\") to str");
    if (a.kind == Kind::List)
      type_error(std::string("can only concatenate list (not \"") + type_name(b) + "\") to list");
    type_error(std::string("unsupported operand type(s) for +: '") + type_name(a) + "' and '" + type_name(b) + "'");
  }
  if (op == "-") {
    if (ints) return Value::integer(checked_sub(as_int(a), as_int(b)));
    if (nums) return Value::floating(as_double(a) - as_double(b));
  } else if (op == "*") {
    if (ints) return Value::integer(checked_mul(as_int(a), as_int(b)));
    if (nums) return Value::floating(as_double(a) * as_double(b));
    const Value *seq = nullptr, *cnt = nullptr;
    if (is_intlike(b) && (a.is_string() || a.is_sequence_like())) { seq = &a; cnt = &b; }
    if (is_intlike(a) && (b.is_string() || b.is_sequence_like())) { seq = &b; cnt = &a; }
    if (seq) {
      const std::uint64_t times = (std::uint64_t)std::max<std::int64_t>(0, as_int(*cnt));
      if (seq->is_string()) {
        const std::uint64_t len = seq->str().size();
        if (times == 0 || len == 0) return Value::string("");
        if (len > kMaxStringBytes / times) check_size(kMaxStringBytes + 1);
        const std::size_t total = (std::size_t)(len * times);
        charge_work(total); // before the work is done
        std::string out;
        out.reserve(total);
        out = seq->str();
        while (out.size() * 2 <= total) out.append(out); // doubling: memcpy speed
        out.append(out, 0, total - out.size());
        return Value::string(std::move(out));
      }
      const std::uint64_t len = seq->list->size();
      if (times == 0 || len == 0)
        return seq->kind == Kind::Tuple ? Value::make_tuple({}) : Value::make_list({});
      if (len > kMaxListItems / times) type_error("list repetition result is too large");
      charge_work(kItemWork * len * times);
      ValueList out;
      out.reserve((std::size_t)(len * times));
      for (std::uint64_t k = 0; k < times; ++k) out.insert(out.end(), seq->list->begin(), seq->list->end());
      return seq->kind == Kind::Tuple ? Value::make_tuple(std::move(out)) : Value::make_list(std::move(out));
    }
  } else if (op == "/") {
    if (nums) {
      if (as_double(b) == 0.0) type_error("division by zero");
      return Value::floating(as_double(a) / as_double(b));
    }
  } else if (op == "//" || op == "%") {
    if (ints) {
      std::int64_t x = as_int(a), y = as_int(b);
      if (y == 0) type_error("integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) checked(true, 0);
      std::int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) { q -= 1; m += y; }
      return Value::integer(op == "//" ? q : m);
    }
    if (nums) {
      double x = as_double(a), y = as_double(b);
      if (y == 0.0) type_error("float division by zero");
      // CPython float_divmod
      double m = std::fmod(x, y);
      double div = (x - m) / y;
      if (m != 0.0) {
        if ((y < 0) != (m < 0)) { m += y; div -= 1.0; }
      } else {
        m = std::copysign(0.0, y);
      }
      double fd;
      if (div != 0.0) {
        fd = std::floor(div);
        if (div - fd > 0.5) fd += 1.0;
      } else {
        fd = std::copysign(0.0, x / y);
      }
      return Value::floating(op == "%" ? m : fd);
    }
    if (op == "%" && a.is_string())
      type_error("unsupported construct: '%' string formatting");
  } else if (op == "**") {
    if (ints && as_int(b) >= 0) {
      std::int64_t base = as_int(a), e = as_int(b), acc = 1;
      while (e > 0) {
        if (e & 1) acc = checked_mul(acc, base);
        e >>= 1;
        if (e) base = checked_mul(base, base);
      }
      return Value::integer(acc);
    }
    if (nums) {
      const double x = as_double(a), y = as_double(b);
      if (x == 0.0 && y < 0) type_error("0.0 cannot be raised to a negative power");
      // Python: a negative number to a fractional power is complex, and a
      // finite power too large for a float an OverflowError.
      if (x < 0 && std::isfinite(x) && std::isfinite(y) && y != std::floor(y))
        type_error("unsupported: a negative number to a fractional power is complex");
      const double r = std::pow(x, y);
      if (std::isinf(r) && std::isfinite(x) && std::isfinite(y))
        type_error("(34, 'Numerical result out of range')");
      return Value::floating(r);
    }
  }
  type_error("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" +
             type_name(b) + "'");
}

Value negate(const Value &v, bool minus) {
  if (v.is_undefined()) undefined_error(v);
  if (is_intlike(v)) {
    if (!minus) return Value::integer(as_int(v));
    if (as_int(v) == INT64_MIN) checked(true, 0);
    return Value::integer(-as_int(v));
  }
  if (v.kind == Kind::Float) return Value::floating(minus ? -v.f : v.f);
  type_error(std::string("bad operand type for unary ") + (minus ? "-" : "+") + ": '" +
             type_name(v) + "'");
}

bool compare_op(const std::string &op, const Value &a, const Value &b) {
  if (op == "==") return equals(a, b);
  if (op == "!=") return !equals(a, b);
  if (op == "in" || op == "notin") {
    bool r;
    switch (b.kind) {
    case Kind::Undefined: r = false; break;
    case Kind::String:
      if (!a.is_string())
        type_error(std::string("'in <string>' requires string as left operand, not ") + type_name(a));
      r = find_sub(b.str(), a.str()) != std::string::npos;
      break;
    case Kind::List: case Kind::Tuple:
      r = std::any_of(b.list->begin(), b.list->end(), [&](const Value &x) { return equals(x, a); });
      break;
    case Kind::Dict: require_hashable(a); r = b.dict->find(a) != nullptr; break;
    case Kind::Iterator: { // consumes up to the match, as Python's does
      Value x;
      r = false;
      while (!r && next_item(b, x)) r = equals(x, a);
      break;
    }
    default:
      type_error(std::string("argument of type '") + type_name(b) + "' is not iterable");
    }
    return op == "in" ? r : !r;
  }
  if (a.is_undefined()) undefined_error(a);
  if (b.is_undefined()) undefined_error(b);
  if (op == "<") return less(a, b);
  if (op == ">") return less(b, a);
  if (op == "<=") return less(a, b) || equals(a, b);
  if (op == ">=") return less(b, a) || equals(a, b);
  type_error("unknown comparison " + op);
}

// --- tests ------------------------------------------------------------------
static const std::set<std::string> kTests = {
    "defined", "undefined", "none", "boolean", "true", "false", "integer", "float",
    "number", "string", "mapping", "iterable", "sequence", "callable", "sameas",
    "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt",
    "greaterthan", ">", "ge", ">=", "in", "odd", "even", "divisibleby", "lower",
    "upper", "escaped", "filter", "test"};

bool has_test(const std::string &name) { return kTests.count(name) != 0; }

bool apply_test(const std::string &name, const Value &v, CallArgs &a) {
  auto arg = [&](const char *what) -> const Value & {
    if (a.args.empty()) type_error(std::string("test '") + what + "' needs an argument");
    return a.args[0];
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.kind == Kind::Bool;
  if (name == "true") return v.kind == Kind::Bool && v.b;
  if (name == "false") return v.kind == Kind::Bool && !v.b;
  if (name == "integer") return v.kind == Kind::Int;
  if (name == "float") return v.kind == Kind::Float;
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.kind == Kind::Dict;
  if (name == "iterable")
    return v.is_undefined() || v.is_string() || v.is_sequence_like() || v.kind == Kind::Dict ||
           v.kind == Kind::Iterator;
  // Undefined has __len__, __getitem__ and __call__ in jinja2.
  if (name == "sequence")
    return v.is_undefined() || v.is_string() || v.is_sequence_like() || v.kind == Kind::Dict;
  if (name == "callable") return v.is_undefined() || v.kind == Kind::Callable;
  if (name == "sameas") {
    const Value &o = arg("sameas");
    if (v.kind != o.kind) return false;
    switch (v.kind) {
    case Kind::None: case Kind::Undefined: return true;
    case Kind::Bool: return v.b == o.b;
    case Kind::Int: return v.i == o.i && v.i >= -5 && v.i <= 256; // CPython small ints
    case Kind::String: return v.s == o.s;
    case Kind::List: case Kind::Tuple: return v.list == o.list;
    case Kind::Dict: return v.dict == o.dict;
    case Kind::Namespace: return v.ns == o.ns;
    case Kind::Callable: return v.fn == o.fn;
    case Kind::Iterator: return v.iter == o.iter;
    default: return false;
    }
  }
  if (name == "eq" || name == "equalto" || name == "==") return compare_op("==", v, arg("eq"));
  if (name == "ne" || name == "!=") return compare_op("!=", v, arg("ne"));
  if (name == "lt" || name == "lessthan" || name == "<") return compare_op("<", v, arg("lt"));
  if (name == "le" || name == "<=") return compare_op("<=", v, arg("le"));
  if (name == "gt" || name == "greaterthan" || name == ">") return compare_op(">", v, arg("gt"));
  if (name == "ge" || name == ">=") return compare_op(">=", v, arg("ge"));
  if (name == "in") return compare_op("in", v, arg("in"));
  // jinja2: value % 2 == 1, value % 2 == 0, value % num == 0, with
  // Python's % (floats too: 2.0 is even, 1.5 neither).
  if (name == "odd") return compare_op("==", binary_op("%", v, Value::integer(2)), Value::integer(1));
  if (name == "even") return compare_op("==", binary_op("%", v, Value::integer(2)), Value::integer(0));
  if (name == "divisibleby")
    return compare_op("==", binary_op("%", v, arg("divisibleby")), Value::integer(0));
  // str.islower() / str.isupper(): at least one cased character.
  if (name == "lower") {
    const std::string t = to_str(v);
    return py_lower(t) == t && py_upper(t) != t;
  }
  if (name == "upper") {
    const std::string t = to_str(v);
    return py_upper(t) == t && py_lower(t) != t;
  }
  if (name == "escaped") return false;
  if (name == "filter") return v.is_string() && has_filter(v.str());
  if (name == "test") return v.is_string() && has_test(v.str());
  type_error("No test named '" + name + "'");
}

// --- filters ----------------------------------------------------------------
static const std::set<std::string> kFilters = {
    "abs", "attr", "capitalize", "center", "count", "d", "default", "dictsort", "e",
    "escape", "first", "float", "forceescape", "indent", "int", "items", "join",
    "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr",
    "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string",
    "sum", "title", "tojson", "trim", "unique", "upper", "wordcount"};

bool has_filter(const std::string &name) { return kFilters.count(name) != 0; }

Value apply_filter(const std::string &name, const Value &v, CallArgs &a) {
  const char *n = name.c_str();
  if (name == "default" || name == "d") {
    a.check(n, 2, {"default_value", "boolean"});
    const Value *dv = a.get(0, "default_value");
    bool boolean = arg_bool(a, 1, "boolean", false);
    if (v.is_undefined() || (boolean && !truthy(v))) return dv ? *dv : Value::string("");
    return v;
  }
  if (name == "length" || name == "count") { a.check(n, 0, {}); return Value::integer(length(v)); }
  if (name == "string" || name == "safe") { a.check(n, 0, {}); return v.is_string() ? v : Value::string(to_str(v)); }
  if (name == "trim") {
    a.check(n, 1, {"chars"});
    return Value::string(py_strip(to_str(v), a.get(0, "chars"), true, true));
  }
  if (name == "lower") { a.check(n, 0, {}); return Value::string(py_lower(to_str(v))); }
  if (name == "upper") { a.check(n, 0, {}); return Value::string(py_upper(to_str(v))); }
  if (name == "capitalize") { a.check(n, 0, {}); return Value::string(py_capitalize(to_str(v))); }
  if (name == "title") { a.check(n, 0, {}); return Value::string(jinja_title(to_str(v))); }
  if (name == "escape" || name == "e" || name == "forceescape") {
    a.check(n, 0, {});
    return Value::string(html_escape(to_str(v)));
  }
  if (name == "replace") {
    a.check(n, 3, {"old", "new", "count"});
    const Value *o = a.get(0, "old"), *w = a.get(1, "new"), *c = a.get(2, "count");
    if (!o || !w) type_error("replace needs old and new");
    return Value::string(replace(to_str(v), to_str(*o), to_str(*w), c && !c->is_none() ? need_int(*c, n) : -1));
  }
  if (name == "join") {
    a.check(n, 2, {"d", "attribute"});
    const Value *d = a.get(0, "d");
    const Value *attr = a.get(1, "attribute");
    ValueList items = iterate(v);
    if (attr) for (auto &it : items) it = attr_path(it, *attr);
    return Value::string(join_values(items, d ? to_str(*d) : ""));
  }
  if (name == "first") { // sync_do_first: the first item iterating gives
    a.check(n, 0, {});
    Value item;
    if (pull_from(v)(item)) return item;
    return Value::undefined("No first item, sequence was empty.");
  }
  if (name == "last") { // do_last: next(iter(reversed(seq)))
    a.check(n, 0, {});
    if (v.kind == Kind::Iterator) type_error("'" + v.iter->type + "' object is not reversible");
    ValueList items = iterate(v);
    if (items.empty()) return Value::undefined("No last item, sequence was empty.");
    return items.back();
  }
  if (name == "list") { a.check(n, 0, {}); return Value::make_list(iterate(v)); }
  if (name == "reverse") {
    a.check(n, 0, {});
    if (v.is_string()) {
      std::u32string u = utf8_decode(v.str());
      std::reverse(u.begin(), u.end());
      return Value::string(utf8_encode(u));
    }
    ValueList items = iterate(v);
    std::reverse(items.begin(), items.end());
    // do_reverse: reversed(value) where Python has it, else a reversed list
    // (an iterator's items).
    const char *type = v.kind == Kind::List    ? "list_reverseiterator"
                       : v.kind == Kind::Dict  ? "dict_reversekeyiterator"
                       : v.kind == Kind::Tuple || v.is_undefined() ? "reversed"
                                                                   : nullptr;
    if (!type) return Value::make_list(std::move(items));
    return Value::make_iterator(type, std::string(type) + " object", v.depth,
                                pull_from(Value::make_list(std::move(items))));
  }
  if (name == "items") { // do_items, a generator
    a.check(n, 0, {});
    return lazy_generator("do_items", v.depth, [v]() -> PullFn {
      if (v.is_undefined()) return nullptr;
      if (v.kind != Kind::Dict) type_error("Can only get item pairs from a mapping.");
      CallArgs none;
      return pull_from(get_attr(v, "items").fn->call(none));
    });
  }
  if (name == "dictsort") {
    a.check(n, 3, {"case_sensitive", "by", "reverse"});
    if (v.kind != Kind::Dict) type_error("dictsort expects a mapping");
    bool cs = arg_bool(a, 0, "case_sensitive", false);
    const Value *by = a.get(1, "by");
    bool rev = arg_bool(a, 2, "reverse", false);
    int pos = 0;
    if (by && by->is_string() && by->str() == "value") pos = 1;
    else if (by && !(by->is_string() && by->str() == "key")) type_error("You can only sort by either \"key\" or \"value\"");
    Value idx = Value::integer(pos);
    CallArgs none;
    ValueList items = iterate(get_attr(v, "items").fn->call(none));
    return Value::make_list(sorted_values(std::move(items), rev, cs, &idx, false));
  }
  if (name == "sort") {
    a.check(n, 3, {"reverse", "case_sensitive", "attribute"});
    return Value::make_list(sorted_values(iterate(v), arg_bool(a, 0, "reverse", false),
                                          arg_bool(a, 1, "case_sensitive", false),
                                          a.get(2, "attribute"), true));
  }
  if (name == "unique") { // do_unique, a generator
    a.check(n, 0, {"case_sensitive", "attribute"});
    bool cs = arg_bool(a, 99, "case_sensitive", false);
    const Value *attrp = a.get(99, "attribute");
    std::optional<Value> attr = attrp ? std::optional<Value>(*attrp) : std::nullopt;
    return lazy_generator("sync_do_unique", captured_depth(v, a), [v, cs, attr]() -> PullFn {
      PullFn source = pull_from(v);
      auto seen = std::make_shared<ValueList>();
      return [source, seen, cs, attr](Value &out) mutable {
        Value it;
        while (source(it)) {
          Value key = fold_case(attr ? attr_path(it, *attr) : it, cs);
          require_hashable(key); // do_unique keeps a set
          if (std::any_of(seen->begin(), seen->end(),
                          [&](const Value &s) { return equals(s, key); }))
            continue;
          check_list_items(seen->size() + 1);
          seen->push_back(std::move(key));
          out = std::move(it);
          return true;
        }
        return false;
      };
    });
  }
  if (name == "min" || name == "max") {
    a.check(n, 0, {"case_sensitive", "attribute"});
    bool cs = arg_bool(a, 99, "case_sensitive", false);
    const Value *attr = a.get(99, "attribute");
    ValueList items = iterate(v);
    if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
    std::size_t best = 0;
    for (std::size_t k = 1; k < items.size(); ++k) {
      Value kb = fold_case(attr ? attr_path(items[best], *attr) : items[best], cs);
      Value kk = fold_case(attr ? attr_path(items[k], *attr) : items[k], cs);
      if (name == "min" ? less(kk, kb) : less(kb, kk)) best = k;
    }
    return items[best];
  }
  if (name == "sum") {
    a.check(n, 2, {"attribute", "start"});
    const Value *attr = a.get(0, "attribute");
    const Value *start = a.get(1, "start");
    Value acc = start ? *start : Value::integer(0);
    for (const auto &it : iterate(v)) acc = binary_op("+", acc, attr ? attr_path(it, *attr) : it);
    return acc;
  }
  if (name == "map") { // sync_do_map, a generator
    return lazy_generator("sync_do_map", captured_depth(v, a), [v, a]() -> PullFn {
      if (!truthy(v)) return nullptr;
      PullFn source;
      const Value *attr = nullptr;
      for (const auto &kv : a.kwargs) if (kv.first == "attribute") attr = &kv.second;
      if (attr) {
        const Value *def = nullptr;
        for (const auto &kv : a.kwargs) {
          if (kv.first == "default") def = &kv.second;
          else if (kv.first != "attribute") type_error("Unexpected keyword argument '" + kv.first + "'");
        }
        Value attribute = *attr;
        std::optional<Value> dflt = def ? std::optional<Value>(*def) : std::nullopt;
        source = pull_from(v);
        return [source, attribute, dflt](Value &out) mutable {
          Value it;
          if (!source(it)) return false;
          Value x = attr_path(it, attribute);
          out = x.is_undefined() && dflt ? *dflt : x;
          return true;
        };
      }
      if (a.args.empty()) type_error("map requires a filter argument");
      std::string f = need_str(a.args[0], "map");
      if (!has_filter(f)) type_error("No filter named '" + f + "'");
      CallArgs fa;
      fa.args.assign(a.args.begin() + 1, a.args.end());
      fa.kwargs = a.kwargs;
      source = pull_from(v);
      return [source, f, fa](Value &out) mutable {
        Value it;
        if (!source(it)) return false;
        out = apply_filter(f, it, fa);
        return true;
      };
    });
  }
  if (name == "select") return select_impl(v, a, false, true);
  if (name == "reject") return select_impl(v, a, false, false);
  if (name == "selectattr") return select_impl(v, a, true, true);
  if (name == "rejectattr") return select_impl(v, a, true, false);
  if (name == "attr") {
    a.check(n, 1, {});
    if (a.args.empty()) type_error("attr needs a name");
    return get_attr(v, need_str(a.args[0], "attr"));
  }
  if (name == "int") {
    a.check(n, 2, {"default", "base"});
    if (v.is_undefined()) undefined_error(v); // int(Undefined) fails in jinja2
    const Value *def = a.get(0, "default");
    const Value *basev = a.get(1, "base");
    Value dflt = def ? *def : Value::integer(0);
    if (is_intlike(v)) return Value::integer(as_int(v));
    // Python's int has no bound; one past 64 bits is an error here, not
    // the default (which jinja2 returns only for what int() refuses: text
    // that is no number, or names NaN or an infinity).
    auto too_big = [&](const std::string &what) -> Value {
      throw EvalError("int: " + what + " does not fit in a 64-bit integer");
    };
    if (v.kind == Kind::Float) {
      if (std::isnan(v.f)) return dflt;
      if (!std::isfinite(v.f) || std::fabs(v.f) >= 9.2e18) return too_big(to_str(v));
      return Value::integer((std::int64_t)std::trunc(v.f));
    }
    if (v.is_string()) {
      // Python: int(s, base), else int(float(s)) (jinja2's do_int).
      const std::string s = py_strip(v.str(), nullptr, true, true);
      std::int64_t base = basev ? need_int(*basev, n) : 10;
      bool overflow = false;
      std::int64_t r = 0;
      if (parse_py_int(s, base, r, overflow)) {
        if (overflow) return too_big(nhc::quoteForMessage(s, '\''));
        return Value::integer(r);
      }
      // jinja2 3.1 catches int(float(s))'s OverflowError: "inf"|int is
      // the default, as "nan"|int is (an inf value raises, above).
      double d = 0.0;
      if (parse_py_float(s, d) && std::isfinite(d)) {
        if (std::fabs(d) >= 9.2e18) return too_big(nhc::quoteForMessage(s, '\''));
        return Value::integer((std::int64_t)std::trunc(d));
      }
    }
    return dflt;
  }
  if (name == "float") {
    a.check(n, 1, {"default"});
    if (v.is_undefined()) undefined_error(v); // float(Undefined) fails in jinja2
    const Value *def = a.get(0, "default");
    if (v.is_number()) return Value::floating(as_double(v));
    if (v.is_string()) {
      double d = 0.0;
      if (parse_py_float(py_strip(v.str(), nullptr, true, true), d))
        return Value::floating(d);
    }
    return def ? *def : Value::floating(0.0);
  }
  if (name == "abs") {
    a.check(n, 0, {});
    if (is_intlike(v)) return negate(v, as_int(v) < 0);
    if (v.kind == Kind::Float) return Value::floating(std::fabs(v.f));
    type_error(std::string("bad operand type for abs(): '") + type_name(v) + "'");
  }
  if (name == "round") {
    a.check(n, 2, {"precision", "method"});
    const Value *p = a.get(0, "precision");
    const Value *m = a.get(1, "method");
    std::int64_t prec = p ? need_int(*p, n) : 0;
    std::string method = m ? need_str(*m, n) : "common";
    if (!v.is_number()) type_error("round expects a number");
    if (method == "common")
      return is_intlike(v) ? Value::integer(python_round_int(as_int(v), prec))
                           : Value::floating(python_round_float(v.f, prec));
    if (method != "ceil" && method != "floor")
      type_error("method must be 'common', 'ceil' or 'floor'");
    if (prec > 308 || prec < -308) {
      // jinja2 multiplies by 10 ** precision: an OverflowError in Python.
      throw EvalError("round: precision " + std::to_string(prec) + " is out of range for '" +
                      method + "'");
    }
    double x = as_double(v);
    double scale = std::pow(10.0, (double)prec);
    double r = method == "ceil" ? std::ceil(x * scale) / scale
                                : std::floor(x * scale) / scale;
    return Value::floating(r);
  }
  if (name == "tojson") {
    a.check(n, 1, {"ensure_ascii", "indent", "separators", "sort_keys"});
    JsonOptions o;
    o.ensure_ascii = false;
    for (const auto &kv : a.kwargs) {
      if (kv.first == "ensure_ascii") o.ensure_ascii = truthy(kv.second);
      if (kv.first == "sort_keys") o.sort_keys = truthy(kv.second);
    }
    const Value *ind = a.get(0, "indent");
    if (ind && !ind->is_none()) {
      o.has_indent = true;
      if (ind->is_string()) o.indent = ind->str();
      else {
        // The indent repeats per nesting level before the result's size is
        // checked: a bound, said rather than applied silently.
        std::int64_t width = std::max<std::int64_t>(0, need_int(*ind, n));
        if (width > 1024)
          throw EvalError("tojson: indent " + std::to_string(width) + " is above nhc's limit of 1024");
        o.indent = std::string((std::size_t)width, ' ');
      }
    }
    for (const auto &kv : a.kwargs) {
      if (kv.first != "separators" || kv.second.is_none()) continue;
      if (!kv.second.is_sequence_like() || kv.second.list->size() != 2)
        type_error("tojson separators must be a pair of strings");
      o.has_separators = true;
      o.item_sep = need_str((*kv.second.list)[0], n);
      o.key_sep = need_str((*kv.second.list)[1], n);
    }
    std::string s = to_json(v, o);
    check_size(s.size());
    return Value::string(std::move(s));
  }
  if (name == "indent") {
    a.check(n, 3, {"width", "first", "blank"});
    // jinja2's indent appends "\n" to its input: a string only.
    if (v.is_undefined()) undefined_error(v);
    if (!v.is_string())
      type_error(std::string("unsupported operand type(s) for +=: '") + type_name(v) +
                 "' and 'str'");
    const Value *w = a.get(0, "width");
    std::string pad = "    ";
    if (w && w->is_string()) {
      pad = w->str();
    } else if (w) {
      std::int64_t width = std::max<std::int64_t>(0, need_int(*w, n));
      check_size((std::size_t)std::min<std::int64_t>(width, (std::int64_t)kMaxStringBytes + 1));
      pad = std::string((std::size_t)width, ' ');
    }
    bool first = arg_bool(a, 1, "first", false), blank = arg_bool(a, 2, "blank", false);
    std::string s = to_str(v) ;
    // jinja2: s += "\n"; lines = s.splitlines(); join with "\n" + pad, skipping blank lines unless blank
    Value lines_v = method(Value::string(s + "\n"), "splitlines").fn->call(*std::make_unique<CallArgs>());
    const ValueList &lines = *lines_v.list;
    std::string out;
    for (std::size_t k = 0; k < lines.size(); ++k) {
      const std::string &line = lines[k].str();
      if (k == 0) { out += line; continue; }
      out += "\n";
      if (blank || !line.empty()) out += pad;
      out += line;
      check_size(out.size());
    }
    if (first) out = pad + out;
    return Value::string(out);
  }
  if (name == "center") {
    a.check(n, 1, {"width"});
    const Value *w = a.get(0, "width");
    std::int64_t width = w ? need_int(*w, n) : 80;
    std::string s = to_str(v);
    std::int64_t len = (std::int64_t)utf8_length(s);
    if (width <= len) return Value::string(s);
    check_size((std::size_t)std::min<std::int64_t>(width - len, (std::int64_t)kMaxStringBytes + 1) + s.size());
    std::int64_t marg = width - len;
    std::int64_t left = marg / 2 + (marg & width & 1);
    return Value::string(std::string((std::size_t)left, ' ') + s + std::string((std::size_t)(marg - left), ' '));
  }
  if (name == "wordcount") {
    a.check(n, 0, {});
    std::int64_t c = 0;
    bool in_word = false;
    for (char32_t ch : utf8_decode(to_str(v))) {
      bool w = is_word_char(ch);
      if (w && !in_word) ++c;
      in_word = w;
    }
    return Value::integer(c);
  }
  type_error("No filter named '" + name + "'");
}

} // namespace nhc::text::tpl
