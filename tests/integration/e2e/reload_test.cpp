// Issue 16, item 7: live reload. The built bot on a real ngircd reads config.yml again at SIGHUP
// or `!reload`: a valid file swaps binds (their templates), sources and users without dropping the
// IRC connection; an invalid one changes nothing and the bot says why, with file:line:column.
#include <csignal>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/integration/e2e/bot_in_channel.hpp"
#include "tests/integration/support/raw_http.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

std::string reload_deploy_source(const std::string& name, const std::string& path) {
  return "  - {name: " + name + ", kind: webhook, provider: generic, path: " + path +
         ", topic_pointer: /event,\n     token: tok3n, token_header: X-Token}\n";
}

BotConfig reload_config(const std::string& sources, const std::string& say_template, const std::string& users) {
  BotConfig c;
  c.flood = "{burst: 20, rate: 10.0}";
  c.sources = sources;
  c.binds = "  - {type: webhook, mask: \"deploy/*\", say: {to: [\"#ops\"], template: \"" + say_template + "\"}}\n";
  c.extra = "users:\n" + users + "commands: {user_burst: 50, channel_burst: 50}\n";
  return c;
}

const std::string kReloadBoss = "  - {handle: boss, hostmasks: [\"boss!*@*\"], flags: n}\n";

struct ReloadStack : BotInChannel {
  explicit ReloadStack(BotConfig config) : BotInChannel(std::move(config), "chatops-reload") {
    boss = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.port(), .nick = "boss"});
    boss->join("#ops");
  }

  void rewrite(BotConfig next) {
    next.irc_port = ircd.port();
    bot->rewrite_config(bot_config_yaml(next));
  }

  int post(const std::string& path, const std::string& service) {
    const nlohmann::json body = {{"event", "deploy/finished"}, {"service", service}};
    auto reply = raw_exchange(bot->http_port(), post_request(path, body.dump(), "Content-Type: application/json\r\nX-Token: tok3n\r\n"));
    REQUIRE(reply);
    return reply->status;
  }

  std::vector<std::string> ask(const std::string& text, std::size_t count) { return ask_bot(*watcher, *boss, text, count); }

  std::unique_ptr<IrcTestClient> boss;
};

}  // namespace

TEST_CASE("SIGHUP reload swaps a bind's template and the sources, on the same IRC connection",
          "[e2e][reload]") {
  ReloadStack s(reload_config(reload_deploy_source("deploys", "/hooks/deploy") +
                                  reload_deploy_source("old", "/hooks/old"),
                              "before {{service}}", kReloadBoss));
  REQUIRE(s.post("/hooks/deploy", "api") == 202);
  REQUIRE(s.watcher->wait_for(std::regex("^before api$"), "opsbot", "#ops", 30s).size() == 1);
  REQUIRE(s.post("/hooks/new", "web") == 404);

  s.rewrite(reload_config(reload_deploy_source("deploys", "/hooks/deploy") + reload_deploy_source("fresh", "/hooks/new"),
                          "after {{service}}", kReloadBoss));
  s.bot->signal(SIGHUP);
  // The new source answers once the supervisor has started it; the removed one's path is gone.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (s.post("/hooks/new", "web") != 202 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(s.watcher->wait_for(std::regex("^after web$"), "opsbot", "#ops", 30s).size() == 1);
  CHECK(s.post("/hooks/old", "gone") == 404);
  CHECK(s.post("/hooks/deploy", "api") == 202);
  CHECK(s.watcher->wait_for(std::regex("^after api$"), "opsbot", "#ops", 30s).size() == 1);
  // One connection throughout: the bot joined #ops once.
  std::size_t joins = 0;
  for (const auto& line : s.watcher->lines())
    if (line.command == "JOIN" && line.nick == "opsbot") ++joins;
  CHECK(joins == 1);
  CHECK(s.bot->log().find("reload: Reloaded ") != std::string::npos);
}

TEST_CASE("a broken reload keeps the bot running on its configuration and says why with file:line:column",
          "[e2e][reload][commands]") {
  ReloadStack s(reload_config(reload_deploy_source("deploys", "/hooks/deploy"), "kept {{service}}", kReloadBoss));
  // An unknown key on line 14 (the bind): nothing of the file is applied, not even its valid parts.
  auto broken = reload_config(reload_deploy_source("deploys", "/hooks/other"), "broken {{service}}", kReloadBoss);
  broken.binds += "  - {type: webhook, mask: \"x/*\", sya: {to: [\"#ops\"]}}\n";
  s.rewrite(broken);
  const auto said = s.ask("!reload", 1);
  REQUIRE(said.size() == 1);
  CHECK(std::regex_search(said[0], std::regex(R"(^Reload failed, the configuration in use stays: .*config\.yml:\d+:\d+: )")));
  CHECK(s.post("/hooks/deploy", "api") == 202);
  CHECK(s.watcher->wait_for(std::regex("^kept api$"), "opsbot", "#ops", 30s).size() == 1);
  CHECK(s.post("/hooks/other", "api") == 404);

  // What the process keeps until a restart is said as such; the rest applies.
  CHECK(ask_bot(*s.watcher, *s.watcher, "!whoami")[0].starts_with("watcher: I do not know you"));
  auto renamed = reload_config(reload_deploy_source("deploys", "/hooks/deploy"), "now {{service}}",
                               kReloadBoss + "  - {handle: looker, hostmasks: [\"watcher!*@*\"], flags: o}\n");
  renamed.nick = "otherbot";
  s.rewrite(renamed);
  const auto applied = s.ask("!reload", 2);
  REQUIRE(applied.size() == 2);
  CHECK(applied[0].starts_with("Reloaded "));
  CHECK(applied[0].ends_with(": sources unchanged; 1 bind and 2 users from the file."));
  CHECK(applied[1] == "Changed but kept until a restart: irc.");
  CHECK(s.post("/hooks/deploy", "web") == 202);
  CHECK(s.watcher->wait_for(std::regex("^now web$"), "opsbot", "#ops", 30s).size() == 1);
  CHECK(ask_bot(*s.watcher, *s.watcher, "!whoami") ==
        std::vector<std::string>{"watcher: you are looker (recognised by hostmask), flags o."});
}

TEST_CASE("reload needs the owner flag", "[e2e][reload][commands]") {
  ReloadStack s(reload_config(reload_deploy_source("deploys", "/hooks/deploy"), "x {{service}}",
                              "  - {handle: boss, hostmasks: [\"boss!*@*\"], flags: o}\n"));
  CHECK(s.ask("!reload", 1) == std::vector<std::string>{"boss: sorry, !reload needs flags n."});
}
