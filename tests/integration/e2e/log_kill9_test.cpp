// Issue 13: a log source is exactly-once across kill -9 and rotation. The built bot follows a file
// that a writer keeps appending numbered lines to and rotates by rename (logrotate's `create`: the
// writer goes on in the renamed file until it reopens), while the bot is killed with SIGKILL at
// random moments and started again; in the end its journal holds every line exactly once.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// n → how many times the bot's journal holds the line "n=<n>".
std::map<long, int> journaled_lines(const std::filesystem::path& journal) {
  std::map<long, int> counts;
  try {
    SQLite::Database db(journal.string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT json_extract(fields_json, '$.line') FROM events WHERE source = 'app'");
    while (q.executeStep()) {
      const std::string line = q.getColumn(0).getString();
      if (line.starts_with("n=")) ++counts[std::stol(line.substr(2))];
    }
  } catch (const SQLite::Exception&) {
    // not created yet, or busy: the caller asks again
  }
  return counts;
}

}  // namespace

TEST_CASE("kill -9 while tailing a file rotated by rename: every line is journaled exactly once",
          "[e2e][log][reliability]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  TempDir dir("chatops-log-kill9");
  const auto log_path = (dir.path() / "app.log").string();
  std::ofstream(log_path).close();
  BotConfig config;
  config.irc_port = ircd.port();
  config.log = "{level: warn}";
  config.sources = "  - name: app\n"
                   "    kind: log\n"
                   "    paths: [\"" + log_path + "*\"]\n"
                   "    start_at: beginning\n"
                   "    check_interval: 100ms\n"
                   "    batch_lines: 50\n";
  config.binds = "  - {type: log, mask: \"log/app/*\", say: {to: [\"#ops\"]}}\n";
  BotProcess bot(dir, bot_config_yaml(config));

  std::atomic<bool> writing{true};
  std::atomic<long> written{0};
  std::thread writer([&] {
    std::ofstream out(log_path, std::ios::app);
    int rotation = 0;
    for (auto next_rotation = std::chrono::steady_clock::now() + 300ms; writing;) {
      for (int i = 0; i < 20; ++i) out << "n=" << ++written << "\n";
      out.flush();
      if (std::chrono::steady_clock::now() >= next_rotation) {
        std::filesystem::rename(log_path, log_path + "." + std::to_string(++rotation));
        for (int i = 0; i < 5; ++i) out << "n=" << ++written << "\n";  // before it reopens
        out.flush();
        out = std::ofstream(log_path, std::ios::app);
        next_rotation += 300ms;
      }
      std::this_thread::sleep_for(5ms);  // pace: about 4,000 lines a second
    }
  });
  const auto seed = std::random_device{}();
  INFO("random seed " << seed);
  std::mt19937 random(seed);
  for (int kill = 0; kill < 15; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(100, 400)(random)));
    bot.kill9();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(0, 150)(random)));
    bot.start();
  }
  std::this_thread::sleep_for(300ms);
  writing = false;
  writer.join();
  const long total = written.load();
  REQUIRE(total > 1000);

  const auto journal = dir.path() / "chatops.db";
  auto all_there = [&] { return static_cast<long>(journaled_lines(journal).size()) >= total; };
  for (auto end = std::chrono::steady_clock::now() + 60s; !all_there() && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(100ms);
  const auto counts = journaled_lines(journal);
  for (long n = 1; n <= total; ++n) {
    INFO("line n=" << n);
    REQUIRE(counts.contains(n));
    REQUIRE(counts.at(n) == 1);
  }
  CHECK(static_cast<long>(counts.size()) == total);
}
