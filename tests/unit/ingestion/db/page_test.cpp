// Which rows of a page are new, where the mark goes, and what a badly written query looks like.
#include <catch2/catch.hpp>

#include "ingestion/db/page.hpp"

using namespace chatops::ingestion::db;

namespace {
std::vector<Row> ids(std::vector<std::string> values, Type type = Type::Integer) {
  std::vector<Row> rows;
  for (auto& v : values) rows.push_back({Cell{type, v}, Cell{Type::Text, "x"}});
  return rows;
}
const Cell zero{Type::Integer, "0"};
}  // namespace

TEST_CASE("a short page: every row is new, the mark is the last one, nothing more waits", "[db][page]") {
  auto plan = plan_page(ids({"1", "2", "5"}), 0, 10, zero, "id");
  REQUIRE(plan);
  CHECK(plan->take == 3);
  CHECK(plan->mark == Cell{Type::Integer, "5"});
  CHECK_FALSE(plan->more);
}

TEST_CASE("an empty page leaves the mark alone", "[db][page]") {
  auto plan = plan_page({}, 0, 10, zero, "id");
  REQUIRE(plan);
  CHECK(plan->take == 0);
  CHECK_FALSE(plan->mark);
  CHECK_FALSE(plan->more);
}

TEST_CASE("a full page asks for more, and leaves rows tied with the last for the next page", "[db][page]") {
  auto unique = plan_page(ids({"1", "2", "3"}), 0, 3, zero, "id");
  REQUIRE(unique);
  CHECK(unique->more);
  CHECK(unique->take == 2);  // 3 may have a twin beyond the page
  CHECK(unique->mark == Cell{Type::Integer, "2"});

  auto ties = plan_page(ids({"2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 10:05"}, Type::Time), 0, 3,
                        {Type::Text, "1970-01-01"}, "at");
  REQUIRE(ties);
  CHECK(ties->take == 1);
  CHECK(ties->mark == Cell{Type::Time, "2024-01-01 10:00"});
}

TEST_CASE("a full page of one value cannot move: a configuration error says what to change", "[db][page]") {
  auto plan = plan_page(ids({"7", "7", "7"}), 0, 3, zero, "id");
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message, Catch::Contains("raise max_rows") && Catch::Contains("id = 7"));
}

TEST_CASE("queries that break the contract are refused with what to write", "[db][page]") {
  auto nulls = plan_page({{Cell{}, Cell{Type::Text, "x"}}}, 0, 10, zero, "id");
  REQUIRE_FALSE(nulls);
  CHECK_THAT(nulls.error().message, Catch::Contains("NULL"));

  auto descending = plan_page(ids({"5", "3"}), 0, 10, zero, "id");
  REQUIRE_FALSE(descending);
  CHECK_THAT(descending.error().message, Catch::Contains("ORDER BY id"));

  auto not_after = plan_page(ids({"3", "4"}), 0, 10, Cell{Type::Integer, "3"}, "id");
  REQUIRE_FALSE(not_after);
  CHECK_THAT(not_after.error().message, Catch::Contains("id > :last"));

  auto too_many = plan_page(ids({"1", "2", "3"}), 0, 2, zero, "id");
  REQUIRE_FALSE(too_many);
  CHECK_THAT(too_many.error().message, Catch::Contains("LIMIT :limit"));
}
