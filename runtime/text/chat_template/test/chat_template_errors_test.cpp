// Error tests: syntax errors and unsupported constructs name the template
// and line:column; runtime errors and raise_exception surface as TextError;
// hostile templates hit limits instead of hanging or overflowing the stack.
#include <gtest/gtest.h>

#include <nhc/text/chat_template.h>

using nhc::text::ChatTemplate;
using nhc::text::TextError;
using nlohmann::ordered_json;

namespace {

std::string parse_error(const std::string &src) {
  try {
    ChatTemplate::parse(src, "tpl");
  } catch (const TextError &e) {
    return e.what();
  }
  return "(no error)";
}

std::string render_error(const std::string &src, const ordered_json &ctx = ordered_json::object()) {
  auto t = ChatTemplate::parse(src, "tpl");
  try {
    t.render(ctx);
  } catch (const TextError &e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ChatTemplateErrors, UnsupportedConstructsHavePositions) {
  EXPECT_EQ(parse_error("ab\n  {% include 'x' %}"),
            "tpl:2:6: unsupported construct: '{% include %}' tag");
  EXPECT_EQ(parse_error("{{ x | frobnicate }}"),
            "tpl:1:6: unsupported construct: no filter named 'frobnicate'");
  EXPECT_EQ(parse_error("\n\n{% if x is frob %}{% endif %}"),
            "tpl:3:9: unsupported construct: no test named 'frob'");
  EXPECT_EQ(parse_error("{% for x in y recursive %}{% endfor %}"),
            "tpl:1:15: unsupported construct: recursive for loops");
  EXPECT_EQ(parse_error("{% call m() %}{% endcall %}"),
            "tpl:1:4: unsupported construct: '{% call %}' tag");
}

TEST(ChatTemplateErrors, SyntaxErrors) {
  EXPECT_EQ(parse_error("{% if x %}"), "tpl:1:11: unexpected end of template, expected 'elif' or 'else' or 'endif'");
  EXPECT_EQ(parse_error("{{ 'abc }}"), "tpl:1:4: unterminated string literal");
  EXPECT_EQ(parse_error("{{ (1 }}"), "tpl:1:7: unexpected '}', expected ')'");
  EXPECT_EQ(parse_error("{% frob %}"), "tpl:1:4: Encountered unknown tag 'frob'");
  EXPECT_EQ(parse_error("{% break %}"), "tpl:1:4: 'break' outside of a loop");
  EXPECT_EQ(parse_error("{{ x"), "tpl:1:1: unexpected end of template, expected '}}'");
  EXPECT_EQ(parse_error("{# open"), "tpl:1:1: missing end of comment tag");
}

TEST(ChatTemplateErrors, RuntimeErrorsNameTheLine) {
  EXPECT_EQ(render_error("line1\n{{ x.y }}"), "tpl:2:5: 'x' is undefined");
  EXPECT_EQ(render_error("{{ 'a' + 1 }}"), "tpl:1:4: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(render_error("{{ [].append(1) }}"),
            "tpl:1:13: access to attribute 'append' of 'list' object is unsafe (templates run in jinja2's immutable sandbox)");
  EXPECT_EQ(render_error("{{ 1 // 0 }}"), "tpl:1:4: integer division or modulo by zero");
  EXPECT_EQ(render_error("{% set x = 1 %}{% set x.a = 2 %}"),
            "tpl:1:19: cannot assign attribute on non-namespace object");
  EXPECT_EQ(render_error("{% set ns = namespace() %}{% set ns._x = 1 %}"),
            "tpl:1:30: Chat templates cannot store underscore-prefixed attributes on a namespace, but got '_x'.");
  EXPECT_EQ(render_error("{% for a, b in [1] %}{% endfor %}"),
            "tpl:1:4: 'int' object is not iterable");
}

TEST(ChatTemplateErrors, RaiseExceptionMessageSurfaces) {
  std::string e = render_error("{% if messages|length == 0 %}\n"
                               "{{ raise_exception('Conversation roles must alternate!') }}\n"
                               "{% endif %}",
                               {{"messages", ordered_json::array()}});
  EXPECT_EQ(e, "tpl:2:19: raise_exception: Conversation roles must alternate!");
}

TEST(ChatTemplateErrors, DeepNestingIsRejected) {
  std::string deep(5000, '(');
  deep = "{{ " + deep + "1" + std::string(5000, ')') + " }}";
  EXPECT_NE(parse_error(deep).find("nesting is deeper than"), std::string::npos);
  std::string blocks;
  for (int k = 0; k < 5000; ++k) blocks += "{% if true %}";
  EXPECT_NE(parse_error(blocks).find("nesting is deeper than"), std::string::npos);
  std::string nots = "{{ " + std::string(0, ' ');
  for (int k = 0; k < 5000; ++k) nots += "not ";
  nots += "x }}";
  EXPECT_NE(parse_error(nots).find("nesting is deeper than"), std::string::npos);
}

TEST(ChatTemplateErrors, HugeLoopsHitLimits) {
  EXPECT_NE(render_error("{% for i in range(1000000000) %}x{% endfor %}").find("Range too big"),
            std::string::npos);
  EXPECT_NE(render_error("{% for a in range(100000) %}{% for b in range(100000) %}"
                         "{% endfor %}{% endfor %}")
                .find("steps"),
            std::string::npos);
}

TEST(ChatTemplateErrors, GiantOutputsHitLimits) {
  EXPECT_NE(render_error("{{ 'x' * 1000000000000 }}").find("string limit"), std::string::npos);
  EXPECT_NE(render_error("{% set s = 'x' * 1000000 %}{% for i in range(100) %}{{ s }}{% endfor %}")
                .find("output exceeded"),
            std::string::npos);
  EXPECT_NE(render_error("{% set ns = namespace(s='xx') %}{% for i in range(64) %}"
                         "{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
                .find("limit"),
            std::string::npos);
}

TEST(ChatTemplateErrors, RecursiveMacrosHitLimits) {
  EXPECT_NE(render_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
                .find("macro calls nested deeper"),
            std::string::npos);
}

TEST(ChatTemplateErrors, BadContext) {
  auto t = ChatTemplate::parse("x", "tpl");
  EXPECT_THROW(t.render(ordered_json::array()), TextError);
}

} // namespace
