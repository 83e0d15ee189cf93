// Issue 14: a Kafka source is at-least-once upstream and said once (stream_kill9.hpp), against
// librdkafka's mock cluster: the redelivered messages are recognised by their dedupe key
// topic/partition/offset; and once everything is consumed, each partition's lag is 0.
#include <catch2/catch.hpp>

#include "tests/integration/e2e/stream_kill9.hpp"
#include "tests/integration/support/kafka_mock.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("kill -9 while consuming Kafka: every message is journaled exactly once", "[e2e][stream][kafka][reliability]") {
  KafkaMock kafka;
  kafka.create_topic("orders", 3);
  stream_kill9::run({
      .source = "orders",
      // Small batches: many offset commits, so that the kills fall between journal and offset commits.
      .source_keys = "    system: kafka\n"
                     "    brokers: \"" + kafka.bootstraps() + "\"\n"
                     "    topics: [orders]\n"
                     "    start: earliest\n"
                     "    batch_size: 50\n"
                     "    backoff: {initial: 50ms, max: 200ms}\n"
                     "    properties: {session.timeout.ms: 3000, heartbeat.interval.ms: 300}\n",
      .bind_mask = "kafka/orders",
      .produce =
          [&](int from, int count) {
            kafka.produce_many("orders", count, [from](int i) { return "{\"n\": " + std::to_string(from + i) + "}"; });
          },
      .produce_pause = 100ms,
      .after =
          [](BotProcess& bot) {
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
            for (auto end = std::chrono::steady_clock::now() + 30s; !drained && std::chrono::steady_clock::now() < end;
                 drained = no_lag())
              std::this_thread::sleep_for(200ms);
            INFO(bot.get("/metrics").body);
            CHECK(drained);
          },
  });
}
