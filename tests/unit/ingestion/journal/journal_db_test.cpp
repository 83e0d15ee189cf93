// Opening the journal's connections: how one waits for another's write transaction.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <sqlite3.h>

#include "ingestion/journal/journal_db.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

namespace {

std::unique_ptr<SQLite::Database> connection(const std::string& path, bool migrate) {
  JournalOptions options;
  options.path = path;
  auto db = journal_db::open(options, Synchronous::Normal, migrate);
  REQUIRE(db);
  return std::move(*db);
}

}  // namespace

TEST_CASE("a connection that finds the journal locked for writing waits until it is free", "[journal]") {
  TempDir dir;
  auto holder = connection(dir.file("j.db"), true);
  auto waiter = connection(dir.file("j.db"), false);
  SQLite::Transaction held(*holder, SQLite::TransactionBehavior::IMMEDIATE);
  holder->exec("INSERT INTO cursors(source, cursor, updated_ms) VALUES ('a', '1', 0)");

  std::thread writer([&] { waiter->exec("INSERT INTO cursors(source, cursor, updated_ms) VALUES ('b', '2', 0)"); });
  held.commit();
  writer.join();  // an exception (busy) there would end the test run
  REQUIRE(waiter->execAndGet("SELECT count(*) FROM cursors").getInt() == 2);
}

TEST_CASE("a connection that finds the journal locked for writing fails busy after its timeout", "[journal]") {
  TempDir dir;
  auto holder = connection(dir.file("j.db"), true);
  auto waiter = connection(dir.file("j.db"), false);
  SQLite::Transaction held(*holder, SQLite::TransactionBehavior::IMMEDIATE);
  holder->exec("INSERT INTO cursors(source, cursor, updated_ms) VALUES ('a', '1', 0)");

  journal_db::wait_when_busy(waiter->getHandle(), std::chrono::milliseconds(30));
  const auto began = std::chrono::steady_clock::now();
  int code = SQLITE_OK;
  try {
    waiter->exec("INSERT INTO cursors(source, cursor, updated_ms) VALUES ('b', '2', 0)");
  } catch (const SQLite::Exception& e) {
    code = e.getErrorCode();
  }
  REQUIRE(code == SQLITE_BUSY);
  REQUIRE(std::chrono::steady_clock::now() - began >= std::chrono::milliseconds(30));
}
