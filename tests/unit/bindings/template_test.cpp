// Templates: Mustache over event fields, IRC markup, and values that stay inert.
#include <catch2/catch.hpp>

#include "bindings/template.hpp"

using namespace chatops::bindings;
using nlohmann::json;

namespace {

std::string render(const std::string& text, const json& data) {
  auto compiled = Template::compile(text);
  REQUIRE(compiled);
  auto rendered = compiled->render(data);
  REQUIRE(rendered);
  return *rendered;
}

}  // namespace

TEST_CASE("markup turns into mIRC codes") {
  CHECK(render("[B]bold[/B] [U]under[/U] [I]rev[/I]", {}) == "\x02" "bold\x02 \x1funder\x1f \x16rev\x16");
  CHECK(render("[COLOR=RED]red[/COLOR]", {}) == "\x03" "04red\x0f");
  CHECK(render("[COLOR=GREEN/BLACK]g[/COLOR]", {}) == "\x03" "09,01g\x0f");
  CHECK(render("[B]x[RESET]y", {}) == "\x02x\x0fy");
  // Lower-case tags and unknown colours are left as text.
  CHECK(render("[b]x[/b]", {}) == "[b]x[/b]");
  CHECK(render("[COLOR=ORANGE]x", {}) == "[COLOR=ORANGE]x");
}

TEST_CASE("values are inserted without HTML escaping and with nested names") {
  const json data = {{"title", "a < b & \"c\""}, {"repository", {{"full_name", "org/repo"}}}};
  CHECK(render("{{title}} in {{repository.full_name}}", data) == "a < b & \"c\" in org/repo");
  CHECK(render("{{{title}}}", data) == "a < b & \"c\"");
}

TEST_CASE("missing fields render empty") {
  CHECK(render("[{{nope}}|{{a.b.c}}]", {{"a", 1}}) == "[|]");
}

TEST_CASE("numbers render as text, integers without a fraction") {
  const json data = {{"count", 3}, {"float_int", 3.0}, {"ratio", 2.5}, {"negative", -7}, {"big", 12345678901234}};
  CHECK(render("{{count}} {{float_int}} {{ratio}} {{negative}} {{big}}", data) == "3 3 2.5 -7 12345678901234");
}

TEST_CASE("arrays give list sections, scalars through {{.}}") {
  const json data = {{"commits", {{{"id", "abc"}, {"author", "ann"}}, {{"id", "def"}, {"author", "bo"}}}},
                     {"labels", {"bug", "ui"}}};
  CHECK(render("{{#commits}}{{id}} by {{author}}; {{/commits}}", data) == "abc by ann; def by bo; ");
  CHECK(render("{{#labels}}<{{.}}>{{/labels}}", data) == "<bug><ui>");
}

TEST_CASE("booleans, null and empty lists drive conditionals and inverted sections") {
  const json data = {{"merged", true}, {"draft", false}, {"body", nullptr}, {"labels", json::array()}};
  CHECK(render("{{#merged}}merged{{/merged}}{{^merged}}closed{{/merged}}", data) == "merged");
  CHECK(render("{{#draft}}draft{{/draft}}{{^draft}}ready{{/draft}}", data) == "ready");
  CHECK(render("{{^body}}no body{{/body}}", data) == "no body");
  CHECK(render("{{^labels}}unlabelled{{/labels}}", data) == "unlabelled");
  CHECK(render("{{^missing}}absent{{/missing}}", data) == "absent");
}

TEST_CASE("templates may render several lines") {
  CHECK(render("one {{a}}\ntwo {{b}}", {{"a", 1}, {"b", 2}}) == "one 1\ntwo 2");
}

TEST_CASE("markup in field values stays literal text") {
  const json data = {{"title", "[B]not bold[/B] [COLOR=RED]x[/COLOR]"}};
  CHECK(render("[B]{{title}}[/B]", data) == "\x02[B]not bold[/B] [COLOR=RED]x[/COLOR]\x02");
}

TEST_CASE("IRC control codes in field values are removed, newlines become spaces") {
  const json data = {{"title", "\x02" "bold\x03" "4,12red\x0f \x1ditalic\x1e\x11\x16\x1f\x04" "FF0000x\x01" "ACTION\x01"},
                     {"message", "line one\nline two\r\n\tend"}};
  CHECK(render("{{title}}", data) == "boldred italicFF0000xACTION");
  CHECK(render("{{message}}", data) == "line one line two   end");
  CHECK(render("{{#list}}{{.}}{{/list}}", {{"list", {"\x02x"}}}) == "x");
}

TEST_CASE("a value after a colour cannot turn into the colour's background") {
  const auto out = render("[COLOR=RED]{{n}}[/COLOR]", {{"n", ",12 items"}});
  CHECK(out == "\x03" "04\x02\x02,12 items\x0f");
}

TEST_CASE("templates that do not compile say why") {
  auto unclosed = Template::compile("{{#commits}}{{id}}");
  REQUIRE_FALSE(unclosed);
  CHECK_THAT(unclosed.error().message, Catch::Contains("commits"));
  CHECK_FALSE(Template::compile("{{#a}}{{/b}}"));
  CHECK_FALSE(Template::compile("{{unclosed"));
}

TEST_CASE("partials are refused: a field value is never run as a template") {
  auto partial = Template::compile("{{>title}}");
  REQUIRE_FALSE(partial);
  CHECK_THAT(partial.error().message, Catch::Contains("partials"));
}

TEST_CASE("partials are refused in every spelling kainjow's parser accepts") {
  // kainjow trims the tag's contents with isspace before looking at its first character, and
  // runs a partial's field value as a template ("R {{  >msg}}" recursed until the stack ran out).
  for (const std::string text : {"{{>msg}}", "{{ >msg}}", "{{  >msg}}", "{{\t>msg}}", "{{\n>msg}}", "{{\r\n>msg}}",
                                 "{{\v>msg}}", "{{\f>msg}}", "{{ > msg }}", "R {{  >msg}}", "{{#list}}{{>msg}}{{/list}}",
                                 "{{^none}}{{ >msg}}{{/none}}", "[B]{{>msg}}[/B]", "{{! a comment }}{{>msg}}"}) {
    INFO(text);
    auto compiled = Template::compile(text);
    REQUIRE_FALSE(compiled);
    CHECK_THAT(compiled.error().message, Catch::Contains("partials"));
  }
}

TEST_CASE("set-delimiter tags are refused, and with them partials behind other delimiters") {
  for (const std::string text : {"{{=<% %>=}}<%>msg%>", "{{=<% %>=}}<%msg%>", "{{ =<% %>= }}", "{{\t=| |=}}|> msg|",
                                 "{{=[[ ]]=}}[[={{ }}=]]{{msg}}", "x {{#a}}{{=<< >>=}}<</a>>"}) {
    INFO(text);
    auto compiled = Template::compile(text);
    REQUIRE_FALSE(compiled);
    CHECK_THAT(compiled.error().message, Catch::Contains("set-delimiter"));
  }
  CHECK_FALSE(Template::compile("{{=<%=}}"));  // malformed: kainjow's own error
}

TEST_CASE("values, triple mustaches, {{&}} and comments are accepted, and values stay data") {
  // "{{{>msg}}}" and "{{&>msg}}" are kainjow's unescaped variables named ">msg": a lookup of that
  // field, never a partial.
  const json data = {{"msg", "R {{  >msg}} {{=<% %>=}}"}, {">msg", "{{>msg}}"}};
  CHECK(render("{{msg}}", data) == "R {{  >msg}} {{=<% %>=}}");
  CHECK(render("{{{msg}}}|{{& msg}}|{{{ msg }}}", data) ==
        "R {{  >msg}} {{=<% %>=}}|R {{  >msg}} {{=<% %>=}}|R {{  >msg}} {{=<% %>=}}");
  CHECK(render("{{{>msg}}}|{{&>msg}}", data) == "{{>msg}}|{{>msg}}");
  CHECK(render("a{{! >msg is only a comment }}b", data) == "ab");
  CHECK(render("{{#msg}}[{{.}}]{{/msg}}", data) == "[R {{  >msg}} {{=<% %>=}}]");
}

TEST_CASE("field_text is how filters and templates see scalars") {
  CHECK(field_text(json(42)) == "42");
  CHECK(field_text(json(1.0)) == "1");
  CHECK(field_text(json(true)) == "true");
  CHECK(field_text(json(nullptr)).empty());
  CHECK(field_text(json("a\x02" "b")) == "ab");
}

TEST_CASE("a template with text outside its sections never renders blank, one that may is known") {
  const auto never_blank = [](const std::string& text) {
    auto compiled = Template::compile(text);
    REQUIRE(compiled);
    return compiled->never_blank();
  };
  CHECK(never_blank("[B]{{repo}}[/B] {{pusher}}"));
  CHECK(never_blank("{{#merged}}merged{{/merged}} by {{user}}"));
  CHECK(never_blank("[B][/B]"));  // formatting codes are not blank
  CHECK_FALSE(never_blank("{{text}}"));
  CHECK_FALSE(never_blank("{{#text}}said: {{text}}{{/text}}"));
  CHECK_FALSE(never_blank("{{^quiet}}loud{{/quiet}}  \n"));
  CHECK_FALSE(never_blank("{{! only a comment }}"));
}

TEST_CASE("a template renders from only the names it reads, as it would from the whole data") {
  const json data = {{"repo", "org/x"},
                     {"ref", "main"},
                     {"pusher", {{"name", "ann"}}},
                     {"commits", {{{"id", "abc"}}, {{"id", "def"}, {"ref", "own"}}}},
                     {"unread", {{"deep", json::array({1, 2, 3})}}}};
  // Inside a section a name is looked up in the section's value first, then out to the top level.
  CHECK(render("{{#commits}}{{id}}@{{ref}} {{/commits}}", data) == "abc@main def@own ");
  CHECK(render("{{#pusher}}{{name}} to {{repo}}{{/pusher}}", data) == "ann to org/x");
  CHECK(render("{{pusher.name}} {{^nothing}}{{repo}}{{/nothing}}", data) == "ann org/x");
  // {{.}} inside a list section is its item; outside any section the data, an object: nothing.
  CHECK(render("{{#unread.deep}}{{.}}{{/unread.deep}}", data) == "123");
  CHECK(render("[{{.}}]", data) == "[]");
}
