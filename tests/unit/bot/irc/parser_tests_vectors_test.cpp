// Runs every case of the ircdocs parser-tests (tests/fixtures/irc-parser-tests, CC0).
// No case is skipped; the only vector not run is one upstream keeps commented out in
// validate-hostname.yaml ("irc.Bücher.ch"), which is therefore not part of the data.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "bot/irc/hostname.hpp"
#include "bot/irc/message.hpp"
#include "core/text/wildcard.hpp"

using namespace chatops::irc;

namespace {

YAML::Node load(const char* name) {
  return YAML::LoadFile(std::string(CHATOPS_FIXTURES_DIR "/irc-parser-tests/") + name)["tests"];
}

std::string str(const YAML::Node& n) { return n ? n.as<std::string>() : std::string(); }

std::vector<std::string> strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n)
    for (const auto& item : n) out.push_back(item.as<std::string>());
  return out;
}

std::vector<std::pair<std::string, std::string>> tags_of(const YAML::Node& n) {
  std::vector<std::pair<std::string, std::string>> out;
  if (n)
    for (const auto& kv : n) out.emplace_back(kv.first.as<std::string>(), str(kv.second));
  return out;
}

}  // namespace

TEST_CASE("parser-tests msg-split: every line parses into the listed atoms") {
  const auto tests = load("msg-split.yaml");
  REQUIRE(tests.size() == 35);
  for (const auto& t : tests) {
    const auto input = t["input"].as<std::string>();
    const auto& atoms = t["atoms"];
    INFO("input: " << input);
    const auto m = parse(input);
    REQUIRE(m);
    const auto expected_tags = tags_of(atoms["tags"]);
    CHECK(std::map(m->tags.begin(), m->tags.end()) == std::map(expected_tags.begin(), expected_tags.end()));
    CHECK(m->tags.size() == expected_tags.size());  // duplicates collapsed, not kept
    CHECK(m->source == str(atoms["source"]));
    CHECK(m->command == str(atoms["verb"]));
    CHECK(m->params == strings(atoms["params"]));
  }
}

TEST_CASE("parser-tests msg-join: serialisation equals one of the listed matches") {
  const auto tests = load("msg-join.yaml");
  REQUIRE(tests.size() == 18);
  for (const auto& t : tests) {
    const auto& atoms = t["atoms"];
    const Message m{tags_of(atoms["tags"]), str(atoms["source"]), str(atoms["verb"]), strings(atoms["params"])};
    const auto line = serialize(m);
    const auto matches = strings(t["matches"]);
    INFO(str(t["desc"]) << ": " << line);
    CHECK(std::find(matches.begin(), matches.end(), line) != matches.end());
  }
}

TEST_CASE("parser-tests userhost-split: nick!user@host splits into its parts") {
  const auto tests = load("userhost-split.yaml");
  REQUIRE(tests.size() == 7);
  for (const auto& t : tests) {
    const auto source = t["source"].as<std::string>();
    const auto& atoms = t["atoms"];
    INFO("source: " << source);
    const auto p = split_prefix(source);
    CHECK(p.nick == str(atoms["nick"]));
    CHECK(p.user == str(atoms["user"]));
    CHECK(p.host == str(atoms["host"]));
  }
}

TEST_CASE("parser-tests mask-match: masks match and fail as listed") {
  const auto tests = load("mask-match.yaml");
  REQUIRE(tests.size() == 6);
  // The vectors are hostmasks, compared the way a server does by default (rfc1459).
  const chatops::text::WildcardOptions opts{};
  for (const auto& t : tests) {
    const auto mask = t["mask"].as<std::string>();
    for (const auto& text : strings(t["matches"])) {
      INFO(mask << " should match " << text);
      CHECK(chatops::text::wildcard_match(mask, text, opts));
    }
    for (const auto& text : strings(t["fails"])) {
      INFO(mask << " should not match " << text);
      CHECK_FALSE(chatops::text::wildcard_match(mask, text, opts));
    }
  }
}

TEST_CASE("parser-tests validate-hostname: valid_hostname agrees with every case") {
  const auto tests = load("validate-hostname.yaml");
  REQUIRE(tests.size() == 19);
  for (const auto& t : tests) {
    const auto host = t["host"].as<std::string>();
    INFO("host: '" << host << "'");
    CHECK(valid_hostname(host) == t["valid"].as<bool>());
  }
}
