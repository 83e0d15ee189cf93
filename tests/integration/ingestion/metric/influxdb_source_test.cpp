// `kind: metric, provider: influxdb` against a real InfluxDB 1.6 fed with line protocol through
// /write: the compliance harness, tags as labels, and a query InfluxDB refuses.
#include <catch2/catch.hpp>

#include "tests/integration/ingestion/metric/metric_fixture.hpp"
#include "tests/integration/support/influxdb.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

std::string influx_source(const InfluxDb& db, const std::string& checks) {
  return "provider: influxdb, url: \"" + db.url() + "\", database: " + db.database() +
         ", interval: 250ms, jitter: 0, checks: [" + checks + "]";
}

}  // namespace

TEST_CASE("metric source (influxdb): compliance", "[metric][influxdb]") {
  InfluxDb db;
  int made = 0;
  compliance::Subject subject{
      .kind = metric_kind(),
      .config_yaml = "{name: compliance, kind: metric, " +
                     influx_source(db, "{name: items, query: 'SELECT last(\"value\") FROM \"item\" WHERE time > now() "
                                       "- 1h GROUP BY \"n\"', condition: {gt: 0}}") +
                     "}",
      .services = {},
      .upstream = {.produce =
                       [&](int n) {
                         std::string lines;
                         for (int i = 0; i < n; ++i) lines += "item,n=" + std::to_string(++made) + " value=1\n";
                         REQUIRE(db.write(lines).status == 204);
                       }},
      .topic_prefix = "metric/compliance/firing",
      .resumes_after_restart = true,
      .deadline = 30s};
  compliance::run_compliance(subject);
}

TEST_CASE("metric source (influxdb): InfluxQL series fire with their tags as labels, and resolve",
          "[metric][influxdb]") {
  InfluxDb db;
  REQUIRE(db.write("disk,host=db1,path=/var used_percent=95.5\ndisk,host=db2,path=/var used_percent=40\n").status == 204);
  MetricPoller poller(influx_source(db, "{name: disk_full, query: 'SELECT last(\"used_percent\") FROM \"disk\" WHERE "
                                        "time > now() - 1h GROUP BY \"host\", \"path\"', condition: {gt: 90}, "
                                        "unit: percent}"),
                      "influx");
  REQUIRE(poller.wait_events(1));
  const auto fired = poller.events().at(0);
  CHECK(fired.topic == "metric/influx/firing");
  CHECK(fired.fields["labels"] == nlohmann::json{{"host", "db1"}, {"path", "/var"}});
  CHECK(fired.fields["value_text"] == "95.5%");
  REQUIRE(db.write("disk,host=db1,path=/var used_percent=60\n").status == 204);
  REQUIRE(poller.wait_events(2));
  CHECK(poller.events().at(1).topic == "metric/influx/resolved");
  CHECK(poller.events().at(1).fields["value_text"] == "60%");
}

TEST_CASE("metric source (influxdb): a query InfluxDB refuses stops the source with its message", "[metric][influxdb]") {
  InfluxDb db;
  MetricPoller missing("provider: influxdb, url: \"" + db.url() +
                           "\", database: nope, interval: 250ms, checks: [{name: x, query: 'SELECT last(v) FROM m', "
                           "condition: {gt: 0}}]",
                       "influx");
  REQUIRE(missing.wait_state(ingestion::SourceState::Failed));
  CHECK_THAT(missing.status().last_error, Catch::Contains("database not found: nope"));
  MetricPoller broken(influx_source(db, "{name: y, query: 'SELECT FROM', condition: {gt: 0}}"), "influx2");
  REQUIRE(broken.wait_state(ingestion::SourceState::Failed));
  CHECK_THAT(broken.status().last_error, Catch::Contains("check y: InfluxDB says: error parsing query"));
}
