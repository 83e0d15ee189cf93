// docs/examples.md, "Alerts on a NATS JetStream stream": the configuration, word for word, run by
// the built bot against a real nats-server (only the port changed, the password from the
// environment as the page says) with the stream the page says exists; the page's `nats pub`
// commands (the NATS command-line tool, not in Debian) are published as they say, subject and
// message, through libnats; the channel shows the lines the page says it shows.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>
#include <thread>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/nats.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("docs/examples.md: alerts on a NATS JetStream stream", "[e2e][stream][nats][examples]") {
  const std::string heading = "### Alerts on a NATS JetStream stream";
  const auto yaml = examples::blocks(heading, "yaml");
  const auto commands = examples::blocks(heading, "sh");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(yaml.size() == 1);
  REQUIRE(commands.size() == 1);
  REQUIRE(text.size() == 1);
  NatsServer nats;
  nats.add_stream("ALERTS", {"alerts.>"});
  const std::string channel = "#ops";
  Ngircd ircd(NgircdOptions{.channels = {channel}});
  TempDir dir("chatops-nats-example");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join(channel);
  const auto config = examples::replaced(yaml[0], "nats://127.0.0.1:4222", nats.url());
  BotProcess bot(dir, examples::bot_yaml(config, ircd.port(), channel), {{"NATS_PASSWORD", NatsServer::password}});
  REQUIRE(watcher.wait_for_join("opsbot", channel, 30s));
  // start: latest — the messages must come after the bot made its consumer.
  REQUIRE(compliance::eventually([&] { return nats.acked("ALERTS", "chatops-alerts").has_value(); }, 30s));
  const std::regex nats_pub(R"(^nats pub (\S+) '([^']*)'$)");
  std::istringstream lines(commands[0]);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    std::smatch m;
    INFO(line);
    REQUIRE(std::regex_match(line, m, nats_pub));
    nats.publish(m[1], m[2]);
  }
  const auto expected = examples::lines(text[0]);
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, channel).size() >= expected.size(); }, 20s));
  std::this_thread::sleep_for(500ms);  // and nothing more
  CHECK(examples::said(watcher, channel) == expected);
}
