// nhc chat template: recursive-descent parser following jinja2's grammar
// and operator precedence (jinja2/parser.py).
#include <cstdlib>
#include <initializer_list>

#include "ast.h"

namespace nhc::text::tpl {
namespace {

constexpr int kMaxDepth = 200; // nesting of expressions and blocks
constexpr int kMaxHeight = 1000; // of the syntax tree, chains included

class Parser {
public:
  explicit Parser(const std::vector<Token> &t) : t_(t) {}

  NodePtr parse_template() {
    auto body = subparse({});
    if (cur().type != Tok::Eof) fail(cur().pos, "unexpected token");
    return body;
  }

private:
  const std::vector<Token> &t_;
  std::size_t k_ = 0;
  int depth_ = 0;

  struct DepthGuard {
    Parser &p;
    DepthGuard(Parser &parser, Pos pos) : p(parser) {
      if (++p.depth_ > kMaxDepth)
        p.fail(pos, "template nesting is deeper than " + std::to_string(kMaxDepth));
    }
    ~DepthGuard() { --p.depth_; }
  };

  /// Appends `kid` to `parent`'s kids. Chains (a + b + ..., a.b.c...,
  /// x | f | g ...) are built in loops, not by recursion, so the tree's
  /// height is bounded here: every walk of it (validation, rendering, the
  /// destructor) recurses once per level.
  void adopt(Node &parent, NodePtr kid) {
    if (kid) {
      parent.height = std::max(parent.height, kid->height + 1);
      if (parent.height > kMaxHeight)
        fail(parent.pos, "template expression is nested deeper than " +
                             std::to_string(kMaxHeight) + " levels");
    }
    parent.kids.push_back(std::move(kid));
  }

  const Token &cur() const { return t_[k_]; }
  const Token &peek(std::size_t n = 1) const {
    return t_[std::min(k_ + n, t_.size() - 1)];
  }
  [[noreturn]] void fail(Pos p, const std::string &what) const {
    throw SyntaxError{p, what};
  }
  std::string describe(const Token &t) const {
    switch (t.type) {
    case Tok::Eof: return "end of template";
    case Tok::BlockEnd: return "end of statement block";
    case Tok::VarEnd: return "end of print statement";
    case Tok::Data: return "template data";
    case Tok::String: return "string";
    default: return "'" + t.text + "'";
    }
  }
  bool is_op(const char *op) const { return cur().type == Tok::Op && cur().text == op; }
  bool is_name(const char *n) const { return cur().type == Tok::Name && cur().text == n; }
  bool skip_op(const char *op) { if (is_op(op)) { ++k_; return true; } return false; }
  bool skip_name(const char *n) { if (is_name(n)) { ++k_; return true; } return false; }
  void expect_op(const char *op) {
    if (!skip_op(op))
      fail(cur().pos, std::string("expected '") + op + "', got " + describe(cur()));
  }
  void expect_block_end() {
    if (cur().type != Tok::BlockEnd)
      fail(cur().pos, "expected end of statement block, got " + describe(cur()));
    ++k_;
  }
  std::string expect_name() {
    if (cur().type != Tok::Name)
      fail(cur().pos, "expected a name, got " + describe(cur()));
    return t_[k_++].text;
  }

  static NodePtr node(NK k, Pos p) { return std::make_unique<Node>(k, p); }

  // Parses statements until a block whose first name is in `ends`; leaves
  // the cursor on that name (after the BlockBegin).
  NodePtr subparse(std::initializer_list<const char *> ends) {
    auto body = node(NK::Body, cur().pos);
    while (cur().type != Tok::Eof) {
      const Token &t = cur();
      if (t.type == Tok::Data) {
        auto n = node(NK::Text, t.pos);
        n->name = t.text;
        adopt(*body, std::move(n));
        ++k_;
      } else if (t.type == Tok::VarBegin) {
        ++k_;
        auto n = node(NK::Print, t.pos);
        adopt(*n, parse_tuple(true, false));
        if (cur().type != Tok::VarEnd)
          fail(cur().pos, "expected end of print statement, got " + describe(cur()));
        ++k_;
        adopt(*body, std::move(n));
      } else if (t.type == Tok::BlockBegin) {
        ++k_;
        if (cur().type == Tok::Name)
          for (const char *e : ends)
            if (cur().text == e) return body;
        adopt(*body, parse_statement());
      } else {
        fail(t.pos, "unexpected " + describe(t));
      }
    }
    if (ends.size()) {
      std::string want;
      for (const char *e : ends) want += std::string(want.empty() ? "" : " or ") + "'" + e + "'";
      fail(cur().pos, "unexpected end of template, expected " + want);
    }
    return body;
  }

  NodePtr parse_statement() {
    const Token &t = cur();
    DepthGuard g(*this, t.pos);
    if (t.type != Tok::Name) fail(t.pos, "tag name expected");
    const std::string &n = t.text;
    if (n == "if") return parse_if();
    if (n == "for") return parse_for();
    if (n == "set") return parse_set();
    if (n == "macro") return parse_macro();
    if (n == "break" || n == "continue") {
      auto s = node(n == "break" ? NK::Break : NK::Continue, t.pos);
      ++k_;
      expect_block_end();
      return s;
    }
    if (n == "generation") {
      auto s = node(NK::Generation, t.pos);
      ++k_;
      expect_block_end();
      adopt(*s, subparse({"endgeneration"}));
      ++k_;
      expect_block_end();
      return s;
    }
    static const char *unsupported[] = {"call", "filter", "with", "include", "import",
                                        "from", "extends", "block", "do", "autoescape",
                                        "trans", "pluralize"};
    for (const char *u : unsupported)
      if (n == u) fail(t.pos, "unsupported construct: '{% " + n + " %}' tag");
    fail(t.pos, "Encountered unknown tag '" + n + "'");
  }

  NodePtr parse_if() {
    auto s = node(NK::If, cur().pos);
    ++k_;
    while (true) {
      adopt(*s, parse_tuple(false, false));
      expect_block_end();
      adopt(*s, subparse({"elif", "else", "endif"}));
      std::string tag = t_[k_++].text;
      if (tag == "elif") continue;
      if (tag == "else") {
        expect_block_end();
        adopt(*s, subparse({"endif"}));
        ++k_;
        s->has_else = true;
      }
      expect_block_end();
      return s;
    }
  }

  void parse_targets(std::vector<std::string> &out) {
    bool paren = skip_op("(");
    out.push_back(expect_name());
    while (skip_op(",")) {
      if (cur().type != Tok::Name) break;
      out.push_back(expect_name());
    }
    if (paren) expect_op(")");
  }

  NodePtr parse_for() {
    auto s = node(NK::For, cur().pos);
    ++k_;
    parse_targets(s->targets);
    if (!skip_name("in")) fail(cur().pos, "expected 'in', got " + describe(cur()));
    adopt(*s, parse_tuple(false, false, /*no_condexpr=*/true));
    NodePtr filter;
    if (skip_name("if")) filter = parse_expression();
    if (is_name("recursive")) fail(cur().pos, "unsupported construct: recursive for loops");
    adopt(*s, std::move(filter));
    expect_block_end();
    adopt(*s, subparse({"endfor", "else"}));
    NodePtr else_body;
    if (t_[k_++].text == "else") {
      expect_block_end();
      else_body = subparse({"endfor"});
      ++k_;
    }
    adopt(*s, std::move(else_body));
    expect_block_end();
    return s;
  }

  NodePtr parse_set() {
    Pos p = cur().pos;
    ++k_;
    std::vector<std::string> targets;
    std::string attr;
    targets.push_back(expect_name());
    if (skip_op(".")) {
      attr = expect_name();
    } else {
      while (skip_op(",")) targets.push_back(expect_name());
    }
    if (skip_op("=")) {
      auto s = node(NK::Set, p);
      s->targets = std::move(targets);
      s->attr = std::move(attr);
      adopt(*s, parse_tuple(false, false));
      expect_block_end();
      return s;
    }
    if (targets.size() != 1 || !attr.empty())
      fail(cur().pos, "expected '=', got " + describe(cur()));
    if (is_op("|")) fail(cur().pos, "unsupported construct: filtered block set");
    expect_block_end();
    auto s = node(NK::SetBlock, p);
    s->targets = std::move(targets);
    adopt(*s, subparse({"endset"}));
    ++k_;
    expect_block_end();
    return s;
  }

  NodePtr parse_macro() {
    auto s = node(NK::Macro, cur().pos);
    ++k_;
    s->name = expect_name();
    expect_op("(");
    bool seen_default = false;
    while (!is_op(")")) {
      if (!s->targets.empty()) expect_op(",");
      if (is_op(")")) break;
      s->targets.push_back(expect_name());
      if (skip_op("=")) {
        adopt(*s, parse_expression());
        seen_default = true;
      } else {
        if (seen_default) fail(cur().pos, "non-default argument follows default argument");
        adopt(*s, nullptr);
      }
    }
    expect_op(")");
    expect_block_end();
    adopt(*s, subparse({"endmacro"}));
    ++k_;
    if (cur().type == Tok::Name && cur().text == s->name) ++k_;
    expect_block_end();
    // As jinja2: a macro whose body reads `varargs` takes extra positional
    // arguments as that tuple, one that reads `kwargs` extra keywords as
    // that dict, unless a parameter has the name.
    auto special = [&](const char *name) {
      for (const std::string &p : s->targets)
        if (p == name) return false;
      return reads(*s->kids.back(), name);
    };
    s->takes_varargs = special("varargs");
    s->takes_kwargs = special("kwargs");
    return s;
  }

  /// Whether `n` or a node below it reads the variable `name` (the walk
  /// is as deep as the parser's bounded height).
  static bool reads(const Node &n, const char *name) {
    if (n.kind == NK::Name && n.name == name) return true;
    for (const NodePtr &kid : n.kids)
      if (kid && reads(*kid, name)) return true;
    return false;
  }

  // --- expressions ----------------------------------------------------------
  NodePtr parse_expression(bool with_condexpr = true) {
    DepthGuard g(*this, cur().pos);
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  NodePtr parse_tuple(bool simplified, bool explicit_parens, bool no_condexpr = false) {
    Pos p = cur().pos;
    std::vector<NodePtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) {
        if (!skip_op(",")) break;
        is_tuple = true;
      }
      if (cur().type == Tok::VarEnd || cur().type == Tok::BlockEnd || is_op(")") ||
          (no_condexpr && is_name("if")) || is_name("recursive"))
        break;
      if (simplified) items.push_back(parse_primary_postfix());
      else items.push_back(parse_expression(!no_condexpr));
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens)
        fail(cur().pos, "expected an expression, got " + describe(cur()));
    }
    auto n = node(NK::TupleLit, p);
    for (NodePtr &item : items)
      adopt(*n, std::move(item));
    return n;
  }

  NodePtr parse_primary_postfix() {
    // jinja2's "simplified" tuples (used for {{ }}) still parse full expressions
    return parse_expression();
  }

  NodePtr parse_condexpr() {
    Pos p = cur().pos;
    NodePtr expr1 = parse_or();
    while (skip_name("if")) {
      NodePtr cond = parse_or();
      NodePtr expr3;
      if (skip_name("else")) {
        // `a if c else b if d else ...` nests by recursion here.
        DepthGuard g(*this, cur().pos);
        expr3 = parse_condexpr();
      }
      auto n = node(NK::Cond, p);
      adopt(*n, std::move(expr1));
      adopt(*n, std::move(cond));
      adopt(*n, std::move(expr3));
      expr1 = std::move(n);
    }
    return expr1;
  }

  NodePtr binary(NK k, Pos p, NodePtr l, NodePtr r, const std::string &op = {}) {
    auto n = node(k, p);
    n->name = op;
    adopt(*n, std::move(l));
    adopt(*n, std::move(r));
    return n;
  }

  NodePtr parse_or() {
    Pos p = cur().pos;
    NodePtr l = parse_and();
    while (skip_name("or")) l = binary(NK::Or, p, std::move(l), parse_and());
    return l;
  }
  NodePtr parse_and() {
    Pos p = cur().pos;
    NodePtr l = parse_not();
    while (skip_name("and")) l = binary(NK::And, p, std::move(l), parse_not());
    return l;
  }
  NodePtr parse_not() {
    Pos p = cur().pos;
    if (skip_name("not")) {
      DepthGuard g(*this, p);
      auto n = node(NK::Not, p);
      adopt(*n, parse_not());
      return n;
    }
    return parse_compare();
  }
  NodePtr parse_compare() {
    Pos p = cur().pos;
    NodePtr first = parse_math1();
    NodePtr cmp;
    while (true) {
      std::string op;
      if (cur().type == Tok::Op && (cur().text == "==" || cur().text == "!=" ||
                                    cur().text == "<" || cur().text == ">" ||
                                    cur().text == "<=" || cur().text == ">=")) {
        op = cur().text;
        ++k_;
      } else if (is_name("in")) {
        op = "in";
        ++k_;
      } else if (is_name("not") && peek().type == Tok::Name && peek().text == "in") {
        op = "notin";
        k_ += 2;
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(NK::Compare, p);
        adopt(*cmp, std::move(first));
      }
      cmp->ops.push_back(op);
      adopt(*cmp, parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }
  NodePtr parse_math1() {
    Pos p = cur().pos;
    NodePtr l = parse_concat();
    while (is_op("+") || is_op("-")) {
      std::string op = t_[k_++].text;
      l = binary(NK::Bin, p, std::move(l), parse_concat(), op);
    }
    return l;
  }
  NodePtr parse_concat() {
    Pos p = cur().pos;
    NodePtr l = parse_math2();
    while (skip_op("~")) l = binary(NK::Bin, p, std::move(l), parse_math2(), "~");
    return l;
  }
  NodePtr parse_math2() {
    Pos p = cur().pos;
    NodePtr l = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      std::string op = t_[k_++].text;
      l = binary(NK::Bin, p, std::move(l), parse_pow(), op);
    }
    return l;
  }
  NodePtr parse_pow() {
    Pos p = cur().pos;
    NodePtr l = parse_unary();
    while (skip_op("**")) l = binary(NK::Bin, p, std::move(l), parse_unary(), "**");
    return l;
  }
  NodePtr parse_unary(bool with_filter = true) {
    Pos p = cur().pos;
    DepthGuard g(*this, p);
    NodePtr n;
    if (is_op("-") || is_op("+")) {
      NK k = cur().text == "-" ? NK::Neg : NK::Pos;
      ++k_;
      n = node(k, p);
      adopt(*n, parse_unary(false));
    } else {
      n = parse_primary();
    }
    n = parse_postfix(std::move(n));
    if (with_filter) n = parse_filter_expr(std::move(n));
    return n;
  }

  NodePtr parse_primary() {
    const Token &t = cur();
    Pos p = t.pos;
    if (t.type == Tok::Name) {
      ++k_;
      auto n = node(NK::Literal, p);
      if (t.text == "true" || t.text == "True") n->value = Value::boolean(true);
      else if (t.text == "false" || t.text == "False") n->value = Value::boolean(false);
      else if (t.text == "none" || t.text == "None") n->value = Value::none();
      else { n->kind = NK::Name; n->name = t.text; }
      return n;
    }
    if (t.type == Tok::String) {
      std::string s;
      while (cur().type == Tok::String) s += t_[k_++].text;
      auto n = node(NK::Literal, p);
      n->value = Value::string(std::move(s));
      return n;
    }
    if (t.type == Tok::Int || t.type == Tok::Float) {
      ++k_;
      std::string txt;
      for (char c : t.text) if (c != '_') txt += c;
      auto n = node(NK::Literal, p);
      errno = 0;
      if (t.type == Tok::Float) {
        n->value = Value::floating(std::strtod(txt.c_str(), nullptr));
      } else {
        int base = 10;
        std::size_t skip = 0;
        if (txt.size() > 1 && txt[0] == '0' && std::isalpha((unsigned char)txt[1])) {
          char b = (char)std::tolower(txt[1]);
          base = b == 'x' ? 16 : b == 'o' ? 8 : 2;
          skip = 2;
        }
        long long v = std::strtoll(txt.c_str() + skip, nullptr, base);
        if (errno == ERANGE) fail(p, "integer literal out of the supported 64-bit range");
        n->value = Value::integer(v);
      }
      return n;
    }
    if (is_op("(")) {
      ++k_;
      NodePtr n = parse_tuple(false, true);
      expect_op(")");
      return n;
    }
    if (is_op("[")) {
      ++k_;
      auto n = node(NK::ListLit, p);
      while (!is_op("]")) {
        if (!n->kids.empty()) expect_op(",");
        if (is_op("]")) break;
        adopt(*n, parse_expression());
      }
      expect_op("]");
      return n;
    }
    if (is_op("{")) {
      ++k_;
      auto n = node(NK::DictLit, p);
      while (!is_op("}")) {
        if (!n->kids.empty()) expect_op(",");
        if (is_op("}")) break;
        adopt(*n, parse_expression());
        expect_op(":");
        adopt(*n, parse_expression());
      }
      expect_op("}");
      return n;
    }
    fail(p, "unexpected " + describe(t));
  }

  NodePtr parse_postfix(NodePtr n) {
    while (true) {
      Pos p = cur().pos;
      if (is_op(".")) {
        ++k_;
        if (cur().type == Tok::Name) {
          auto a = node(NK::Attr, p);
          a->name = t_[k_++].text;
          adopt(*a, std::move(n));
          n = std::move(a);
        } else if (cur().type == Tok::Int) {
          auto a = node(NK::Getitem, p);
          auto lit = node(NK::Literal, cur().pos);
          lit->value = Value::integer(std::strtoll(cur().text.c_str(), nullptr, 10));
          ++k_;
          adopt(*a, std::move(n));
          adopt(*a, std::move(lit));
          n = std::move(a);
        } else {
          fail(cur().pos, "expected name or number after '.'");
        }
      } else if (is_op("[")) {
        ++k_;
        auto a = node(NK::Getitem, p);
        adopt(*a, std::move(n));
        adopt(*a, parse_subscript());
        expect_op("]");
        n = std::move(a);
      } else if (is_op("(")) {
        n = parse_call(std::move(n));
      } else {
        return n;
      }
    }
  }

  NodePtr parse_subscript() {
    Pos p = cur().pos;
    NodePtr first;
    if (!is_op(":")) {
      first = parse_expression();
      if (!is_op(":")) {
        if (is_op(",")) fail(cur().pos, "unsupported construct: tuple subscripts");
        return first;
      }
    }
    auto s = node(NK::Slice, p);
    adopt(*s, std::move(first));
    expect_op(":");
    NodePtr stop, step;
    if (!is_op("]") && !is_op(":")) stop = parse_expression();
    if (skip_op(":")) {
      if (!is_op("]")) step = parse_expression();
    }
    adopt(*s, std::move(stop));
    adopt(*s, std::move(step));
    return s;
  }

  // Parses "(args)" into kids[first..] / kwnames of `n`.
  void parse_args(Node &n) {
    expect_op("(");
    std::size_t count = 0;
    while (!is_op(")")) {
      if (count++) expect_op(",");
      if (is_op(")")) break;
      if (is_op("*") || is_op("**"))
        fail(cur().pos, "unsupported construct: *args/**kwargs in calls");
      if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == "=") {
        n.kwnames.push_back(cur().text);
        k_ += 2;
        adopt(n, parse_expression());
      } else {
        if (!n.kwnames.empty())
          fail(cur().pos, "positional argument follows keyword argument");
        adopt(n, parse_expression());
      }
    }
    expect_op(")");
  }

  NodePtr parse_call(NodePtr callee) {
    auto c = node(NK::Call, cur().pos);
    adopt(*c, std::move(callee));
    parse_args(*c);
    return c;
  }

  NodePtr parse_filter_expr(NodePtr n) {
    while (true) {
      Pos p = cur().pos;
      if (skip_op("|")) {
        auto f = node(NK::Filter, p);
        f->name = expect_name();
        while (skip_op(".")) f->name += "." + expect_name();
        adopt(*f, std::move(n));
        if (is_op("(")) parse_args(*f);
        n = std::move(f);
      } else if (skip_name("is")) {
        auto t = node(NK::Test, p);
        t->negated = skip_name("not");
        t->name = expect_name();
        while (skip_op(".")) t->name += "." + expect_name();
        adopt(*t, std::move(n));
        if (is_op("(")) {
          parse_args(*t);
        } else if ((cur().type == Tok::Name || cur().type == Tok::String ||
                    cur().type == Tok::Int || cur().type == Tok::Float || is_op("(") ||
                    is_op("[") || is_op("{")) &&
                   !(is_name("else") || is_name("or") || is_name("and"))) {
          if (is_name("is")) fail(cur().pos, "You cannot chain multiple tests with is");
          adopt(*t, parse_postfix(parse_primary()));
        }
        n = std::move(t);
      } else if (is_op("(")) {
        n = parse_call(std::move(n));
      } else {
        return n;
      }
    }
  }
};

} // namespace

NodePtr parse(const std::vector<Token> &tokens) {
  return Parser(tokens).parse_template();
}

} // namespace nhc::text::tpl
