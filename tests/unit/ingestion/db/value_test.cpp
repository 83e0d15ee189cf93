// Typed fields from the engines' text, ISO 8601 timestamps, and the high-water mark's encoding.
#include <catch2/catch.hpp>

#include "ingestion/db/value.hpp"

using namespace chatops::ingestion::db;
using nlohmann::json;

TEST_CASE("cells become typed JSON", "[db][value]") {
  CHECK(to_json({Type::Null, ""}) == json(nullptr));
  CHECK(to_json({Type::Integer, "-42"}) == json(-42));
  CHECK(to_json({Type::Integer, "9223372036854775807"}) == json(9223372036854775807LL));
  CHECK(to_json({Type::Integer, "18446744073709551615"}).is_number_float());  // beyond int64: still a number
  CHECK(to_json({Type::Float, "1.5"}) == json(1.5));
  CHECK(to_json({Type::Float, "123.4500"}) == json(123.45));
  CHECK(to_json({Type::Float, "NaN"}) == json("NaN"));  // JSON has no NaN
  CHECK(to_json({Type::Boolean, "t"}) == json(true));
  CHECK(to_json({Type::Boolean, "0"}) == json(false));
  CHECK(to_json({Type::Text, "héllo"}) == json("héllo"));
  CHECK(to_json({Type::Time, "2024-05-01 12:00:00.25+00"}) == json("2024-05-01T12:00:00.25Z"));
  CHECK(to_json({Type::TimeUtc, "2024-05-01 12:00:00"}) == json("2024-05-01T12:00:00Z"));
  CHECK(to_json({Type::Json, R"({"a": [1, 2]})"}) == json({{"a", {1, 2}}}));
  CHECK(to_json({Type::Json, "{not json"}) == json("{not json"));
}

TEST_CASE("long text is cut on a UTF-8 boundary", "[db][value]") {
  CHECK(to_json({Type::Text, "abcdef"}, 4) == json("abcd…"));
  CHECK(to_json({Type::Text, "abcé"}, 4) == json("abc…"));  // é is two bytes: not split
  CHECK(to_json({Type::Json, R"({"a": "long"})"}, 4) == json("{\"a\"…"));
  CHECK(to_json({Type::Text, "abcd"}, 4) == json("abcd"));
}

TEST_CASE("timestamps in ISO 8601", "[db][value]") {
  CHECK(iso8601("2024-05-01 12:00:00") == "2024-05-01T12:00:00");
  CHECK(iso8601("2024-05-01 12:00:00", true) == "2024-05-01T12:00:00Z");
  CHECK(iso8601("2024-05-01 12:00:00.123456+00") == "2024-05-01T12:00:00.123456Z");
  CHECK(iso8601("2024-05-01 12:00:00+05:30") == "2024-05-01T12:00:00+05:30");
  CHECK(iso8601("2024-05-01 12:00:00-08") == "2024-05-01T12:00:00-08:00");
  CHECK(iso8601("2024-05-01T12:00:00Z") == "2024-05-01T12:00:00Z");
  CHECK(iso8601("2024-05-01 12:00") == "2024-05-01T12:00");
  // Not a timestamp: unchanged.
  for (std::string_view s : {"2024-05-01", "infinity", "2024-05-01 12:00:00 BC", "12:00:00", "", "2024-05-01 1"})
    CHECK(iso8601(s) == s);
}

TEST_CASE("the high-water mark round-trips through the cursor with its type", "[db][value]") {
  for (const Cell& c : {Cell{Type::Integer, "42"}, Cell{Type::Float, "1.5"}, Cell{Type::Text, "a:b"},
                        Cell{Type::Time, "2024-05-01 12:00:00+00"}, Cell{Type::TimeUtc, "2024-05-01 12:00:00"}}) {
    const auto encoded = encode_cursor(c);
    auto decoded = decode_cursor(encoded);
    REQUIRE(decoded);
    CHECK(*decoded == c);
  }
  CHECK(encode_cursor({Type::Integer, "42"}) == "integer:42");
  for (std::string_view bad : {"42", "null:", "weird:1", ""}) {
    auto decoded = decode_cursor(bad);
    REQUIRE_FALSE(decoded);
    CHECK_THAT(decoded.error().message, Catch::Contains("not one a db source writes"));
  }
}

TEST_CASE("the initial mark takes the type its text reads as", "[db][value]") {
  CHECK(initial_mark("0") == Cell{Type::Integer, "0"});
  CHECK(initial_mark("-1.5") == Cell{Type::Float, "-1.5"});
  CHECK(initial_mark("1970-01-01") == Cell{Type::Text, "1970-01-01"});
}

TEST_CASE("numbers compare as numbers, text and times are left to the database", "[db][value]") {
  CHECK(numeric_less({Type::Integer, "9"}, {Type::Integer, "10"}) == true);
  CHECK(numeric_less({Type::Integer, "10"}, {Type::Float, "9.5"}) == false);
  CHECK_FALSE(numeric_less({Type::Text, "a"}, {Type::Text, "b"}).has_value());
  CHECK_FALSE(numeric_less({Type::Integer, "1"}, {Type::Time, "2024-01-01"}).has_value());
}
