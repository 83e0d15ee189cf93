// :last and :limit become the engine's parameters; nothing else in the query changes.
#include <catch2/catch.hpp>

#include "ingestion/db/placeholders.hpp"

using namespace chatops::ingestion::db;

namespace {
RewrittenQuery rewrite(std::string_view q, Dialect d) {
  auto r = rewrite_placeholders(q, d);
  INFO((r ? "" : r.error().message));
  REQUIRE(r);
  return *r;
}
}  // namespace

TEST_CASE("PostgreSQL gets $1 for :last and $2 for :limit, however often they appear", "[db][placeholders]") {
  const auto r = rewrite("SELECT * FROM t WHERE id > :last OR (:last IS NULL) ORDER BY id LIMIT :limit", Dialect::PostgreSQL);
  CHECK(r.text == "SELECT * FROM t WHERE id > $1 OR ($1 IS NULL) ORDER BY id LIMIT $2");
  CHECK(r.parameters == std::vector{Parameter::Last, Parameter::Limit});
}

TEST_CASE("SQLite and MariaDB get one ? per placeholder, in order", "[db][placeholders]") {
  for (auto d : {Dialect::SQLite, Dialect::MariaDB}) {
    const auto r = rewrite("SELECT * FROM t WHERE id > :last OR :last IS NULL LIMIT :limit", d);
    CHECK(r.text == "SELECT * FROM t WHERE id > ? OR ? IS NULL LIMIT ?");
    CHECK(r.parameters == std::vector{Parameter::Last, Parameter::Last, Parameter::Limit});
  }
}

TEST_CASE("placeholders in strings, quoted names and comments are left alone", "[db][placeholders]") {
  CHECK(rewrite("SELECT ':last', \":last\" FROM t -- :last\nWHERE id > :last /* :limit */ LIMIT :limit",
                Dialect::PostgreSQL)
            .text == "SELECT ':last', \":last\" FROM t -- :last\nWHERE id > $1 /* :limit */ LIMIT $2");
  CHECK(rewrite("SELECT 'it''s :last', `:last`, [:last] FROM t WHERE id > :last LIMIT :limit", Dialect::SQLite).text ==
        "SELECT 'it''s :last', `:last`, [:last] FROM t WHERE id > ? LIMIT ?");
  // MariaDB: backslash escapes in strings, # comments.
  CHECK(rewrite("SELECT 'a\\' :last' FROM t # :last\nWHERE id > :last LIMIT :limit", Dialect::MariaDB).text ==
        "SELECT 'a\\' :last' FROM t # :last\nWHERE id > ? LIMIT ?");
}

TEST_CASE("PostgreSQL casts, dollar quotes and escape strings are not placeholders", "[db][placeholders]") {
  const auto r = rewrite("SELECT id::text, $$ :last $$, $tag$ :limit $tag$, E'\\' :last' FROM t "
                         "WHERE id > :last::bigint LIMIT :limit",
                         Dialect::PostgreSQL);
  CHECK(r.text ==
        "SELECT id::text, $$ :last $$, $tag$ :limit $tag$, E'\\' :last' FROM t WHERE id > $1::bigint LIMIT $2");
}

TEST_CASE("a longer name is not a placeholder", "[db][placeholders]") {
  const auto r = rewrite("SELECT :lastname, :limits FROM t WHERE id > :last LIMIT :limit", Dialect::SQLite);
  CHECK(r.text == "SELECT :lastname, :limits FROM t WHERE id > ? LIMIT ?");
  CHECK(r.parameters.size() == 2);
}

TEST_CASE("a query without :last or :limit is refused with an example", "[db][placeholders]") {
  auto no_last = rewrite_placeholders("SELECT * FROM t LIMIT :limit", Dialect::PostgreSQL);
  REQUIRE_FALSE(no_last);
  CHECK_THAT(no_last.error().message, Catch::Contains(":last") && Catch::Contains("WHERE id > :last"));
  auto no_limit = rewrite_placeholders("SELECT * FROM t WHERE id > :last", Dialect::MariaDB);
  REQUIRE_FALSE(no_limit);
  CHECK_THAT(no_limit.error().message, Catch::Contains("LIMIT :limit"));
  // Only inside a string does not count.
  CHECK_FALSE(rewrite_placeholders("SELECT ':last' FROM t LIMIT :limit", Dialect::SQLite));
}

TEST_CASE("unterminated quotes and comments copy through without reading past the end", "[db][placeholders]") {
  for (std::string_view q : {"SELECT 'x", "SELECT \"x", "SELECT /* x", "SELECT $a$ x", "SELECT `x", "SELECT [x", "x:",
                             "'", "$", ":"})
    for (auto d : {Dialect::PostgreSQL, Dialect::SQLite, Dialect::MariaDB}) CHECK_FALSE(rewrite_placeholders(q, d));
}

TEST_CASE("an empty comment ends where it ends", "[db][placeholders]") {
  CHECK(rewrite("SELECT /**/ id FROM t WHERE id > :last LIMIT :limit", Dialect::PostgreSQL).text ==
        "SELECT /**/ id FROM t WHERE id > $1 LIMIT $2");
}
