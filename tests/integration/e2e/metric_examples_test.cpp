// docs/examples.md, "Metrics": the StatsD example's configuration, word for word, run by the built
// bot (only the listening port changed), fed by the page's own shell lines (port changed), and
// the channel shows the lines the page says it shows.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("docs/examples.md: a StatsD timer's p99", "[e2e][metric][docs]") {
  const std::string heading = "### A StatsD timer's p99";
  const int port = free_port();
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  const auto example = examples::replaced(examples::blocks(heading, "yaml").at(0), "listen: 127.0.0.1:8125",
                                          "listen: 127.0.0.1:" + std::to_string(port));
  TempDir dir("chatops-metric-example");
  BotProcess bot(dir, examples::bot_yaml(example, ircd.port(), "#ops"));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 30s));
  const auto expected = examples::lines(examples::blocks(heading, "text").at(0));
  REQUIRE(expected.size() == 2);

  // The page's shell lines, to this port: the 100 timings land in one 10-second interval (they
  // take a few milliseconds to send).
  auto script = examples::blocks(heading, "sh").at(0);
  for (auto at = script.find("/8125"); at != std::string::npos; at = script.find("/8125", at))
    script.replace(at, 5, "/" + std::to_string(port));
  const auto sent = run_to_end(
      {.argv = {"bash", "-c", script}, .env = {}, .log_dir = dir.path(), .name = "sender", .cwd = {}, .run_as = {}}, 30s);
  REQUIRE(sent.exit_code == 0);
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, "#ops").size() >= 1; }, 25s));
  // Then only fast logins, until the next interval ends.
  const auto fast = run_to_end({.argv = {"bash", "-c", "echo -n 'api.latency:20|ms|#route:/login' > /dev/udp/127.0.0.1/" +
                                                            std::to_string(port)},
                                .env = {},
                                .log_dir = dir.path(),
                                .name = "fast",
                                .cwd = {},
                                .run_as = {}},
                               30s);
  REQUIRE(fast.exit_code == 0);
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, "#ops").size() >= 2; }, 25s));
  CHECK(examples::said(watcher, "#ops") == expected);
}
