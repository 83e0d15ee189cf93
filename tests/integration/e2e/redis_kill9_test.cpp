// Issue 14: a Redis Streams source is at-least-once upstream and said once. The built bot reads a
// stream of a real redis-server while 10,000 entries stream in, and is killed with SIGKILL at
// random moments while it reads (between a batch's journal commit and its XACK, among others) and
// started again; it reads its own pending entries first, and in the end its journal holds every
// entry exactly once (the re-read ones are recognised by their dedupe key stream/entry id).
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/integration/support/redis.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// n → how many times the bot's journal holds entry n.
std::map<long, int> journaled_entries(const std::filesystem::path& journal) {
  SQLite::Database db(journal.string(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db, "SELECT json_extract(fields_json, '$.n') FROM events WHERE source = 'jobs'");
  std::map<long, int> counts;
  while (q.executeStep()) ++counts[std::stol(q.getColumn(0).getString())];
  return counts;
}

long journaled_entry_count(const std::filesystem::path& journal) {
  try {
    SQLite::Database db(journal.string(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    return db.execAndGet("SELECT count(*) FROM events WHERE source = 'jobs'").getInt64();
  } catch (const SQLite::Exception&) {
    return 0;  // not created yet
  }
}

}  // namespace

TEST_CASE("kill -9 while reading a Redis stream: every entry is journaled exactly once",
          "[e2e][stream][redis][reliability]") {
  constexpr int kTotal = 10000;
  RedisServer redis;
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  TempDir dir("chatops-redis-kill9");
  BotConfig config;
  config.irc_port = ircd.port();
  config.log = "{level: info}";
  config.flood = "{burst: 100, rate: 100}";
  // Small batches: many XACKs, so that the kills fall between journal commits and XACKs.
  config.sources = "  - name: jobs\n"
                   "    kind: stream\n"
                   "    system: redis\n"
                   "    host: 127.0.0.1\n"
                   "    port: " + std::to_string(redis.port()) + "\n"
                   "    user: " + RedisServer::user + "\n"
                   "    password: " + RedisServer::password + "\n"
                   "    streams: [jobs]\n"
                   "    start: earliest\n"
                   "    batch_size: 50\n"
                   "    backoff: {initial: 50ms, max: 200ms}\n";
  config.binds = "  - {type: stream, mask: \"redis/jobs\", say: {to: [\"#ops\"], template: \"job {{n}}\"}}\n";
  BotProcess bot(dir, bot_config_yaml(config));
  const auto journal = dir.path() / "chatops.db";

  // 10,000 entries over about 10 s, so that every run of the bot reads some of them.
  std::atomic<int> produced{0};
  std::thread producer([&] {
    while (produced < kTotal) {
      for (int i = 0; i < 50; ++i) redis.command({"XADD", "jobs", "*", "n", std::to_string(produced + i)});
      produced += 50;
      std::this_thread::sleep_for(50ms);
    }
  });
  const auto seed = std::random_device{}();
  INFO("random seed " << seed);
  std::mt19937 random(seed);
  int kills = 0;
  while (produced < kTotal - 1000) {
    const long before = journaled_entry_count(journal);
    for (auto end = std::chrono::steady_clock::now() + 30s;
         journaled_entry_count(journal) <= before && std::chrono::steady_clock::now() < end;)
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

  auto all_there = [&] { return static_cast<long>(journaled_entries(journal).size()) == kTotal; };
  for (auto end = std::chrono::steady_clock::now() + 60s; !all_there() && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(200ms);
  const auto counts = journaled_entries(journal);
  for (long n = 0; n < kTotal; ++n) {
    INFO("entry " << n);
    REQUIRE(counts.contains(n));
    REQUIRE(counts.at(n) == 1);
  }
  CHECK(static_cast<long>(counts.size()) == kTotal);
  CHECK(redis.command({"XPENDING", "jobs", "chatops-jobs"}).starts_with("0"));
}
