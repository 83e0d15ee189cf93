// Issue 14: a Kafka source is at-least-once upstream and said once. The built bot consumes a topic
// of librdkafka's mock cluster while 10,000 messages stream in, and is killed with SIGKILL at
// random moments while it consumes (between a batch's journal commit and its offset commit,
// among others) and started again; in the end its journal holds every message exactly once (the
// redelivered ones are recognised by their dedupe key topic/partition/offset).
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/kafka_mock.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// n → how many times the bot's journal holds message n.
std::map<long, int> journaled_messages(const std::filesystem::path& journal) {
  SQLite::Database db(journal.string(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db, "SELECT json_extract(fields_json, '$.n') FROM events WHERE source = 'orders'");
  std::map<long, int> counts;
  while (q.executeStep()) ++counts[q.getColumn(0).getInt64()];
  return counts;
}

}  // namespace

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
  auto journaled_count = [&]() -> long {
    try {
      SQLite::Database db(journal.string(), SQLite::OPEN_READONLY);
      db.setBusyTimeout(5000);
      return db.execAndGet("SELECT count(*) FROM events WHERE source = 'orders'").getInt64();
    } catch (const SQLite::Exception&) {
      return 0;  // not created yet
    }
  };
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
  const auto seed = std::random_device{}();
  INFO("random seed " << seed);
  std::mt19937 random(seed);
  int kills = 0;
  while (produced < kTotal - 1000) {
    // Each kill falls while this run is consuming: after it has journaled something.
    const long before = journaled_count();
    for (auto end = std::chrono::steady_clock::now() + 30s;
         journaled_count() <= before && std::chrono::steady_clock::now() < end;)
      std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(0, 300)(random)));
    bot.kill9();
    ++kills;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(0, 100)(random)));
    bot.start();
  }
  producer.join();
  REQUIRE(produced == kTotal);
  CHECK(kills >= 2);

  auto all_there = [&] { return static_cast<long>(journaled_messages(journal).size()) == kTotal; };
  for (auto end = std::chrono::steady_clock::now() + 90s; !all_there() && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(200ms);
  const auto counts = journaled_messages(journal);
  for (long n = 0; n < kTotal; ++n) {
    INFO("message " << n);
    REQUIRE(counts.contains(n));
    REQUIRE(counts.at(n) == 1);
  }
  CHECK(static_cast<long>(counts.size()) == kTotal);
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
