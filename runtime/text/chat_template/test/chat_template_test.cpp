// Unit tests of the chat template's Jinja semantics. Expected strings are
// what Python jinja2 3.1 renders (configured as transformers does).
#include <gtest/gtest.h>

#include <nhc/text/chat_template.h>

using nhc::text::ChatTemplate;
using nlohmann::ordered_json;

namespace {

std::string render(const std::string &src, const ordered_json &ctx = ordered_json::object()) {
  return ChatTemplate::parse(src, "t").render(ctx);
}

TEST(ChatTemplate, PrintsPythonStr) {
  EXPECT_EQ(render("{{ none }}{{ [1,'a',none,true,1.0,{'a':(1,2)}] }}"),
            "None[1, 'a', None, True, 1.0, {'a': (1, 2)}]");
  EXPECT_EQ(render("{{ 1/2 }} {{ 4/2 }} {{ 7//2 }} {{ -7//2 }} {{ -7 % 3 }} {{ 2**10 }} "
                   "{{ 1e3 }} {{ 0.1+0.2 }} {{ 1e100 }} {{ 1.5e-7 }}"),
            "0.5 2.0 3 -4 2 1024 1000.0 0.30000000000000004 1e+100 1.5e-07");
  EXPECT_EQ(render("{{ 1e16 }}{{ 123456789012345678.0 }}{{ 0.000012 }}{{ -0.0 }}"),
            "1e+161.2345678901234568e+171.2e-05-0.0");
  EXPECT_EQ(render("{{ \"it's\" }}|{{ [\"it's\", 'a\"b', '\\n'] }}"),
            "it's|[\"it's\", 'a\"b', '\\n']");
  EXPECT_EQ(render("{{ (1,) }}{{ () }}{{ x }}"), "(1,)()");
  // Decimal integers as jinja2 lexes them: no leading zero but 0 itself
  // (floats may have one).
  EXPECT_EQ(render("{{ 00 }} {{ 0_0 }} {{ 01.5 }} {{ 0e3 }} {{ 00.5 }} {{ 0_0.5 }}"),
            "0 0 1.5 0.0 0.5 0.5");
  for (const char *bad : {"{{ 01 }}", "{{ 007 }}", "{{ 0_1 }}"})
    EXPECT_THROW(render(bad), nhc::text::TextError) << bad;
}

// As jinja2: CPython's round() past a double's digits, widths as asked
// (no cap below the string limit), text that is no number to the default,
// strftime_now's text however long.
TEST(ChatTemplate, FiltersAtTheEdgesOfTheirArguments) {
  EXPECT_EQ(render("{{ 1.5|round(1000000) }} {{ 123.4|round(-400) }} {{ -2.5|round(-400) }}"),
            "1.5 0.0 -0.0");
  EXPECT_EQ(render("{{ 'a'|center(3000000)|length }} {{ 'x\ny'|indent(5000)|length }}"),
            "3000000 5003");
  EXPECT_EQ(render("{{ 'abc'|int }} {{ 'nan'|int(7) }} {{ '-12'|int }}"), "0 7 -12");
  // jinja2 3.1.6: an infinity spelled as text is int()'s default (its
  // OverflowError is caught), an infinite float value raises (below).
  EXPECT_EQ(render("{{ 'inf'|int(7) }} {{ ' -Infinity '|int(7) }} {{ '1e999'|int }}"), "7 7 0");
  EXPECT_EQ(render("{{ strftime_now('%%' * 1000)|length }}"), "1000");
}

// round is CPython's round(): ties to even on the exact binary value, an
// int stays an int (outputs from jinja2 3 on CPython 3.11).
// Each expected value is jinja2 3.1's (ImmutableSandboxedEnvironment, as
// transformers renders): int(s, base) then int(float(s)) with Python's
// literal grammar (prefixes, underscores, no hex floats), str.islower/
// isupper needing a cased character, `loop|attr`, a macro's varargs and
// kwargs, Unicode's special cases (final sigma, dotted and dotless i, long
// s).
TEST(ChatTemplate, MatchesJinja2AtTheEdges) {
  EXPECT_EQ(render(R"({{ "1" is lower }}|{{ "" is upper }}|{{ "a1" is lower }}|{{ "A1" is upper }})"),
            "False|False|True|True");
  EXPECT_EQ(render(R"({{ "0x1f"|int }}|{{ "0b11"|int(0, 0) }}|{{ "0x_1f"|int(0,16) }}|)"
                   R"({{ "010"|int(7,0) }}|{{ "00"|int(7,0) }}|{{ "1_0"|int }}|)"
                   R"({{ "1__0"|int(5) }}|{{ "_1"|int(5) }}|{{ "-0x10"|int(0,0) }}|)"
                   R"({{ "1.5"|int(0,16) }}|{{ "9223372036854775807"|int }}|)"
                   R"({{ "-9223372036854775808"|int }}|{{ "z"|int(0,36) }}|{{ "10"|int(0,1) }})"),
            "0|3|31|10|0|10|5|5|-16|1|9223372036854775807|-9223372036854775808|35|10");
  EXPECT_EQ(render(R"({{ "1_0"|float }}|{{ "0x10"|float }}|{{ "inf"|float }}|)"
                   R"({{ "-Infinity"|float }}|{{ "nan"|float }}|{{ "1."|float }}|)"
                   R"({{ ".5"|float }}|{{ "1e5"|float }}|{{ "1_e5"|float(7) }}|)"
                   R"({{ "1e"|float(7) }}|{{ "."|float(7) }}|{{ "1_000.0_1"|float }})"),
            "10.0|0.0|inf|-inf|nan|1.0|0.5|100000.0|7|7|7|1000.01");
  EXPECT_EQ(render("{% for x in [1, 2] %}{{ loop|attr('index') }}{% endfor %}"), "12");
  EXPECT_EQ(render("{% macro f(a) %}{{ varargs }}{{ kwargs }}{% endmacro %}"
                   "{{ f(1) }}|{{ f(1, 2, 3, b=4) }}"),
            "(){}|(2, 3){'b': 4}");
  // A parameter of the name is an ordinary parameter.
  EXPECT_EQ(render("{% macro f(varargs) %}{{ varargs }}{% endmacro %}{{ f(1) }}|"
                   "{% macro g(kwargs) %}{{ kwargs }}{% endmacro %}{{ g(kwargs=5) }}{{ g(3) }}"),
            "1|53");
  EXPECT_EQ(render(R"({{ "ΣΑΣ"|lower }}|{{ "ΑΣ ΑΣ."|lower }}|{{ "Σ"|lower }}|{{ "ΑΣΑ"|lower }}|)"
                   R"({{ "ı"|upper }}{{ "ſ"|upper }}{{ "ŉ"|upper }}|{{ "İ"|lower }})"),
            "σας|ας ας.|σ|ασα|ISʼN|i\xcc\x87");
}

TEST(ChatTemplate, RoundIsPythonsRound) {
  EXPECT_EQ(render("{{ 2.5|round }} {{ 0.5|round }} {{ -0.5|round }} {{ 3.5|round }} "
                   "{{ 2.675|round(2) }} {{ 1.15|round(1) }}"),
            "2.0 0.0 -0.0 4.0 2.67 1.1");
  EXPECT_EQ(render("{{ 25|round(-1) }} {{ 35|round(-1) }} {{ -25|round(-1) }} {{ 4|round }} "
                   "{{ true|round }} {{ 4.5|round|int }}"),
            "20 40 -20 4 1 4");
  EXPECT_EQ(render("{{ 25.0|round(-1) }} {{ 35.0|round(-1) }} {{ -6.0|round(-1) }} "
                   "{{ -4.0|round(-1) }} {{ 5.0|round(-1) }} {{ 1234.5|round(-2) }} "
                   "{{ 0.0|round(3) }}"),
            "20.0 40.0 -10.0 -0.0 0.0 1200.0 0.0");
  EXPECT_EQ(render("{{ 1e300|round(-299) }} {{ 9.5|round(-1) }} "
                   "{{ 123456789012345678|round(-17) }}"),
            "1e+300 10.0 100000000000000000");
}

TEST(ChatTemplate, WhitespaceControl) {
  EXPECT_EQ(render("  {% if true %}\n  x\n  {% endif %}\n  y"), "  x\n  y");
  EXPECT_EQ(render("{%- for i in range(3) -%}\n  {{ i }}\n{%- endfor %}"), "012");
  EXPECT_EQ(render("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(render("a\n  {%+ if true %}b{% endif +%}\nc"), "a\n  b\nc");
  EXPECT_EQ(render("{# c #}\nx {{ 1 }} {# c2 #}\ny\n"), "x 1 y");
  EXPECT_EQ(render("{% raw %}{{ x }}{% endraw %}"), "{{ x }}");
  EXPECT_EQ(render("x\r\ny\n"), "x\ny");
  // Only \r\n, \r and \n break lines (jinja2 3's newline_re): \v, \f, the
  // file separators, NEL and U+2028/9 are text, kept at the end too.
  EXPECT_EQ(render("A\u2028B{{ 'x\u2029y' }}\fC\v\x1c\u0085\r"),
            "A\u2028Bx\u2029y\fC\v\x1c\u0085");
  EXPECT_EQ(render("{{ 'a\u2028' }}\u2028"), "a\u2028\u2028");
}

TEST(ChatTemplate, LoopsAndScoping) {
  EXPECT_EQ(render("{% set x = 0 %}{% for i in [1,2,3] %}{{ x }}{% set x = x + i %}{{x}},"
                   "{% endfor %}|{{ x }}"),
            "01,02,03,|0");
  EXPECT_EQ(render("{% for i in [1,2,3,4] if i != 2 %}{{ loop.index }}/{{ loop.length }}"
                   "{{ '.' if loop.last }}{% endfor %}"),
            "1/32/33/3.");
  EXPECT_EQ(render("{% for i in [] %}x{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}"
                   "{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}"),
            "02");
  EXPECT_EQ(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"),
            "a=1;b=2;");
  EXPECT_EQ(render("{% for x in 'ab' %}{{ loop.previtem is defined }}{{ loop.nextitem }}"
                   "{% endfor %}"),
            "FalsebTrue");
  EXPECT_EQ(render("{% set ns = namespace(n=0) %}{% for i in range(4) %}"
                   "{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"),
            "6");
}

TEST(ChatTemplate, MacrosAndSetBlocks) {
  EXPECT_EQ(render("{% macro m(a, b='B') %}[{{ a }}{{ b }}]{% endmacro %}"
                   "{{ m(1) }}{{ m(2, b=3) }}"),
            "[1B][23]");
  EXPECT_EQ(render("{% set x %}in{{ 1 }}{% endset %}{{ x }}|{{ x | length }}"), "in1|3");
}

TEST(ChatTemplate, FiltersAndMethods) {
  EXPECT_EQ(render("{{ ' a b '|trim }}|{{ 'abc'|upper }}|{{ 'hello world'|title }}|"
                   "{{ 'hELLO'|capitalize }}|{{ [3,1,2]|sort|join(',') }}|"
                   "{{ [1,2,2,1]|unique|list }}|{{ 'abc'|reverse }}"),
            "a b|ABC|Hello World|Hello|1,2,3|[1, 2]|cba");
  EXPECT_EQ(render("{{ 'a,b,,c'.split(',') }}{{ ' a  b '.split() }}{{ 'a b c'.split(' ', 1) }}"
                   "{{ 'a.b.c'.rsplit('.', 1) }}"),
            "['a', 'b', '', 'c']['a', 'b']['a', 'b c']['a.b', 'c']");
  EXPECT_EQ(render("{{ x|tojson }}", {{"x", {{"b", 1}, {"a", {1, "\u00e9\n"}}}}}),
            "{\"b\": 1, \"a\": [1, \"\u00e9\\n\"]}");
  EXPECT_EQ(render("{{ x|tojson(indent=2) }}", {{"x", {{"a", {1, 2}}, {"b", ordered_json::object()}}}}),
            "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}");
  EXPECT_EQ(render("{{ x|selectattr('role', 'equalto', 'user')|map(attribute='c')|join }}",
                   {{"x", {{{"role", "user"}, {"c", "a"}}, {{"role", "bot"}, {"c", "b"}},
                           {{"role", "user"}, {"c", "c"}}}}}),
            "ac");
  EXPECT_EQ(render("{{ '3'|int + 1 }}{{ 'x'|int }}{{ '2.5'|float }}{{ 1|string ~ 2 }}"), "402.512");
  EXPECT_EQ(render("{{ x|default('d') }}{{ ''|default('e', true) }}{{ none|default('f') }}"),
            "deNone");
  EXPECT_EQ(render("{{ 'héllo'|length }}{{ 'héllo'[1:3] }}{{ [1,2,3][::-1] }}{{ 'abc'[-1] }}"),
            "5él[3, 2, 1]c");
}

TEST(ChatTemplate, TestsAndOperators) {
  EXPECT_EQ(render("{{ x is defined }}{{ none is none }}{{ 'a' is string }}{{ {} is mapping }}"
                   "{{ [] is sequence }}{{ 'a' is not iterable }}{{ 1 is number }}"
                   "{{ true is boolean }}{{ 3 is odd }}{{ 4 is divisibleby 2 }}"),
            "FalseTrueTrueTrueTrueFalseTrueTrueTrueTrue");
  EXPECT_EQ(render("{{ 'a' in 'cat' }}{{ 2 not in [1] }}{{ 'k' in {'k': 1} }}{{ 1 < 2 < 3 }}"
                   "{{ 1 == 1.0 }}{{ 'a' ~ 1 ~ none }}{{ 1 if false }}{{ 0 or 'x' }}{{ 1 and 2 }}"),
            "TrueTrueTrueTrueTruea1Nonex2");
  EXPECT_EQ(render("{{ 'ab' * 2 }}{{ [1] + [2] }}{{ -(3) }}{{ 2 ** -1 }}{{ 7 % -3 }}{{ -7.5 // 2 }}"),
            "abab[1, 2]-30.5-2-4.0");
}

TEST(ChatTemplate, UndefinedSemantics) {
  EXPECT_EQ(render("{{ m.missing }}|{{ m.missing is defined }}|{{ m['missing'] | length }}",
                   {{"m", ordered_json::object()}}),
            "|False|0");
  EXPECT_EQ(render("{{ none.x is defined }}{{ [1][5] is defined }}"), "FalseFalse");
  EXPECT_EQ(render("{% for x in nothing %}x{% endfor %}{{ nothing ~ 'a' }}"), "a");
}

TEST(ChatTemplate, ForElseRunsUnlessAnIterationReachesTheEndOfTheBody) {
  // jinja2 clears its "no iteration" flag at the end of the body, so an
  // iteration that leaves by continue or break does not count.
  EXPECT_EQ(render("{% for i in [] %}{{ i }}{% else %}E{% endfor %}"), "E");
  EXPECT_EQ(render("{% for i in [1, 2] %}{{ i }}{% continue %}{% else %}E{% endfor %}"), "12E");
  EXPECT_EQ(render("{% for i in [1, 2] %}{{ i }}{% break %}{% else %}E{% endfor %}"), "1E");
  EXPECT_EQ(render("{% for i in [1, 2] %}{{ i }}{% if i == 2 %}{% continue %}{% endif %}"
                   "{% else %}E{% endfor %}"),
            "12");
  EXPECT_EQ(render("{% for i in [1] if i > 5 %}{{ i }}{% else %}E{% endfor %}"), "E");
}

TEST(ChatTemplate, ParityTestsUsePythonsModulo) {
  // jinja2: value % 2 == 1 (odd), == 0 (even), value % num == 0.
  EXPECT_EQ(render("{{ 2.0 is even }}{{ 1.5 is odd }}{{ 3.0 is odd }}{{ 2.0 is divisibleby(2) }}"
                   "{{ -3 is odd }}{{ 7 is divisibleby(3.5) }}{{ true is odd }}"),
            "TrueFalseTrueTrueTrueTrueTrue");
  EXPECT_THROW(render("{{ 4 is divisibleby(0) }}"), nhc::text::TextError);
  EXPECT_THROW(render("{{ 'a' is odd }}"), nhc::text::TextError);
}

TEST(ChatTemplate, UndefinedIsASequenceAndCallableButNoNumber) {
  // jinja2's Undefined has __len__, __getitem__ and __call__, and fails in
  // int(), float() and `+= "\n"` (indent).
  EXPECT_EQ(render("{{ x is sequence }}{{ x is callable }}"), "TrueTrue");
  for (const char *filter : {"int", "float", "indent"})
    EXPECT_THROW(render(std::string("{{ x | ") + filter + " }}"), nhc::text::TextError)
        << filter;
  EXPECT_THROW(render("{{ 1 | indent }}"), nhc::text::TextError);
  EXPECT_THROW(render("{{ [1] | indent }}"), nhc::text::TextError);
  EXPECT_EQ(render("{{ 'a\nb' | indent(2, true) }}"), "  a\n  b");
}

TEST(ChatTemplate, DictAttributeLookupPrefersMethods) {
  // jinja2 getattr: d.items is the method; d['items'] is the key.
  EXPECT_EQ(render("{{ d['items'] }}{{ d.get('items') }}{{ d.keys()|list }}",
                   {{"d", {{"items", 5}}}}),
            "55['items']");
}

TEST(ChatTemplate, GlobalsAndKwargs) {
  EXPECT_EQ(render("{{ dict(a=1)|tojson }}{{ namespace(a=2).a }}{{ range(1, 7, 2)|list }}"),
            "{\"a\": 1}2[1, 3, 5]");
  EXPECT_EQ(render("{% if enable_thinking %}on{% else %}off{% endif %}", {{"enable_thinking", false}}),
            "off");
}

// select, reject, selectattr, rejectattr, map, unique and items are
// jinja2 generators, reverse a reversed iterator: truthy even when empty,
// single pass (the second loop over one sees nothing), no len(), bodies
// run at the first pull (expected strings from jinja2 3.1.6).
TEST(ChatTemplate, GeneratorFiltersAreSinglePassIterators) {
  ordered_json user = {{"messages", {{{"role", "user"}, {"content", "x"}}}}};
  EXPECT_EQ(render("{% if messages|selectattr('role', 'equalto', 'system') %}yes{% else %}no"
                   "{% endif %}|{% if messages|selectattr('role', 'equalto', 'system')|list %}"
                   "yes{% else %}no{% endif %}",
                   user),
            "yes|no");
  EXPECT_EQ(render("{% set g = [1,2,3]|select('odd') %}{% for x in g %}{{ x }}{% endfor %}|"
                   "{% for x in g %}{{ x }}{% endfor %}"),
            "13|");
  EXPECT_EQ(render("{% set g = [1,2,3,4]|select %}{{ 2 in g }}{{ g|list }}"), "True[3, 4]");
  EXPECT_EQ(render("{% set g = [1,2,3]|select %}{{ g|first }}{{ g|list }}"), "1[2, 3]");
  EXPECT_EQ(render("{% set g = [1,2]|select %}{{ g|select|list }}{{ g|list }}"), "[1, 2][]");
  EXPECT_EQ(render("{{ [1,2,3]|map('string')|join(',') }} {{ [1,2]|select|list|length }}"),
            "1,2,3 2");
  EXPECT_EQ(render("{{ [1,2,3]|reverse|list }}{% if []|reverse %}t{% endif %}"
                   "{{ (1,2)|reverse|list }}{{ {'a':1,'b':2}|reverse|list }}"
                   "{{ [1,2]|select|reverse }}"),
            "[3, 2, 1]t[2, 1]['b', 'a'][2, 1]");
  EXPECT_EQ(render("{{ x|items|list }}{% if x|items %}t{% endif %}{{ {'a':1}|items|list }}"),
            "[]t[('a', 1)]");
  // Printed without the address Python adds.
  EXPECT_EQ(render("{{ 5|select }} {{ [1]|map('string') }} {{ [1]|reverse }}"),
            "<generator object select_or_reject> <generator object sync_do_map> "
            "<list_reverseiterator object>");
  // The body runs at the first pull: never pulled, no error.
  EXPECT_EQ(render("{{ [1,2]|map('nosuchfilter') is defined }} {{ 3|items is defined }} "
                   "{{ 0|select|list }}{{ none|map('x')|list }}"),
            "True True [][]");
  EXPECT_EQ(render("{{ [1]|select is iterable }}{{ [1]|select is sequence }}"
                   "{{ [1]|select is mapping }}"),
            "TrueFalseFalse");
  EXPECT_EQ(render("{{ [1,2]|select == [1,2]|select }}{% set g = [1]|select %}{{ g == g }}"
                   "{{ g is sameas g }}"),
            "FalseTrueTrue");
  EXPECT_EQ(render("{{ [3,1,2]|select|sort }}{{ [3,1,2]|select|max }}{{ [3,1,2]|select|sum }}"
                   "{{ dict([('a',1)]|select) }}{{ ([1,2]|select)[0] }}|{{ ([1,2]|select|int) }}"),
            "[1, 2, 3]36{'a': 1}|0");
}

// jinja2's sort keys are one-element lists, compared by == before <:
// items that all miss the attribute keep their order; dictsort compares
// directly (jinja2 3.1.6).
TEST(ChatTemplate, SortKeysCompareAsPythonListsDo) {
  EXPECT_EQ(render("{{ ['ab', 'c']|sort(attribute='role') }}{{ [none, none]|sort }}"),
            "['ab', 'c'][None, None]");
  // Python's list order inside keys too: the first items not == decide.
  EXPECT_EQ(render("{{ [(none,2),(none,1)]|sort }}{{ {(none,2):1,(none,1):2}|dictsort }}"),
            "[(None, 1), (None, 2)][((None, 1), 2), ((None, 2), 1)]");
  // 'a,b': by a, then b (make_multi_attrgetter), each case-folded.
  EXPECT_EQ(render("{{ [{'a':1,'b':'B'},{'a':1,'b':'a'},{'a':0,'b':'z'}]"
                   "|sort(attribute='a,b') }}"),
            "[{'a': 0, 'b': 'z'}, {'a': 1, 'b': 'a'}, {'a': 1, 'b': 'B'}]");
  EXPECT_THROW(render("{{ {'x': none, 'y': none}|dictsort(by='value') }}"),
               nhc::text::TextError);
}

TEST(ChatTemplate, JsonContextKeyOrder) {
  // ordered_json keeps document order; nlohmann::json sorts keys.
  auto tpl = ChatTemplate::parse("{{ d|tojson }}", "t");
  EXPECT_EQ(tpl.render(ordered_json::parse(R"({"d": {"z": 1, "a": 2}})")), "{\"z\": 1, \"a\": 2}");
  EXPECT_EQ(tpl.render(nlohmann::json::parse(R"({"d": {"z": 1, "a": 2}})")), "{\"a\": 2, \"z\": 1}");
}

TEST(ChatTemplate, MoveKeepsTemplate) {
  auto a = ChatTemplate::parse("{{ 1 + 1 }}", "t");
  ChatTemplate b = std::move(a);
  EXPECT_EQ(b.render(ordered_json::object()), "2");
  EXPECT_EQ(b.name(), "t");
}

} // namespace
