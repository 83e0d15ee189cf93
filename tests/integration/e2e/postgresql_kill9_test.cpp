// Issue 11: a poller is exactly-once across kill -9. The built bot polls a real PostgreSQL while
// rows keep being inserted, and is killed with SIGKILL at random moments (between a poll and its
// commit, among others) and started again; in the end its journal holds every row exactly once.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/integration/support/postgresql.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// id → how many times the bot's journal holds the row.
std::map<long, int> journaled_rows(const std::filesystem::path& journal) {
  SQLite::Database db(journal.string(), SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT json_extract(fields_json, '$.id') FROM events WHERE source = 'orders'");
  std::map<long, int> counts;
  while (q.executeStep()) ++counts[q.getColumn(0).getInt64()];
  return counts;
}

}  // namespace

TEST_CASE("kill -9 while polling PostgreSQL: every row is journaled exactly once", "[e2e][db][postgresql][reliability]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  Postgresql pg;
  pg.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, item text)");
  TempDir dir("chatops-db-kill9");
  BotConfig config;
  config.irc_port = ircd.port();
  config.flood = "{burst: 100, rate: 100}";
  // Small pages polled often: many commits, so that the kills fall between polls and commits.
  config.sources = "  - name: orders\n"
                   "    kind: db\n"
                   "    engine: postgresql\n"
                   "    host: 127.0.0.1\n"
                   "    port: " + std::to_string(pg.port()) + "\n"
                   "    database: " + Postgresql::database + "\n"
                   "    user: " + Postgresql::user + "\n"
                   "    password: " + Postgresql::password + "\n"
                   "    query: \"SELECT id, item FROM orders WHERE id > :last ORDER BY id LIMIT :limit\"\n"
                   "    tracking_column: id\n"
                   "    start: beginning\n"
                   "    max_rows: 7\n"
                   "    interval: 10ms\n"
                   "    backoff: {initial: 50ms, max: 200ms}\n";
  config.binds = "  - {type: db, mask: \"db/orders\", say: {to: [\"#ops\"], template: \"order {{id}}\"}}\n";
  BotProcess bot(dir, bot_config_yaml(config));

  std::atomic<bool> inserting{true};
  std::atomic<long> inserted{0};
  std::thread inserter([&] {
    while (inserting) {
      pg.execute("INSERT INTO orders (item) VALUES ('widget'), ('gadget'), ('gizmo')");
      inserted += 3;
      std::this_thread::sleep_for(5ms);
    }
  });
  const auto seed = std::random_device{}();
  INFO("random seed " << seed);
  std::mt19937 random(seed);
  for (int kill = 0; kill < 20; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(50, 400)(random)));
    bot.kill9();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(0, 100)(random)));
    bot.start();
  }
  std::this_thread::sleep_for(300ms);
  inserting = false;
  inserter.join();
  const long total = inserted.load();
  REQUIRE(total > 100);

  const auto journal = dir.path() / "chatops.db";
  auto all_there = [&] { return static_cast<long>(journaled_rows(journal).size()) == total; };
  for (auto end = std::chrono::steady_clock::now() + 30s; !all_there() && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(100ms);
  const auto counts = journaled_rows(journal);
  for (long id = 1; id <= total; ++id) {
    INFO("row " << id);
    REQUIRE(counts.contains(id));
    REQUIRE(counts.at(id) == 1);
  }
  CHECK(static_cast<long>(counts.size()) == total);
}
