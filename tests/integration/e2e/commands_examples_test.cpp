// docs/examples.md, "Commands in the channel": the example's configuration word for word, run by
// the built bot on a real ngircd; each line of the page's transcript said by that nick, and the
// bot's answers compared with the page's.
#include <catch2/catch.hpp>

#include <map>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("docs/examples.md: operators, owners and everyone else in #ops", "[e2e][commands][examples]") {
  const std::string heading = "### Operators, owners and everyone else in #ops";
  const auto yaml = examples::blocks(heading, "yaml");
  const auto transcript = examples::blocks(heading, "irc");
  REQUIRE(yaml.size() == 1);
  REQUIRE(transcript.size() == 1);
  const auto users = yaml[0].find("users:\n");
  REQUIRE(users != std::string::npos);
  REQUIRE(yaml[0].starts_with("sources:\n"));
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}});
  BotConfig c;
  c.irc_port = ircd.port();
  c.flood = "{burst: 20, rate: 10}";
  const auto binds = yaml[0].find("binds:\n");
  c.sources = yaml[0].substr(9, binds - 9);
  c.binds = yaml[0].substr(binds + 7, users - binds - 7);
  c.extra = yaml[0].substr(users);
  TempDir dir("chatops-commands-example");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  BotProcess bot(dir, bot_config_yaml(c), {{"DEPLOY_TOKEN", "tok3n"}});
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 30s));

  std::map<std::string, std::unique_ptr<IrcTestClient>> people;
  std::vector<std::string> expected;
  for (const auto& line : examples::lines(transcript[0])) {
    REQUIRE(line.starts_with("<"));
    const auto nick = line.substr(1, line.find('>') - 1);
    const auto text = line.substr(line.find('>') + 2);
    if (nick == "opsbot") {
      expected.push_back(text);
      continue;
    }
    // Each question once the answers before it are in: the page's order is the channel's.
    REQUIRE(watcher.wait_for([](const Privmsg& m) { return m.nick == "opsbot"; }, 15s, expected.size()).size() ==
            expected.size());
    auto& who = people[nick];
    if (!who) {
      who = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.port(), .nick = nick});
      who->join("#ops");
    }
    who->privmsg("#ops", text);
  }
  watcher.wait_for([](const Privmsg& m) { return m.nick == "opsbot"; }, 15s, expected.size());
  CHECK(examples::said(watcher, "#ops") == expected);
}
