// nhc chat template: the Jinja lexer, with jinja2's whitespace rules for
// the environment transformers uses (trim_blocks, lstrip_blocks, `-`/`+`
// modifiers, no kept trailing newline, newlines normalised to "\n").
#ifndef NHC_TEXT_CHAT_TEMPLATE_LEXER_H
#define NHC_TEXT_CHAT_TEMPLATE_LEXER_H

#include <cstddef>
#include <string>
#include <vector>

namespace nhc::text::tpl {

enum class Tok {
  Data, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op,
  Eof
};

struct Pos {
  int line = 1;
  int col = 1;
};

struct Token {
  Tok type;
  std::string text; // Data: the text; String: decoded; Name/Op/Int/Float: as written
  Pos pos;
};

/// Error with a position; the caller prefixes the template name.
struct SyntaxError {
  Pos pos;
  std::string what;
};

/// Lexes `source`; throws SyntaxError.
std::vector<Token> lex(const std::string &source);

/// jinja2's source normalisation: splitlines() joined with "\n" (so the
/// final line break, if any, is dropped).
std::string normalize_newlines(const std::string &source);

} // namespace nhc::text::tpl

#endif // NHC_TEXT_CHAT_TEMPLATE_LEXER_H
