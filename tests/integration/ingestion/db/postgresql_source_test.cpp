// `kind: db` against a real PostgreSQL 15 started by the test (tests/integration/support/postgresql):
// the compliance harness, typed fields, the row cap, the read-only session, reconnecting after the
// server restarts, configuration errors that are not retried, TLS with a test CA, stop and the
// deadline during a query. One server per test process (each TEST_CASE is one).
#include <catch2/catch.hpp>

#include "ingestion/db/db_source.hpp"
#include "ingestion/db/postgresql.hpp"
#include "tests/integration/support/postgresql.hpp"
#include "tests/unit/ingestion/db/db_fixture.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::test;
using namespace std::chrono_literals;
using compliance::eventually;
using compliance::journaled;
using dbtest::error_of;
using dbtest::state_of;

namespace {

Postgresql& postgresql_server() {
  static Postgresql pg;
  return pg;
}

dbtest::Alerts alerts_on(Postgresql& server) {
  return {[&server](const std::string& sql) { server.execute(sql); }, "bigserial"};
}

std::string connection(const Postgresql& pg, const std::string& password = Postgresql::password) {
  return "engine: postgresql, host: 127.0.0.1, port: " + std::to_string(pg.port()) + ", user: " + Postgresql::user +
         ", password: \"" + password + "\", database: " + Postgresql::database;
}

std::string source(const Postgresql& pg, const std::string& query, const std::string& extra = "",
                   const std::string& name = "s") {
  return dbtest::source_entry(connection(pg), query, extra, name);
}
}  // namespace

TEST_CASE("db sources on PostgreSQL pass the compliance harness", "[db][postgresql][compliance]") {
  auto alerts = alerts_on(postgresql_server());
  dbtest::run_compliance(alerts, connection(postgresql_server()));
}

TEST_CASE("PostgreSQL columns become typed fields: integers, floats, text, timestamps in ISO 8601, JSON, NULL",
          "[db][postgresql]") {
  auto& pg = postgresql_server();
  pg.execute(
      "CREATE TABLE samples (id int PRIMARY KEY, small smallint, big bigint, f float8, n numeric(10,4), t text, "
      "ok boolean, at timestamptz, naive timestamp, day date, doc jsonb, missing text);"
      "INSERT INTO samples VALUES (1, -3, 9007199254740993, 0.1, 123.4500, 'héllo', true, "
      "'2024-05-01 12:00:00.25+02', '2024-05-01 12:00:00', '2024-05-01', '{\"a\": [1, 2]}', NULL)");
  dbtest::Fixture f;
  auto r = f.run(source(pg, "SELECT * FROM samples WHERE id > :last ORDER BY id LIMIT :limit", ", start: beginning"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  const auto e = journaled(*f.journal).at(0);
  CHECK(e.topic == "db/s");
  CHECK(e.fields == nlohmann::json{{"id", 1},
                                   {"small", -3},
                                   {"big", 9007199254740993LL},
                                   {"f", 0.1},
                                   {"n", 123.45},
                                   {"t", "héllo"},
                                   {"ok", true},
                                   {"at", "2024-05-01T10:00:00.25Z"},  // the session is in UTC
                                   {"naive", "2024-05-01T12:00:00"},
                                   {"day", "2024-05-01"},
                                   {"doc", {{"a", {1, 2}}}},
                                   {"missing", nullptr}});
  CHECK(f.journal->cursor("s").value() == "integer:1");
}

TEST_CASE("a timestamp tracking column: the mark is bound back as PostgreSQL wrote it", "[db][postgresql]") {
  auto& pg = postgresql_server();
  pg.execute("CREATE TABLE events (at timestamptz, what text)");
  for (int i = 0; i < 6; ++i)
    pg.execute("INSERT INTO events VALUES ('2024-05-01 12:00:00.5+00'::timestamptz + interval '" + std::to_string(i / 2) +
               " seconds', 'e" + std::to_string(i) + "')");
  dbtest::Fixture f;
  auto r = f.run("{name: s, kind: db, " + connection(pg) +
                 ", query: \"SELECT at, what FROM events WHERE at > :last ORDER BY at LIMIT :limit\", "
                 "tracking_column: at, initial: '1970-01-01', start: beginning, max_rows: 3, interval: 50ms}");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 6; }, 30s));
  CHECK(f.journal->cursor("s").value() == "time:2024-05-01 12:00:02.5+00");
  pg.execute("INSERT INTO events VALUES ('2024-05-01 12:00:03+00', 'e6')");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 7; }, 30s));
  CHECK(journaled(*f.journal).back().fields["at"] == "2024-05-01T12:00:03Z");
}

TEST_CASE("10,000 rows with max_rows 500 are read page after page, each said once", "[db][postgresql]") {
  auto alerts = alerts_on(postgresql_server());
  alerts.insert(10000);
  dbtest::Fixture f;
  // One run (the interval is an hour): the pages follow each other at once.
  auto r = f.run("{name: s, kind: db, " + connection(postgresql_server()) + ", query: \"" + alerts.query() +
                 "\", tracking_column: id, start: beginning, max_rows: 500, interval: 1h}");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 10000; }, 60s));
  std::set<std::int64_t> ids;
  for (const auto& e : journaled(*f.journal)) ids.insert(e.fields["id"].get<std::int64_t>());
  CHECK(ids.size() == 10000);
  CHECK(f.journal->cursor("s").value() == "integer:10000");
}

TEST_CASE("the session is read-only: a query that writes fails, as a configuration error", "[db][postgresql][readonly]") {
  auto& pg = postgresql_server();
  auto alerts = alerts_on(pg);
  alerts.insert(1);
  pg.execute("CREATE TABLE scribbles (v int)");
  dbtest::Fixture f;
  auto r = f.run(source(pg, "WITH w AS (INSERT INTO scribbles VALUES (1) RETURNING v) SELECT id FROM " +
                                alerts.table + ", w WHERE id > :last ORDER BY id LIMIT :limit",
                        ", start: beginning"));
  REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
  CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Configuration);
  CHECK_THAT(error_of(*r), Catch::Contains("read-only transaction") && Catch::Contains("25006"));
  CHECK(pg.query("SELECT count(*) FROM scribbles").at(0).at(0) == "0");
}

TEST_CASE("PostgreSQL restarted: the source reconnects with backoff, nothing lost or said twice",
          "[db][postgresql][reconnect]") {
  auto& pg = postgresql_server();
  auto alerts = alerts_on(pg);
  dbtest::Fixture f;
  dbtest::reconnects_after_restart(f, alerts, source(pg, alerts.query(), ", start: beginning"), [&] { pg.stop(); },
                                   [&] { pg.start(); });
}

TEST_CASE("a server that is not there is a transient error, retried", "[db][postgresql]") {
  dbtest::Fixture f;
  auto r = f.run("{name: s, kind: db, engine: postgresql, host: 127.0.0.1, port: " + std::to_string(free_port()) +
                 ", user: u, database: d, query: \"SELECT 1 AS id WHERE 1 > :last LIMIT :limit\", "
                 "tracking_column: id, backoff: {initial: 50ms, max: 50ms}}");
  REQUIRE(eventually([&] { return state_of(*r) == SourceState::Retrying; }, 30s));
  CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Transient);
  CHECK_THAT(error_of(*r), Catch::Contains("cannot connect") && Catch::Contains("refused"));
}

TEST_CASE("PostgreSQL configuration errors end the source with a clear message, not retried", "[db][postgresql]") {
  auto& pg = postgresql_server();
  auto alerts = alerts_on(pg);
  dbtest::Fixture f;
  SECTION("a wrong password, never shown") {
    const auto message = dbtest::fails_with(f, "{name: s, kind: db, " + connection(pg, "wrong-horse") + ", query: \"" +
                                        alerts.query() + "\", tracking_column: id}",
                                    "password authentication failed");
    CHECK_THAT(message, !Catch::Contains("wrong-horse"));
  }
  SECTION("an unknown database") {
    dbtest::fails_with(f, "{name: s, kind: db, engine: postgresql, host: 127.0.0.1, port: " + std::to_string(pg.port()) +
                   ", user: chatops, password: " + Postgresql::password + ", database: nope, query: \"" +
                   alerts.query() + "\", tracking_column: id}",
               "database \"nope\" does not exist");
  }
  SECTION("a missing table") {
    dbtest::fails_with(f, source(pg, "SELECT id FROM nope WHERE id > :last ORDER BY id LIMIT :limit"),
               "relation \"nope\" does not exist (SQLSTATE 42P01)");
  }
  SECTION("a syntax error") {
    dbtest::fails_with(f, source(pg, "SELEC id FROM t WHERE id > :last LIMIT :limit"), "syntax error");
  }
  SECTION("an initial mark of the wrong type") {
    pg.execute("CREATE TABLE IF NOT EXISTS stamped (at timestamptz)");
    dbtest::fails_with(f, "{name: s, kind: db, " + connection(pg) +
                   ", query: \"SELECT at FROM stamped WHERE at > :last ORDER BY at LIMIT :limit\", tracking_column: at}",
               "invalid input syntax for type timestamp");
  }
}

TEST_CASE("stop() returns within a second during a PostgreSQL query, a slow query times out", "[db][postgresql]") {
  auto& pg = postgresql_server();
  dbtest::Fixture f;
  const std::string slow = "SELECT id FROM (SELECT 1 AS id, pg_sleep(30)) s WHERE id > :last LIMIT :limit";
  auto running_slow = [&] {
    return pg.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> "
                    "pg_backend_pid()")
        .at(0)
        .at(0);
  };
  SECTION("stop") {
    auto r = f.run(source(pg, slow, ", start: beginning, timeout: 1h"));
    REQUIRE(eventually([&] { return running_slow() != "0"; }, 30s));  // the query is under way
    CHECK(r->stop() < compliance::kStopBound);
  }
  SECTION("timeout") {
    auto r = f.run(source(pg, slow, ", start: beginning, timeout: 500ms"));
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Retrying; }, 30s));
    CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Transient);
  }
  // Neither query is left running on the server.
  REQUIRE(eventually([&] { return running_slow() == "0"; }, 30s));
}

TEST_CASE("TLS to PostgreSQL, verified against a test CA", "[db][postgresql][tls]") {
  static Postgresql pg(PostgresqlOptions{.tls = true});
  auto alerts = alerts_on(pg);
  alerts.insert(2);
  dbtest::Fixture f;
  SECTION("verify-full with the right CA: rows arrive over TLS") {
    auto r = f.run(source(pg, alerts.query(),
                          ", start: beginning, tls: {mode: verify-full, ca_file: " + pg.ca_file().string() + "}"));
    REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
    CHECK(pg.query("SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) "
                   "WHERE application_name = 'chatops-bot' AND ssl")
              .at(0)
              .at(0) == "1");
  }
  SECTION("another CA: refused, as a configuration error") {
    TempDir other;
    TestCa stranger(other.path());
    auto r = f.run(source(pg, alerts.query(), ", tls: {mode: verify-full, ca_file: " + stranger.ca_cert().string() + "}"));
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
    CHECK_THAT(error_of(*r), Catch::Contains("certificate verify failed"));
  }
  SECTION("disable against a server that asks for nothing: plain text") {
    auto r = f.run(source(pg, alerts.query(), ", start: beginning, tls: {mode: disable}"));
    REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
    CHECK(pg.query("SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) "
                   "WHERE application_name = 'chatops-bot' AND NOT ssl")
              .at(0)
              .at(0) == "1");
  }
}

TEST_CASE("PostgreSQL errors are classified", "[db][postgresql]") {
  for (auto code : {"42P01", "42601", "42501", "25006", "28P01", "3D000", "22007"})
    CHECK(db::postgresql_configuration_error(code));
  for (auto code : {"57014", "08006", "57P01", "53300", "40001", ""}) CHECK_FALSE(db::postgresql_configuration_error(code));
  CHECK(db::postgresql_connect_configuration_error("FATAL:  password authentication failed for user \"x\""));
  CHECK(db::postgresql_connect_configuration_error("SSL error: certificate verify failed"));
  CHECK_FALSE(db::postgresql_connect_configuration_error("connect: Connection refused"));
  CHECK_FALSE(db::postgresql_connect_configuration_error("FATAL:  the database system is starting up"));
  CHECK_FALSE(db::postgresql_connect_configuration_error("FATAL:  sorry, too many clients already"));
}
