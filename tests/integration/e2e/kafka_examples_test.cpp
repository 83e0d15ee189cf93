// docs/examples.md, "Streams": the Kafka example's configuration, word for word, run by the built
// bot against librdkafka's mock cluster (only the brokers' address changed, and `start: earliest`
// added: with latest, messages produced before the new group's first position is known would be
// after it); the page's messages
// are produced by kcat as the page says, from another process, and the channel shows the lines
// the page says it shows.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/kafka_mock.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("docs/examples.md: alerts on a Kafka topic", "[e2e][stream][kafka][examples]") {
  const std::string heading = "### Alerts on a Kafka topic";
  const auto yaml = examples::blocks(heading, "yaml");
  const auto messages = examples::blocks(heading, "json");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(yaml.size() == 1);
  REQUIRE(messages.size() == 1);
  REQUIRE(text.size() == 1);
  KafkaMock kafka;
  kafka.create_topic("alerts", 1);
  const std::string channel = "#ops";
  Ngircd ircd(NgircdOptions{.channels = {channel}});
  TempDir dir("chatops-kafka-example");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join(channel);
  const auto config = examples::replaced(yaml[0], "brokers: \"kafka1:9092\"",
                                         "brokers: \"" + kafka.bootstraps() + "\"\n    start: earliest");
  BotProcess bot(dir, examples::bot_yaml(config, ircd.port(), channel));
  REQUIRE(watcher.wait_for_join("opsbot", channel, 30s));
  const auto file = dir.write("messages.txt", messages[0]);
  const auto produced = run_to_end(ProcessOptions{.argv = {"kcat", "-P", "-b", kafka.bootstraps(), "-t", "alerts",
                                                           "-K", "|", "-l", file.string()},
                                                  .log_dir = dir.path(),
                                                  .name = "kcat"});
  INFO(produced.out << produced.err);
  REQUIRE(produced.exit_code == 0);
  const auto expected = examples::lines(text[0]);
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, channel).size() >= expected.size(); }, 20s));
  std::this_thread::sleep_for(500ms);  // and nothing more
  CHECK(examples::said(watcher, channel) == expected);
}
