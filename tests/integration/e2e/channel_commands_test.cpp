// Issue 16: the bot run from the channel. The built bot on a real ngircd; people in the channel
// (test clients) send commands and the tests check the bot's exact replies and what they change.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/integration/e2e/bot_in_channel.hpp"
#include "tests/integration/support/raw_http.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

BotConfig commands_config() {
  BotConfig c;
  c.flood = "{burst: 20, rate: 10.0}";
  c.sources = "  - {name: deploys, kind: webhook, provider: generic, path: /hooks/deploy, topic_pointer: /event,\n"
              "     token: tok3n, token_header: X-Token, template: \"deploy {{service}}: {{status}}\"}\n";
  c.binds = "  - {type: webhook, mask: \"deploy/*\", say: {to: [\"#ops\"]}}\n";
  c.extra = "users:\n"
            "  - {handle: boss, hostmasks: [\"boss!*@*\"], flags: n}\n"
            "  - {handle: watcher, hostmasks: [\"watcher!*@*\"], channels: {\"#ops\": o}}\n"
            "commands: {user_burst: 50, channel_burst: 50}\n";
  return c;
}

struct CommandStack : BotInChannel {
  CommandStack() : BotInChannel(commands_config(), "chatops-commands") {
    boss = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.port(), .nick = "boss"});
    boss->join("#ops");
    stranger = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.port(), .nick = "stranger"});
    stranger->join("#ops");
  }

  // Says `text` in #ops as `who` and returns the bot's next `count` lines there (as the watcher
  // sees them), in order.
  std::vector<std::string> ask(IrcTestClient& who, const std::string& text, std::size_t count = 1,
                               std::chrono::milliseconds timeout = 30s) {
    const auto asked = std::chrono::steady_clock::now();
    who.privmsg("#ops", text);
    const auto said = watcher->wait_for(
        [asked](const Privmsg& m) { return m.nick == "opsbot" && m.target == "#ops" && m.received >= asked; }, timeout,
        count);
    std::vector<std::string> lines;
    for (const auto& m : said) lines.push_back(m.text);
    return lines;
  }

  RawResponse post_deploy(const std::string& service) {
    const nlohmann::json body = {{"event", "deploy/finished"}, {"service", service}, {"status", "ok"}};
    auto reply = raw_exchange(bot->http_port(), post_request("/hooks/deploy", body.dump(), "Content-Type: application/json\r\nX-Token: tok3n\r\n"));
    REQUIRE(reply);
    return *reply;
  }

  std::unique_ptr<IrcTestClient> boss, stranger;
};

}  // namespace

TEST_CASE("help in the channel, addressed by nick and in private shows each user what their flags allow",
          "[e2e][commands]") {
  CommandStack s;
  CHECK(s.ask(*s.stranger, "!help") ==
        std::vector<std::string>{"Commands: help, whoami, version. Say !help <command> for one."});
  CHECK(s.ask(*s.boss, "opsbot: help") ==
        std::vector<std::string>{"Commands: help, whoami, version, status, sources, binds, history, pause, resume, "
                                 "mute, unmute, reload, users, whois, adduser, deluser, chattr, ack, silence, silences, unsilence. "
                                 "Say !help <command> for one."});
  CHECK(s.ask(*s.boss, "opsbot, help mute") ==
        std::vector<std::string>{"!mute <channel|source> [duration] — Say nothing in a channel, or nothing from a "
                                 "source; events wait in the journal until the mute ends. Needs flags m|m."});
  // In private the answer comes by NOTICE.
  s.stranger->privmsg("opsbot", "whoami");
  const auto notice = s.stranger->wait_for_line(
      [](const IrcLine& l) { return l.command == "NOTICE" && l.nick == "opsbot" && l.param(0) == "stranger"; }, 10s);
  REQUIRE(notice);
  CHECK(std::regex_match(notice->param(1), std::regex(R"(stranger: I do not know you \(stranger!~?\w+@[^,]+, not logged in\); you may use !help\.)")));
}

TEST_CASE("a command needing flags is refused politely to someone without them, and runs for a user with them",
          "[e2e][commands]") {
  CommandStack s;
  CHECK(s.ask(*s.stranger, "!pause deploys") ==
        std::vector<std::string>{"stranger: sorry, !pause needs flags m|m and I do not know you (say !whoami)."});
  CHECK(s.ask(*s.watcher, "!pause deploys") == std::vector<std::string>{"watcher: sorry, !pause needs flags m|m."});
  CHECK(s.post_deploy("api").status == 202);  // still taking events
  REQUIRE(s.watcher->wait_for(std::regex("^deploy api: ok$"), "opsbot", "#ops", 30s).size() == 1);
}

TEST_CASE("a paused webhook source answers 503 with Retry-After, and takes events again once resumed",
          "[e2e][commands]") {
  CommandStack s;
  CHECK(s.ask(*s.boss, "!pause deploys") ==
        std::vector<std::string>{"deploys paused: it takes nothing until resumed (a webhook answers 503 with Retry-After)."});
  const auto paused = s.post_deploy("api");
  CHECK(paused.status == 503);
  CHECK(paused.headers.count("retry-after") == 1);
  CHECK(s.ask(*s.watcher, "!sources") ==
        std::vector<std::string>{"deploys (webhook): paused, 0 accepted, 0 duplicates, 0 refused"});
  CHECK(s.ask(*s.boss, "!resume deploys") == std::vector<std::string>{"deploys resumed."});
  CHECK(s.post_deploy("web").status == 202);
  CHECK(s.watcher->wait_for(std::regex("^deploy web: ok$"), "opsbot", "#ops", 30s).size() == 1);
  CHECK(s.watcher->wait_for(std::regex("^deploy api"), "opsbot", "#ops", 500ms).empty());  // refused, never stored
}

TEST_CASE("events for a muted channel wait in the journal and are said once it is unmuted", "[e2e][commands]") {
  CommandStack s;
  CHECK(s.ask(*s.boss, "!mute #ops") ==
        std::vector<std::string>{"Muted #ops until unmuted: its events wait in the journal."});
  CHECK(s.post_deploy("api").status == 202);
  CHECK(s.watcher->wait_for(std::regex("^deploy api"), "opsbot", "#ops", 1500ms).empty());
  const auto status = s.ask(*s.watcher, "!status", 3);
  REQUIRE(status.size() == 3);
  CHECK(std::regex_match(status[0], std::regex(R"(chatops-bot \S+, up \d+s; IRC 127\.0\.0\.1:\d+ registered as opsbot in #ops)")));
  CHECK(std::regex_match(status[1], std::regex(R"(journal: 1 event waiting \(oldest \d+s\); muted: #ops)")));
  CHECK(status[2] == "deploys (webhook): running, 1 accepted, 0 duplicates, 0 refused");
  const auto unmuted = s.ask(*s.boss, "!unmute #ops", 2);
  CHECK(unmuted == std::vector<std::string>{"Unmuted #ops: what waited is said now.", "deploy api: ok"});
}

TEST_CASE("a muted source's events wait in the journal until its mute ends by itself",
          "[e2e][commands]") {
  CommandStack s;
  CHECK(s.ask(*s.boss, "!mute deploys 3s") ==
        std::vector<std::string>{"Muted deploys for 3s: its events wait in the journal."});
  CHECK(s.post_deploy("api").status == 202);
  CHECK(s.watcher->wait_for(std::regex("^deploy api: ok$"), "opsbot", "#ops", 1s).empty());
  CHECK(s.watcher->wait_for(std::regex("^deploy api: ok$"), "opsbot", "#ops", 30s).size() == 1);
}

TEST_CASE("history says the last events from the journal, newest first", "[e2e][commands]") {
  CommandStack s;
  CHECK(s.post_deploy("api").status == 202);
  CHECK(s.post_deploy("web").status == 202);
  REQUIRE(s.watcher->wait_for(std::regex("^deploy (api|web): ok$"), "opsbot", "#ops", 30s, 2).size() == 2);
  // Said events are marked done once the server has them: ask until history shows both.
  std::vector<std::string> history;
  for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;) {
    history = s.ask(*s.watcher, "!history 2", 2, 1s);
    if (history.size() == 2 && history[0].starts_with("#2 ")) break;
  }
  REQUIRE(history.size() == 2);
  CHECK(std::regex_match(history[0], std::regex(R"(#2 \d\d:\d\d:\d\d deploys deploy/finished: deploy web: ok)")));
  CHECK(std::regex_match(history[1], std::regex(R"(#1 \d\d:\d\d:\d\d deploys deploy/finished: deploy api: ok)")));
}

TEST_CASE("control characters in a command's arguments are not echoed back to IRC", "[e2e][commands]") {
  CommandStack s;
  CHECK(s.ask(*s.boss, "!pause a\x01" "b\x02" "c") ==
        std::vector<std::string>{"boss: no source named 'abc' (sources: deploys)."});
}

TEST_CASE("mutes, pauses and users added from IRC are kept across a restart", "[e2e][commands]") {
  CommandStack s;
  CHECK(s.ask(*s.boss, "!mute #ops 1h").size() == 1);
  CHECK(s.ask(*s.boss, "!pause deploys").size() == 1);
  CHECK(s.ask(*s.boss, "!adduser helper stranger!*@* o") ==
        std::vector<std::string>{"Added helper (stranger!*@*), flags o."});
  s.bot->stop();
  s.watcher->clear();
  s.bot->start();
  REQUIRE(s.watcher->wait_for_join("opsbot", "#ops", 30s));
  const auto status = s.ask(*s.watcher, "!status", 3);
  REQUIRE(status.size() == 3);
  CHECK(std::regex_match(status[1], std::regex(R"(journal: 0 events waiting; muted: #ops \(59m \d+s left\)|journal: 0 events waiting; muted: #ops \(1h left\))")));
  CHECK(status[2] == "deploys (webhook): paused, 0 accepted, 0 duplicates, 0 refused");
  CHECK(s.post_deploy("api").status == 503);
  // The user added before the restart: recognised, with the flags given.
  CHECK(s.ask(*s.stranger, "!sources") ==
        std::vector<std::string>{"deploys (webhook): paused, 0 accepted, 0 duplicates, 0 refused"});
  const auto whois = s.ask(*s.boss, "!whois stranger");
  REQUIRE(whois.size() == 1);
  CHECK(std::regex_match(whois[0], std::regex(R"(boss: stranger!~?\w+@\S+ \(account unknown\) is helper, flags o\.)")));
}
