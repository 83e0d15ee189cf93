// Issue 13: Debian's logrotate performs real rotations — `create` with `compress` and
// `delaycompress`, and `copytruncate` — of a file that a writer keeps appending 100,000 numbered
// lines to, while a log source follows it: every line is journaled exactly once, and the
// compressed rotations are never read.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "ingestion/log/log_source.hpp"
#include "tests/integration/support/process.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops;
using namespace std::chrono_literals;

namespace {

constexpr long kLogrotateLines = 100000;

// n → how many times the journal holds the line "n=<n>".
std::map<long, int> logrotate_journaled(const std::string& journal) {
  SQLite::Database db(journal, SQLite::OPEN_READONLY, 30000);
  SQLite::Statement q(db, "SELECT json_extract(fields_json, '$.line') FROM events");
  std::map<long, int> counts;
  while (q.executeStep()) {
    const std::string line = q.getColumn(0).getString();
    if (line.starts_with("n=")) ++counts[std::stol(line.substr(2))];
  }
  return counts;
}

long logrotate_journaled_count(const std::string& journal) {
  SQLite::Database db(journal, SQLite::OPEN_READONLY, 30000);
  return db.execAndGet("SELECT COUNT(*) FROM events").getInt64();
}

struct LogrotateRun {
  test::TempDir dir{"chatops-logrotate"};
  std::string log = (dir.path() / "app.log").string();
  std::string config = (dir.path() / "logrotate.conf").string();

  // Writes logrotate's configuration for app.log with these directives.
  explicit LogrotateRun(const std::string& directives) {
    std::ofstream(config) << log << " {\n  rotate 1000\n  missingok\n" << directives << "}\n";
    ::chmod(config.c_str(), 0644);  // logrotate refuses a configuration others may write
    std::ofstream(log).close();
  }
  void rotate() {
    const auto done = test::run_to_end({.argv = {"logrotate", "-f", "-s", (dir.path() / "state").string(), config},
                                        .log_dir = dir.path(),
                                        .name = "logrotate"},
                                       30s);
    INFO(done.out << done.err);
    REQUIRE(done.exit_code == 0);
  }
};

// Follows app.log (`paths`) while a writer appends kLogrotateLines numbered lines and logrotate
// rotates every 100 ms; `between_lines` is held by the writer while it writes a few lines and by
// the rotation when `pause_writer` (copytruncate: what is written between its copy and its
// truncation is in neither file, by its design).
void follow_while_rotating(LogrotateRun& run, const std::string& paths, bool pause_writer) {
  spdlog::set_level(spdlog::level::warn);  // not a line per event
  const auto kind = ingestion::log::log_source_kind();
  test::compliance::Subject subject{
      .kind = kind,
      .config_yaml = "{name: app, kind: log, paths: [" + paths + "], start_at: beginning, check_interval: 100ms}"};
  ingestion::testing::TempDir journal_dir;
  const auto journal_path = journal_dir.file("j.db");
  auto journal = ingestion::testing::open_journal(journal_path);
  test::compliance::Running source(subject, *journal, "app");
  source.start();

  std::mutex between_lines;
  std::atomic<long> written{0};
  std::jthread writer([&](std::stop_token stop) {
    auto out = std::make_unique<std::ofstream>(run.log, std::ios::app);
    struct stat opened {};
    ::stat(run.log.c_str(), &opened);
    while (written < kLogrotateLines && !stop.stop_requested()) {
      {
        std::lock_guard lock(between_lines);
        for (int i = 0; i < 25 && written < kLogrotateLines; ++i) *out << "n=" << ++written << "\n";
        out->flush();
      }
      // As an application told to reopen its log (logrotate's postrotate), a little late.
      struct stat now {};
      if (::stat(run.log.c_str(), &now) == 0 && now.st_ino != opened.st_ino) {
        out = std::make_unique<std::ofstream>(run.log, std::ios::app);
        opened = now;
      }
      std::this_thread::sleep_for(500us);
    }
  });
  int rotations = 0;
  long written_at_last_rotation = 0;
  while (written < kLogrotateLines) {
    std::this_thread::sleep_for(100ms);
    // The next rotation compresses the last one's file (delaycompress), and a compressed file is
    // never read (docs/sources/log.md, "Limits"): what it held must have been read by then. On a
    // quiet machine it always is; under load the source may lag more than a rotation behind.
    REQUIRE(test::compliance::eventually(
        [&] { return logrotate_journaled_count(journal_path) >= written_at_last_rotation; }, 60s));
    std::unique_lock lock(between_lines, std::defer_lock);
    if (pause_writer) lock.lock();
    written_at_last_rotation = written;
    run.rotate();
    ++rotations;
  }
  writer.join();
  INFO(rotations << " rotations");
  CHECK(rotations >= 5);
  test::compliance::eventually(
      [&] { return static_cast<long>(logrotate_journaled(journal_path).size()) >= kLogrotateLines; }, 120s);
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  const auto counts = logrotate_journaled(journal_path);
  for (long n = 1; n <= kLogrotateLines; ++n) {
    INFO("line n=" << n);
    REQUIRE(counts.contains(n));
    REQUIRE(counts.at(n) == 1);
  }
  CHECK(static_cast<long>(counts.size()) == kLogrotateLines);
  CHECK(source.runtime.status().snapshot().failed == 0);
  spdlog::set_level(spdlog::level::info);
}

}  // namespace

TEST_CASE("logrotate create + compress + delaycompress while 100,000 lines are written: each once",
          "[log][logrotate]") {
  LogrotateRun run("  create\n  compress\n  delaycompress\n");
  follow_while_rotating(run, run.log, false);
  CHECK(std::filesystem::exists(run.log + ".2.gz"));  // compressed rotations were there, not read
}

TEST_CASE("logrotate copytruncate + delaycompress, the copies matched too: each line once", "[log][logrotate]") {
  LogrotateRun run("  copytruncate\n  compress\n  delaycompress\n");
  follow_while_rotating(run, run.log + "*", true);
  CHECK(std::filesystem::exists(run.log + ".2.gz"));
}
