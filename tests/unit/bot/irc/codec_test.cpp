#include <catch2/catch.hpp>
#include <stdexcept>

#include "bot/irc/message.hpp"

using namespace chatops::irc;

TEST_CASE("parse splits tags, source, command and params") {
  const auto m = parse("@time=2024-01-01T00:00:00Z;account=alice :alice!a@example.org PRIVMSG #ops :hello there");
  REQUIRE(m);
  CHECK(m->tag("time") == "2024-01-01T00:00:00Z");
  CHECK(m->tag("account") == "alice");
  CHECK_FALSE(m->tag("msgid"));
  CHECK(m->source == "alice!a@example.org");
  CHECK(m->prefix().nick == "alice");
  CHECK(m->prefix().user == "a");
  CHECK(m->prefix().host == "example.org");
  CHECK(m->command == "PRIVMSG");
  REQUIRE(m->params.size() == 2);
  CHECK(m->param(0) == "#ops");
  CHECK(m->param(1) == "hello there");
  CHECK(m->param(2).empty());
}

TEST_CASE("parse accepts a server numeric without source") {
  const auto m = parse("PING :irc.example.org");
  REQUIRE(m);
  CHECK(m->source.empty());
  CHECK(m->command == "PING");
  CHECK(m->params == std::vector<std::string>{"irc.example.org"});
}

TEST_CASE("parse errors name the problem and the byte offset") {
  const auto error_of = [](std::string_view line) {
    auto m = parse(line);
    REQUIRE_FALSE(m);
    return m.error().message;
  };
  CHECK(error_of("") == "IRC line: missing command at byte 0");
  CHECK(error_of(":src") == "IRC line: missing command at byte 4");
  CHECK(error_of(": PRIVMSG x") == "IRC line: empty source at byte 0");
  CHECK(error_of("@a=b") == "IRC line: tags not followed by a command at byte 4");
  CHECK(error_of(":n PRI$MSG x") == "IRC line: invalid character in command at byte 6");
  CHECK(error_of("PRIVMSG #a :x\r\nQUIT") == "IRC line: CR, LF or NUL at byte 13");
  CHECK(error_of(std::string_view("PRIVMSG #a :x\0y", 15)) == "IRC line: CR, LF or NUL at byte 13");
}

TEST_CASE("tag values are unescaped char by char, a lone trailing backslash is dropped") {
  CHECK(unescape_tag_value("a\\:b\\sc\\\\d\\re\\nf") == "a;b c\\d\re\nf");
  CHECK(unescape_tag_value("x\\") == "x");
  CHECK(unescape_tag_value("\\q") == "q");
  CHECK(unescape_tag_value("\\\\n") == "\\n");
  CHECK(escape_tag_value("a;b c\\d\re\nf") == "a\\:b\\sc\\\\d\\re\\nf");
}

TEST_CASE("serialize picks the trailing form only when needed") {
  CHECK(serialize({{}, "", "PRIVMSG", {"#ops", "hi"}}) == "PRIVMSG #ops hi");
  CHECK(serialize({{}, "", "PRIVMSG", {"#ops", "hi there"}}) == "PRIVMSG #ops :hi there");
  CHECK(serialize({{}, "", "PRIVMSG", {"#ops", ":)"}}) == "PRIVMSG #ops ::)");
  CHECK(serialize({{}, "", "AWAY", {""}}) == "AWAY :");
  CHECK(serialize({{{"+draft/reply", "abc"}, {"k", ""}}, "me", "TAGMSG", {"#ops"}}) ==
        "@+draft/reply=abc;k :me TAGMSG #ops");
}

TEST_CASE("serialize round-trips through parse") {
  const Message m{{{"a", "x;y z\\"}}, "n!u@h", "PRIVMSG", {"#c", "  two  spaces "}};
  const auto back = parse(serialize(m));
  REQUIRE(back);
  CHECK(back->tags == m.tags);
  CHECK(back->source == m.source);
  CHECK(back->command == m.command);
  CHECK(back->params == m.params);
}

TEST_CASE("serialize refuses to write protocol injection (a bug in the caller)") {
  CHECK_THROWS_AS(serialize({{}, "", "PRIVMSG", {"#ops", "hi\r\nQUIT"}}), std::invalid_argument);
  CHECK_THROWS_AS(serialize({{}, "", "PRIVMSG", {"#ops x", "hi"}}), std::invalid_argument);
  CHECK_THROWS_AS(serialize({{}, "", "PRIVMSG", {"", "hi"}}), std::invalid_argument);
  CHECK_THROWS_AS(serialize({{}, "", "", {}}), std::invalid_argument);
  CHECK_THROWS_AS(serialize({{}, "a b", "PING", {"x"}}), std::invalid_argument);
  CHECK_THROWS_AS(serialize({{{"k;x", "v"}}, "", "PING", {"x"}}), std::invalid_argument);
  CHECK_THROWS_AS(serialize({{}, "", "PRIVMSG", {"#ops", std::string("a\0b", 3)}}), std::invalid_argument);
}

TEST_CASE("split_prefix handles missing user and host") {
  CHECK(split_prefix("irc.example.org").nick == "irc.example.org");
  const auto p = split_prefix("nick@host");
  CHECK(p.nick == "nick");
  CHECK(p.user.empty());
  CHECK(p.host == "host");
}

TEST_CASE("parse keeps the last of duplicate tags and skips empty tag items") {
  const auto m = parse("@a=1;;=x;b;a=2 CMD");
  REQUIRE(m);
  using Tags = std::vector<std::pair<std::string, std::string>>;
  CHECK(m->tags == Tags{{"b", ""}, {"a", "2"}});
}

TEST_CASE("parse handles a maximal tag section of thousands of tags") {
  std::string line = "@";
  for (int i = 0; i < 2000; ++i) line += "k" + std::to_string(i % 1000) + ";";
  line += " PING x";
  const auto m = parse(line);
  REQUIRE(m);
  CHECK(m->tags.size() == 1000);
  CHECK(m->command == "PING");
}
