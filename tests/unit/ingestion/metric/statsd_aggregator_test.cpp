#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>

#include "ingestion/metric/statsd_aggregator.hpp"

using namespace chatops::ingestion::metric;
using namespace chatops::ingestion::metric::statsd;
using namespace std::chrono_literals;

namespace {

void feed(Aggregator& a, std::string_view line) {
  auto parsed = parse_line(line);
  REQUIRE(parsed);
  a.add(*parsed);
}

double only(const Window& w, std::string_view name, std::string_view stat) {
  auto samples = w.samples(name, stat);
  REQUIRE(samples);
  REQUIRE(samples->size() == 1);
  return samples->front().value;
}

}  // namespace

TEST_CASE("statsd aggregation: counters sum per interval, scaled by their sample rate", "[metric]") {
  Aggregator a({});
  const auto begun = std::chrono::steady_clock::now();
  a.flush(begun);
  feed(a, "hits:1|c");
  feed(a, "hits:2|c|@0.5");
  const auto w = a.flush(begun + 2s);
  CHECK(only(w, "hits", "") == 5);
  CHECK(only(w, "hits", "count") == 5);
  CHECK(only(w, "hits", "rate") == 2.5);
  CHECK(a.flush().samples("hits", "")->empty());  // the next interval starts over
}

TEST_CASE("statsd aggregation: gauges keep their value across intervals, +/- change it", "[metric]") {
  Aggregator a({});
  feed(a, "depth:10|g");
  feed(a, "depth:+5|g");
  feed(a, "depth:-3|g");
  CHECK(only(a.flush(), "depth", "") == 12);
  CHECK(only(a.flush(), "depth", "value") == 12);
  feed(a, "depth:1|g");
  CHECK(only(a.flush(), "depth", "") == 1);
}

TEST_CASE("statsd aggregation: timers give count, mean, percentiles and max", "[metric]") {
  Aggregator a({});
  for (int i = 1; i <= 100; ++i) feed(a, "latency:" + std::to_string(i) + "|ms");
  feed(a, "latency:1000|ms|@0.1");
  const auto w = a.flush();
  CHECK(only(w, "latency", "count") == Approx(110));
  CHECK(only(w, "latency", "mean") == Approx((5050.0 + 1000) / 101));
  CHECK(only(w, "latency", "p50") == 51);
  CHECK(only(w, "latency", "median") == 51);
  CHECK(only(w, "latency", "p90") == 91);
  CHECK(only(w, "latency", "p99") == 100);
  CHECK(only(w, "latency", "max") == 1000);
  CHECK(only(w, "latency", "min") == 1);
  CHECK(only(w, "latency", "sum") == 6050);
  CHECK_FALSE(w.samples("latency", "unique"));
}

TEST_CASE("statsd aggregation: sets count unique members, tags make series", "[metric]") {
  Aggregator a({});
  for (const auto* line : {"users:alice|s|#site:a", "users:bob|s|#site:a", "users:alice|s|#site:a", "users:carol|s|#site:b"})
    feed(a, line);
  const auto w = a.flush();
  auto samples = w.samples("users", "");
  REQUIRE(samples);
  REQUIRE(samples->size() == 2);
  for (const auto& s : *samples) CHECK(s.value == (s.labels.at("site") == "a" ? 2 : 1));
  CHECK_FALSE(w.samples("users", "p99"));
}

TEST_CASE("statsd aggregation: series, timer values and set members are bounded", "[metric]") {
  Aggregator a({.max_series = 3, .max_samples = 50, .max_members = 10});
  for (int i = 0; i < 5; ++i) {
    const auto text = fmt::format("s{}:1|c", i);  // the line's views point into it
    auto line = parse_line(text);
    REQUIRE(line);
    CHECK(a.add(*line) == (i < 3));
  }
  a.flush();
  for (int i = 0; i < 10000; ++i) feed(a, "t:" + std::to_string(i % 100) + "|ms");
  for (int i = 0; i < 100; ++i) feed(a, "u:m" + std::to_string(i) + "|s");
  const auto w = a.flush();
  CHECK(only(w, "t", "count") == 10000);                  // exact
  CHECK(only(w, "t", "max") == 99);                       // exact
  CHECK(w.by_name.at("t").front().samples.size() == 50);  // the reservoir
  CHECK(only(w, "u", "unique") == 10);
}

TEST_CASE("statsd queries: a name and an optional statistic", "[metric]") {
  CHECK(split_query("api.latency:p99") == std::pair<std::string_view, std::string_view>{"api.latency", "p99"});
  CHECK(split_query("depth") == std::pair<std::string_view, std::string_view>{"depth", ""});
  CHECK(known_stat("p99"));
  CHECK(known_stat("p100"));
  CHECK(known_stat(""));
  CHECK_FALSE(known_stat("p0"));
  CHECK_FALSE(known_stat("p101"));
  CHECK_FALSE(known_stat("avg"));
}
