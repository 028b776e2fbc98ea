// nhc chat template: the syntax tree of the Jinja subset.
#ifndef NHC_TEXT_CHAT_TEMPLATE_AST_H
#define NHC_TEXT_CHAT_TEMPLATE_AST_H

#include <memory>
#include <string>
#include <vector>

#include "lexer.h"
#include "value.h"

namespace nhc::text::tpl {

enum class NK {
  // expressions
  Literal,   // value
  Name,      // name
  ListLit,   // kids: items
  TupleLit,  // kids: items
  DictLit,   // kids: key0, value0, key1, value1, ...
  Attr,      // kids[0].name
  Getitem,   // kids[0][kids[1]]
  Slice,     // kids: start, stop, step (each may be null)
  Call,      // kids[0](kids[1..]); the last kwnames.size() args are keywords
  Filter,    // kids[0] | name(kids[1..])
  Test,      // kids[0] is [not] name(kids[1..]); negated
  Neg, Pos, Not, // kids[0]
  Bin,       // kids[0] name kids[1]: + - * / // % ** ~
  And, Or,   // kids[0], kids[1]
  Compare,   // kids[0] ops[k] kids[k+1]
  Cond,      // kids: then, cond, else (else may be null)
  // statements
  Body,      // kids: statements
  Text,      // name: the text
  Print,     // kids[0]
  If,        // kids: cond0, body0, cond1, body1, ... [, else body]; has_else
  For,       // targets; kids: iter, filter (or null), body, else (or null)
  Set,       // targets, or targets[0].attr when attr non-empty; kids[0]: value
  SetBlock,  // targets[0]; kids[0]: body
  Macro,     // name, targets = parameters; kids: default per parameter
             // (or null), then the body
  Break, Continue,
  Generation, // kids[0]: body ({% generation %}, transformers' extension)
};

struct Node {
  NK kind;
  Pos pos;
  std::string name;
  Value value;
  std::vector<std::unique_ptr<Node>> kids;
  std::vector<std::string> kwnames;
  std::vector<std::string> ops;
  std::vector<std::string> targets;
  std::string attr;
  bool negated = false;
  bool has_else = false;
  /// Macro: its body reads `varargs` / `kwargs` and no parameter has that
  /// name, so it takes extra positional / keyword arguments (as jinja2).
  bool takes_varargs = false;
  bool takes_kwargs = false;
  /// The longest path from here to a leaf, this node included (the parser
  /// bounds it, so walks and the destructor recurse a bounded depth).
  int height = 1;

  Node(NK k, Pos p) : kind(k), pos(p) {}
};

using NodePtr = std::unique_ptr<Node>;

/// Parses the token stream; throws SyntaxError.
NodePtr parse(const std::vector<Token> &tokens);

} // namespace nhc::text::tpl

#endif // NHC_TEXT_CHAT_TEMPLATE_AST_H
