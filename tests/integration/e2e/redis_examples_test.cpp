// docs/examples.md, "Failed jobs on a Redis stream": the configuration, word for word, run by the
// built bot against a real redis-server (only the port added, the password from the environment
// as the page says); the page's redis-cli commands are run as they are (with the port and the
// credentials added), and the channel shows the line the page says it shows.
#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/integration/support/redis.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("docs/examples.md: failed jobs on a Redis stream", "[e2e][stream][redis][examples]") {
  const std::string heading = "### Failed jobs on a Redis stream";
  const auto yaml = examples::blocks(heading, "yaml");
  const auto commands = examples::blocks(heading, "sh");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(yaml.size() == 1);
  REQUIRE(commands.size() == 1);
  REQUIRE(text.size() == 1);
  RedisServer redis;
  const std::string channel = "#ops";
  Ngircd ircd(NgircdOptions{.channels = {channel}});
  TempDir dir("chatops-redis-example");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join(channel);
  const auto config =
      examples::replaced(yaml[0], "host: 127.0.0.1\n", "host: 127.0.0.1\n    port: " + std::to_string(redis.port()) + "\n");
  BotProcess bot(dir, examples::bot_yaml(config, ircd.port(), channel), {{"REDIS_PASSWORD", RedisServer::password}});
  REQUIRE(watcher.wait_for_join("opsbot", channel, 30s));
  // start: latest — the entries must come after the bot made its group.
  REQUIRE(compliance::eventually(
      [&] {
        try {
          return redis.command({"XINFO", "GROUPS", "jobs"}).find("chatops-jobs") != std::string::npos;
        } catch (const std::runtime_error&) {
          return false;
        }
      },
      15s));
  std::istringstream lines(commands[0]);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const auto command = examples::replaced(line, "redis-cli ",
                                            "redis-cli -p " + std::to_string(redis.port()) + " --user " +
                                                RedisServer::user + " --pass " + RedisServer::password +
                                                " --no-auth-warning ");
    const auto ran = run_to_end(ProcessOptions{.argv = {"sh", "-c", command}, .log_dir = dir.path(), .name = "redis-cli"});
    INFO(command << "\n" << ran.out << ran.err);
    REQUIRE(ran.exit_code == 0);
  }
  const auto expected = examples::lines(text[0]);
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, channel).size() >= expected.size(); }, 20s));
  std::this_thread::sleep_for(500ms);  // and nothing more
  CHECK(examples::said(watcher, channel) == expected);
}
