#include <catch2/catch.hpp>

#include "core/config/node.hpp"

using namespace chatops::config;
using namespace std::chrono_literals;

TEST_CASE("durations take ms, s, m, h or d, a bare number other than 0 is refused", "[config]") {
  REQUIRE(parse_duration("250ms") == 250ms);
  REQUIRE(parse_duration("30s") == 30s);
  REQUIRE(parse_duration("5m") == 5min);
  REQUIRE(parse_duration("2h") == 2h);
  REQUIRE(parse_duration("1d") == 24h);
  REQUIRE(parse_duration("1.5s") == 1500ms);
  REQUIRE(parse_duration("0") == 0ms);
  // Two seconds or two milliseconds? It does not guess.
  REQUIRE(parse_duration("2").error().message == "a duration needs a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m, 2h, 1d)");
  for (const char* bad : {"", "s", "-1s", "5 m", "5min", "1w", "1e3s", "99999999999999d"}) {
    INFO(bad);
    REQUIRE_FALSE(parse_duration(bad));
  }
}

TEST_CASE("sizes take B, KB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB (powers of 1024)", "[config]") {
  REQUIRE(parse_size("512") == 512u);
  REQUIRE(parse_size("64KiB") == 64u * 1024);
  REQUIRE(parse_size("25MiB") == 25u * 1024 * 1024);
  REQUIRE(parse_size("1GiB") == 1024u * 1024 * 1024);
  REQUIRE(parse_size("10KB") == 10'000u);
  REQUIRE(parse_size("5MB") == 5'000'000u);
  REQUIRE(parse_size("5mb") == 5'000'000u);
  REQUIRE(parse_size("100B") == 100u);
  for (const char* bad : {"", "KiB", "-1", "1 KiB", "1XB", "9999999TiB"}) {
    INFO(bad);
    REQUIRE_FALSE(parse_size(bad));
  }
}

TEST_CASE("integers, numbers and booleans parse strictly", "[config]") {
  REQUIRE(parse_integer("-42") == -42);
  REQUIRE(parse_integer("+7") == 7);
  REQUIRE_FALSE(parse_integer("12abc"));
  REQUIRE_FALSE(parse_integer("1.5"));
  REQUIRE_FALSE(parse_integer(""));
  REQUIRE(parse_integer("99999999999999999999").error().message == "integer out of range");
  REQUIRE(parse_number("1.5") == 1.5);
  REQUIRE(parse_number("-2") == -2.0);
  REQUIRE_FALSE(parse_number("inf"));
  REQUIRE_FALSE(parse_number("1.5x"));
  for (const char* yes : {"true", "yes", "on", "True", "YES"}) REQUIRE(parse_boolean(yes) == true);
  for (const char* no : {"false", "no", "off", "Off"}) REQUIRE(parse_boolean(no) == false);
  REQUIRE_FALSE(parse_boolean("1"));
}
