// Opening the journal's connections: how one waits for another's write transaction.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <sqlite3.h>

#include "ingestion/journal/journal_db.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

namespace journal_db_test {

std::unique_ptr<SQLite::Database> connection(const std::string& path, bool migrate) {
  JournalOptions options;
  options.path = path;
  auto db = journal_db::open(options, Synchronous::Normal, migrate);
  REQUIRE(db);
  return std::move(*db);
}

// Two connections to one journal, the first holding its write lock.
struct OneHoldsTheLock {
  TempDir dir;
  std::unique_ptr<SQLite::Database> holder = connection(dir.file("j.db"), true);
  std::unique_ptr<SQLite::Database> waiter = connection(dir.file("j.db"), false);
  SQLite::Transaction held{*holder, SQLite::TransactionBehavior::IMMEDIATE};
  OneHoldsTheLock() { holder->exec("INSERT INTO cursors(source, cursor, updated_ms) VALUES ('a', '1', 0)"); }
  void write_from_waiter() { waiter->exec("INSERT INTO cursors(source, cursor, updated_ms) VALUES ('b', '2', 0)"); }
};

}  // namespace journal_db_test

using journal_db_test::OneHoldsTheLock;

TEST_CASE("a connection that finds the journal locked for writing waits until it is free", "[journal]") {
  OneHoldsTheLock journal;
  std::optional<std::string> error;
  std::thread writer([&] {
    try {
      journal.write_from_waiter();
    } catch (const SQLite::Exception& e) {
      error = e.what();
    }
  });
  journal.held.commit();
  writer.join();
  REQUIRE_FALSE(error);
  REQUIRE(journal.waiter->execAndGet("SELECT count(*) FROM cursors").getInt() == 2);
}

TEST_CASE("a connection that finds the journal locked for writing fails busy after its timeout", "[journal]") {
  OneHoldsTheLock journal;
  journal_db::wait_when_busy(journal.waiter->getHandle(), std::chrono::milliseconds(30));
  const auto began = std::chrono::steady_clock::now();
  int code = SQLITE_OK;
  try {
    journal.write_from_waiter();
  } catch (const SQLite::Exception& e) {
    code = e.getErrorCode();
  }
  REQUIRE(code == SQLITE_BUSY);
  REQUIRE(std::chrono::steady_clock::now() - began >= std::chrono::milliseconds(30));
}
