#include <catch2/catch.hpp>

#include <limits>

#include "ingestion/metric/humanise.hpp"

using chatops::ingestion::metric::humanise;
using chatops::ingestion::metric::Unit;

TEST_CASE("values read by unit: percentages, bytes, durations, rates", "[metric]") {
  CHECK(humanise(95.34, Unit::Percent) == "95.3%");
  CHECK(humanise(0.953, Unit::Ratio) == "95.3%");
  CHECK(humanise(0.0123, Unit::Ratio) == "1.23%");
  CHECK(humanise(100, Unit::Percent) == "100%");
  CHECK(humanise(512, Unit::Bytes) == "512 B");
  CHECK(humanise(1.2 * 1024 * 1024 * 1024, Unit::Bytes) == "1.2 GiB");
  CHECK(humanise(1536, Unit::Bytes) == "1.5 KiB");
  CHECK(humanise(0.35, Unit::Seconds) == "350 ms");
  CHECK(humanise(0.0000042, Unit::Seconds) == "4.2 µs");
  CHECK(humanise(2.5, Unit::Seconds) == "2.5 s");
  CHECK(humanise(900, Unit::Milliseconds) == "900 ms");
  CHECK(humanise(2500, Unit::Milliseconds) == "2.5 s");
  CHECK(humanise(250, Unit::Seconds) == "4m 10s");
  CHECK(humanise(3600 * 3 + 300, Unit::Seconds) == "3h 5m");
  CHECK(humanise(86400 * 2, Unit::Seconds) == "2d");
  CHECK(humanise(4100, Unit::PerSecond) == "4.1k/s");
  CHECK(humanise(0.25, Unit::PerSecond) == "0.25/s");
  CHECK(humanise(2'345'678, Unit::None) == "2.35M");
  CHECK(humanise(12, Unit::None) == "12");
  CHECK(humanise(-4100, Unit::None) == "-4.1k");
  CHECK(humanise(0, Unit::None) == "0");
}

TEST_CASE("no data and infinities are said as such", "[metric]") {
  CHECK(humanise(std::numeric_limits<double>::quiet_NaN(), Unit::Percent) == "no data");
  CHECK(humanise(std::numeric_limits<double>::infinity(), Unit::Bytes) == "+Inf");
  CHECK(humanise(-std::numeric_limits<double>::infinity(), Unit::None) == "-Inf");
}
