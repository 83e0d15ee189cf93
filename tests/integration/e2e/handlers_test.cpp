// Issue 16 item 6: Lua and program handlers in the built bot on a real ngircd. Commands asked in
// the channel and a webhook event are answered by a Lua script and by programs; hostile handlers
// (an endless loop, a program that never exits, floods, forks or writes CR/LF) are stopped and
// reported while the bot goes on answering.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tests/integration/e2e/bot_in_channel.hpp"
#include "tests/integration/support/raw_http.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// The scripts the binds name, written before the bot starts.
struct HandlerScripts {
  TempDir dir{"chatops-handler-scripts"};
  HandlerScripts() {
    dir.write("uptime.lua", "-- says who asked, and how many words they gave\n"
                            "return 'up, ' .. event.nick .. ' (' .. #event.args .. ' args)'\n");
    executable("who.sh", "#!/bin/sh\n"
                         "nick=$(sed -n 's/.*\"nick\":\"\\([^\"]*\\)\".*/\\1/p')\n"
                         "echo \"program sees: $*, asked by $nick\"\n");
    executable("deployed.sh", "#!/bin/sh\n"
                              "service=$(sed -n 's/.*\"service\":\"\\([^\"]*\\)\".*/\\1/p')\n"
                              "echo \"program: $service finished\"\n");
    dir.share();
  }
  void executable(const std::string& name, const std::string& text) {
    const auto path = dir.write(name, text);
    ::chmod(path.c_str(), 0755);
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

BotConfig handlers_config(const HandlerScripts& scripts) {
  BotConfig c;
  c.flood = "{burst: 30, rate: 20.0}";
  c.sources = "  - {name: deploys, kind: webhook, provider: generic, path: /hooks/deploy, topic_pointer: /event,\n"
              "     token: tok3n, token_header: X-Token}\n";
  c.binds = "  - {type: pub, mask: \"!uptime\", lua: {file: " + scripts.path("uptime.lua") + "}}\n"
            "  - {type: pub, mask: \"!loop\", lua: {code: \"while true do end\"}}\n"
            "  - {type: pub, mask: \"!who\", run: {argv: [" + scripts.path("who.sh") + "], pass_args: true}}\n"
            "  - {type: webhook, mask: \"deploy/*\", lua: {code: \"return 'lua: deploy of ' .. event.service .. ' ' .. event.status\"},\n"
            "     say: {to: [\"#ops\"]}}\n"
            "  - {type: webhook, mask: \"deploy/*\", run: {argv: [" + scripts.path("deployed.sh") + "]}, say: {to: [\"#ops\"]}}\n"
            "  - {type: pub, mask: \"!hang\", run: {argv: [sleep, \"300\"], timeout: 500ms}}\n"
            "  - {type: pub, mask: \"!flood\", run: {argv: [yes, flood]}, say: {max_lines: 2}}\n"
            "  - {type: pub, mask: \"!inject\", run: {argv: [printf, \"a\\\\r\\\\nQUIT :bye\\\\r\\\\nb\\\\rPRIVMSG #ops :x\\\\n\"]}}\n"
            "  - {type: pub, mask: \"!forker\", run: {argv: [sh, -c, \"sleep 300 & sleep 300 & echo forked\"]}}\n";
  c.extra = "handlers: {lua: {max_time: 200ms, max_instructions: 1000000000000}}\n";
  return c;
}

struct HandlerStack {
  HandlerScripts scripts;
  BotInChannel stack{handlers_config(scripts), "chatops-handlers"};
  std::unique_ptr<IrcTestClient> alice;

  HandlerStack() {
    alice = std::make_unique<IrcTestClient>(IrcClientOptions{.port = stack.ircd.port(), .nick = "alice"});
    alice->join("#ops");
  }

  // Says `text` in #ops as alice and returns the bot's next `count` lines there, in order.
  std::vector<std::string> ask(const std::string& text, std::size_t count = 1, std::chrono::milliseconds timeout = 30s) {
    const auto asked = std::chrono::steady_clock::now();
    alice->privmsg("#ops", text);
    return said_since(asked, count, timeout);
  }

  std::vector<std::string> said_since(std::chrono::steady_clock::time_point since, std::size_t count,
                                      std::chrono::milliseconds timeout = 30s) {
    const auto said = stack.watcher->wait_for(
        [since](const Privmsg& m) { return m.nick == "opsbot" && m.target == "#ops" && m.received >= since; }, timeout,
        count);
    std::vector<std::string> lines;
    for (const auto& m : said) lines.push_back(m.text);
    return lines;
  }
};

}  // namespace

TEST_CASE("Lua and program handlers answer commands in the channel and react to a webhook event", "[e2e][handlers]") {
  HandlerStack s;
  CHECK(s.ask("!uptime web prod") == std::vector<std::string>{"up, alice (2 args)"});
  CHECK(s.ask("!who deploys -n") == std::vector<std::string>{"program sees: deploys -n, asked by alice"});

  const auto posted = std::chrono::steady_clock::now();
  const nlohmann::json body = {{"event", "deploy/finished"}, {"service", "web"}, {"status", "ok"}};
  auto reply = raw_exchange(s.stack.bot->http_port(),
                            post_request("/hooks/deploy", body.dump(), "Content-Type: application/json\r\nX-Token: tok3n\r\n"));
  REQUIRE(reply);
  CHECK(reply->status == 202);
  auto lines = s.said_since(posted, 2);
  std::sort(lines.begin(), lines.end());
  CHECK(lines == std::vector<std::string>{"lua: deploy of web ok", "program: web finished"});
}

TEST_CASE("Hostile handlers are stopped and reported, and the bot goes on answering", "[e2e][handlers][hostile]") {
  HandlerStack s;
  SECTION("a Lua loop that never ends is stopped by its limit") {
    CHECK(s.ask("!loop") == std::vector<std::string>{"[chatops] !loop failed: binds[1]:1: time limit of 200 ms reached"});
    CHECK(s.ask("!loop", 1, 3s).empty());  // reported once, not at every try
  }
  SECTION("a program that never exits is killed at its timeout") {
    CHECK_THAT(s.ask("!hang"),
               Catch::Equals(std::vector<std::string>{"[chatops] !hang failed: /usr/bin/sleep: stopped after the 500 ms timeout"}));
  }
  SECTION("a program flooding its output is stopped at the cap, and two lines of it said") {
    CHECK(s.ask("!flood", 4) == std::vector<std::string>{"flood", "flood", "… 10921 more lines not said",
                                                         "[chatops] !flood failed: /usr/bin/yes: stopped: its output passed 65536 bytes"});
  }
  SECTION("CR and LF a program writes cannot inject IRC commands") {
    CHECK(s.ask("!inject", 3) == std::vector<std::string>{"a", "QUIT :bye", "b PRIVMSG #ops :x"});
    const auto lines = s.stack.watcher->lines();
    CHECK(std::none_of(lines.begin(), lines.end(), [](const IrcLine& l) { return l.nick == "opsbot" && l.command != "PRIVMSG" && l.command != "JOIN"; }));
  }
  SECTION("children a program forks do not hold its answer") {
    const auto asked = std::chrono::steady_clock::now();
    CHECK(s.ask("!forker") == std::vector<std::string>{"forked"});
    CHECK(std::chrono::steady_clock::now() - asked < 8s);
  }
  CHECK(s.ask("!uptime") == std::vector<std::string>{"up, alice (0 args)"});
  CHECK(s.stack.bot->running());
}
