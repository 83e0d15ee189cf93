#include <catch2/catch.hpp>

#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/config/node.hpp"
#include "ingestion/journal/journal_config.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

TEST_CASE("opening creates parent directories and a versioned schema, reopening keeps the data", "[journal]") {
  TempDir dir;
  auto path = dir.file("nested/deeper/j.db");
  {
    auto journal = open_journal(path);
    REQUIRE(journal->submit(make_event("a")) == Submission::Accepted);
  }
  {
    SQLite::Database db(path);
    REQUIRE(db.execAndGet("PRAGMA user_version").getInt() == 1);
    REQUIRE(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
  }
  auto journal = open_journal(path);
  REQUIRE(journal->backlog().value() == 1);
}

TEST_CASE("a database from a newer version is refused", "[journal]") {
  TempDir dir;
  auto path = dir.file("j.db");
  open_journal(path).reset();
  SQLite::Database(path, SQLite::OPEN_READWRITE).exec("PRAGMA user_version = 99");
  JournalOptions o;
  o.path = path;
  auto journal = Journal::open(o);
  REQUIRE_FALSE(journal);
  REQUIRE_THAT(journal.error().message, Catch::Contains("schema version 99, newer than this build's 1"));
}

TEST_CASE("a corrupt file or an unusable path gives a clear error", "[journal]") {
  TempDir dir;
  JournalOptions o;
  o.path = dir.file("garbage.db");
  std::ofstream(o.path) << std::string(4096, 'x');
  auto corrupt = Journal::open(o);
  REQUIRE_FALSE(corrupt);
  REQUIRE_THAT(corrupt.error().message, Catch::Contains(o.path) && Catch::Contains("not a database"));

  o.path = dir.file("garbage.db/j.db");  // a directory that is a file
  auto unusable = Journal::open(o);
  REQUIRE_FALSE(unusable);
  REQUIRE_THAT(unusable.error().message, Catch::Contains("cannot create directory"));
}

TEST_CASE("the storage section has documented defaults", "[journal]") {
  auto check = [](const std::string& yaml) {
    auto doc = config::load_string(yaml, "config.yml");
    REQUIRE(doc);
    auto storage = config::validate(storage_schema(), (*doc)["storage"]);
    REQUIRE(storage);
    return journal_options(*storage);
  };
  auto defaults = check("storage: {}\n");
  REQUIRE(defaults.path == "./data/chatops.db");
  REQUIRE(defaults.dedupe_window == std::chrono::hours(24));
  REQUIRE(defaults.retention == std::chrono::hours(24 * 7));
  REQUIRE(defaults.synchronous == Synchronous::Full);
  REQUIRE(defaults.batch_max == 512);

  auto set = check("storage: {path: /var/lib/bot.db, dedupe_window: 1h, retention: 2d, synchronous: normal, batch_max: 64}\n");
  REQUIRE(set.path == "/var/lib/bot.db");
  REQUIRE(set.dedupe_window == std::chrono::hours(1));
  REQUIRE(set.retention == std::chrono::hours(48));
  REQUIRE(set.synchronous == Synchronous::Normal);
  REQUIRE(set.batch_max == 64);

  auto doc = config::load_string("storage: {synchronous: off}\n", "config.yml");
  REQUIRE(doc);
  REQUIRE_FALSE(config::validate(storage_schema(), (*doc)["storage"]));
}
