// Issue 16, item 8: commands from users recognised by their services account, on the stack real
// networks run: InspIRCd 3 linked with Atheme. A client logged in by SASL to a NickServ account
// issues the commands under a nick of its own: each is permitted by the flags its account's user
// has, also after a nick change; a client with no account is refused politely. Who was in the
// channel before the bot is known by account from its WHOX query.
#include <catch2/catch.hpp>

#include "tests/integration/e2e/bot_in_channel.hpp"
#include "tests/integration/support/inspircd.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/raw_http.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

struct AccountStack {
  InspircdWithServices ircd{InspircdOptions{.tls = false, .relaxed_port = true}};
  TempDir dir{"chatops-account-commands"};
  std::unique_ptr<IrcTestClient> watcher, early, alice, stranger;
  std::unique_ptr<BotProcess> bot;

  AccountStack() {
    ircd.register_account("alice", "alice-pa55word");
    ircd.register_account("carol", "carol-pa55word");
    BotConfig c;
    c.irc_port = ircd.relaxed_port();
    c.flood = "{burst: 20, rate: 10.0}";
    c.sources = "  - {name: deploys, kind: webhook, provider: generic, path: /hooks/deploy, topic_pointer: /event,\n"
                "     token: tok3n, token_header: X-Token, template: \"deploy {{service}}\"}\n";
    c.binds = "  - {type: webhook, mask: \"deploy/*\", say: {to: [\"#ops\"]}}\n";
    // Known by account only: no hostmask would match the nick she uses.
    c.extra = "users:\n  - {handle: alice, account: alice, flags: n}\n"
              "commands: {user_burst: 50, channel_burst: 50}\n";
    watcher = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.relaxed_port(), .nick = "watcher"});
    watcher->join("#ops");
    // In #ops before the bot, logged in, and silent: only the bot's WHOX query tells about her.
    early = std::make_unique<IrcTestClient>(IrcClientOptions{
        .port = ircd.relaxed_port(), .nick = "early", .sasl_user = "carol", .sasl_password = "carol-pa55word"});
    early->join("#ops");
    bot = std::make_unique<BotProcess>(dir, bot_config_yaml(c));
    REQUIRE(watcher->wait_for_join("opsbot", "#ops", 20s));
    alice = std::make_unique<IrcTestClient>(IrcClientOptions{
        .port = ircd.relaxed_port(), .nick = "notalice", .sasl_user = "alice", .sasl_password = "alice-pa55word"});
    alice->join("#ops");
    stranger = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.relaxed_port(), .nick = "stranger"});
    stranger->join("#ops");
  }

  std::string first(IrcTestClient& who, const std::string& text) {
    const auto lines = ask_bot(*watcher, who, text);
    return lines.empty() ? "(nothing)" : lines[0];
  }
};

}  // namespace

TEST_CASE("a services account's user runs every command under any nick, a stranger is refused politely",
          "[e2e][commands][inspircd]") {
  AccountStack s;
  CHECK(s.first(*s.alice, "!whoami").starts_with("notalice: you are alice (recognised by account alice), flags "));
  const std::string deploy = R"({"event": "deploy/finished", "service": "api"})";
  auto posted = raw_exchange(s.bot->http_port(), post_request("/hooks/deploy", deploy,
                                                               "Content-Type: application/json\r\nX-Token: tok3n\r\n"));
  REQUIRE(posted);
  REQUIRE(s.watcher->wait_for(std::regex("^deploy api$"), "opsbot", "#ops", 30s).size() == 1);

  // Each answer as the command gives it (a longer one may still be arriving when the next is asked).
  const std::vector<std::pair<std::string, std::string>> permitted{
      {"!status", "chatops-bot "},
      {"!sources", "deploys (webhook): "},
      {"!history 1", "#1 "},
      {"!pause deploys", "deploys paused"},
      {"!resume deploys", "deploys resumed."},
      {"!mute deploys 1m", "Muted deploys "},
      {"!unmute deploys", "Unmuted deploys"},
      {"!users", "alice (config.yml): "},
      {"!whois stranger", "notalice: stranger!"},
      {"!adduser bob $a:bob o", "Added bob (account bob), "},
      {"!chattr bob +m", "bob: "},
      {"!deluser bob", "Deleted bob."},
      {"!ack 000000", "notalice: no alert 000000"},
      {"!silences", "notalice: silencing is off"},
      {"!version", "chatops-bot "},
  };
  for (const auto& [command, starts] : permitted) {
    INFO(command);
    const auto asked = std::chrono::steady_clock::now();
    s.alice->privmsg("#ops", command);
    // (!status lists the sources too: its last lines may come after the next question.)
    CHECK_FALSE(s.watcher->wait_for([&, starts = starts](const Privmsg& m) {
                             return m.nick == "opsbot" && m.received >= asked && m.text.starts_with(starts);
                           }, 15s, 1).empty());
  }
  for (const auto& m : s.watcher->messages()) CHECK(m.text.find("sorry") == std::string::npos);
  CHECK(s.first(*s.stranger, "!status") == "stranger: sorry, !status needs flags o|o and I do not know you (say !whoami).");
  CHECK(s.first(*s.stranger, "!pause deploys") ==
        "stranger: sorry, !pause needs flags m|m and I do not know you (say !whoami).");
  CHECK(s.first(*s.stranger, "!whoami").starts_with("stranger: I do not know you (stranger!"));

  CHECK(std::regex_match(s.first(*s.alice, "!whois early"),
                         std::regex(R"(notalice: early!\S+@\S+ \(account carol\) is not a user I know\.)")));

  // Another nick, the same account: still alice.
  s.alice->send("NICK ally");
  REQUIRE(s.watcher->wait_for_line([](const IrcLine& l) { return l.command == "NICK" && l.nick == "notalice"; }, 30s));
  CHECK(s.first(*s.alice, "!whoami").starts_with("ally: you are alice (recognised by account alice), flags "));
  CHECK(s.first(*s.alice, "!binds").find("sorry") == std::string::npos);
}
