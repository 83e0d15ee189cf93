#pragma once
// What the stream sources' kill -9 tests share (issue 14): the built bot consumes a broker's
// messages while 10,000 stream in, is killed with SIGKILL at random moments while it consumes
// (between a batch's journal commit and its acknowledgement upstream, among others) and started
// again; in the end its journal holds every message exactly once (the redelivered ones are
// recognised by their dedupe key). Each system's test gives its broker and source (run()).
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/ngircd.hpp"

namespace chatops::test::stream_kill9 {

using namespace std::chrono_literals;

// How many events of `source` the journal holds (0 before it exists).
inline long journaled_count(const std::filesystem::path& journal, const std::string& source) {
  try {
    SQLite::Database db(journal.string(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    SQLite::Statement q(db, "SELECT count(*) FROM events WHERE source = ?");
    q.bind(1, source);
    return q.executeStep() ? q.getColumn(0).getInt64() : 0;
  } catch (const SQLite::Exception&) {
    return 0;  // not created yet
  }
}

// The kills each test needs at least, while messages still stream in.
inline constexpr int kMinKills = 2;

// Called by a producer before each chunk: past total × k / (kMinKills + 1) messages it waits
// until k kills have happened (up to kMinKills). A loaded machine restarts the bot slowly (a
// Kafka consumer also waits out its group's rebalance): unpaced, production could end after
// one or two runs and the test count too few kills.
inline void keep_pace_with_kills(int produced, int total, const std::atomic<int>& kills) {
  const int needed = std::min(kMinKills, static_cast<int>(static_cast<long>(produced) * (kMinKills + 1) / total));
  for (auto end = std::chrono::steady_clock::now() + 120s; kills < needed && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(20ms);
}

// Kills the bot with SIGKILL and starts it again until `produced` nears `total`; each kill falls at
// a random moment while the run is consuming (after it has journaled something). Counts them in
// `kills` (which the producer paces itself on: keep_pace_with_kills) and returns them.
inline int kill_while_consuming(BotProcess& bot, const std::filesystem::path& journal, const std::string& source,
                                const std::atomic<int>& produced, int total, std::atomic<int>& kills) {
  const auto seed = std::random_device{}();
  INFO("random seed " << seed);
  std::mt19937 random(seed);
  while (produced < total - 1000) {
    const long before = journaled_count(journal, source);
    for (auto end = std::chrono::steady_clock::now() + 30s;
         journaled_count(journal, source) <= before && std::chrono::steady_clock::now() < end;)
      std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(0, 300)(random)));
    bot.kill9();
    ++kills;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(0, 100)(random)));
    bot.start();
  }
  return kills;
}

// Waits until the journal holds `total` events of `source`, then checks that the field `n` of
// them is 0 … total-1, each once (`n` may be a number or its text).
inline void each_journaled_once(const std::filesystem::path& journal, const std::string& source, long total) {
  auto counts = [&] {
    SQLite::Database db(journal.string(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    SQLite::Statement q(db, "SELECT CAST(json_extract(fields_json, '$.n') AS INTEGER) FROM events WHERE source = ?");
    q.bind(1, source);
    std::map<long, int> out;
    while (q.executeStep()) ++out[q.getColumn(0).getInt64()];
    return out;
  };
  for (auto end = std::chrono::steady_clock::now() + 90s;
       static_cast<long>(counts().size()) < total && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(200ms);
  const auto seen = counts();
  for (long n = 0; n < total; ++n) {
    INFO("message " << n);
    REQUIRE(seen.contains(n));
    REQUIRE(seen.at(n) == 1);
  }
  CHECK(static_cast<long>(seen.size()) == total);
}

// One system's kill -9 test.
struct Scenario {
  std::string source;        // the source's name
  std::string source_keys;   // its `sources:` entry after `kind: stream`, each line indented by 4
  std::string bind_mask;     // the bind saying its events
  // Makes messages from..from+count-1 upstream, each a JSON object whose field `n` is its number.
  std::function<void(int from, int count)> produce;
  std::chrono::milliseconds produce_pause = 50ms;  // between chunks of 50: 10,000 take a while
  // Checks on the bot and upstream once every message is journaled.
  std::function<void(BotProcess&)> after = [](BotProcess&) {};
  int total = 10000;
};

inline void run(const Scenario& s) {
  constexpr int kChunk = 50;
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  TempDir dir("chatops-" + s.source + "-kill9");
  BotConfig config;
  config.irc_port = ircd.port();
  config.log = "{level: info}";
  config.flood = "{burst: 100, rate: 100}";
  config.sources = "  - name: " + s.source + "\n    kind: stream\n" + s.source_keys;
  config.binds = "  - {type: stream, mask: \"" + s.bind_mask + "\", say: {to: [\"#ops\"], template: \"n {{n}}\"}}\n";
  BotProcess bot(dir, bot_config_yaml(config));
  const auto journal = dir.path() / "chatops.db";
  // Spread over seconds, so that every run of the bot consumes some of them.
  std::atomic<int> produced{0}, killed{0};
  std::thread producer([&] {
    while (produced < s.total) {
      keep_pace_with_kills(produced, s.total, killed);
      s.produce(produced, kChunk);
      produced += kChunk;
      std::this_thread::sleep_for(s.produce_pause);
    }
  });
  const int kills = kill_while_consuming(bot, journal, s.source, produced, s.total, killed);
  producer.join();
  REQUIRE(produced == s.total);
  CHECK(kills >= kMinKills);
  each_journaled_once(journal, s.source, s.total);
  s.after(bot);
}

}  // namespace chatops::test::stream_kill9
