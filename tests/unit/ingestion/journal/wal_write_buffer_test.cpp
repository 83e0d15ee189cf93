// The WAL write-gathering VFS: a commit's frames go out in one write, before another connection can
// see them (with or without a sync), a failed write fails the commit, and frames a rolled-back
// transaction spilled never land over another connection's commit. Observed through a VFS that
// counts (and can fail) the WAL writes underneath, registered as SQLite's default while a test runs.
#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "ingestion/journal/wal_write_buffer.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"
#include "tests/unit/ingestion/journal/wal_methods_hook.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

namespace wal_write_buffer_test {

std::atomic<int> wal_writes{0};
std::atomic<bool> fail_wal_writes{false};

int counting_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  if (fail_wal_writes) return SQLITE_IOERR_WRITE;
  ++wal_writes;
  return WalMethodsHook::original(file).xWrite(file, data, amount, offset);
}

// SQLite's default VFS counts WAL writes while this lives (open connections after, close before).
class CountingVfs {
 public:
  CountingVfs() {
    wal_writes = 0;
    fail_wal_writes = false;
  }

 private:
  WalMethodsHook hook_{[](sqlite3_io_methods& m) { m.xWrite = counting_write; }};
};

// Random letters barely compress: each row takes its length in the WAL.
std::string random_letters(std::mt19937& random, std::size_t n) {
  std::string text(n, ' ');
  for (char& c : text) c = static_cast<char>('a' + random() % 26);
  return text;
}

// A connection that gathers, with SQLite's own sync never called at a commit.
std::unique_ptr<SQLite::Database> gathering(const std::string& path) {
  auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 1000,
                                               wal_write_buffer::vfs_name());
  db->exec("PRAGMA journal_mode = WAL");
  db->exec("PRAGMA synchronous = OFF");
  return db;
}

void insert_rows(SQLite::Database& db, std::mt19937& random, int first, int count, std::size_t bytes) {
  SQLite::Statement insert(db, "INSERT INTO t(n, text) VALUES (?, ?)");
  for (int n = first; n < first + count; ++n) {
    insert.bind(1, n);
    insert.bind(2, random_letters(random, bytes));
    insert.exec();
    insert.reset();
  }
}

}  // namespace wal_write_buffer_test

using namespace wal_write_buffer_test;

TEST_CASE("a commit's WAL frames go out in one write, and another connection sees the commit without a sync",
          "[journal]") {
  TempDir dir;
  CountingVfs counting;
  const auto path = dir.file("w.db");
  auto writer = gathering(path);
  writer->exec("CREATE TABLE t(n INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  SQLite::Database reader(path, SQLite::OPEN_READONLY);  // the default VFS, another connection
  std::mt19937 random(3);
  for (int commit = 0; commit < 5; ++commit) {
    wal_writes = 0;
    {
      SQLite::Transaction tx(*writer);
      insert_rows(*writer, random, commit * 10, 10, 1500);  // about 4 pages, with their index
      tx.commit();
    }
    CHECK(wal_writes == 1);
    CHECK(reader.execAndGet("SELECT count(*) FROM t").getInt() == (commit + 1) * 10);
  }
  CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("a connection gathering its WAL writes reads back what it spilled before committing", "[journal]") {
  TempDir dir;
  const auto path = dir.file("w.db");
  auto writer = gathering(path);
  writer->exec("PRAGMA cache_size = 2");  // pages spill to the WAL mid-transaction and are read back
  writer->exec("CREATE TABLE t(n INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  std::mt19937 random(11);
  {
    SQLite::Transaction tx(*writer);
    insert_rows(*writer, random, 1, 2000, 1000);
    CHECK(writer->execAndGet("SELECT count(*) FROM t").getInt() == 2000);
    CHECK(writer->execAndGet("SELECT sum(length(text)) FROM t").getInt64() == 2000 * 1000);
    tx.commit();
  }
  SQLite::Database reader(path, SQLite::OPEN_READONLY);
  CHECK(reader.execAndGet("SELECT count(*) FROM t").getInt() == 2000);
  CHECK(reader.execAndGet("SELECT sum(n) FROM t").getInt64() == 2000 * 2001 / 2);
  writer->exec("UPDATE t SET text = 'x' WHERE n % 2 = 0");
  CHECK(reader.execAndGet("SELECT count(*) FROM t WHERE text = 'x'").getInt() == 1000);
  CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("frames a rolled-back transaction spilled never land over another connection's commit", "[journal]") {
  TempDir dir;
  const auto path = dir.file("w.db");
  auto writer = gathering(path);
  writer->exec("CREATE TABLE t(n INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  SQLite::Database other(path, SQLite::OPEN_READWRITE);  // writes as SQLite does
  std::mt19937 random(5);
  for (int round = 0; round < 3; ++round) {
    writer->exec("PRAGMA cache_size = 2");
    {
      SQLite::Transaction tx(*writer);
      insert_rows(*writer, random, 100000 + round * 100, 80, 1000);  // spills frames, fewer than one write takes
    }  // rolled back
    writer->exec("PRAGMA cache_size = -2000");
    {
      SQLite::Transaction tx(other);  // its frames go where the spilled ones were
      insert_rows(other, random, round * 100, 80, 1000);
      tx.commit();
    }
    {
      SQLite::Transaction tx(*writer);  // its frames go after the other's
      insert_rows(*writer, random, round * 100 + 80, 5, 1000);
      tx.commit();
    }
  }
  SQLite::Database reader(path, SQLite::OPEN_READONLY);
  CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
  CHECK(reader.execAndGet("SELECT count(*) FROM t").getInt() == 3 * 85);
  CHECK(reader.execAndGet("SELECT count(*) FROM t WHERE n >= 100000").getInt() == 0);
  CHECK(reader.execAndGet("SELECT count(*) FROM t WHERE length(text) = 1000").getInt() == 3 * 85);
}

TEST_CASE("a WAL write that fails fails its commit, and the next commit goes through whole", "[journal]") {
  TempDir dir;
  CountingVfs counting;
  const auto path = dir.file("w.db");
  auto writer = gathering(path);
  writer->exec("CREATE TABLE t(n INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  std::mt19937 random(9);
  {
    SQLite::Transaction tx(*writer);
    insert_rows(*writer, random, 0, 10, 1000);
    tx.commit();
  }
  fail_wal_writes = true;
  {
    SQLite::Transaction tx(*writer);
    insert_rows(*writer, random, 10, 10, 1000);
    CHECK_THROWS_AS(tx.commit(), SQLite::Exception);
  }
  fail_wal_writes = false;
  {
    SQLite::Transaction tx(*writer);
    insert_rows(*writer, random, 20, 10, 1000);
    tx.commit();
  }
  SQLite::Database reader(path, SQLite::OPEN_READONLY);
  CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
  CHECK(reader.execAndGet("SELECT count(*) FROM t").getInt() == 20);
  CHECK(reader.execAndGet("SELECT count(*) FROM t WHERE n BETWEEN 10 AND 19").getInt() == 0);
}
