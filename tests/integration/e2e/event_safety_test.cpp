// Issue 10 (items 3-5): what one event can do to the bot, end to end with the built bot, a real
// ngircd and a test client in the channel. A huge field is capped and does not hold the next
// event; a journaled event whose template cannot be rendered is ended as failed, told once, and
// does not crash-loop the bot; template bypasses stop --check; secrets from the environment are
// never printed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "ingestion/journal/journal.hpp"
#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// A generic source at /hooks/generic (token "tok3n") whose events say {{msg}} in #ops.
BotConfig generic_config(int irc_port) {
  BotConfig c;
  c.irc_port = irc_port;
  c.flood = "{burst: 4, rate: 5}";
  c.sources =
      "  - name: hooks\n"
      "    kind: webhook\n"
      "    provider: generic\n"
      "    path: /hooks/generic\n"
      "    topic: generic/event\n"
      "    token: tok3n\n"
      "    token_header: X-Token\n"
      "    template: \"{{msg}}\"\n";
  c.binds = "  - {type: webhook, mask: \"generic/*\", say: {to: [\"#ops\"]}}\n";
  return c;
}

HttpReply post_msg(const BotProcess& bot, const std::string& msg) {
  return bot.post("/hooks/generic", nlohmann::json{{"msg", msg}}.dump(), {{"X-Token", "tok3n"}});
}

std::size_t count_matching(const std::vector<Privmsg>& said, const std::regex& re) {
  return static_cast<std::size_t>(
      std::count_if(said.begin(), said.end(), [&](const Privmsg& m) { return std::regex_search(m.text, re); }));
}

std::string words(std::size_t bytes) {
  std::string text;
  for (int i = 0; text.size() < bytes; ++i) text += "word" + std::to_string(i) + " ";
  return text;
}

}  // namespace

TEST_CASE("a 300 KB field is capped with a summary line and the next event is said promptly", "[e2e][safety]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  TempDir dir("chatops-huge-field");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  BotProcess bot(dir, bot_config_yaml(generic_config(ircd.port())));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 30s));

  REQUIRE(post_msg(bot, words(300'000)).status == 202);
  REQUIRE(post_msg(bot, "the second event").status == 202);
  // Uncapped, the field was some 700 lines: over two minutes at 5 lines a second before the
  // second event. Capped, 11 lines go first.
  auto second = watcher.wait_for(std::regex("^the second event$"), "opsbot", "#ops", 30s);
  REQUIRE(second.size() == 1);
  const auto said = watcher.messages();
  std::vector<std::string> before;
  for (const auto& m : said) {
    if (m.text == "the second event") break;
    if (m.nick == "opsbot") before.push_back(m.text);
  }
  INFO("lines before the second event: " << before.size());
  REQUIRE(before.size() == 11);
  CHECK(before[0].starts_with("word0 word1 "));
  CHECK(std::regex_search(before[10], std::regex("^… [0-9]+ more lines not said \\(event 1\\)$")));
  CHECK(std::stoi(before[10].substr(std::string("… ").size())) > 600);
}

TEST_CASE("a journaled event whose template cannot be rendered is ended as failed, told once, and the bot goes on",
          "[e2e][safety]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}});
  TempDir dir("chatops-failed-event");
  {
    // Journaled by a version that let "R {{  >msg}}" through: its field rendered as a template,
    // recursively, until the stack ran out, at every start.
    ingestion::JournalOptions options;
    options.path = (dir / "chatops.db").string();
    auto journal = std::move(*ingestion::Journal::open(options));
    ingestion::IngestionEvent e;
    e.source = "hooks";
    e.family = "webhook";
    e.topic = "generic/event";
    e.fields = {{"msg", "R {{  >msg}}"}};
    e.default_template = "R {{  >msg}}";
    REQUIRE(journal->submit_one(e) == ingestion::Submission::Accepted);
  }
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  BotProcess bot(dir, bot_config_yaml(generic_config(ircd.port())));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 30s));
  const std::regex told("^\\[chatops\\] event 1 \\(generic/event\\) could not be said: .*partials");
  REQUIRE(watcher.wait_for(told, "opsbot", "#ops", 30s).size() == 1);
  REQUIRE(post_msg(bot, "after the failure").status == 202);
  REQUIRE(watcher.wait_for(std::regex("^after the failure$"), "opsbot", "#ops", 30s).size() == 1);

  // Restarted, the failed event stays in the journal, ended: nothing is said about it again.
  bot.stop();
  const auto restarted = std::chrono::steady_clock::now();
  bot.start();
  // Its join after the restart (the first run's is in the record too).
  REQUIRE(watcher.wait_for_line(
      [&](const IrcLine& l) { return l.command == "JOIN" && l.nick == "opsbot" && l.received >= restarted; }, 30s));
  // The webhook's path answers once the supervisor has started its source, which may come after
  // the join on a loaded machine (a post before it got 404).
  HttpReply after_restart;
  for (const auto end = std::chrono::steady_clock::now() + 30s;
       (after_restart = post_msg(bot, "after the restart")).status == 404 && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(50ms);
  REQUIRE(after_restart.status == 202);
  REQUIRE(watcher.wait_for(std::regex("^after the restart$"), "opsbot", "#ops", 30s).size() == 1);
  REQUIRE(bot.running());
  CHECK(count_matching(watcher.messages(), std::regex("could not be said")) == 1);
  CHECK(bot.metric("chatops_events_failed_total") == 0);  // this run had nothing to fail
  bot.stop();
  SQLite::Database db((dir / "chatops.db").string());
  SQLite::Statement q(db, "SELECT failed_reason, done_ms IS NOT NULL FROM events WHERE id = 1");
  REQUIRE(q.executeStep());
  CHECK_THAT(q.getColumn(0).getString(), Catch::Contains("does not compile") && Catch::Contains("partials"));
  CHECK(q.getColumn(1).getInt() == 1);
}

TEST_CASE("chatops-bot --check refuses template bypasses and never prints a value from the environment", "[e2e][safety]") {
  TempDir dir("chatops-check");
  const std::string secret = "ghp_0123456789abcdefSECRET";
  auto config = dir.write("config.yml",
                          "irc:\n"
                          "  servers: [{host: irc.example.org, port: \"${CHATOPS_TOKEN}\"}]\n"
                          "  nick: bot\n"
                          "  realname: \"${CHATOPS_TOKEN}\"\n"
                          "sources:\n"
                          "  - {name: \"${CHATOPS_TOKEN}\", kind: webhook, provider: generic, path: /a, topic: t/a,\n"
                          "     allow_unauthenticated: true}\n"
                          "  - {name: \"${CHATOPS_TOKEN}\", kind: webhook, provider: \"${CHATOPS_TOKEN}\", path: /b}\n"
                          "binds:\n"
                          "  - {type: webhook, flags: \"${CHATOPS_TOKEN}\", mask: \"t/*\",\n"
                          "     say: {to: [\"#ops\"], template: \"{{  >msg}}\"}}\n"
                          "  - {type: cron, mask: \"${CHATOPS_TOKEN}\", say: {to: [\"#ops\"], template: \"{{=<% %>=}}\"}}\n");
  Process check(ProcessOptions{.argv = {CHATOPS_BOT_BINARY, "--check", "--config", config.string()},
                               .env = {{"CHATOPS_TOKEN", secret}},
                               .log_dir = dir.path(),
                               .name = "check"});
  REQUIRE(check.wait_exit(30s));
  const auto output = check.output();
  INFO(output);
  CHECK(describe_status(check.wait_status()) == "exited 2");
  CHECK(output.find("SECRET") == std::string::npos);
  CHECK(output.find("irc.servers[0].port: expected an integer, got \"${CHATOPS_TOKEN}\"") != std::string::npos);
  CHECK(output.find("unknown provider \"${CHATOPS_TOKEN}\"") != std::string::npos);
  CHECK(output.find("invalid flags \"${CHATOPS_TOKEN}\"") != std::string::npos);
  CHECK(output.find("invalid cron spec \"${CHATOPS_TOKEN}\"") != std::string::npos);
  CHECK(output.find("binds[0].say.template: template does not compile: partials") != std::string::npos);
  CHECK(output.find("binds[1].say.template: template does not compile: set-delimiter") != std::string::npos);
}

TEST_CASE("secrets from the environment never appear in the log, /metrics or /healthz", "[e2e][safety]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}});
  TempDir dir("chatops-secrets");
  const std::string github_secret = "gh-webhook-SECRET-4f9a";
  const std::string token = "generic-token-SECRET-77c1";
  auto config = generic_config(ircd.port());
  config.sources = github_source("${CHATOPS_GITHUB_SECRET}") +
                   "  - {name: hooks, kind: webhook, provider: generic, path: /hooks/generic, topic: generic/event,\n"
                   "     token: \"${CHATOPS_GENERIC_TOKEN}\", token_header: X-Token, template: \"{{msg}}\"}\n";
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  BotProcess bot(dir, bot_config_yaml(config),
                 {{"CHATOPS_GITHUB_SECRET", github_secret}, {"CHATOPS_GENERIC_TOKEN", token}});
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 30s));
  // Refused and accepted requests, so that the log has something to say about both sources.
  CHECK(bot.post_github("/hooks/github", "wrong", "ping", "d-1", "{}").status == 401);
  CHECK(bot.post("/hooks/generic", "{\"msg\":\"x\"}", {{"X-Token", "wrong"}}).status == 401);
  REQUIRE(bot.post("/hooks/generic", "{\"msg\":\"hello\"}", {{"X-Token", token}}).status == 202);
  REQUIRE(watcher.wait_for(std::regex("^hello$"), "opsbot", "#ops", 30s).size() == 1);
  const auto health = bot.get("/healthz");
  const auto metrics = bot.get("/metrics");
  REQUIRE(health.status == 200);
  REQUIRE(metrics.status == 200);
  bot.stop();
  for (const auto& [what, text] : {std::pair{"log", bot.log()}, {"/healthz", health.body}, {"/metrics", metrics.body}}) {
    INFO(what << ":\n" << text);
    CHECK(text.find("SECRET") == std::string::npos);
  }
}
