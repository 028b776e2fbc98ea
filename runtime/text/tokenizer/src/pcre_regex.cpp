#define PCRE2_CODE_UNIT_WIDTH 8
#include "pcre_regex.h"

#include "nhc/text/text_error.h"

#include <pcre2.h>

namespace nhc::text::detail {
namespace {

constexpr const char *kWhite = "\\p{White_Space}";
constexpr const char *kNotWhite = "\\P{White_Space}";
// Oniguruma's Unicode \w (as tokenizers' onig 6.9 builds it), checked against
// tokenizers 0.23 over every code point Unicode 14 assigns: Alphabetic,
// marks, decimal digits, connector punctuation, and Latin-1's superscript
// digits and vulgar fractions (no join controls: Rust regex's \w has them).
constexpr const char *kWordItems =
    "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{B2}\\x{B3}\\x{B9}\\x{BC}-\\x{BE}";
constexpr const char *kHexItems = "0-9a-fA-F";

// Oniguruma's Unicode POSIX bracket classes as PCRE2 class items (checked
// like kWordItems; PCRE2's own, under UCP, differ for alpha, alnum, word,
// punct, lower and upper), and the negation of those that are one property.
struct PosixClass {
  const char *name, *items, *negated;
};
constexpr PosixClass kPosixClasses[] = {
    {"alpha", "\\p{Alphabetic}", "\\P{Alphabetic}"},
    {"alnum", "\\p{Alphabetic}\\p{Nd}", nullptr},
    {"word", "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}", nullptr},
    {"digit", "\\p{Nd}", "\\P{Nd}"},
    {"punct", "\\p{P}\\p{S}", nullptr},
    {"lower", "\\p{Lowercase}", "\\P{Lowercase}"},
    {"upper", "\\p{Uppercase}", "\\P{Uppercase}"},
    {"cntrl", "\\p{Cc}", "\\P{Cc}"},
    {"space", "\\p{White_Space}", "\\P{White_Space}"},
    {"blank", "\\p{Zs}\\t", nullptr},
    {"xdigit", "0-9A-Fa-f", nullptr},
    {"ascii", "\\x{0}-\\x{7F}", "\\x{80}-\\x{10FFFF}"},
    {"graph", nullptr, nullptr}, // complements: not expressible as items
    {"print", nullptr, nullptr},
};

// Whether `name` is a script (PCRE2 reads \p{Han} as Script_Extensions,
// Oniguruma as Script; \p{sc:Han} is Script alone).
bool isScriptName(const std::string &name) {
  std::string probe = "\\p{sc:" + name + "}";
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code *code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(probe.data()), probe.size(),
                    PCRE2_UTF, &err, &off, nullptr);
  pcre2_code_free(code);
  return code != nullptr;
}

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
  const std::string word = std::string("[") + kWordItems + "]";
  const std::string notWord = std::string("[^") + kWordItems + "]";
  auto refuse = [&](const std::string &what) {
    throw TextError(where + ": " + what + " is not supported");
  };
  int classDepth = 0; // inside [...] (Oniguruma allows nesting)
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    const bool in = classDepth > 0;
    if (c == '\\' && i + 1 < p.size()) {
      char e = p[i + 1];
      ++i;
      switch (e) {
      case 's': out += kWhite; break;
      case 'S': out += kNotWhite; break;
      case 'w': out += in ? std::string(kWordItems) : word; break;
      case 'W':
        if (in) refuse("\\W inside a bracket class");
        out += notWord;
        break;
      case 'b':
      case 'B':
        if (in) { // a backspace there
          out += "\\x{8}";
          break;
        }
        // Word boundaries by Oniguruma's \w, not PCRE2's.
        out += e == 'b' ? "(?:(?<=" + word + ")(?!" + word + ")|(?<!" + word +
                              ")(?=" + word + "))"
                        : "(?:(?<=" + word + ")(?=" + word + ")|(?<!" + word +
                              ")(?!" + word + "))";
        break;
      case 'h':
        if (in) out += kHexItems;
        else out += std::string("[") + kHexItems + "]";
        break;
      case 'H':
        if (in) refuse("\\H inside a bracket class");
        out += std::string("[^") + kHexItems + "]";
        break;
      case 'p':
      case 'P': {
        size_t close = i + 1 < p.size() && p[i + 1] == '{'
                           ? p.find('}', i + 2)
                           : std::string_view::npos;
        if (close == std::string_view::npos) { // PCRE2 reports it
          out.push_back('\\');
          out.push_back(e);
          break;
        }
        std::string name(p.substr(i + 2, close - i - 2));
        std::string negate;
        if (!name.empty() && name[0] == '^') {
          negate = "^";
          name.erase(0, 1);
        }
        out += std::string("\\") + e + "{" + negate +
               (isScriptName(name) ? "sc:" : "") + name + "}";
        i = close;
        break;
      }
      default:
        out.push_back('\\');
        out.push_back(e);
        // \x{..} etc. are copied by the following iterations.
        break;
      }
      continue;
    }
    if (c == '[') {
      // POSIX [:alpha:] inside a class is not a nested class.
      if (in && i + 1 < p.size() && p[i + 1] == ':') {
        size_t close = p.find(":]", i + 2);
        if (close != std::string_view::npos) {
          std::string name(p.substr(i + 2, close - i - 2));
          const bool negated = !name.empty() && name[0] == '^';
          if (negated) name.erase(0, 1);
          const PosixClass *found = nullptr;
          for (const PosixClass &posix : kPosixClasses)
            if (name == posix.name) found = &posix;
          if (!found) refuse("POSIX bracket [:" + name + ":]");
          const char *items = negated ? found->negated : found->items;
          if (!items)
            refuse("POSIX bracket [:" + std::string(negated ? "^" : "") +
                   name + ":] (Oniguruma's differs from PCRE2's)");
          out += items;
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
    if (in && c == '&' && i + 1 < p.size() && p[i + 1] == '&')
      refuse("class intersection '&&'");
    if (!in && c == '(' && i + 2 < p.size() && p[i + 1] == '?') {
      // Inline options: Ruby's m is dot-all (PCRE2's s); Ruby has no s
      // (Oniguruma refuses it), and ^ $ are always line anchors.
      size_t j = i + 2;
      while (j < p.size() && std::string_view("imx-").find(p[j]) !=
                                 std::string_view::npos)
        ++j;
      if (j < p.size() && j > i + 2 && (p[j] == ')' || p[j] == ':')) {
        out += "(?";
        for (size_t k = i + 2; k < j; ++k) out.push_back(p[k] == 'm' ? 's' : p[k]);
        i = j - 1;
        continue;
      }
      if (j < p.size() && p[j] == 's') refuse("the group option (?s)");
    }
    if (!in && c == '{' && i + 1 < p.size() && p[i + 1] == ',') {
      // Ruby's {,n} is {0,n}; PCRE2 10.42 reads it as text.
      size_t j = i + 2;
      while (j < p.size() && p[j] >= '0' && p[j] <= '9') ++j;
      if (j > i + 2 && j < p.size() && p[j] == '}') {
        out += "{0";
        continue;
      }
    }
    if (c == ']' && in) --classDepth;
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
