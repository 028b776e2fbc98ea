// nhc chat template: Python semantics of the value model (truthiness, str,
// repr, ==, <, len, iteration, json.dumps) and UTF-8 helpers.
#include "value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nhc::text::tpl {

// --- resource bounds ----------------------------------------------------------
namespace {
thread_local WorkMeter *g_meter = nullptr;
} // namespace

WorkMeter::WorkMeter(std::uint64_t l) : limit(l), saved_(g_meter) { g_meter = this; }
WorkMeter::~WorkMeter() { g_meter = saved_; }

void charge_work(std::uint64_t units) {
  WorkMeter *m = g_meter;
  if (!m) return;
  m->used += units;
  if (m->used > m->limit)
    throw EvalError("template evaluation exceeded the work limit of " +
                    std::to_string(m->limit) +
                    " units (bytes copied or scanned, items built or compared)");
}

void check_string_size(std::size_t n) {
  if (n > kMaxStringBytes)
    throw EvalError("result is larger than the " + std::to_string(kMaxStringBytes >> 20) +
                    " MiB string limit");
}

void check_list_items(std::size_t n) {
  if (n > kMaxListItems)
    throw EvalError("result has more than the " + std::to_string(kMaxListItems) +
                    " items a list may hold");
}

static int container_depth(const ValueList &items) {
  int d = 0;
  for (const auto &v : items) d = std::max(d, v.depth);
  if (d + 1 > kMaxValueDepth)
    throw EvalError("values nested deeper than " + std::to_string(kMaxValueDepth) + " levels");
  return d + 1;
}

Value Value::undefined(std::string hint) {
  Value v;
  v.kind = Kind::Undefined;
  v.undefined_hint = std::move(hint);
  return v;
}
Value Value::none() { Value v; v.kind = Kind::None; return v; }
Value Value::boolean(bool x) { Value v; v.kind = Kind::Bool; v.b = x; return v; }
Value Value::integer(std::int64_t x) { Value v; v.kind = Kind::Int; v.i = x; return v; }
Value Value::floating(double x) { Value v; v.kind = Kind::Float; v.f = x; return v; }
Value Value::string(std::string x) {
  check_string_size(x.size());
  charge_work(x.size());
  Value v;
  v.kind = Kind::String;
  v.s = std::make_shared<const std::string>(std::move(x));
  return v;
}
Value Value::make_list(ValueList x) {
  check_list_items(x.size());
  charge_work(kItemWork * x.size());
  Value v;
  v.kind = Kind::List;
  v.depth = container_depth(x);
  v.list = std::make_shared<const ValueList>(std::move(x));
  return v;
}
Value Value::make_tuple(ValueList x) {
  Value v = make_list(std::move(x));
  v.kind = Kind::Tuple;
  return v;
}
Value Value::make_dict(DictData d, bool charge) {
  check_list_items(d.items.size());
  if (charge) charge_work(2 * kItemWork * d.items.size());
  int depth = 0;
  for (const auto &kv : d.items) depth = std::max({depth, kv.first.depth, kv.second.depth});
  if (depth + 1 > kMaxValueDepth)
    throw EvalError("values nested deeper than " + std::to_string(kMaxValueDepth) + " levels");
  Value v;
  v.kind = Kind::Dict;
  v.depth = depth + 1;
  v.dict = std::make_shared<const DictData>(std::move(d));
  return v;
}
Value Value::make_callable(std::string name,
                           std::function<Value(CallArgs &)> fn) {
  Value v;
  v.kind = Kind::Callable;
  v.fn = std::make_shared<const Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

Value Value::make_iterator(std::string type, std::string shown, int captured_depth,
                           PullFn pull) {
  if (captured_depth + 1 > kMaxValueDepth)
    throw EvalError("iterators chained deeper than " + std::to_string(kMaxValueDepth) +
                    " levels");
  Value v;
  v.kind = Kind::Iterator;
  v.depth = captured_depth + 1;
  v.iter = std::make_shared<IteratorData>();
  v.iter->type = std::move(type);
  v.iter->shown = std::move(shown);
  v.iter->pull = std::move(pull);
  return v;
}

namespace {
/// Pulls in progress on this thread: a pull may pull another iterator (a
/// chain, or one reached through a namespace that make_iterator's depth
/// does not see), each a few stack frames deep.
thread_local int pullDepth = 0;
constexpr int kMaxPullDepth = 2 * kMaxValueDepth;
} // namespace

bool next_item(const Value &it, Value &out) {
  IteratorData &d = *it.iter;
  if (d.exhausted) return false;
  if (d.running) throw EvalError(d.type + " already executing");
  if (pullDepth >= kMaxPullDepth)
    throw EvalError("iterators nested deeper than " + std::to_string(kMaxPullDepth) +
                    " levels");
  charge_work(kItemWork); // per pull at every level of a chain
  d.running = true;
  ++pullDepth;
  bool got;
  try {
    got = d.pull(out);
  } catch (...) {
    // Python: a generator that raised is finished.
    --pullDepth;
    d.running = false;
    d.exhausted = true;
    throw;
  }
  --pullDepth;
  d.running = false;
  if (!got) {
    d.exhausted = true;
    d.pull = nullptr; // lets go of its source
  }
  return got;
}

PullFn pull_from(const Value &v) {
  if (v.kind == Kind::Iterator)
    return [v](Value &out) { return next_item(v, out); };
  auto at = std::make_shared<std::size_t>(0);
  if (v.kind == Kind::Dict) { // its keys, shared (dicts are immutable)
    std::shared_ptr<const DictData> dict = v.dict;
    return [dict, at](Value &out) {
      if (*at >= dict->items.size()) return false;
      charge_work(kItemWork);
      out = dict->items[(*at)++].first;
      return true;
    };
  }
  // A list's or tuple's items shared (immutable: nothing copied); a
  // string's characters (decoding charged); nothing for undefined.
  std::shared_ptr<const ValueList> items =
      v.is_sequence_like() ? v.list : std::make_shared<const ValueList>(iterate(v));
  return [items, at](Value &out) {
    if (*at >= items->size()) return false;
    charge_work(kItemWork);
    out = (*items)[(*at)++];
    return true;
  };
}

const Value *DictData::find(const Value &key) const {
  for (const auto &kv : items)
    if (equals(kv.first, key)) return &kv.second;
  return nullptr;
}

void require_hashable(const Value &v) {
  switch (v.kind) {
  case Kind::List: case Kind::Dict:
    throw EvalError(std::string("unhashable type: '") + type_name(v) + "'");
  case Kind::Tuple:
    for (const Value &item : *v.list) require_hashable(item);
    return;
  default: return; // Undefined, namespaces, functions, iterators: by identity
  }
}

void DictData::set(Value key, Value value) {
  require_hashable(key);
  for (auto &kv : items)
    if (equals(kv.first, key)) { kv.second = std::move(value); return; }
  items.emplace_back(std::move(key), std::move(value));
}

const Value *CallArgs::get(std::size_t pos, const char *name) const {
  if (pos < args.size()) return &args[pos];
  for (const auto &kv : kwargs)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

void CallArgs::check(const char *what, std::size_t max_pos,
                     std::initializer_list<const char *> allowed) const {
  if (args.size() > max_pos)
    throw EvalError(std::string(what) + "() takes at most " +
                    std::to_string(max_pos) + " positional argument(s), " +
                    std::to_string(args.size()) + " given");
  for (const auto &kv : kwargs) {
    bool ok = false;
    for (const char *a : allowed) ok = ok || kv.first == a;
    if (!ok)
      throw EvalError(std::string(what) + "() got an unexpected keyword argument '" +
                      kv.first + "'");
  }
}

bool truthy(const Value &v) {
  switch (v.kind) {
  case Kind::Undefined: case Kind::None: return false;
  case Kind::Bool: return v.b;
  case Kind::Int: return v.i != 0;
  case Kind::Float: return v.f != 0.0;
  case Kind::String: return !v.s->empty();
  case Kind::List: case Kind::Tuple: return !v.list->empty();
  case Kind::Dict: return !v.dict->items.empty();
  case Kind::Namespace: case Kind::Callable: case Kind::Iterator: return true;
  }
  return false;
}

const char *type_name(const Value &v) {
  switch (v.kind) {
  case Kind::Undefined: return "Undefined";
  case Kind::None: return "NoneType";
  case Kind::Bool: return "bool";
  case Kind::Int: return "int";
  case Kind::Float: return "float";
  case Kind::String: return "str";
  case Kind::List: return "list";
  case Kind::Tuple: return "tuple";
  case Kind::Dict: return "dict";
  case Kind::Namespace: return "Namespace";
  case Kind::Callable: return "function";
  case Kind::Iterator: return v.iter->type.c_str();
  }
  return "object";
}

// --- float repr -------------------------------------------------------------
std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0.0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  int prec = 1;
  for (; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  // buf: [-]D[.DDD]e[+-]XX
  std::string s(buf);
  bool neg = s[0] == '-';
  if (neg) s.erase(0, 1);
  std::size_t epos = s.find('e');
  int exp = std::atoi(s.c_str() + epos + 1);
  std::string digits;
  for (std::size_t k = 0; k < epos; ++k)
    if (s[k] != '.') digits += s[k];
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out;
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      std::string ip = digits.substr(0, std::min<std::size_t>(digits.size(), exp + 1));
      while ((int)ip.size() < exp + 1) ip += '0';
      std::string fp = digits.size() > (std::size_t)exp + 1 ? digits.substr(exp + 1) : "0";
      out = ip + "." + fp;
    } else {
      out = "0." + std::string(-exp - 1, '0') + digits;
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  }
  return neg ? "-" + out : out;
}

// --- UTF-8 ------------------------------------------------------------------
std::u32string utf8_decode(const std::string &s) {
  charge_work(kCodePointWork * s.size());
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t k = 0; k < s.size();) {
    unsigned char c = s[k];
    char32_t cp;
    int n;
    if (c < 0x80) { cp = c; n = 1; }
    else if ((c >> 5) == 6) { cp = c & 0x1f; n = 2; }
    else if ((c >> 4) == 14) { cp = c & 0x0f; n = 3; }
    else if ((c >> 3) == 30) { cp = c & 0x07; n = 4; }
    else { cp = 0xfffd; n = 1; }
    if (k + n > s.size()) { out += 0xfffd; break; }
    for (int m = 1; m < n; ++m) cp = (cp << 6) | (s[k + m] & 0x3f);
    out += cp;
    k += n;
  }
  return out;
}

void utf8_append(std::string &out, char32_t c) {
  if (c < 0x80) out += (char)c;
  else if (c < 0x800) { out += (char)(0xc0 | (c >> 6)); out += (char)(0x80 | (c & 0x3f)); }
  else if (c < 0x10000) {
    out += (char)(0xe0 | (c >> 12)); out += (char)(0x80 | ((c >> 6) & 0x3f));
    out += (char)(0x80 | (c & 0x3f));
  } else {
    out += (char)(0xf0 | (c >> 18)); out += (char)(0x80 | ((c >> 12) & 0x3f));
    out += (char)(0x80 | ((c >> 6) & 0x3f)); out += (char)(0x80 | (c & 0x3f));
  }
}

std::string utf8_encode(const std::u32string &s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) utf8_append(out, c);
  return out;
}

std::size_t utf8_length(const std::string &s) {
  charge_work(s.size());
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

std::size_t find_sub(const std::string &s, const std::string &sub, std::size_t from) {
  if (from > s.size()) return std::string::npos;
  if (sub.empty()) return from;
  const void *p = ::memmem(s.data() + from, s.size() - from, sub.data(), sub.size());
  std::size_t at = p ? (std::size_t)((const char *)p - s.data()) : std::string::npos;
  // Charged for the bytes examined (so a loop of searches stays linear) and
  // a comparison per search started (replace() with a match every byte
  // starts one per byte).
  charge_work((p ? at + sub.size() : s.size()) - from + sub.size() + kCompareWork);
  return at;
}

std::size_t rfind_sub(const std::string &s, const std::string &sub, std::size_t pos) {
  if (sub.size() > s.size()) return std::string::npos;
  std::size_t last = std::min(pos, s.size() - sub.size()); // latest start allowed
  if (sub.empty()) return last;
  // The last match starting at <= last is the first match of the reversed
  // needle in the reversed prefix s[0, last + sub.size()).
  charge_work(last + sub.size());
  std::string rs(s.rbegin() + (std::ptrdiff_t)(s.size() - last - sub.size()), s.rend());
  std::string rsub(sub.rbegin(), sub.rend());
  std::size_t f = find_sub(rs, rsub);
  if (f == std::string::npos) return f;
  return last + sub.size() - f - sub.size();
}

bool py_isspace(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 ||
         c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
         c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
         c == 0x3000;
}

std::string py_strip(const std::string &s, const Value *chars, bool left,
                     bool right) {
  std::u32string u = utf8_decode(s);
  std::u32string set;
  bool ws = !chars || chars->is_none() || chars->is_undefined();
  if (!ws) {
    if (!chars->is_string())
      throw EvalError("strip arg must be None or str");
    set = utf8_decode(chars->str());
  }
  auto strip_it = [&](char32_t c) {
    return ws ? py_isspace(c) : set.find(c) != std::u32string::npos;
  };
  std::size_t b = 0, e = u.size();
  if (left) while (b < e && strip_it(u[b])) ++b;
  if (right) while (e > b && strip_it(u[e - 1])) --e;
  return utf8_encode(u.substr(b, e - b));
}

static char32_t lower_cp(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if ((c >= 0xc0 && c <= 0xde && c != 0xd7)) return c + 32;
  if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 && c != 0x138 &&
      c != 0x149 && c != 0x178 && c != 0x17f) {
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
    if (odd_upper ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
    return c;
  }
  if (c == 0x178) return 0xff;
  if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 32;
  if (c >= 0x410 && c <= 0x42f) return c + 32;
  if (c >= 0x400 && c <= 0x40f) return c + 80;
  return c;
}

static char32_t upper_cp(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if (c >= 0xe0 && c <= 0xfe && c != 0xf7) return c - 32;
  if (c == 0xff) return 0x178;
  if (c == 0xb5) return 0x39c;
  if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 && c != 0x138 &&
      c != 0x149 && c != 0x178 && c != 0x17f) {
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
    if (odd_upper ? (c % 2 == 0) : (c % 2 == 1)) return c - 1;
    return c;
  }
  if (c == 0x3c2) return 0x3a3;
  if (c >= 0x3b1 && c <= 0x3c9) return c - 32;
  if (c >= 0x430 && c <= 0x44f) return c - 32;
  if (c >= 0x450 && c <= 0x45f) return c - 80;
  return c;
}

// Unicode's Case_Ignorable characters among those the tables above map,
// plus the common ones between letters: apostrophes, periods, colons,
// the middle dot and combining marks (the Final_Sigma context skips them).
static bool case_ignorable(char32_t c) {
  return c == 0x27 || c == 0x2e || c == 0x3a || c == 0x5e || c == 0x60 ||
         c == 0xa8 || c == 0xad || c == 0xaf || c == 0xb4 || c == 0xb7 ||
         c == 0xb8 || c == 0x2019 || (c >= 0x2b0 && c <= 0x36f);
}

static bool cased(char32_t c) {
  return lower_cp(c) != c || upper_cp(c) != c || c == 0xdf || c == 0x131 ||
         c == 0x138 || c == 0x149 || c == 0x17f || c == 0x3c2;
}

std::string py_lower(const std::string &s) {
  std::string out;
  const std::u32string u = utf8_decode(s);
  for (std::size_t i = 0; i < u.size(); ++i) {
    const char32_t c = u[i];
    if (c == 0x130) { out += "i\xcc\x87"; continue; } // İ: i + combining dot
    if (c == 0x3a3) {
      // Final_Sigma (Unicode 3.13, as str.lower): after a cased letter and
      // not before one, Σ is ς.
      std::size_t b = i, e = i + 1;
      while (b > 0 && case_ignorable(u[b - 1])) --b;
      while (e < u.size() && case_ignorable(u[e])) ++e;
      const bool after = b > 0 && cased(u[b - 1]);
      const bool before = e < u.size() && cased(u[e]);
      utf8_append(out, after && !before ? 0x3c2 : 0x3c3);
      continue;
    }
    utf8_append(out, lower_cp(c));
  }
  return out;
}

std::string py_upper(const std::string &s) {
  std::string out;
  for (char32_t c : utf8_decode(s)) {
    // Unicode's special and single upper cases of Latin-1 and Latin
    // Extended-A that the table leaves out.
    if (c == 0xdf) { out += "SS"; continue; }
    if (c == 0x149) { out += "\xca\xbc" "N"; continue; } // ŉ: ʼN
    if (c == 0x131) { out += "I"; continue; }        // dotless ı
    if (c == 0x17f) { out += "S"; continue; }        // long ſ
    utf8_append(out, upper_cp(c));
  }
  return out;
}

// --- str / repr -------------------------------------------------------------
static bool py_printable(char32_t c) {
  if (c < 0x20 || c == 0x7f) return false;
  if (c >= 0x80 && c <= 0xa0) return false;
  if (c == 0xad || c == 0x1680 || c == 0x3000) return false;
  if ((c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
      (c >= 0x205f && c <= 0x2064) || (c >= 0x2066 && c <= 0x206f))
    return false;
  if (c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb)) return false;
  if ((c >= 0xd800 && c <= 0xf8ff) || (c >= 0xf0000)) return false;
  if (c == 0x61c || c == 0x180e) return false;
  return true;
}

std::string repr_string(const std::string &s) {
  bool has_sq = s.find('\'') != std::string::npos;
  bool has_dq = s.find('"') != std::string::npos;
  char q = (has_sq && !has_dq) ? '"' : '\'';
  std::string out(1, q);
  for (char32_t c : utf8_decode(s)) {
    char buf[16];
    if (c == (char32_t)q || c == '\\') { out += '\\'; out += (char)c; }
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (py_printable(c)) utf8_append(out, c);
    else {
      if (c < 0x100) std::snprintf(buf, sizeof buf, "\\x%02x", (unsigned)c);
      else if (c < 0x10000) std::snprintf(buf, sizeof buf, "\\u%04x", (unsigned)c);
      else std::snprintf(buf, sizeof buf, "\\U%08x", (unsigned)c);
      out += buf;
    }
  }
  out += q;
  return out;
}

namespace {
// str()/repr() of containers as Python prints them, with Py_ReprEnter's
// cycle marks: a list, tuple or dict (a namespace's attribute dict included)
// met again while it is being printed prints as [...], (...) or {...}.
// Cycles only arise through namespaces (the one mutable value).
struct ReprWalk {
  std::string out;
  std::vector<const void *> active;

  void put(const std::string &s) {
    check_string_size(out.size() + s.size());
    out += s;
  }
  bool entered(const void *p) const {
    return std::find(active.begin(), active.end(), p) != active.end();
  }
  void enter(const void *p) {
    if ((int)active.size() >= kMaxReprDepth)
      throw EvalError("value nested deeper than " + std::to_string(kMaxReprDepth) +
                      " levels cannot be printed");
    active.push_back(p);
  }

  void repr(const Value &v) {
    switch (v.kind) {
    case Kind::String: put(repr_string(*v.s)); return;
    case Kind::Undefined: put("Undefined"); return;
    default: str(v); return;
    }
  }

  void str(const Value &v) {
    switch (v.kind) {
    case Kind::Undefined: return;
    case Kind::None: put("None"); return;
    case Kind::Bool: put(v.b ? "True" : "False"); return;
    case Kind::Int: put(std::to_string(v.i)); return;
    case Kind::Float: put(float_repr(v.f)); return;
    case Kind::String: charge_work(v.s->size()); put(*v.s); return;
    case Kind::List: case Kind::Tuple: {
      bool tup = v.kind == Kind::Tuple;
      if (entered(v.list.get())) { put(tup ? "(...)" : "[...]"); return; }
      enter(v.list.get());
      put(tup ? "(" : "[");
      for (std::size_t k = 0; k < v.list->size(); ++k) {
        if (k) put(", ");
        repr((*v.list)[k]);
      }
      if (tup && v.list->size() == 1) put(",");
      put(tup ? ")" : "]");
      active.pop_back();
      return;
    }
    case Kind::Dict: case Kind::Namespace: {
      const DictData &d = v.kind == Kind::Dict ? *v.dict : v.ns->attrs;
      if (v.kind == Kind::Namespace) put("<Namespace ");
      if (entered(&d)) {
        put("{...}");
      } else {
        enter(&d);
        put("{");
        for (std::size_t k = 0; k < d.items.size(); ++k) {
          if (k) put(", ");
          repr(d.items[k].first);
          put(": ");
          repr(d.items[k].second);
        }
        put("}");
        active.pop_back();
      }
      if (v.kind == Kind::Namespace) put(">");
      return;
    }
    case Kind::Callable:
      throw EvalError("printing the function '" + v.fn->name +
                      "' is not supported (call it)");
    case Kind::Iterator: // Python adds the object's address
      put("<" + v.iter->shown + ">");
      return;
    }
  }
};
} // namespace

std::string to_repr(const Value &v) {
  ReprWalk w;
  w.repr(v);
  return std::move(w.out);
}

std::string to_str(const Value &v) {
  if (v.kind == Kind::String) { charge_work(v.s->size()); return *v.s; }
  ReprWalk w;
  w.str(v);
  return std::move(w.out);
}

// --- comparisons ------------------------------------------------------------
static bool numeric(const Value &v) {
  return v.kind == Kind::Int || v.kind == Kind::Float || v.kind == Kind::Bool;
}
static std::int64_t as_int(const Value &v) {
  return v.kind == Kind::Bool ? (v.b ? 1 : 0) : v.i;
}

// Exact int <=> float comparison (Python compares them as real numbers, not
// through a rounding conversion). `d` must not be NaN.
static int cmp_int_double(std::int64_t i, double d) {
  if (d >= 9223372036854775808.0) return -1;
  if (d < -9223372036854775808.0) return 1;
  double t = std::trunc(d);
  std::int64_t ti = (std::int64_t)t; // exact: t is integral and in range
  if (i != ti) return i < ti ? -1 : 1;
  double frac = d - t;
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

// Numeric three-way comparison; *unordered is set when a NaN is involved.
static int cmp_numbers(const Value &a, const Value &b, bool *unordered) {
  *unordered = false;
  bool fa = a.kind == Kind::Float, fb = b.kind == Kind::Float;
  if (!fa && !fb) {
    std::int64_t x = as_int(a), y = as_int(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if ((fa && std::isnan(a.f)) || (fb && std::isnan(b.f))) { *unordered = true; return 0; }
  if (fa && fb) return a.f < b.f ? -1 : a.f > b.f ? 1 : 0;
  if (fb) return cmp_int_double(as_int(a), b.f);
  return -cmp_int_double(as_int(b), a.f);
}

bool equals(const Value &a, const Value &b) {
  charge_work(kCompareWork);
  if (numeric(a) && numeric(b)) {
    bool unordered;
    int c = cmp_numbers(a, b, &unordered);
    return !unordered && c == 0;
  }
  if (a.kind != b.kind) {
    return false;
  }
  switch (a.kind) {
  case Kind::Undefined: case Kind::None: return true;
  case Kind::String:
    if (a.s->size() != b.s->size()) return false;
    charge_work(a.s->size());
    return *a.s == *b.s;
  case Kind::List: case Kind::Tuple: {
    if (a.list->size() != b.list->size()) return false;
    for (std::size_t k = 0; k < a.list->size(); ++k)
      if (!equals((*a.list)[k], (*b.list)[k])) return false;
    return true;
  }
  case Kind::Dict: {
    if (a.dict->items.size() != b.dict->items.size()) return false;
    for (const auto &kv : a.dict->items) {
      const Value *o = b.dict->find(kv.first);
      if (!o || !equals(kv.second, *o)) return false;
    }
    return true;
  }
  case Kind::Namespace: return a.ns == b.ns;
  case Kind::Callable: return a.fn == b.fn;
  case Kind::Iterator: return a.iter == b.iter;
  default: return false;
  }
}

[[noreturn]] static void unorderable(const Value &a, const Value &b) {
  // jinja2's Undefined fails any ordering with its own message (a missing
  // attribute's name), whichever side it is on.
  for (const Value *v : {&a, &b})
    if (v->is_undefined())
      throw EvalError(v->undefined_hint.empty() ? "value is undefined" : v->undefined_hint);
  throw EvalError(std::string("'<' not supported between instances of '") +
                  type_name(a) + "' and '" + type_name(b) + "'");
}

static int cmp_strings(const std::string &x, const std::string &y) {
  charge_work(std::min(x.size(), y.size()));
  int c = x.compare(y);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

bool less(const Value &a, const Value &b) {
  charge_work(kCompareWork);
  if (numeric(a) && numeric(b)) {
    bool unordered;
    int c = cmp_numbers(a, b, &unordered);
    return !unordered && c < 0;
  }
  if (a.kind == Kind::String && b.kind == Kind::String) return cmp_strings(*a.s, *b.s) < 0;
  if (a.kind == b.kind && (a.kind == Kind::List || a.kind == Kind::Tuple)) {
    const ValueList &x = *a.list, &y = *b.list;
    for (std::size_t k = 0; k < x.size() && k < y.size(); ++k) {
      if (equals(x[k], y[k])) continue;
      return less(x[k], y[k]);
    }
    return x.size() < y.size();
  }
  unorderable(a, b);
}

int sort_compare(const Value &a, const Value &b) {
  charge_work(kCompareWork);
  if (numeric(a) && numeric(b)) {
    bool unordered;
    int c = cmp_numbers(a, b, &unordered);
    if (!unordered) return c;
    bool na = a.kind == Kind::Float && std::isnan(a.f);
    bool nb = b.kind == Kind::Float && std::isnan(b.f);
    return na == nb ? 0 : na ? 1 : -1; // NaN after every number
  }
  if (a.kind == Kind::String && b.kind == Kind::String) return cmp_strings(*a.s, *b.s);
  if (a.kind == b.kind && (a.kind == Kind::List || a.kind == Kind::Tuple))
    return sort_compare_items(*a.list, *b.list);
  unorderable(a, b);
}

int sort_compare_items(const ValueList &x, const ValueList &y) {
  // Python's list order: the first items that are not == decide by <.
  for (std::size_t k = 0; k < x.size() && k < y.size(); ++k) {
    if (equals(x[k], y[k])) continue;
    int c = sort_compare(x[k], y[k]);
    if (c != 0) return c;
  }
  return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
}

std::int64_t length(const Value &v) {
  switch (v.kind) {
  case Kind::Undefined: return 0;
  case Kind::String: return (std::int64_t)utf8_length(*v.s);
  case Kind::List: case Kind::Tuple: return (std::int64_t)v.list->size();
  case Kind::Dict: return (std::int64_t)v.dict->items.size();
  default:
    throw EvalError(std::string("object of type '") + type_name(v) +
                    "' has no len()");
  }
}

ValueList iterate(const Value &v, bool charge) {
  auto charge_items = [&](std::size_t n) { if (charge) charge_work(kItemWork * n); };
  switch (v.kind) {
  case Kind::Undefined: return {};
  case Kind::List: case Kind::Tuple:
    charge_items(v.list->size());
    return *v.list;
  case Kind::Dict: {
    charge_items(v.dict->items.size());
    ValueList out;
    for (const auto &kv : v.dict->items) out.push_back(kv.first);
    return out;
  }
  case Kind::Iterator: {
    ValueList out;
    Value item;
    while (next_item(v, item)) {
      check_list_items(out.size() + 1);
      charge_items(1);
      out.push_back(std::move(item));
    }
    return out;
  }
  case Kind::String: {
    std::u32string u = utf8_decode(*v.s);
    check_list_items(u.size());
    charge_items(u.size());
    ValueList out;
    out.reserve(u.size());
    for (char32_t c : u) {
      std::string one;
      utf8_append(one, c);
      out.push_back(Value::string(std::move(one)));
    }
    return out;
  }
  default:
    throw EvalError(std::string("'") + type_name(v) + "' object is not iterable");
  }
}

// --- JSON -------------------------------------------------------------------
static void json_string(std::string &out, const std::string &s, bool ascii) {
  out += '"';
  for (char32_t c : utf8_decode(s)) {
    char buf[16];
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      if (c < 0x20 || (ascii && c > 0x7e)) {
        if (c >= 0x10000) {
          char32_t v = c - 0x10000;
          std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x",
                        (unsigned)(0xd800 | (v >> 10)), (unsigned)(0xdc00 | (v & 0x3ff)));
        } else {
          std::snprintf(buf, sizeof buf, "\\u%04x", (unsigned)c);
        }
        out += buf;
      } else {
        utf8_append(out, c);
      }
    }
  }
  out += '"';
}

static std::string json_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  return float_repr(d);
}

static void json_dump(std::string &out, const Value &v, const JsonOptions &o,
                      int level) {
  auto newline = [&](int lvl) {
    check_string_size(out.size() + 1 + (std::size_t)lvl * o.indent.size());
    out += '\n';
    for (int k = 0; k < lvl; ++k) out += o.indent;
  };
  std::string item_sep = o.has_separators ? o.item_sep : (o.has_indent ? "," : ", ");
  std::string key_sep = o.has_separators ? o.key_sep : ": ";
  if (level > kMaxValueDepth) throw EvalError("tojson: nesting too deep");
  check_string_size(out.size());
  charge_work(kCompareWork);
  switch (v.kind) {
  case Kind::None: out += "null"; return;
  case Kind::Bool: out += v.b ? "true" : "false"; return;
  case Kind::Int: out += std::to_string(v.i); return;
  case Kind::Float: out += json_float(v.f); return;
  case Kind::String:
    check_string_size(out.size() + v.s->size());
    json_string(out, *v.s, o.ensure_ascii);
    return;
  case Kind::List: case Kind::Tuple: {
    if (v.list->empty()) { out += "[]"; return; }
    out += '[';
    for (std::size_t k = 0; k < v.list->size(); ++k) {
      if (k) out += item_sep;
      if (o.has_indent) newline(level + 1);
      check_string_size(out.size());
      json_dump(out, (*v.list)[k], o, level + 1);
    }
    if (o.has_indent) newline(level);
    out += ']';
    return;
  }
  case Kind::Dict: {
    if (v.dict->items.empty()) { out += "{}"; return; }
    std::vector<std::pair<std::string, const Value *>> items;
    for (const auto &kv : v.dict->items) {
      const Value &key = kv.first;
      std::string ks;
      switch (key.kind) {
      case Kind::String: ks = *key.s; break;
      case Kind::Int: ks = std::to_string(key.i); break;
      case Kind::Float: ks = json_float(key.f); break;
      case Kind::Bool: ks = key.b ? "true" : "false"; break;
      case Kind::None: ks = "null"; break;
      default:
        throw EvalError(std::string("tojson: keys must be str, int, float, bool "
                                    "or None, not ") + type_name(key));
      }
      items.emplace_back(std::move(ks), &kv.second);
    }
    if (o.sort_keys)
      std::sort(items.begin(), items.end(), // keys are unique
                       [](const auto &a, const auto &b) { return a.first < b.first; });
    out += '{';
    for (std::size_t k = 0; k < items.size(); ++k) {
      if (k) out += item_sep;
      if (o.has_indent) newline(level + 1);
      check_string_size(out.size() + items[k].first.size());
      json_string(out, items[k].first, o.ensure_ascii);
      out += key_sep;
      json_dump(out, *items[k].second, o, level + 1);
    }
    if (o.has_indent) newline(level);
    out += '}';
    return;
  }
  default:
    throw EvalError(std::string("Object of type ") + type_name(v) +
                    " is not JSON serializable");
  }
}

std::string to_json(const Value &v, const JsonOptions &opt) {
  std::string out;
  json_dump(out, v, opt, 0);
  check_string_size(out.size());
  return out;
}

template <class Json> Value from_json_impl(const Json &j, int depth) {
  if (depth > kMaxValueDepth)
    throw EvalError("context nested deeper than " + std::to_string(kMaxValueDepth) + " levels");
  switch (j.type()) {
  case nlohmann::json::value_t::null: return Value::none();
  case nlohmann::json::value_t::boolean: return Value::boolean(j.template get<bool>());
  case nlohmann::json::value_t::number_integer:
    return Value::integer(j.template get<std::int64_t>());
  case nlohmann::json::value_t::number_unsigned: {
    auto u = j.template get<std::uint64_t>();
    if (u > (std::uint64_t)INT64_MAX)
      throw EvalError("context integer " + std::to_string(u) +
                      " is out of the supported 64-bit range");
    return Value::integer((std::int64_t)u);
  }
  case nlohmann::json::value_t::number_float: return Value::floating(j.template get<double>());
  case nlohmann::json::value_t::string: return Value::string(j.template get<std::string>());
  case nlohmann::json::value_t::array: {
    ValueList l;
    l.reserve(j.size());
    for (const auto &e : j) l.push_back(from_json_impl(e, depth + 1));
    return Value::make_list(std::move(l));
  }
  case nlohmann::json::value_t::object: {
    DictData d;
    for (auto it = j.begin(); it != j.end(); ++it)
      d.items.emplace_back(Value::string(it.key()), from_json_impl(it.value(), depth + 1));
    return Value::make_dict(std::move(d));
  }
  default:
    throw EvalError("unsupported JSON value in the context");
  }
}

Value from_json(const nlohmann::json &j) { return from_json_impl(j, 0); }
Value from_json(const nlohmann::ordered_json &j) { return from_json_impl(j, 0); }

} // namespace nhc::text::tpl
