// `kind: db` against a real MariaDB 10.11 started by the test (tests/integration/support/mariadb).
// mariadb-install-db takes seconds, so one server (with TLS on) serves every section of a test.
#include <catch2/catch.hpp>

#include "ingestion/db/db_source.hpp"
#include "ingestion/db/mariadb.hpp"
#include "tests/integration/support/mariadb.hpp"
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

Mariadb& mariadb_server() {
  static Mariadb db(MariadbOptions{.tls = true});
  return db;
}

dbtest::Alerts alerts_on(Mariadb& server) {
  return {[&server](const std::string& sql) { server.execute(sql); }, "BIGINT AUTO_INCREMENT"};
}

std::string connection(const Mariadb& db, const std::string& user = Mariadb::user,
                       const std::string& password = Mariadb::password) {
  return "engine: mariadb, host: 127.0.0.1, port: " + std::to_string(db.port()) + ", user: " + user +
         ", password: \"" + password + "\", database: " + Mariadb::database;
}

std::string source(const Mariadb& db, const std::string& query, const std::string& extra = "",
                   const std::string& name = "s") {
  return dbtest::source_entry(connection(db), query, extra, name);
}
}  // namespace

TEST_CASE("db sources on MariaDB pass the compliance harness", "[db][mariadb][compliance]") {
  auto alerts = alerts_on(mariadb_server());
  dbtest::run_compliance(alerts, connection(mariadb_server()));
}

TEST_CASE("db sources on MariaDB", "[db][mariadb]") {
  auto& db = mariadb_server();
  dbtest::Fixture f;

  SECTION("columns become typed fields: integers, floats, text, timestamps in ISO 8601, NULL") {
    db.execute(
        "CREATE TABLE samples (id INT PRIMARY KEY, big BIGINT, f DOUBLE, n DECIMAL(10,4), t VARCHAR(20), "
        "ok BOOLEAN, at DATETIME(6), stamp TIMESTAMP NULL, day DATE, doc JSON, missing TEXT, long_text TEXT);"
        "INSERT INTO samples VALUES (1, 9007199254740993, 0.1, 123.4500, 'héllo', TRUE, '2024-05-01 12:00:00.25', "
        "'2024-05-01 12:00:00', '2024-05-01', '{\"a\": [1, 2]}', NULL, REPEAT('x', 1000))");
    auto r = f.run(source(db, "SELECT * FROM samples WHERE id > :last ORDER BY id LIMIT :limit", ", start: beginning"));
    REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
    const auto e = journaled(*f.journal).at(0);
    CHECK(e.topic == "db/s");
    CHECK(e.fields == nlohmann::json{{"id", 1},
                                     {"big", 9007199254740993LL},
                                     {"f", 0.1},
                                     {"n", 123.45},
                                     {"t", "héllo"},
                                     {"ok", 1},  // MariaDB's BOOLEAN is TINYINT(1)
                                     {"at", "2024-05-01T12:00:00.250000"},
                                     {"stamp", "2024-05-01T12:00:00Z"},  // TIMESTAMP: the session is in UTC
                                     {"day", "2024-05-01"},
                                     {"doc", {{"a", {1, 2}}}},
                                     {"missing", nullptr},
                                     {"long_text", std::string(1000, 'x')}});
  }

  SECTION("more rows than max_rows are read page after page in one run") {
    auto alerts = alerts_on(db);
    alerts.insert(2000);
    auto r = f.run("{name: s, kind: db, " + connection(db) + ", query: \"" + alerts.query() +
                   "\", tracking_column: id, start: beginning, max_rows: 300, interval: 1h}");
    REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2000; }, 30s));
    CHECK(f.journal->cursor("s").value() == "integer:2000");
  }

  SECTION("start: now says nothing of the rows already there") {
    auto alerts = alerts_on(db);
    alerts.insert(4);
    auto r = f.run(source(db, alerts.query()));
    REQUIRE(eventually([&] { return f.journal->cursor("s").value() == "integer:4"; }, 30s));
    alerts.insert(1);
    REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
    CHECK(journaled(*f.journal).at(0).fields["id"] == 5);
  }

  SECTION("the session is read-only: a query that writes fails, as a configuration error") {
    auto alerts = alerts_on(db);
    alerts.insert(1);
    db.execute("CREATE TABLE IF NOT EXISTS scribbles (v INT);"
               "CREATE OR REPLACE FUNCTION scribble() RETURNS INT MODIFIES SQL DATA "
               "BEGIN INSERT INTO scribbles VALUES (1); RETURN 1; END");
    auto r = f.run(source(db, "SELECT id, scribble() AS s FROM " + alerts.table +
                                  " WHERE id > :last ORDER BY id LIMIT :limit",
                          ", start: beginning"));
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
    CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Configuration);
    CHECK_THAT(error_of(*r), Catch::Contains("READ ONLY") && Catch::Contains("1792"));
    CHECK(db.query("SELECT count(*) FROM scribbles").at(0).at(0) == "0");
  }

  SECTION("configuration errors end the source with a clear message, not retried") {
    auto alerts = alerts_on(db);
    const auto wrong = dbtest::fails_with(f, "{name: s, kind: db, " + connection(db, Mariadb::user, "wrong-horse") +
                                      ", query: \"" + alerts.query() + "\", tracking_column: id}",
                                  "Access denied");
    CHECK_THAT(wrong, !Catch::Contains("wrong-horse"));
    dbtest::fails_with(f, source(db, "SELECT id FROM nope WHERE id > :last ORDER BY id LIMIT :limit"), "doesn't exist (error 1146)");
    dbtest::fails_with(f, source(db, "SELEC id FROM t WHERE id > :last LIMIT :limit"), "error 1064");
  }

  SECTION("a server that is not there is a transient error") {
    auto r = f.run("{name: s, kind: db, engine: mariadb, host: 127.0.0.1, port: " + std::to_string(free_port()) +
                   ", user: u, database: d, query: \"SELECT 1 AS id FROM DUAL WHERE 1 > :last LIMIT :limit\", "
                   "tracking_column: id, backoff: {initial: 50ms, max: 50ms}}");
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Retrying; }, 30s));
    CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Transient);
  }

  SECTION("stop() returns within a second during a query; a slow query times out") {
    const std::string slow = "SELECT id FROM (SELECT 1 AS id, SLEEP(30) AS z) s WHERE id > :last LIMIT :limit";
    {
      auto r = f.run(source(db, slow, ", start: beginning, timeout: 1h"));
      REQUIRE(eventually(  // the query is under way
          [&] {
            return db.query("SELECT count(*) FROM information_schema.processlist WHERE info LIKE '%SLEEP(30)%' "
                            "AND id <> CONNECTION_ID()")
                       .at(0)
                       .at(0) != "0";
          },
          30s));
      CHECK(r->stop() < compliance::kStopBound);
    }
    auto r = f.run(source(db, slow, ", start: beginning, timeout: 1s"));
    REQUIRE(eventually([&] { return state_of(*r) == SourceState::Retrying; }, 30s));
    CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Transient);
  }

  SECTION("TLS verified against the test CA") {
    auto alerts = alerts_on(db);
    alerts.insert(1);
    db.execute("CREATE USER IF NOT EXISTS 'tlsonly'@'%' IDENTIFIED BY 'pw' REQUIRE SSL; GRANT SELECT ON *.* TO 'tlsonly'@'%'");
    const std::string as_tls_user = "{name: s, kind: db, " + connection(db, "tlsonly", "pw") + ", query: \"" +
                                    alerts.query() + "\", tracking_column: id, start: beginning, ";
    SECTION("verify-full with the right CA: rows arrive") {
      auto r = f.run(as_tls_user + "tls: {mode: verify-full, ca_file: " + db.ca_file().string() + "}}");
      REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
    }
    SECTION("without TLS the server refuses the user") {
      auto r = f.run(as_tls_user + "tls: {mode: disable}}");
      REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
      CHECK_THAT(error_of(*r), Catch::Contains("Access denied"));
    }
    SECTION("another CA: refused") {
      TempDir other;
      TestCa stranger(other.path());
      auto r = f.run(as_tls_user + "tls: {mode: verify-full, ca_file: " + stranger.ca_cert().string() + "}}");
      REQUIRE(eventually([&] { return state_of(*r) == SourceState::Failed; }, 30s));
      CHECK_THAT(error_of(*r), Catch::Contains("error 2026"));
    }
  }

  SECTION("MariaDB restarted: the source reconnects, nothing lost or said twice") {
    auto alerts = alerts_on(db);
    dbtest::reconnects_after_restart(f, alerts, source(db, alerts.query(), ", start: beginning"), [&] { db.stop(); },
                                     [&] { db.start(); });
  }
}

TEST_CASE("MariaDB errors are classified", "[db][mariadb]") {
  for (unsigned code : {1045u, 1049u, 1146u, 1064u, 1054u, 1142u, 1792u, 2026u})
    CHECK(db::mariadb_configuration_error(code));
  for (unsigned code : {2002u, 2003u, 2006u, 2013u, 1205u, 1213u, 1969u}) CHECK_FALSE(db::mariadb_configuration_error(code));
}
