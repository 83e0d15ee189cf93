// `kind: metric` configuration: defaults, checks and their conditions, mistakes reported with
// their line.
#include <catch2/catch.hpp>

#include "ingestion/metric/metric_config.hpp"
#include "ingestion/metric/metric_source.hpp"
#include "ingestion/source_registry.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::metric;

namespace {

Result<config::Node> metric_validated(const std::string& entry) {
  auto raw = config::load_string("sources:\n  - " + entry + "\n", "metric.yml");
  REQUIRE(raw);
  auto v = validate_source((*raw)["sources"].items().at(0), {metric_source_kind()});
  if (!v) return std::unexpected(v.error());
  return v->node;
}

std::string metric_error(const std::string& entry) {
  auto v = metric_validated(entry);
  REQUIRE_FALSE(v);
  return v.error().message;
}

MetricConfig metric_config_of(const std::string& entry) {
  auto v = metric_validated(entry);
  INFO((v ? "" : v.error().message));
  REQUIRE(v);
  auto c = metric_config(*v);
  REQUIRE(c);
  return std::move(*c);
}

const std::string kProm = "{name: m, kind: metric, provider: prometheus, url: \"http://127.0.0.1:9090\", ";

}  // namespace

TEST_CASE("metric config: a check's defaults", "[metric][config]") {
  const auto c = metric_config_of(kProm + "checks: [{name: up, query: up, condition: {lt: 1}}]}");
  REQUIRE(c.checks.size() == 1);
  const auto& check = c.checks[0];
  CHECK(check.name == "up");
  CHECK(check.query == "up");
  CHECK(check.rule.condition.op == Comparison::Lt);
  CHECK(check.rule.condition.threshold == 1);
  CHECK(check.rule.hold.count() == 0);
  CHECK(check.rule.keep_firing_for.count() == 0);
  CHECK(check.rule.no_data == NoData::Resolve);
  CHECK(check.rule.repeat_every.count() == 0);
  CHECK(check.unit == Unit::None);
  CHECK(check.severity == Severity::Warning);
  CHECK(c.poll.interval == std::chrono::seconds(30));
}

TEST_CASE("metric config: every key of a check", "[metric][config]") {
  const auto c = metric_config_of(kProm +
                                  "checks: [{name: disk_full, query: 'disk_used_percent', condition: {outside: [5, 90]}, "
                                  "for: 5m, keep_firing_for: 2m, no_data: alert, repeat_every: 1h, unit: percent, "
                                  "severity: critical, summary: disk almost full}], interval: 15s}");
  const auto& check = c.checks.at(0);
  CHECK(check.rule.condition.op == Comparison::Outside);
  CHECK(check.rule.condition.threshold == 5);
  CHECK(check.rule.condition.high == 90);
  CHECK(check.rule.hold == std::chrono::minutes(5));
  CHECK(check.rule.keep_firing_for == std::chrono::minutes(2));
  CHECK(check.rule.no_data == NoData::Alert);
  CHECK(check.rule.repeat_every == std::chrono::hours(1));
  CHECK(check.unit == Unit::Percent);
  CHECK(check.severity == Severity::Critical);
  CHECK(check.summary == "disk almost full");
  CHECK(c.poll.interval == std::chrono::seconds(15));
}

TEST_CASE("metric config: mistakes stop start-up with their place", "[metric][config]") {
  CHECK_THAT(metric_error(kProm + "checks: [{name: a, query: up, condition: {}}]}"),
             Catch::Contains("metric.yml:2:") && Catch::Contains("exactly one comparison"));
  CHECK_THAT(metric_error(kProm + "checks: [{name: a, query: up, condition: {gt: 1, lt: 0}}]}"),
             Catch::Contains("exactly one comparison"));
  CHECK_THAT(metric_error(kProm + "checks: [{name: a, query: up, condition: {outside: [9, 1]}}]}"),
             Catch::Contains("low <= high"));
  CHECK_THAT(metric_error(kProm + "checks: [{name: a, query: up, condition: {outside: [1]}}]}"),
             Catch::Contains("[low, high]"));
  CHECK_THAT(metric_error(kProm + "checks: [{name: 'a b', query: up, condition: {gt: 1}}]}"),
             Catch::Contains("a check's name"));
  CHECK_THAT(metric_error(kProm + "checks: [{name: a, query: up, condition: {gt: 1}}, {name: a, query: up, "
                                  "condition: {gt: 2}}]}"),
             Catch::Contains("another check of this source has the name 'a'"));
  CHECK_THAT(metric_error(kProm + "checks: []}"), Catch::Contains("at least one check"));
  CHECK_THAT(metric_error("{name: m, kind: metric, provider: prometheus, checks: [{name: a, query: up, condition: "
                          "{gt: 1}}]}"),
             Catch::Contains("needs url"));
  CHECK_THAT(metric_error(kProm + "checks: [{name: a, query: up, condition: {gt: 1}, no_data: maybe}]}"),
             Catch::Contains("no_data"));
  CHECK_THAT(metric_error("{name: m, kind: metric, provider: graphite, url: \"http://x\", checks: []}"),
             Catch::Contains("provider"));
  CHECK_THAT(metric_error("{name: m, kind: metric, provider: prometheus, url: \"ftp://x\", checks: [{name: a, "
                          "query: up, condition: {gt: 1}}]}"),
             Catch::Contains("url"));
}

TEST_CASE("metric config: provider statsd", "[metric][config]") {
  const auto c = metric_config_of("{name: s, kind: metric, provider: statsd, listen: \"127.0.0.1:9125\", tcp: true, "
                                  "interval: 10s, checks: [{name: slow, query: \"api.latency:p99\", condition: {gt: "
                                  "500}}]}");
  CHECK(c.checks.at(0).query == "api.latency:p99");
  CHECK(c.poll.interval == std::chrono::seconds(10));
  CHECK_THAT(metric_error("{name: s, kind: metric, provider: statsd, checks: [{name: a, query: \"x:avg\", "
                          "condition: {gt: 1}}]}"),
             Catch::Contains("<metric>:<statistic>"));
  CHECK_THAT(metric_error("{name: s, kind: metric, provider: statsd, listen: \"8125\", checks: [{name: a, query: x, "
                          "condition: {gt: 1}}]}"),
             Catch::Contains("host:port"));
  // The listener binds an address: a name is refused when the config is read, with its place.
  CHECK_THAT(metric_error("{name: s, kind: metric, provider: statsd, listen: \"localhost:8125\", checks: [{name: a, "
                          "query: \"x:mean\", condition: {gt: 1}}]}"),
             Catch::Contains("metric.yml:2:") && Catch::Contains("expected an IP address before the port") &&
                 Catch::Contains("got \"localhost\""));
  // [v6]:port is accepted (metric_config_of requires success).
  CHECK(metric_config_of("{name: s, kind: metric, provider: statsd, listen: \"[::1]:9125\", checks: [{name: a, "
                         "query: \"x:mean\", condition: {gt: 1}}]}")
            .provider);
  CHECK_THAT(metric_error("{name: s, kind: metric, provider: statsd, url: \"http://x\", checks: [{name: a, query: x, "
                          "condition: {gt: 1}}]}"),
             Catch::Contains("no url"));
}
