// Issue 14: a Kafka source is at-least-once upstream and said once. The built bot consumes a topic
// of librdkafka's mock cluster while 10,000 messages stream in, and is killed with SIGKILL at
// random moments while it consumes (between a batch's journal commit and its offset commit,
// among others) and started again; in the end its journal holds every message exactly once (the
// redelivered ones are recognised by their dedupe key topic/partition/offset).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/stream_kill9.hpp"
#include "tests/integration/support/kafka_mock.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("kill -9 while consuming Kafka: every message is journaled exactly once", "[e2e][stream][kafka][reliability]") {
  constexpr int kTotal = 10000;
  KafkaMock kafka;
  kafka.create_topic("orders", 3);
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  TempDir dir("chatops-kafka-kill9");
  BotConfig config;
  config.irc_port = ircd.port();
  config.log = "{level: info}";
  config.flood = "{burst: 100, rate: 100}";
  // Small batches: many offset commits, so that the kills fall between journal and offset commits.
  config.sources = "  - name: orders\n"
                   "    kind: stream\n"
                   "    system: kafka\n"
                   "    brokers: \"" + kafka.bootstraps() + "\"\n"
                   "    topics: [orders]\n"
                   "    start: earliest\n"
                   "    batch_size: 50\n"
                   "    backoff: {initial: 50ms, max: 200ms}\n"
                   "    properties: {session.timeout.ms: 3000, heartbeat.interval.ms: 300}\n";
  config.binds = "  - {type: stream, mask: \"kafka/orders\", say: {to: [\"#ops\"], template: \"order {{n}}\"}}\n";
  BotProcess bot(dir, bot_config_yaml(config));

  const auto journal = dir.path() / "chatops.db";
  // 10,000 messages over about 20 s, so that every run of the bot consumes some of them.
  std::atomic<int> produced{0};
  std::thread producer([&] {
    while (produced < kTotal) {
      const int from = produced;
      kafka.produce_many("orders", 50, [from](int i) { return "{\"n\": " + std::to_string(from + i) + "}"; });
      produced += 50;
      std::this_thread::sleep_for(100ms);
    }
  });
  const int kills = stream_kill9::kill_while_consuming(bot, journal, "orders", produced, kTotal);
  producer.join();
  REQUIRE(produced == kTotal);
  CHECK(kills >= 2);

  stream_kill9::each_journaled_once(journal, "orders", kTotal);
  // Everything consumed: each partition's lag in /metrics is back to nothing.
  auto no_lag = [&] {
    for (int p = 0; p < 3; ++p) {
      const auto lag = bot.metric("chatops_kafka_consumer_lag{source=\"orders\",topic=\"orders\",partition=\"" +
                                  std::to_string(p) + "\"}");
      if (!lag || *lag != 0) return false;
    }
    return true;
  };
  bool drained = no_lag();
  for (auto end = std::chrono::steady_clock::now() + 10s; !drained && std::chrono::steady_clock::now() < end;
       drained = no_lag())
    std::this_thread::sleep_for(200ms);
  INFO(bot.get("/metrics").body);
  CHECK(drained);
}
