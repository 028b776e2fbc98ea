// PCRE2 (UTF + UCP, JIT) regular expressions with Oniguruma's meaning, as
// tokenizers compiles the pre-tokenizer patterns of tokenizer.json with
// Oniguruma (Ruby syntax). See translateOnigPattern for what is rewritten.
#ifndef NHC_TEXT_TOKENIZER_PCRE_REGEX_H
#define NHC_TEXT_TOKENIZER_PCRE_REGEX_H

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace nhc::text::detail {

/// Rewrites what Oniguruma (Ruby syntax, Unicode) and PCRE2 with PCRE2_UCP
/// read differently (each class checked against tokenizers 0.23 over every
/// code point Unicode 14 assigns):
///   \s \S    -> White_Space property (PCRE2's \s lacks U+0085 NEL)
///   \w \W    -> Alphabetic, M, Nd, Pc, Latin-1's superscript digits and
///               fractions / its complement (outside bracket classes)
///   \b \B    -> boundaries by that \w (lookarounds); in a class, backspace
///   \h \H    -> hex digit / not (Oniguruma), not horizontal space (PCRE2)
///   \p{Han}  -> \p{sc:Han} for scripts (PCRE2 reads Script_Extensions)
///   [:alpha:] and the other POSIX classes -> Oniguruma's Unicode sets
///   (?m)     -> (?s) (Ruby's m is dot-all; ^ $ are always line anchors)
///   {,n}     -> {0,n}
/// Everything else passes through. Throws TextError(`where`) for what has no
/// PCRE2 spelling here: \W or \H inside a bracket class, class intersection
/// (&&), negated [:^word:]-like classes of several properties, (?s) (which
/// Oniguruma refuses too), and unknown POSIX class names.
std::string translateOnigPattern(std::string_view pattern,
                                 const std::string &where);

class Regex {
public:
  /// Compiles `pattern` (literal when `literal`) with UTF | UCP | MULTILINE
  /// and JIT. Throws TextError("<where>: <PCRE2 message> at offset N").
  Regex(const std::string &pattern, bool literal, const std::string &where);
  ~Regex();
  Regex(const Regex &) = delete;
  Regex &operator=(const Regex &) = delete;

  /// Finds the next match in `subject` at or after byte `from` (a character
  /// boundary). Returns false when there is none; throws TextError when
  /// PCRE2's match or depth limit is hit. `subject` must be valid UTF-8.
  bool find(std::string_view subject, size_t from, size_t *begin,
            size_t *end) const;

  /// What the pattern is, for messages ("<file>: pre_tokenizer ...").
  const std::string &where() const { return where_; }

  /// True when the whole of `s` matches (anchored at both ends).
  bool fullMatch(std::string_view s) const;

private:
  struct Code;
  std::unique_ptr<Code> code_;
  std::string where_;
};

} // namespace nhc::text::detail

#endif
