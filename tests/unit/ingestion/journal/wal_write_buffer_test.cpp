#include <catch2/catch.hpp>

#include <random>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "ingestion/journal/wal_write_buffer.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

namespace {

// Random letters barely compress: each event's row takes about 6 KB of the WAL.
std::string random_letters(std::mt19937& random, std::size_t n) {
  std::string text(n, ' ');
  for (char& c : text) c = static_cast<char>('a' + random() % 26);
  return text;
}

}  // namespace

TEST_CASE("a commit larger than one write of the file system layer is journaled whole", "[journal]") {
  // 200 events of ~6 KB in one commit: about 1.2 MB of WAL frames, ten times what the unix VFS
  // writes in one call (a gathered write past it used to fail as "database or disk is full").
  TempDir dir;
  std::mt19937 random(7);
  std::vector<std::string> payloads;
  {
    auto journal = open_journal(dir.file("j.db"));
    EventBatch batch{"test", {}, std::nullopt};
    for (int i = 0; i < 200; ++i) {
      auto e = make_event("big", "key-" + std::to_string(i));
      payloads.push_back("\"" + random_letters(random, 8000) + "\"");
      e.raw = payloads.back();
      batch.events.push_back(std::move(e));
    }
    const auto result = journal->submit_and_wait(std::move(batch));
    REQUIRE(result.committed());
    for (const auto outcome : result.outcomes) REQUIRE(outcome == Submission::Accepted);
  }
  auto journal = open_journal(dir.file("j.db"));  // read back from the file, not from memory
  const auto events = journal->pending_events(0, 500).value();
  REQUIRE(events.size() == 200);
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(payload_text(events[i]) == payloads[i]);
  SQLite::Database db(dir.file("j.db"));
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("a connection gathering its WAL writes reads back what it wrote before committing, and others see the commit",
          "[journal]") {
  TempDir dir;
  const auto path = dir.file("w.db");
  SQLite::Database writer(path.c_str(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 0, wal_write_buffer::vfs_name());
  writer.exec("PRAGMA journal_mode = WAL");
  writer.exec("PRAGMA synchronous = FULL");
  writer.exec("PRAGMA cache_size = 2");  // pages spill to the WAL mid-transaction and are read back
  writer.exec("CREATE TABLE t(n INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  std::mt19937 random(11);
  {
    SQLite::Transaction tx(writer);
    SQLite::Statement insert(writer, "INSERT INTO t(n, text) VALUES (?, ?)");
    for (int n = 1; n <= 2000; ++n) {
      insert.bind(1, n);
      insert.bind(2, random_letters(random, 1000));
      insert.exec();
      insert.reset();
    }
    CHECK(writer.execAndGet("SELECT count(*) FROM t").getInt() == 2000);
    CHECK(writer.execAndGet("SELECT sum(length(text)) FROM t").getInt64() == 2000 * 1000);
    tx.commit();
  }
  SQLite::Database reader(path, SQLite::OPEN_READONLY);  // the default VFS, another connection
  CHECK(reader.execAndGet("SELECT count(*) FROM t").getInt() == 2000);
  CHECK(reader.execAndGet("SELECT sum(n) FROM t").getInt64() == 2000 * 2001 / 2);
  writer.exec("UPDATE t SET text = 'x' WHERE n % 2 = 0");
  CHECK(reader.execAndGet("SELECT count(*) FROM t WHERE text = 'x'").getInt() == 1000);
  CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
}
