// Error tests: syntax errors and unsupported constructs name the template
// and line:column; runtime errors and raise_exception surface as TextError;
// hostile templates hit limits instead of hanging or overflowing the stack.
#include <gtest/gtest.h>

#include <nhc/text/chat_template.h>

using nhc::text::ChatTemplate;
using nhc::text::TextError;
using nlohmann::ordered_json;

namespace {

// The resource-limit tests render until a limit of millions of steps or
// bytes stops them: seconds in an optimised build, many minutes under
// AddressSanitizer. The sanitizer build (test/fuzz) skips them, saying so;
// the main build runs them, and the chat-template fuzzer exercises the
// same limits under ASan with its own inputs.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NHC_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NHC_UNDER_ASAN 1
#endif
#ifdef NHC_UNDER_ASAN
#define SKIP_LIMIT_TEST_UNDER_ASAN()                                           \
  GTEST_SKIP() << "resource-limit test: too slow under AddressSanitizer; "    \
                  "runs in the Release build (ctest in build/)"
#else
#define SKIP_LIMIT_TEST_UNDER_ASAN()
#endif


std::string parse_error(const std::string &src) {
  try {
    ChatTemplate::parse(src, "tpl");
  } catch (const TextError &e) {
    return e.what();
  }
  return "(no error)";
}

std::string render(const std::string &src, const ordered_json &ctx = ordered_json::object()) {
  return ChatTemplate::parse(src, "tpl").render(ctx);
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

// Where jinja2's result has no form here (an int past 64 bits, a text no
// UTF-8 encodes) or would pass a bound, an error names it: never a capped
// width, a NaN or a default in its place.
TEST(ChatTemplateErrors, ResultsBeyondOurFormsAreErrorsNotSubstitutes) {
  EXPECT_EQ(render_error("{{ '99999999999999999999999'|int }}"),
            "tpl:1:29: int: '99999999999999999999999' does not fit in a 64-bit integer");
  EXPECT_EQ(render_error("{{ 1e30|int }}"), "tpl:1:8: int: 1e+30 does not fit in a 64-bit integer");
  // A long number is quoted cut, with its length (a message, not a dump).
  EXPECT_EQ(render_error("{{ ('9' * 5000)|int }}"),
            "tpl:1:16: int: '" + std::string(60, '9') +
                "'... (5000 bytes) does not fit in a 64-bit integer");
  // An infinite float (the literal overflows to inf here): jinja2 3.1.6's
  // int of an infinite value from the context raises OverflowError, while
  // 'inf'|int (text) is int's default. (jinja2's own compiler fails this
  // literal earlier, with a NameError: it writes inf into Python code.)
  EXPECT_EQ(render_error("{{ 1e999|int(7) }}"), "tpl:1:9: int: inf does not fit in a 64-bit integer");
  EXPECT_EQ(render_error("{{ 1.5|round(1000000, 'floor') }}"),
            "tpl:1:7: round: precision 1000000 is out of range for 'floor'");
  EXPECT_EQ(render_error("{{ 'a'|center(100000000) }}"),
            "tpl:1:7: result is larger than the 64 MiB string limit");
  EXPECT_EQ(render_error("{{ 'ab'|indent(100000000) }}"),
            "tpl:1:8: result is larger than the 64 MiB string limit");
  EXPECT_EQ(render_error("{{ {'a': 1}|tojson(indent=2000) }}"),
            "tpl:1:12: tojson: indent 2000 is above nhc's limit of 1024");
  // Python raises OverflowError for a float power past the largest float
  // (a product past it is inf there too) and makes a complex number of a
  // negative number to a fractional power.
  EXPECT_EQ(render_error("{{ 2.0 ** 100000 }}"),
            "tpl:1:4: (34, 'Numerical result out of range')");
  EXPECT_EQ(render_error("{{ (-8) ** 0.5 }}"),
            "tpl:1:4: unsupported: a negative number to a fractional power is complex");
  EXPECT_EQ(render("{{ 10.0 ** -400 }} {{ 1e308 * 10 }} {{ (-8.0) ** 3.0 }} {{ 2 ** 0.5 }} "
                   "{{ (-1e308 * 10) ** 0.5 }}"),
            "0.0 inf -512.0 1.4142135623730951 inf");
  EXPECT_EQ(parse_error("{{ '\\ud800' }}"),
            "tpl:1:11: surrogate code point in string literal (no UTF-8 form)");
}

// jinja2 3.1.6's errors for what a generator or an unhashable value cannot do.
TEST(ChatTemplateErrors, GeneratorsAndUnhashableValuesFailAsInPython) {
  EXPECT_EQ(render_error("{{ ([1,2]|select)|length }}"),
            "tpl:1:18: object of type 'generator' has no len()");
  EXPECT_EQ(render_error("{{ [1]|select|last }}"),
            "tpl:1:14: 'generator' object is not reversible");
  EXPECT_EQ(render_error("{{ 5|select|list }}"), "tpl:1:12: 'int' object is not iterable");
  EXPECT_EQ(render_error("{{ [1]|select|tojson }}"),
            "tpl:1:14: Object of type generator is not JSON serializable");
  EXPECT_EQ(render_error("{{ [1,2]|map('nosuchfilter')|list }}"),
            "tpl:1:29: No filter named 'nosuchfilter'");
  EXPECT_EQ(render_error("{{ 3|items|list }}"), "tpl:1:11: Can only get item pairs from a mapping.");
  EXPECT_EQ(render_error("{{ [1]|select + [2] }}"),
            "tpl:1:4: unsupported operand type(s) for +: 'generator' and 'list'");
  EXPECT_EQ(render_error("{{ [[1],[1]]|unique|list }}"), "tpl:1:20: unhashable type: 'list'");
  EXPECT_EQ(render_error("{{ {} in {} }}"), "tpl:1:4: unhashable type: 'dict'");
  EXPECT_EQ(render_error("{{ {(1, [2]): 3} }}"), "tpl:1:4: unhashable type: 'list'");
  EXPECT_EQ(render_error("{{ {'k': 1}.get([1]) }}"), "tpl:1:16: unhashable type: 'list'");
  // Ordering an undefined value fails with its own message, as jinja2's.
  EXPECT_EQ(render_error("{{ [{'a': 1}, {'b': 2}]|sort(attribute='a') }}"),
            "tpl:1:24: 'dict object' has no attribute 'a'");
  // A chain of generators is pulled (and destroyed) recursively: bounded,
  // whether it runs through the source or a filter's arguments; and a pull
  // that reaches other iterators through namespaces (which the chain's
  // depth does not see) stops at a pull depth.
  for (const char *chain :
       {"{% set ns.g = ns.g|select %}", "{% set ns.g = [1]|map('default', ns.g) %}",
        "{% set ns.g = [1]|select('in', ns.g) %}"})
    EXPECT_NE(render_error(std::string("{% set ns = namespace(g=[1]) %}{% for i in range(300) %}") +
                           chain + "{% endfor %}{{ ns.g|list }}")
                  .find("iterators chained deeper than 256 levels"),
              std::string::npos)
        << chain;
  EXPECT_NE(render_error("{% set ns = namespace(p=none) %}{% for i in range(2000) %}"
                         "{% set ns.p = namespace(p=ns.p, g=[ns.p]|map(attribute='g')|"
                         "map('list')) %}{% endfor %}{{ ns.p.g|list }}")
                .find("iterators nested deeper than 512 levels"),
            std::string::npos);
}

TEST(ChatTemplateErrors, RaiseExceptionMessageSurfaces) {
  std::string e = render_error("{% if messages|length == 0 %}\n"
                               "{{ raise_exception('Conversation roles must alternate!') }}\n"
                               "{% endif %}",
                               {{"messages", ordered_json::array()}});
  EXPECT_EQ(e, "tpl:2:19: raise_exception: Conversation roles must alternate!");
}

TEST(ChatTemplateErrors, RaiseExceptionMessageIsEscapedAndBounded) {
  // The template's text reaches a terminal or a log: controls and direction
  // marks escaped, a long message cut with its length.
  EXPECT_EQ(render_error("{{ raise_exception('a\\x1b[2J\\u202eb') }}"),
            "tpl:1:19: raise_exception: a\\x1b[2J\\u202eb");
  std::string e = render_error("{{ raise_exception('x' * 30000000) }}");
  EXPECT_LT(e.size(), 1100u);
  EXPECT_NE(e.find("... (30000000 bytes)"), std::string::npos) << e;
}

TEST(ChatTemplateErrors, StrftimeConversionsCountAsWork) {
  // Each %s runs mktime: a million of them per call, a thousand calls,
  // would render for minutes; charged per conversion, the work limit ends
  // it (the default limit: about a second).
  std::string e = render_error(
      "{% set f = '%s' * 1000000 %}{% for i in range(1000) %}"
      "{% set x = strftime_now(f) %}{% endfor %}");
  EXPECT_NE(e.find("work limit"), std::string::npos) << e;
  EXPECT_EQ(render("{{ strftime_now('%Y')|length }}"), "4");
}

TEST(ChatTemplateErrors, OversizedSourceIsRefusedByName) {
  std::string big(nhc::text::kMaxChatTemplateBytes + 1, 'x');
  try {
    nhc::text::ChatTemplate::parse(big, "big.jinja");
    FAIL() << "parsed";
  } catch (const nhc::text::TextError &e) {
    EXPECT_NE(std::string(e.what()).find("big.jinja: a chat template of 1048577 "
                                         "bytes, more than the 1048576 nhc reads"),
              std::string::npos)
        << e.what();
  }
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
  // `x if c else y if d else ...` recurses at each `else` (100,000 of them
  // overflowed the stack), wherever the expression stands.
  std::string chain = "1";
  for (int k = 0; k < 80000; ++k) chain += " if 1 else 1"; // under 1 MiB
  for (const std::string &form :
       {"{{ " + chain + " }}", "{% set x = " + chain + " %}",
        "{{ [" + chain + "] }}", "{{ f(" + chain + ") }}",
        "{% if " + chain + " %}{% endif %}"}) {
    const std::string e = parse_error(form);
    EXPECT_NE(e.find("nesting is deeper than 200"), std::string::npos)
        << form.substr(0, 16) << ": " << e.substr(0, 80);
    EXPECT_EQ(e.rfind("tpl:1:", 0), 0u) << e.substr(0, 80); // positioned
  }
  // A short chain renders as jinja2 does.
  EXPECT_EQ(render_error("{{ 0 if 0 else 1 if 0 else 2 }}"), "(no error)");
}

// Chains are parsed by loops, not recursion, yet make a tree as deep as they
// are long: their height is bounded too, so validating, rendering and
// freeing the tree never overflow the stack (a + a + ... of 20,000 terms
// did).
TEST(ChatTemplateErrors, LongChainsAreRejected) {
  auto chain = [](const std::string &first, const std::string &link) {
    std::string t = "{{ " + first;
    for (int k = 0; k < 20000; ++k)
      t += link;
    return t + " }}";
  };
  for (const std::string &deep :
       {chain("a", "+a"), chain("a", ".b"), chain("a", "[0]"),
        chain("a", "|e"), chain("a", "~a"), chain("a", " and a"),
        chain("f", "()")})
    EXPECT_NE(parse_error(deep).find("nested deeper than 1000 levels"),
              std::string::npos)
        << deep.substr(0, 12);
  // Long but shallow: a 20,000-term list on one line parses.
  std::string list = "{{ [";
  for (int k = 0; k < 20000; ++k)
    list += k ? ",1" : "1";
  EXPECT_EQ(render_error(list + "]|length }}"), "(no error)");
}

TEST(ChatTemplateErrors, HugeLoopsHitLimits) {
  SKIP_LIMIT_TEST_UNDER_ASAN();
  EXPECT_NE(render_error("{% for i in range(1000000000) %}x{% endfor %}").find("Range too big"),
            std::string::npos);
  // An empty body still builds each iteration's loop object (charged as
  // work); a long body reaches the step limit first.
  EXPECT_NE(render_error("{% set r = range(100000) %}{% for a in r %}{% for b in r %}"
                         "{% endfor %}{% endfor %}")
                .find("work limit"),
            std::string::npos);
  std::string body;
  for (int k = 0; k < 500; ++k) body += "{{ 1 }}";
  EXPECT_NE(render_error("{% for a in range(100000) %}" + body + "{% endfor %}").find("steps"),
            std::string::npos);
  // Building the inner range anew each time: the work limit may come first.
  EXPECT_NE(render_error("{% for a in range(100000) %}{% for b in range(100000) %}"
                         "{% endfor %}{% endfor %}")
                .find("limit"),
            std::string::npos);
}

// Limits a caller passes replace the defaults, each named when reached (fast
// enough to run under ASan too).
TEST(ChatTemplateErrors, CallerLimitsAreHonoured) {
  auto error_with = [](const std::string &src, const nhc::text::RenderLimits &limits) {
    try {
      ChatTemplate::parse(src, "tpl").render(ordered_json::object(), limits);
    } catch (const TextError &e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const std::string loop = "{% for i in range(1000) %}x{% endfor %}";
  nhc::text::RenderLimits steps;
  steps.max_steps = 100;
  EXPECT_NE(error_with(loop, steps).find("limit of 100 steps"), std::string::npos);
  EXPECT_EQ(error_with(loop, {}), "(no error)");
  nhc::text::RenderLimits output;
  output.max_output_bytes = 999;
  EXPECT_NE(error_with(loop, output).find("limit of 999 bytes"), std::string::npos);
  nhc::text::RenderLimits work;
  work.max_work = 10000;
  EXPECT_NE(error_with("{{ ('x' * 20000)|length }}", work).find("work limit of 10000"),
            std::string::npos);
  // Work on code points is charged by its cost (kCodePointWork per byte,
  // about 8 times a byte scan): 2000 bytes fit 10000 units for a scan, not
  // for a decode or a number parse.
  EXPECT_EQ(error_with("{{ ('7' * 2000)|length }}", work), "(no error)");
  for (const char *op : {".isalpha()", ".isdigit()", ".lower()", ".strip()",
                         "|title", "|int", "|float"}) {
    EXPECT_NE(error_with(std::string("{{ ('7' * 2000)") + op + " }}", work)
                  .find("work limit of 10000"),
              std::string::npos)
        << op;
  }
  nhc::text::RenderLimits namespaces;
  namespaces.max_namespaces = 3;
  EXPECT_NE(error_with("{% for i in range(5000) %}{% set n = namespace(i=i) %}"
                       "{% set m = namespace(p=n) %}{% set o = namespace(p=m) %}"
                       "{% set q = namespace(p=o) %}{% endfor %}",
                       namespaces)
                .find("more than 3 namespace()"),
            std::string::npos);
  // The stack bounds may only tighten; nothing may be zero.
  nhc::text::RenderLimits deep;
  deep.max_nesting = 100000;
  EXPECT_NE(error_with(loop, deep).find("render limits: max_nesting must be 1..1000"),
            std::string::npos);
  nhc::text::RenderLimits calls;
  calls.max_call_depth = -1;
  EXPECT_NE(error_with(loop, calls).find("max_call_depth must be 1..100"),
            std::string::npos);
  nhc::text::RenderLimits none;
  none.max_steps = 0;
  EXPECT_NE(error_with(loop, none).find("must be positive"), std::string::npos);
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

bool has(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

// --- recursion: macros, defaults, render-time nesting ----------------------

TEST(ChatTemplateErrors, MacroDefaultArgumentsCountAsCalls) {
  // The default is evaluated inside the call: it counts towards the depth.
  EXPECT_EQ(render_error("{% macro f(x=f()) %}{% endmacro %}{{ f() }}"),
            "tpl:1:15: macro calls nested deeper than 100");
  EXPECT_TRUE(has(render_error("{% macro g(y=f()) %}{% endmacro %}"
                               "{% macro f(x=g()) %}{% endmacro %}{{ f() }}"),
                  "macro calls nested deeper than 100"));
  EXPECT_TRUE(has(render_error("{% macro f(x=[f()]|first) %}{% endmacro %}{{ f(x=1) ~ f() }}"),
                  "macro calls nested deeper than 100"));
  // The depth is released again: many sequential calls are fine.
  EXPECT_EQ(render("{% macro f(x=1) %}{{ x }}{% endmacro %}"
                   "{% for i in range(300) %}{{ f() }}{% endfor %}"),
            std::string(300, '1'));
}

TEST(ChatTemplateErrors, RenderTimeNestingIsBounded) {
  // 150 nested `not`s per macro level, 100 levels allowed: the combined
  // nesting of statements, expressions and macro frames is capped instead.
  std::string nots;
  for (int k = 0; k < 150; ++k) nots += "not ";
  std::string e = render_error("{% macro f(n) %}{% for i in [1] %}{% if true %}{{ " + nots +
                               "f(n+1) }}{% endif %}{% endfor %}{% endmacro %}{{ f(0) }}");
  EXPECT_TRUE(has(e, "template evaluation nested deeper than 1000 levels")) << e;
  EXPECT_EQ(e.rfind("tpl:1:", 0), 0u) << e;
}

// --- values that contain themselves ------------------------------------------

TEST(ChatTemplateErrors, SelfReferencingNamespacesPrintLikePython) {
  // Python jinja2's output (reprlib's {...} / [...] / (...) cycle marks).
  EXPECT_EQ(render("{% set ns=namespace() %}{% set ns.me=ns %}{{ ns }}"),
            "<Namespace {'me': <Namespace {...}>}>");
  EXPECT_EQ(render("{% set ns=namespace(a=1) %}{% set ns.l=[ns, 2] %}{{ ns }}|{{ ns.l }}"),
            "<Namespace {'a': 1, 'l': [<Namespace {...}>, 2]}>|[<Namespace {'a': 1, 'l': [...]}>, 2]");
  EXPECT_EQ(render("{% set ns=namespace() %}{% set ns.me=ns %}{{ [ns] }}"),
            "[<Namespace {'me': <Namespace {...}>}>]");
  EXPECT_EQ(render("{% set ns = namespace(a=1) %}{% set t = (ns,) %}{% set ns.t = t %}{{ t }}"),
            "(<Namespace {'a': 1, 't': (...)}>,)");
  EXPECT_EQ(render("{% set a=namespace() %}{% set b=namespace(p=a) %}{% set a.p=b %}{{ a }}"),
            "<Namespace {'p': <Namespace {'p': <Namespace {...}>}>}>");
  EXPECT_EQ(render("{% set ns=namespace() %}{% set ns.me=ns %}{{ ns == ns }}{{ [ns] == [ns] }}"
                   "{{ ns in [ns] }}{{ ns.me.me.me is sameas ns }}"),
            "TrueTrueTrueTrue");
  EXPECT_TRUE(has(render_error("{% set ns=namespace() %}{% set ns.me=ns %}{{ ns|tojson }}"),
                  "Object of type Namespace is not JSON serializable"));
  EXPECT_TRUE(has(render_error("{% set ns=namespace() %}{% set ns.me=ns %}{{ [ns]|tojson }}"),
                  "not JSON serializable"));
}

TEST(ChatTemplateErrors, DeepOrCyclicValuesAreBounded) {
  SKIP_LIMIT_TEST_UNDER_ASAN();
  // A chain of 100000 namespaces: freed without recursing through it, and
  // printing it is an error, not a stack overflow.
  const std::string chain = "{% set ns = namespace(cur=none) %}{% for i in range(100000) %}"
                            "{% set ns.cur = namespace(prev=ns.cur) %}{% endfor %}";
  EXPECT_EQ(render(chain + "ok"), "ok");
  EXPECT_TRUE(has(render_error(chain + "{{ ns.cur }}"), "cannot be printed"));
  EXPECT_TRUE(has(render_error(chain + "{{ ns.cur|string|length }}"), "cannot be printed"));
  // Lists can only nest so deep (they are immutable: checked when built).
  EXPECT_TRUE(has(render_error("{% set ns = namespace(l=[]) %}{% for i in range(300) %}"
                               "{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}"),
                  "values nested deeper than 256 levels"));
  EXPECT_EQ(render("{% set ns = namespace(l=[]) %}{% for i in range(200) %}"
                   "{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l|tojson|length }}{{ ns.l == ns.l }}"),
            "402True");
  // Unreachable cycles pile up; their number is capped (and all are freed).
  EXPECT_TRUE(has(render_error("{% for j in range(1000) %}{% for i in range(300) %}"
                               "{% set n = namespace(a=i) %}{% set n.me = n %}{% endfor %}{% endfor %}"),
                  "namespace() objects alive at once"));
  // Garbage without cycles is dropped as it goes: no cap is reached.
  EXPECT_EQ(render("{% for j in range(1000) %}{% for i in range(300) %}"
                   "{% set n = namespace(a=i) %}{% endfor %}{% endfor %}ok"),
            "ok");
  // A context nested too deeply is refused (not a stack overflow).
  ordered_json deep = ordered_json::array();
  for (int k = 0; k < 5000; ++k) deep = ordered_json::array({deep});
  std::string e = render_error("{{ x }}", {{"x", deep}});
  EXPECT_TRUE(has(e, "nested deeper than")) << e;
}

// --- integer edge cases --------------------------------------------------------

TEST(ChatTemplateErrors, HugeSliceStepsAndRangesMatchPython) {
  // jinja2's results; no signed overflow on the way (UBSan-clean).
  EXPECT_EQ(render("{{ [1,2,3][1::9223372036854775807] }}{{ 'abc'[::-9223372036854775807] }}"
                   "{{ 'abcdef'[-1:-9223372036854775807:-9223372036854775807] }}"),
            "[2]cf");
  EXPECT_EQ(render("{{ 'abc'[::-9223372036854775807-1] }}{{ [1,2,3][9223372036854775807:] }}"
                   "{{ [1,2,3][-9223372036854775807-1:] }}{{ (1,2,3)[::-2] }}{{ 'abcde'[4:0:-3] }}"),
            "c[][1, 2, 3](3, 1)eb");
  EXPECT_EQ(render("{{ range(9223372036854775806, 9223372036854775807, 10)|list }}"),
            "[9223372036854775806]");
  EXPECT_EQ(render("{{ range(-9223372036854775807, 9223372036854775807, 9223372036854775807)|list }}"),
            "[-9223372036854775807, 0]");
  EXPECT_EQ(render("{{ range(9223372036854775807, -9223372036854775807, -9223372036854775807)|list }}"),
            "[9223372036854775807, 0]");
  EXPECT_EQ(render("{{ range(-9223372036854775807-1, 9223372036854775807, 9223372036854775807)|list }}"),
            "[-9223372036854775808, -1, 9223372036854775806]");
  EXPECT_EQ(render("{{ range(0, 10, -9223372036854775807-1)|list }}{{ range(5, 0, -9223372036854775807-1)|list }}"),
            "[][5]");
  EXPECT_TRUE(has(render_error("{{ range(-9223372036854775807-1, 9223372036854775807)|list }}"),
                  "Range too big"));
  EXPECT_TRUE(has(render_error("{{ -(-9223372036854775807-1) }}"), "integer overflow"));
  EXPECT_TRUE(has(render_error("{{ (-9223372036854775807-1)|abs }}"), "integer overflow"));
  EXPECT_EQ(render("{{ [[1, 2], [3, 4]]|map(attribute='99999999999999999999999')|list }}"),
            "[Undefined, Undefined]");
}

TEST(ChatTemplateErrors, RepeatingEmptyOrByHugeCountsIsBounded) {
  EXPECT_EQ(render("{{ '' * 9223372036854775807 }}|{{ [] * 1000000000000000000 }}"
                   "|{{ () * 9223372036854775807 }}|{{ 9223372036854775807 * '' }}"),
            "|[]|()|");
  EXPECT_EQ(render("{{ 'ab' * 0 }}|{{ 'ab' * -9223372036854775807 }}|{{ [1] * -5 }}|{{ 'ab' * 3 }}"
                   "|{{ 'é' * 3 }}|{{ [1, 'a'] * 2 }}"),
            "||[]|ababab|ééé|[1, 'a', 1, 'a']");
  EXPECT_TRUE(has(render_error("{{ 'x' * 1000000000000 }}"), "string limit"));
  EXPECT_TRUE(has(render_error("{{ 'xy' * 4611686018427387904 }}"), "string limit"));
  EXPECT_TRUE(has(render_error("{{ [1, 2] * 4611686018427387904 }}"), "too large"));
}

// --- growth of values ----------------------------------------------------------

TEST(ChatTemplateErrors, GrowingValuesHitSizeLimits) {
  SKIP_LIMIT_TEST_UNDER_ASAN();
  EXPECT_EQ(render_error("{% set ns = namespace(l=[1]) %}{% for i in range(64) %}"
                         "{% set ns.l = ns.l + ns.l %}{% endfor %}"),
            "tpl:1:70: result has more than the 1000000 items a list may hold");
  EXPECT_TRUE(has(render_error("{% set ns = namespace(t=(1,)) %}{% for i in range(64) %}"
                               "{% set ns.t = ns.t + ns.t %}{% endfor %}"),
                  "items a list may hold"));
  EXPECT_TRUE(has(render_error("{% set ns = namespace(s='xy') %}{% for i in range(64) %}"
                               "{% set ns.s = ns.s + ns.s %}{% endfor %}"),
                  "string limit"));
  EXPECT_TRUE(has(render_error("{% set ns = namespace(s='xy') %}{% for i in range(64) %}"
                               "{% set ns.s = ns.s ~ ns.s %}{% endfor %}"),
                  "string limit"));
  EXPECT_TRUE(has(render_error("{{ (['x' * 1000000] * 100)|join }}"), "string limit"));
  EXPECT_TRUE(has(render_error("{{ (['x' * 1000000] * 100)|join(',') }}"), "string limit"));
  EXPECT_TRUE(has(render_error("{{ ''.join(['x' * 1000000] * 100) }}"), "string limit"));
  EXPECT_TRUE(has(render_error("{{ ['x' * 1000000] * 100 }}"), "string limit"));
  EXPECT_TRUE(has(render_error("{{ (['x' * 1000000] * 100)|string|length }}"), "string limit"));
  EXPECT_TRUE(has(render_error("{{ (['x' * 1000000] * 100)|tojson }}"), "string limit"));
  EXPECT_TRUE(has(render_error("{{ [[[1]]]|tojson(indent='x' * 30000000) }}"), "string limit"));
  // Quadratic accumulation: the work limit or the size limit, whichever first.
  EXPECT_TRUE(has(render_error("{{ (['x' * 1000000] * 100)|sum(start='') }}"), "limit"));
  EXPECT_TRUE(has(render_error("{{ ([[1] * 1000] * 2000)|sum(start=[]) }}"), "limit"));
  EXPECT_TRUE(has(render_error("{{ ([[1] * 100000] * 20)|sum(start=[]) }}"), "items a list may hold"));
  EXPECT_TRUE(has(render_error("{{ ('x' * 5000000)|list|length }}"), "items a list may hold"));
  EXPECT_TRUE(has(render_error("{% for c in 'x' * 5000000 %}{% endfor %}"), "items a list may hold"));
  EXPECT_TRUE(has(render_error("{{ (' x' * 3000000).split()|length }}"), "items a list may hold"));
  EXPECT_TRUE(has(render_error("{{ (',' * 3000000).split(',')|length }}"), "items a list may hold"));
  EXPECT_TRUE(has(render_error("{{ ('\\n' * 3000000).splitlines()|length }}"), "items a list may hold"));
  EXPECT_TRUE(has(render_error("{{ ('x' * 40000000).replace('x', 'yy') }}"), "string limit"));
  EXPECT_TRUE(has(render_error("{{ (('x' * 40000000) ~ ('y' * 40000000))|length }}"), "string limit"));
  EXPECT_TRUE(has(render_error("{{ ('ab' * 20000000).rsplit('b')|length }}"), "items a list may hold"));
}

TEST(ChatTemplateErrors, BulkWorkPerStepIsBounded) {
  // Each of these does little per step but a lot of work per step: the
  // work limit ends them in about a second instead of minutes.
  EXPECT_TRUE(has(render_error("{% set s = 'x' * 60000000 %}{% for i in range(100000) %}"
                               "{{ s|length }}{% endfor %}"),
                  "work limit"));
  EXPECT_TRUE(has(render_error("{% set s = 'x' * 60000000 %}{% for i in range(100000) %}"
                               "{{ 'y' in s }}{% endfor %}"),
                  "work limit"));
  EXPECT_TRUE(has(render_error("{% for i in range(100000) %}{% set s = 'x' * 60000000 %}{% endfor %}"),
                  "work limit"));
  EXPECT_TRUE(has(render_error("{{ range(100000)|unique|list|length }}"), "work limit"));
  EXPECT_TRUE(has(render_error("{% set l = [0] * 1000000 %}{% for i in range(100000) %}"
                               "{{ l.count(1) }}{% endfor %}"),
                  "work limit"));
  // Substring search is linear: a needle that almost matches everywhere.
  EXPECT_EQ(render("{% set h = 'a' * 10000000 %}{% set n = 'a' * 100000 ~ 'b' %}"
                   "{{ n in h }}{{ h.count(n) }}{{ h.find(n) }}{{ h.rfind(n) }}{{ h.split(n)|length }}"),
            "False0-1-11");
  // Same results as Python for the rewritten searches.
  EXPECT_EQ(render("{{ 'aXbXc'.rsplit('X') }}{{ 'aXbXc'.rsplit('X', 1) }}{{ 'abcabc'.rfind('bc') }}"
                   "{{ 'abcabc'.rindex('abc') }}{{ 'aaa'.count('aa') }}{{ 'abc'.rfind('') }}"
                   "{{ 'abc'.find('') }}{{ 'ab' in 'xaby' }}{{ 'éaé'.rfind('é') }}{{ 'aaaa'.replace('aa', 'b') }}"),
            "['a', 'b', 'c']['aXb', 'c']43130True2bb");
  EXPECT_EQ(render("{{ 'aaa'.rsplit('aa') }}{{ 'aaa'.split('aa') }}{{ 'a,b,,c'.rsplit(',', 2) }}"
                   "{{ ',a,'.rsplit(',') }}{{ 'xéyéz'.rsplit('é', 1) }}{{ 'abc'.rsplit('abc') }}"),
            "['a', '']['', 'a']['a,b', '', 'c']['', 'a', '']['xéy', 'z']['', '']"); // Python's
}

// --- ordering -------------------------------------------------------------------

TEST(ChatTemplateErrors, SortingWithNaNIsATotalOrder) {
  const std::string nan = "{% set n = 'nan'|float %}";
  EXPECT_EQ(render(nan + "{{ [3, n, 1, n, 2, 2.0, 1]|sort }}"), "[1, 1, 2, 2.0, 3, nan, nan]");
  EXPECT_EQ(render(nan + "{{ [3, n, 1, n, 2]|sort(reverse=true) }}"), "[nan, nan, 3, 2, 1]");
  EXPECT_EQ(render(nan + "{{ [[1, n], [1, 0], [n], [0, n]]|sort }}"), "[[0, nan], [1, 0], [1, nan], [nan]]");
  EXPECT_EQ(render(nan + "{{ {'a': n, 'b': 1, 'c': n, 'd': 0}|dictsort(by='value') }}"),
            "[('d', 0), ('b', 1), ('a', nan), ('c', nan)]");
  EXPECT_EQ(render(nan + "{{ [{'k': n}, {'k': 2}, {'k': 1}]|sort(attribute='k')|map(attribute='k')|list }}"),
            "[1, 2, nan]");
  // Many NaNs among many numbers (std::sort's unguarded loops would run off
  // the end with an inconsistent comparator).
  EXPECT_EQ(render(nan + "{% set l = ([n, 5, n, n, 1.5, -3, n, 2] * 300)|sort %}"
                         "{{ l|first }} {{ l[1199] }} {{ l[1200] }} {{ l|last }} {{ l|length }}"),
            "-3 5 nan nan 2400");
  // min/max keep Python's left-to-right comparisons (no sort involved).
  EXPECT_EQ(render(nan + "{{ [3, n, 1]|max }} {{ [3, n, 1]|min }} {{ [n, 3, 1]|max }}"), "3 1 nan");
  EXPECT_EQ(render(nan + "{{ [n, n, 1]|unique|list|length }}"), "3");
  // Mixed types still fail like Python.
  EXPECT_TRUE(has(render_error("{{ [1, 'a', 2]|sort }}"), "'<' not supported between instances of"));
}

TEST(ChatTemplateErrors, IntFloatComparisonsAreExact) {
  // Python compares int and float exactly; rounding 2**53+1 to a double
  // would make the order inconsistent (and std::sort's behaviour undefined).
  EXPECT_EQ(render("{{ (2**53+1) == (2.0**53) }}{{ (2**53+1) > (2.0**53) }}{{ 2**53 == 2.0**53 }}"
                   "{{ 9223372036854775807 < 9223372036854775808.0 }}{{ 3 < 3.5 }}{{ -3 > -3.5 }}"),
            "FalseTrueTrueTrueTrueTrue");
  EXPECT_EQ(render("{{ [2**53+1, 2.0**53, 2**53]|sort }}"),
            "[9007199254740992.0, 9007199254740992, 9007199254740993]");
}

TEST(ChatTemplateErrors, BadContext) {
  auto t = ChatTemplate::parse("x", "tpl");
  EXPECT_THROW(t.render(ordered_json::array()), TextError);
}

} // namespace
