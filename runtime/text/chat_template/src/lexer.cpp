// nhc chat template: the Jinja lexer (see lexer.h).
#include "lexer.h"

#include <cctype>
#include <cstring>

#include "value.h"

namespace nhc::text::tpl {
namespace {

// Length of a line break at s[k] (0 if none): jinja2's newline_re,
// \r\n, \r or \n (since jinja2 3.0; Python's splitlines() set, with \v, \f,
// U+2028 and the rest, was 2.x's).
std::size_t line_break_len(const std::string &s, std::size_t k) {
  if (s[k] == '\r') return (k + 1 < s.size() && s[k + 1] == '\n') ? 2 : 1;
  return s[k] == '\n' ? 1 : 0;
}

// Python `\s` (unicode) at s[k]: returns its byte length or 0.
std::size_t space_len(const std::string &s, std::size_t k) {
  unsigned char c = s[k];
  if (c < 0x80) return py_isspace(c) ? 1 : 0;
  std::size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (k + n > s.size()) return 0;
  std::u32string u = utf8_decode(s.substr(k, n));
  return (!u.empty() && py_isspace(u[0])) ? n : 0;
}

bool all_space(const std::string &s, std::size_t from) {
  if (from >= s.size()) return false; // jinja2 uses \s+ : needs one char
  for (std::size_t k = from; k < s.size();) {
    std::size_t n = space_len(s, k);
    if (!n) return false;
    k += n;
  }
  return true;
}

std::string rstrip_space(const std::string &s) {
  std::u32string u = utf8_decode(s);
  std::size_t e = u.size();
  while (e > 0 && py_isspace(u[e - 1])) --e;
  return utf8_encode(u.substr(0, e));
}

class Lexer {
public:
  explicit Lexer(const std::string &src) : s_(src) {
    line_starts_.push_back(0);
    for (std::size_t k = 0; k < s_.size(); ++k)
      if (s_[k] == '\n') line_starts_.push_back(k + 1);
  }

  std::vector<Token> run() {
    bool line_starting = true;
    std::size_t pos = 0;
    while (pos < s_.size()) {
      std::size_t open = find_open(pos);
      std::string data = s_.substr(pos, (open == std::string::npos ? s_.size() : open) - pos);
      if (open == std::string::npos) {
        emit_data(data, pos);
        break;
      }
      char kind = s_[open + 1];
      char mod = open + 2 < s_.size() ? s_[open + 2] : 0;
      bool is_raw = false;
      std::size_t raw_body = 0;
      if (kind == '%') is_raw = match_raw_begin(open, raw_body);
      if (mod == '-') {
        data = rstrip_space(data);
      } else if (mod != '+' && kind != '{') {
        std::size_t nl = data.rfind('\n');
        std::size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
        if ((l_pos > 0 || line_starting) && all_space(data, l_pos))
          data = data.substr(0, l_pos);
      }
      emit_data(data, pos);
      if (is_raw) {
        pos = lex_raw(raw_body, line_starting);
        continue;
      }
      std::size_t after = open + 2 + ((mod == '-' || mod == '+') ? 1 : 0);
      if (kind == '#') {
        pos = lex_comment(open, after, line_starting);
      } else {
        pos = lex_tag(open, after, kind, line_starting);
      }
    }
    tokens_.push_back({Tok::Eof, "", pos_of(s_.size())});
    return std::move(tokens_);
  }

private:
  const std::string &s_;
  std::vector<std::size_t> line_starts_;
  std::vector<Token> tokens_;

  // The column of the last position asked for: tokens come in increasing
  // offset order, so counting on from it keeps lexing linear on a long
  // line (templates often are one line).
  mutable std::size_t cursor_line_ = 0, cursor_off_ = 0;
  mutable int cursor_col_ = 1;

  Pos pos_of(std::size_t off) const {
    std::size_t lo = 0, hi = line_starts_.size();
    while (hi - lo > 1) {
      std::size_t mid = (lo + hi) / 2;
      if (line_starts_[mid] <= off) lo = mid; else hi = mid;
    }
    if (lo != cursor_line_ || off < cursor_off_) {
      cursor_line_ = lo;
      cursor_off_ = line_starts_[lo];
      cursor_col_ = 1;
    }
    for (; cursor_off_ < off; ++cursor_off_) // UTF-8: count lead bytes
      cursor_col_ += (static_cast<unsigned char>(s_[cursor_off_]) & 0xc0) != 0x80;
    Pos p;
    p.line = (int)lo + 1;
    p.col = cursor_col_;
    return p;
  }

  [[noreturn]] void fail(std::size_t off, const std::string &what) const {
    throw SyntaxError{pos_of(off), what};
  }

  std::size_t find_open(std::size_t from) const {
    for (std::size_t k = from; k + 1 < s_.size(); ++k)
      if (s_[k] == '{' && (s_[k + 1] == '{' || s_[k + 1] == '%' || s_[k + 1] == '#'))
        return k;
    return std::string::npos;
  }

  void emit_data(const std::string &data, std::size_t off) {
    if (!data.empty()) tokens_.push_back({Tok::Data, data, pos_of(off)});
  }

  std::size_t skip_ws(std::size_t k) const {
    while (k < s_.size()) {
      std::size_t n = space_len(s_, k);
      if (!n) break;
      k += n;
    }
    return k;
  }

  bool word_at(std::size_t k, const char *w) const {
    std::size_t n = std::strlen(w);
    if (s_.compare(k, n, w) != 0) return false;
    char c = k + n < s_.size() ? s_[k + n] : 0;
    return !(std::isalnum((unsigned char)c) || c == '_');
  }

  // `{%[-+]? raw [-]?%}`: sets body to the first byte of the raw text.
  bool match_raw_begin(std::size_t open, std::size_t &body) const {
    std::size_t k = open + 2;
    if (k < s_.size() && (s_[k] == '-' || s_[k] == '+')) ++k;
    k = skip_ws(k);
    if (!word_at(k, "raw")) return false;
    k = skip_ws(k + 3);
    if (s_.compare(k, 3, "-%}") == 0) { body = skip_ws(k + 3); return true; }
    if (s_.compare(k, 2, "%}") == 0) { body = k + 2; return true; }
    return false;
  }

  std::size_t lex_raw(std::size_t body, bool &line_starting) {
    for (std::size_t k = body; k + 1 < s_.size(); ++k) {
      if (s_[k] != '{' || s_[k + 1] != '%') continue;
      std::size_t j = k + 2;
      char mod = j < s_.size() ? s_[j] : 0;
      if (mod == '-' || mod == '+') ++j;
      j = skip_ws(j);
      if (!word_at(j, "endraw")) continue;
      j = skip_ws(j + 6);
      std::size_t end;
      if (s_.compare(j, 3, "+%}") == 0) end = j + 3;
      else if (s_.compare(j, 3, "-%}") == 0) end = skip_ws(j + 3);
      else if (s_.compare(j, 2, "%}") == 0) {
        end = j + 2;
        if (end < s_.size() && s_[end] == '\n') ++end;
      } else fail(j, "expected '%}' after endraw");
      std::string data = s_.substr(body, k - body);
      if (mod == '-') data = rstrip_space(data);
      emit_data(data, body);
      line_starting = s_[end - 1] == '\n';
      return end;
    }
    fail(body, "missing end of raw directive ({% endraw %})");
  }

  std::size_t lex_comment(std::size_t open, std::size_t from, bool &line_starting) {
    std::size_t q = s_.find("#}", from);
    if (q == std::string::npos) fail(open, "missing end of comment tag");
    std::size_t end = q + 2;
    char before = q > from ? s_[q - 1] : 0;
    if (before == '-') end = skip_ws(end);
    else if (before != '+' && end < s_.size() && s_[end] == '\n') ++end;
    line_starting = s_[end - 1] == '\n';
    return end;
  }

  std::size_t lex_tag(std::size_t open, std::size_t k, char kind, bool &line_starting) {
    bool block = kind == '%';
    tokens_.push_back({block ? Tok::BlockBegin : Tok::VarBegin, "", pos_of(open)});
    std::vector<char> balance;
    while (true) {
      if (k >= s_.size())
        fail(open, block ? "unexpected end of template, expected '%}'"
                         : "unexpected end of template, expected '}}'");
      if (balance.empty()) {
        std::size_t end = 0;
        if (block) {
          if (s_.compare(k, 3, "+%}") == 0) end = k + 3;
          else if (s_.compare(k, 3, "-%}") == 0) end = skip_ws(k + 3);
          else if (s_.compare(k, 2, "%}") == 0) {
            end = k + 2;
            if (end < s_.size() && s_[end] == '\n') ++end;
          }
        } else {
          if (s_.compare(k, 3, "-}}") == 0) end = skip_ws(k + 3);
          else if (s_.compare(k, 2, "}}") == 0) end = k + 2;
        }
        if (end) {
          tokens_.push_back({block ? Tok::BlockEnd : Tok::VarEnd, "", pos_of(k)});
          line_starting = s_[end - 1] == '\n';
          return end;
        }
      }
      std::size_t n = space_len(s_, k);
      if (n) { k += n; continue; }
      unsigned char c = s_[k];
      Pos p = pos_of(k);
      if (std::isdigit(c)) { k = lex_number(k, p); continue; }
      if (std::isalpha(c) || c == '_') {
        std::size_t e = k;
        while (e < s_.size() && (std::isalnum((unsigned char)s_[e]) || s_[e] == '_')) ++e;
        tokens_.push_back({Tok::Name, s_.substr(k, e - k), p});
        k = e;
        continue;
      }
      if (c == '\'' || c == '"') { k = lex_string(k, p); continue; }
      static const char *ops[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/",
                                  "*", "%", "~", "[", "]", "(", ")", "{", "}",
                                  ">", "<", "=", ".", ":", "|", ",", ";"};
      const char *op = nullptr;
      for (const char *o : ops)
        if (s_.compare(k, std::strlen(o), o) == 0) { op = o; break; }
      if (!op) {
        std::string ch;
        utf8_append(ch, utf8_decode(s_.substr(k, 4))[0]);
        fail(k, "unexpected char '" + ch + "'");
      }
      char oc = op[0];
      if (op[1] == 0 && (oc == '(' || oc == '[' || oc == '{')) balance.push_back(oc);
      if (op[1] == 0 && (oc == ')' || oc == ']' || oc == '}')) {
        char want = oc == ')' ? '(' : oc == ']' ? '[' : '{';
        if (balance.empty()) fail(k, std::string("unexpected '") + oc + "'");
        if (balance.back() != want)
          fail(k, std::string("unexpected '") + oc + "', expected '" +
                      (balance.back() == '(' ? ")" : balance.back() == '[' ? "]" : "}") + "'");
        balance.pop_back();
      }
      tokens_.push_back({Tok::Op, op, p});
      k += std::strlen(op);
    }
  }

  std::size_t lex_digits(std::size_t k) const {
    // \d+(_\d+)*
    while (k < s_.size()) {
      if (std::isdigit((unsigned char)s_[k])) { ++k; continue; }
      if (s_[k] == '_' && k + 1 < s_.size() && std::isdigit((unsigned char)s_[k + 1])) { ++k; continue; }
      break;
    }
    return k;
  }

  std::size_t lex_number(std::size_t k, Pos p) {
    bool after_dot = !tokens_.empty() && tokens_.back().type == Tok::Op &&
                     tokens_.back().text == "." && k > 0 && s_[k - 1] == '.';
    if (s_[k] == '0' && k + 1 < s_.size() && std::strchr("bBoOxX", s_[k + 1]) && s_[k + 1]) {
      char base = (char)std::tolower(s_[k + 1]);
      std::size_t e = k + 2;
      auto ok = [&](char c) {
        c = (char)std::tolower(c);
        return base == 'b' ? (c == '0' || c == '1') : base == 'o' ? (c >= '0' && c <= '7')
                                                                  : std::isxdigit((unsigned char)c) != 0;
      };
      while (e < s_.size() && (ok(s_[e]) || (s_[e] == '_' && e + 1 < s_.size() && ok(s_[e + 1])))) ++e;
      if (e == k + 2) fail(k, "invalid integer literal");
      tokens_.push_back({Tok::Int, s_.substr(k, e - k), p});
      return e;
    }
    std::size_t e = lex_digits(k);
    bool is_float = false;
    if (!after_dot) {
      std::size_t f = e;
      if (f + 1 < s_.size() && s_[f] == '.' && std::isdigit((unsigned char)s_[f + 1])) {
        f = lex_digits(f + 1);
        is_float = true;
      }
      if (f < s_.size() && (s_[f] == 'e' || s_[f] == 'E')) {
        std::size_t g = f + 1;
        if (g < s_.size() && (s_[g] == '+' || s_[g] == '-')) ++g;
        if (g < s_.size() && std::isdigit((unsigned char)s_[g])) {
          f = lex_digits(g);
          is_float = true;
        }
      }
      if (is_float) e = f;
    }
    // jinja2's decimal integers are [1-9](_?\d)* or 0(_?0)*: "01" is the
    // integer 0 followed by another token (a syntax error in the parser).
    if (!is_float && s_[k] == '0') {
      e = k + 1;
      while (e < s_.size() &&
             (s_[e] == '0' || (s_[e] == '_' && e + 1 < s_.size() && s_[e + 1] == '0')))
        e += s_[e] == '_' ? 2 : 1;
    }
    tokens_.push_back({is_float ? Tok::Float : Tok::Int, s_.substr(k, e - k), p});
    return e;
  }

  std::size_t lex_string(std::size_t k, Pos p) {
    char q = s_[k];
    std::string out;
    std::size_t j = k + 1;
    while (true) {
      if (j >= s_.size()) fail(k, "unterminated string literal");
      char c = s_[j];
      if (c == q) break;
      if (c != '\\') { out += c; ++j; continue; }
      if (j + 1 >= s_.size()) fail(k, "unterminated string literal");
      char e = s_[j + 1];
      j += 2;
      auto hex = [&](int n) {
        if (j + n > s_.size()) fail(j, "truncated \\x/\\u escape in string literal");
        unsigned long v = 0;
        for (int m = 0; m < n; ++m) {
          char h = s_[j + m];
          if (!std::isxdigit((unsigned char)h)) fail(j, "invalid \\x/\\u escape in string literal");
          v = v * 16 + (std::isdigit((unsigned char)h) ? h - '0' : std::tolower(h) - 'a' + 10);
        }
        j += n;
        if (v > 0x10ffff) fail(j, "illegal Unicode character in string literal");
        // Python keeps a surrogate code point in the str and fails when the
        // output is encoded; UTF-8 has no form for it.
        if (v >= 0xd800 && v <= 0xdfff)
          fail(j, "surrogate code point in string literal (no UTF-8 form)");
        utf8_append(out, (char32_t)v);
      };
      switch (e) {
      case '\n': break; // line continuation
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': hex(2); break;
      case 'u': hex(4); break;
      case 'U': hex(8); break;
      case 'N': fail(j - 2, "\\N{...} escapes are not supported");
      default:
        if (e >= '0' && e <= '7') {
          unsigned v = e - '0';
          for (int m = 0; m < 2 && j < s_.size() && s_[j] >= '0' && s_[j] <= '7'; ++m)
            v = v * 8 + (s_[j++] - '0');
          utf8_append(out, (char32_t)v);
        } else {
          out += '\\';
          out += e;
        }
      }
    }
    tokens_.push_back({Tok::String, out, p});
    return j + 1;
  }
};

} // namespace

std::string normalize_newlines(const std::string &source) {
  std::string out;
  out.reserve(source.size());
  for (std::size_t k = 0; k < source.size();) {
    std::size_t n = line_break_len(source, k);
    if (n) {
      k += n;
      if (k < source.size()) out += '\n';
    } else {
      out += source[k++];
    }
  }
  return out;
}

std::vector<Token> lex(const std::string &source) {
  return Lexer(source).run();
}

} // namespace nhc::text::tpl
