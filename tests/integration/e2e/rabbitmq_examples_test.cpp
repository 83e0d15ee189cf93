// docs/examples.md, "Failed builds from a RabbitMQ exchange": the configuration, word for word, run
// by the built bot against a real rabbitmq-server (only the port added, the password from the
// environment as the page says); the page's amqp-publish commands are run as they are (with the
// port added), and the channel shows the line the page says it shows.
#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/integration/support/rabbitmq.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("docs/examples.md: failed builds from a RabbitMQ exchange", "[e2e][stream][rabbitmq][examples]") {
  const std::string heading = "### Failed builds from a RabbitMQ exchange";
  const auto yaml = examples::blocks(heading, "yaml");
  const auto commands = examples::blocks(heading, "sh");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(yaml.size() == 1);
  REQUIRE(commands.size() == 1);
  REQUIRE(text.size() == 1);
  auto& broker = shared_rabbitmq();
  const std::string channel = "#ops";
  Ngircd ircd(NgircdOptions{.channels = {channel}});
  TempDir dir("chatops-rabbitmq-example");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join(channel);
  const auto port = std::to_string(broker.port());
  const auto config = examples::replaced(yaml[0], "host: 127.0.0.1\n", "host: 127.0.0.1\n    port: " + port + "\n");
  const std::vector<std::pair<std::string, std::string>> env{{"RABBITMQ_PASSWORD", RabbitMqServer::password}};
  BotProcess bot(dir, examples::bot_yaml(config, ircd.port(), channel), env);
  REQUIRE(watcher.wait_for_join("opsbot", channel, 30s));
  // The queue, its exchange and binding are the source's: publish once it consumes.
  REQUIRE(compliance::eventually(
      [&] {
        const auto c = broker.counts("chatops-builds");
        return c && c->consumers == 1;
      },
      30s));
  std::istringstream lines(commands[0]);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const auto command = examples::replaced(line, "-s 127.0.0.1 ", "-s 127.0.0.1 --port " + port + " ");
    auto options = ProcessOptions{.argv = {"sh", "-c", command}, .env = env, .log_dir = dir.path(), .name = "amqp-publish"};
    const auto ran = run_to_end(std::move(options));
    INFO(command << "\n" << ran.out << ran.err);
    REQUIRE(ran.exit_code == 0);
  }
  const auto expected = examples::lines(text[0]);
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, channel).size() >= expected.size(); }, 20s));
  std::this_thread::sleep_for(500ms);  // and nothing more
  CHECK(examples::said(watcher, channel) == expected);
}
