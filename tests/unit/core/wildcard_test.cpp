#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "core/text/wildcard.hpp"

using namespace chatops::text;

namespace {
const WildcardOptions exact{std::nullopt, false};
const WildcardOptions ascii{CaseMapping::Ascii, false};
const WildcardOptions eggdrop{CaseMapping::Rfc1459, true};
}  // namespace

TEST_CASE("wildcard: * matches any run, ? exactly one byte", "[wildcard]") {
  CHECK(wildcard_match("*", ""));
  CHECK(wildcard_match("*", "anything at all"));
  CHECK(wildcard_match("", ""));
  CHECK_FALSE(wildcard_match("", "x"));
  CHECK(wildcard_match("github/*", "github/push"));
  CHECK(wildcard_match("github/*", "github/"));
  CHECK_FALSE(wildcard_match("github/*", "gitlab/push"));
  CHECK(wildcard_match("*/firing", "alertmanager/firing"));
  CHECK(wildcard_match("a*b*c", "aXXbYYbZZc"));
  CHECK_FALSE(wildcard_match("a*b*c", "aXXbYYbZZ"));
  CHECK(wildcard_match("?", "x"));
  CHECK_FALSE(wildcard_match("?", ""));
  CHECK_FALSE(wildcard_match("?", "xy"));
  CHECK(wildcard_match("*!*@*.example.org", "alice!~a@host.example.org"));
  CHECK_FALSE(wildcard_match("*!*@*.example.org", "alice!~a@example.org"));
  CHECK(wildcard_match("**?**", "x"));
  CHECK_FALSE(wildcard_match("**??**", "x"));
}

TEST_CASE("wildcard: '?' is one byte, so a 2-byte character needs two", "[wildcard]") {
  CHECK_FALSE(wildcard_match("caf?", "café"));
  CHECK(wildcard_match("caf??", "café"));
  CHECK(wildcard_match("caf*", "café"));
}

TEST_CASE("wildcard: backslash escapes wildcards and is otherwise literal", "[wildcard]") {
  CHECK(wildcard_match("a\\*", "a*", exact));
  CHECK_FALSE(wildcard_match("a\\*", "ab", exact));
  CHECK(wildcard_match("\\?", "?", exact));
  CHECK_FALSE(wildcard_match("\\?", "x", exact));
  CHECK(wildcard_match("a\\\\b", "a\\b", exact));
  CHECK(wildcard_match("nick\\d!*@*", "nick\\d!u@h", exact));  // "\d" is not an escape
  CHECK(wildcard_match("x\\", "x\\", exact));                   // nor is a trailing backslash
  // Outside eggdrop mode % and ~ are plain characters, and "\%" stays two characters.
  CHECK(wildcard_match("100%", "100%", exact));
  CHECK(wildcard_match("\\%", "\\%", exact));
  CHECK(wildcard_match("*!~user@*", "nick!~user@host", exact));
}

TEST_CASE("wildcard: case folding follows the casemapping", "[wildcard]") {
  CHECK(wildcard_match("#OPS", "#ops"));                         // rfc1459 by default
  CHECK(wildcard_match("nick[away]*", "NICK{AWAY}x"));           // [ ] fold to { } in rfc1459
  CHECK(wildcard_match("a\\b", "a|b"));                          // \ folds to | in rfc1459
  CHECK(wildcard_match("x~y", "x^y"));                           // ~ folds to ^ in rfc1459…
  CHECK_FALSE(wildcard_match("x~y", "x^y", {CaseMapping::StrictRfc1459, false}));  // …not strict
  CHECK(wildcard_match("nick[away]", "nick{away}", {CaseMapping::StrictRfc1459, false}));
  CHECK(wildcard_match("#OPS", "#ops", ascii));
  CHECK_FALSE(wildcard_match("nick[away]", "nick{away}", ascii));
  CHECK_FALSE(wildcard_match("#OPS", "#ops", exact));
  CHECK(wildcard_match("GitHub/*", "GitHub/push", exact));
  CHECK(wildcard_match("É", "É", ascii));   // non-ASCII bytes compare as they are
  CHECK_FALSE(wildcard_match("É", "é", ascii));
}

TEST_CASE("wildcard eggdrop mode: % is a run of non-space bytes", "[wildcard]") {
  CHECK(wildcard_match("!deploy %", "!deploy api", eggdrop));
  CHECK(wildcard_match("!deploy %", "!deploy ", eggdrop));  // possibly empty
  CHECK_FALSE(wildcard_match("!deploy %", "!deploy api now", eggdrop));
  CHECK(wildcard_match("!deploy % %", "!deploy api now", eggdrop));
  CHECK(wildcard_match("%", "", eggdrop));
  CHECK_FALSE(wildcard_match("%", " ", eggdrop));
  CHECK(wildcard_match("*%x", "a b x", eggdrop));
  CHECK(wildcard_match("% *", "word then anything", eggdrop));
  CHECK_FALSE(wildcard_match("% *", "word", eggdrop));
  CHECK(wildcard_match("\\%", "%", eggdrop));
  CHECK_FALSE(wildcard_match("\\%", "x", eggdrop));
}

TEST_CASE("wildcard eggdrop mode: ~ is one or more spaces", "[wildcard]") {
  CHECK(wildcard_match("hello~world", "hello world", eggdrop));
  CHECK(wildcard_match("hello~world", "hello    world", eggdrop));
  CHECK_FALSE(wildcard_match("hello~world", "helloworld", eggdrop));
  CHECK_FALSE(wildcard_match("hello~world", "hello\tworld", eggdrop));
  CHECK(wildcard_match("!op~%", "!op   alice", eggdrop));
  CHECK_FALSE(wildcard_match("!op~%", "!op alice bob", eggdrop));
  CHECK(wildcard_match("\\~x", "~x", eggdrop));
  CHECK(wildcard_match("* ~%~*", "a   b c", eggdrop));  // backtracking-hungry mix
  CHECK(wildcard_match("!DEPLOY~%", "!deploy api", eggdrop));  // folding applies too
}

TEST_CASE("wildcard: pathological masks run in polynomial time", "[wildcard]") {
  // A backtracking matcher takes exponential time on these; the automaton is O(mask × text).
  std::string mask;
  for (int i = 0; i < 30; ++i) mask += "*a";
  mask += "*b";
  const std::string text(5000, 'a');
  std::string egg;
  for (int i = 0; i < 30; ++i) egg += "%a~";
  egg += "b";
  std::string spaced;
  for (int i = 0; i < 2000; ++i) spaced += "aa ";

  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(wildcard_match(mask, text));
  CHECK_FALSE(wildcard_match(egg, spaced, eggdrop));
  CHECK(wildcard_match(mask.substr(0, mask.size() - 2) + "*", text));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}
