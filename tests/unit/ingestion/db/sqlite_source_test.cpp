// `kind: db` on a real SQLite file written by the test (SQLite is a library: this is its real
// upstream): the compliance harness, typed fields, the row cap, where a new source starts, the
// read-only session, configuration errors, and stop and the deadline during a query.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "ingestion/db/db_source.hpp"
#include "ingestion/db/sqlite.hpp"
#include "tests/unit/ingestion/db/db_fixture.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace std::chrono_literals;
using test::compliance::eventually;
using test::compliance::journaled;

namespace {

const std::string kAlertsQuery = "SELECT id, level, message FROM alerts WHERE id > :last ORDER BY id LIMIT :limit";

// The application's database: a table of alerts it appends to.
struct AppDb {
  ingestion::testing::TempDir dir;
  std::string path = dir.file("app.db");
  SQLite::Database db{path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE};
  int next = 0;
  AppDb() {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("CREATE TABLE alerts (id INTEGER PRIMARY KEY, level TEXT, message TEXT)");
  }
  void insert(int n) {
    SQLite::Transaction t(db);
    SQLite::Statement s(db, "INSERT INTO alerts (id, level, message) VALUES (?, 'warning', ?)");
    for (int i = 0; i < n; ++i) {
      s.bind(1, ++next);
      s.bind(2, "alert " + std::to_string(next));
      s.exec();
      s.reset();
    }
    t.commit();
  }
  // "{name: …, kind: db, engine: sqlite, path: …, " + extra + "}"
  std::string config(const std::string& extra, const std::string& name = "compliance") const {
    return "{name: " + name + ", kind: db, engine: sqlite, path: " + path + ", " + extra + "}";
  }
};

std::string source(const std::string& query = kAlertsQuery, const std::string& more = "") {
  return "query: \"" + query + "\", tracking_column: id, interval: 50ms, backoff: {initial: 20ms, max: 100ms}" + more;
}

struct Fixture : test::dbtest::Fixture {
  AppDb app;
  std::unique_ptr<test::compliance::Running> run(const std::string& extra) {
    return test::dbtest::Fixture::run(app.config(extra, "s"));
  }
};

using test::dbtest::state_of;

}  // namespace

TEST_CASE("db sources on SQLite pass the compliance harness", "[db][sqlite][compliance]") {
  AppDb app;
  const auto kind = db::db_source_kind();
  test::compliance::Subject subject{
      .kind = kind,
      .config_yaml = app.config(source(kAlertsQuery, ", start: beginning")),
      .upstream = {.produce = [&](int n) { app.insert(n); }},
      .topic_prefix = "db/",
  };
  test::compliance::run_compliance(subject);
}

TEST_CASE("SQLite rows become events with typed fields, topic db/<source>, and a readable default line",
          "[db][sqlite]") {
  Fixture f;
  f.app.db.exec(
      "CREATE TABLE samples (id INTEGER PRIMARY KEY, n INTEGER, x REAL, name TEXT, at DATETIME, missing TEXT, b BLOB)");
  f.app.db.exec("INSERT INTO samples VALUES (1, -7, 0.1, 'héllo', '2024-05-01 12:00:00', NULL, x'00ff')");
  auto r = f.run(source("SELECT * FROM samples WHERE id > :last ORDER BY id LIMIT :limit", ", start: beginning"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  const auto e = journaled(*f.journal).at(0);
  CHECK(e.topic == "db/s");
  CHECK(e.family == "db");
  CHECK(e.fields == nlohmann::json{{"id", 1}, {"n", -7}, {"x", 0.1}, {"name", "héllo"}, {"at", "2024-05-01T12:00:00"},
                                   {"missing", nullptr}, {"b", "\\x00ff"}});
  CHECK(e.dedupe_key.empty());  // no key column: the mark alone makes it exactly-once
  CHECK(e.default_template == "[{{_event.source}}] id={{id}} n={{n}} x={{x}} name={{name}} at={{at}} "
                              "missing={{missing}} b={{b}}");
}

TEST_CASE("key, severity and template columns shape the events", "[db][sqlite]") {
  Fixture f;
  f.app.insert(1);
  auto r = f.run(source(kAlertsQuery, ", start: beginning, key: message, severity_column: level, template: \"{{message}}\""));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  const auto e = journaled(*f.journal).at(0);
  CHECK(e.dedupe_key == "alert 1");
  CHECK(e.severity == Severity::Warning);
  CHECK(e.default_template == "{{message}}");
}

TEST_CASE("more rows than max_rows are read page after page in the same run", "[db][sqlite]") {
  Fixture f;
  f.app.insert(95);
  // One run only (the interval is an hour): the pages follow each other at once.
  auto r = f.run("query: \"" + kAlertsQuery + "\", tracking_column: id, interval: 1h, max_rows: 10, start: beginning");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 95; }, 30s));
  const auto events = journaled(*f.journal);
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].fields["id"] == static_cast<int>(i) + 1);
  CHECK(f.journal->cursor("s").value() == "integer:95");
  CHECK(r->runtime.status().snapshot().committed == 95);
}

TEST_CASE("rows sharing a timestamp across a page boundary are all said, once", "[db][sqlite]") {
  Fixture f;
  f.app.db.exec("CREATE TABLE log (at TEXT, line TEXT)");
  for (int i = 0; i < 12; ++i)
    f.app.db.exec("INSERT INTO log VALUES ('2024-05-01 12:00:0" + std::to_string(i / 3) + "', 'line " +
                  std::to_string(i) + "')");
  auto r = f.run("query: \"SELECT at, line FROM log WHERE at > :last ORDER BY at LIMIT :limit\", tracking_column: at, "
                 "interval: 1h, max_rows: 4, start: beginning, initial: '1970-01-01'");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 12; }, 30s));
  std::set<std::string> lines;
  for (const auto& e : journaled(*f.journal)) lines.insert(e.fields["line"]);
  CHECK(lines.size() == 12);
}

TEST_CASE("start: now says nothing of the rows already there, and remembers where that was", "[db][sqlite]") {
  Fixture f;
  f.app.insert(5);
  const std::string config = source(kAlertsQuery, ", max_rows: 2");  // start: now is the default
  {
    auto r = f.run(config);
    REQUIRE(eventually([&] { return f.journal->cursor("s").value() == "integer:5"; }, 30s));
    f.app.insert(1);
    REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
    CHECK(journaled(*f.journal).at(0).fields["id"] == 6);
  }
  f.app.insert(2);  // while stopped: new, not "already there"
  auto again = f.run(config);
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 3; }, 30s));
  std::this_thread::sleep_for(200ms);  // absence: nothing more comes
  CHECK(journaled(*f.journal).size() == 3);
}

TEST_CASE("start: now on an empty table saves its mark, so rows added before a restart are said", "[db][sqlite]") {
  Fixture f;
  const std::string config = source();
  {
    auto r = f.run(config);
    REQUIRE(eventually([&] { return f.journal->cursor("s").value() == "integer:0"; }, 30s));
  }
  f.app.insert(2);
  auto again = f.run(config);
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
}

TEST_CASE("a query that writes is refused: the file is opened read-only", "[db][sqlite][readonly]") {
  Fixture f;
  f.app.insert(1);
  auto r = f.run(source("INSERT INTO alerts (level, message) VALUES ('x', 'y') RETURNING id, :last AS l, :limit AS m"));
  REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
  const auto status = r->runtime.status().snapshot();
  CHECK(status.error_kind == ErrorKind::Configuration);
  CHECK_THAT(status.last_error, Catch::Contains("only reads"));
  CHECK(SQLite::Database(f.app.path).execAndGet("SELECT count(*) FROM alerts").getInt() == 1);
}

TEST_CASE("SQLite configuration errors end the source with a clear message, not retried", "[db][sqlite]") {
  Fixture f;
  SECTION("a missing table") {
    auto r = f.run(source("SELECT id FROM nope WHERE id > :last ORDER BY id LIMIT :limit"));
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
    CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("no such table: nope"));
    CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Configuration);
  }
  SECTION("a syntax error") {
    auto r = f.run(source("SELEC id FROM alerts WHERE id > :last LIMIT :limit"));
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
    CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("syntax error"));
  }
  SECTION("two statements") {
    auto r = f.run(source(kAlertsQuery + "; DELETE FROM alerts"));
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
    CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("one statement"));
  }
  SECTION("a missing file") {
    const std::string missing = f.app.dir.file("nowhere/missing.db");
    auto r = f.test::dbtest::Fixture::run("{name: s, kind: db, engine: sqlite, path: " + missing + ", " + source() + "}");
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
    CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("cannot open " + missing));
  }
  SECTION("a tracking column the query does not return") {
    auto r = f.run("query: \"" + kAlertsQuery + "\", tracking_column: created");
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
    CHECK_THAT(r->runtime.status().snapshot().last_error,
               Catch::Contains("created is not among the query's columns (id, level, message)"));
  }
  SECTION("another parameter than :last and :limit") {
    auto r = f.run(source("SELECT id FROM alerts WHERE id > :last AND level = :level LIMIT :limit"));
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
    CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("other than :last and :limit"));
  }
  SECTION("rows out of order") {
    f.app.insert(3);
    auto r = f.run(source("SELECT id FROM alerts WHERE id > :last ORDER BY id DESC LIMIT :limit", ", start: beginning"));
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
    CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("must ORDER BY id"));
    CHECK(journaled(*f.journal).empty());
  }
}

// A query that never ends on its own: counts up without a bound.
const std::string kEndless =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS id FROM c WHERE x > :last AND x < 0 "
    "LIMIT :limit";

TEST_CASE("stop() interrupts a SQLite query under way within a second", "[db][sqlite]") {
  Fixture f;
  auto r = f.run("query: \"" + kEndless + "\", tracking_column: id, start: beginning, timeout: 1h");
  std::this_thread::sleep_for(300ms);  // into the query (nothing outside shows it; a stop before it is quick too)
  CHECK(state_of(*r) != SourceState::Failed);
  CHECK(r->stop() < test::compliance::kStopBound);
}

TEST_CASE("a SQLite query past the run's timeout fails the run, which is retried", "[db][sqlite]") {
  Fixture f;
  auto r = f.run("query: \"" + kEndless + "\", tracking_column: id, start: beginning, timeout: 200ms, "
                 "backoff: {initial: 50ms, max: 50ms}");
  REQUIRE(eventually([&] { return state_of(*r) == SourceState::Retrying; }, 30s));
  CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Transient);
  CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("timeout"));
}

TEST_CASE("a writer's lock is waited for up to busy_timeout, then the run is retried", "[db][sqlite]") {
  Fixture f;
  f.app.db.exec("PRAGMA journal_mode = DELETE");  // a rollback journal: a writer's lock blocks readers
  f.app.insert(1);
  SQLite::Database writer(f.app.path, SQLite::OPEN_READWRITE);
  writer.exec("BEGIN EXCLUSIVE");
  auto r = f.run(source(kAlertsQuery, ", start: beginning, busy_timeout: 100ms"));
  REQUIRE(eventually([&] { return state_of(*r) == SourceState::Retrying; }, 30s));
  CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("locked"));
  writer.exec("COMMIT");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
}

TEST_CASE("SQLite result codes are classified", "[db][sqlite]") {
  CHECK(db::sqlite_configuration_error(SQLITE_ERROR));
  CHECK(db::sqlite_configuration_error(SQLITE_CANTOPEN));
  CHECK(db::sqlite_configuration_error(SQLITE_NOTADB));
  CHECK(db::sqlite_configuration_error(SQLITE_READONLY));
  CHECK_FALSE(db::sqlite_configuration_error(SQLITE_BUSY));
  CHECK_FALSE(db::sqlite_configuration_error(SQLITE_IOERR_READ));
  CHECK_FALSE(db::sqlite_configuration_error(SQLITE_INTERRUPT));
}
