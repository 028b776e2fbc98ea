#define PCRE2_CODE_UNIT_WIDTH 8
#include "pcre_regex.h"

#include "nhc/text/text_error.h"

#include <pcre2.h>

namespace nhc::text::detail {
namespace {

constexpr const char *kWhite = "\\p{White_Space}";
constexpr const char *kNotWhite = "\\P{White_Space}";
constexpr const char *kWordItems =
    "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}";
constexpr const char *kHexItems = "0-9a-fA-F";

// Per-thread match data and JIT stack, shared by every pattern.
struct Scratch {
  pcre2_match_data *md = nullptr;
  pcre2_jit_stack *stack = nullptr;
  pcre2_match_context *ctx = nullptr;
  Scratch() {
    md = pcre2_match_data_create(1, nullptr);
    stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
    ctx = pcre2_match_context_create(nullptr);
    if (ctx) {
      pcre2_set_match_limit(ctx, 50'000'000);
      pcre2_set_depth_limit(ctx, 1'000'000);
      if (stack) pcre2_jit_stack_assign(ctx, nullptr, stack);
    }
  }
  ~Scratch() {
    pcre2_match_data_free(md);
    pcre2_match_context_free(ctx);
    pcre2_jit_stack_free(stack);
  }
};

Scratch &scratch() {
  thread_local Scratch s;
  if (!s.md || !s.ctx) throw TextError("PCRE2: out of memory");
  return s;
}

} // namespace

struct Regex::Code {
  pcre2_code *code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

std::string translateOnigPattern(std::string_view p, const std::string &where) {
  std::string out;
  out.reserve(p.size() + 32);
  int classDepth = 0; // inside [...] (Oniguruma allows nesting)
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char e = p[i + 1];
      ++i;
      const bool in = classDepth > 0;
      switch (e) {
      case 's': out += kWhite; break;
      case 'S': out += kNotWhite; break;
      case 'w':
        if (in) out += kWordItems;
        else out += std::string("[") + kWordItems + "]";
        break;
      case 'W':
        if (in)
          throw TextError(where + ": \\W inside a bracket class is not "
                                  "supported");
        out += std::string("[^") + kWordItems + "]";
        break;
      case 'h':
        if (in) out += kHexItems;
        else out += std::string("[") + kHexItems + "]";
        break;
      case 'H':
        if (in)
          throw TextError(where + ": \\H inside a bracket class is not "
                                  "supported");
        out += std::string("[^") + kHexItems + "]";
        break;
      default:
        out.push_back('\\');
        out.push_back(e);
        // \p{..}, \x{..} etc. are copied by the following iterations.
        break;
      }
      continue;
    }
    if (c == '[') {
      // POSIX [:alpha:] inside a class is not a nested class.
      if (classDepth > 0 && i + 1 < p.size() && p[i + 1] == ':') {
        size_t close = p.find(":]", i + 2);
        if (close != std::string_view::npos) {
          out.append(p.substr(i, close + 2 - i));
          i = close + 1;
          continue;
        }
      }
      ++classDepth;
      out.push_back(c);
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < p.size() && p[i + 1] == '^') out.push_back(p[++i]);
      if (i + 1 < p.size() && p[i + 1] == ']') out.push_back(p[++i]);
      continue;
    }
    if (c == ']' && classDepth > 0) --classDepth;
    out.push_back(c);
  }
  return out;
}

Regex::Regex(const std::string &pattern, bool literal, const std::string &where)
    : code_(std::make_unique<Code>()), where_(where) {
  // PCRE2_LITERAL allows only a few other options (UCP and MULTILINE mean
  // nothing for a literal anyway). \C (one byte, which Oniguruma has not)
  // would cut a character in two, and every later match reads its pieces
  // without a UTF-8 check: refused.
  uint32_t opts = literal ? (PCRE2_UTF | PCRE2_LITERAL)
                          : (PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE |
                             PCRE2_NEVER_BACKSLASH_C);
  int err = 0;
  PCRE2_SIZE off = 0;
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()),
                              pattern.size(), opts, &err, &off, nullptr);
  if (!code_->code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    throw TextError(where + ": bad regex: " +
                    reinterpret_cast<const char *>(buf) + " at offset " +
                    std::to_string(off));
  }
  code_->jit = pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() = default;

bool Regex::find(std::string_view subject, size_t from, size_t *begin,
                 size_t *end) const {
  Scratch &s = scratch();
  int rc = pcre2_match(code_->code,
                       reinterpret_cast<PCRE2_SPTR>(subject.data()),
                       subject.size(), from, PCRE2_NO_UTF_CHECK, s.md, s.ctx);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(rc, buf, sizeof buf);
    throw TextError(where_ + ": regex match failed: " +
                    reinterpret_cast<const char *>(buf));
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s.md);
  *begin = ov[0];
  *end = ov[1];
  return true;
}

bool Regex::fullMatch(std::string_view str) const {
  Scratch &s = scratch();
  int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(str.data()),
                       str.size(), 0,
                       PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED | PCRE2_ENDANCHORED,
                       s.md, s.ctx);
  return rc >= 0;
}

} // namespace nhc::text::detail
