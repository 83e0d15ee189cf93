// The keys of `kind: db`: validated with file:line:column, per engine, with the query checked
// for its placeholders before anything connects.
#include <catch2/catch.hpp>

#include "ingestion/db/db_source.hpp"

using namespace chatops;
using namespace chatops::ingestion;

namespace {

Result<ValidatedSource> validate(const std::string& entry) {
  auto raw = config::load_string("sources:\n  - " + entry + "\n", "config.yml");
  REQUIRE(raw);
  static const std::vector<SourceKind> kinds{db::db_source_kind()};
  return validate_source((*raw)["sources"].items().at(0), kinds);
}

std::string db_config_error(const std::string& entry) {
  auto v = validate(entry);
  REQUIRE_FALSE(v);
  return v.error().message;
}

const std::string kQuery = "query: \"SELECT id FROM t WHERE id > :last ORDER BY id LIMIT :limit\", tracking_column: id";

}  // namespace

TEST_CASE("a db source's defaults", "[db][config]") {
  auto v = validate("{name: orders, kind: db, engine: postgresql, database: shop, user: bot, " + kQuery + "}");
  INFO((v ? "" : v.error().message));
  REQUIRE(v);
  const auto& n = v->node;
  CHECK(n.str("host") == "localhost");
  CHECK(n.integer("port") == 5432);
  CHECK(n.str("start") == "now");
  CHECK(n.str("initial") == "0");
  CHECK(n.integer("max_rows") == 1000);
  CHECK(n.map("tls").str("mode") == "prefer");
  CHECK(n.duration("interval") == std::chrono::seconds(30));
  auto m = validate("{name: m, kind: db, engine: mariadb, database: shop, user: bot, " + kQuery + "}");
  REQUIRE(m);
  CHECK(m->node.integer("port") == 3306);
}

TEST_CASE("a query without its placeholders is refused at its line and column", "[db][config]") {
  const auto e = db_config_error("{name: s, kind: db, engine: sqlite, path: a.db, tracking_column: id, "
                          "query: \"SELECT id FROM t WHERE id > 5\"}");
  CHECK_THAT(e, Catch::StartsWith("config.yml:2:") && Catch::Contains("sources[0].query") && Catch::Contains(":last"));
}

TEST_CASE("each engine takes its own keys only", "[db][config]") {
  CHECK_THAT(db_config_error("{name: s, kind: db, engine: sqlite, path: a.db, host: db.example, " + kQuery + "}"),
             Catch::Contains("host"));
  CHECK_THAT(db_config_error("{name: s, kind: db, engine: postgresql, user: bot, " + kQuery + "}"),
             Catch::Contains("database"));
  CHECK_THAT(db_config_error("{name: s, kind: db, engine: sqlite, " + kQuery + "}"), Catch::Contains("path"));
}

TEST_CASE("an unknown engine, a missing one, a wrong TLS mode", "[db][config]") {
  CHECK_THAT(db_config_error("{name: s, kind: db, engine: oracle, " + kQuery + "}"),
             Catch::Contains("unknown engine \"oracle\"") && Catch::Contains("sqlite, postgresql, mariadb"));
  CHECK_THAT(db_config_error("{name: s, kind: db, " + kQuery + "}"), Catch::Contains("missing engine"));
  CHECK_THAT(db_config_error("{name: s, kind: db, engine: mariadb, database: d, user: u, tls: {mode: maybe}, " + kQuery + "}"),
             Catch::Contains("tls.mode"));
  CHECK_THAT(db_config_error("{name: s, kind: db, engine: sqlite, path: a.db, start: yesterday, " + kQuery + "}"),
             Catch::Contains("start"));
  CHECK_THAT(db_config_error("{name: s, kind: db, engine: sqlite, path: a.db, max_rows: 1, " + kQuery + "}"),
             Catch::Contains("max_rows"));
}

TEST_CASE("the password is a secret: never in a message", "[db][config]") {
  const auto e = db_config_error("{name: s, kind: db, engine: postgresql, database: d, user: u, password: hunter2, port: x, " +
                          kQuery + "}");
  CHECK_THAT(e, Catch::Contains("port"));
  CHECK_THAT(e, !Catch::Contains("hunter2"));
  bool secret = false;
  const auto schema = db::db_engine_schema("postgresql");
  for (const auto& f : schema.fields())
    if (f.name() == "password") secret = f.kind() == config::Kind::Secret;
  CHECK(secret);
}
