// `kind: metric, provider: prometheus` against a real Prometheus 2.42 scraping an exporter the test
// controls: the compliance harness, restarts while pending and while firing, a bad expression.
#include <catch2/catch.hpp>

#include "tests/integration/ingestion/metric/metric_fixture.hpp"
#include "tests/integration/support/test_ca.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

std::string prometheus_source(const Prometheus& prom, const std::string& checks) {
  return "provider: prometheus, url: \"" + prom.url() + "\", interval: 250ms, jitter: 0, checks: [" + checks + "]";
}

// Waits until Prometheus has scraped what the exporter serves now (its series count).
bool scraped(Prometheus& prom, const std::string& metric, std::size_t series) {
  return compliance::eventually(
      [&] {
        const auto answer = nlohmann::json::parse(prom.query(metric).body, nullptr, false);
        return answer.is_object() && answer["data"]["result"].size() == series;
      },
      20s);
}

}  // namespace

TEST_CASE("metric source (prometheus): compliance", "[metric][prometheus]") {
  Exporter exporter;
  exporter.set("compliance_ready", "1");
  Prometheus prom({.targets = {exporter.target()}});
  REQUIRE(scraped(prom, "compliance_ready", 1));
  // Each item upstream is a new series whose condition holds: it fires once.
  int made = 0;
  compliance::Subject subject{
      .kind = metric_kind(),
      .config_yaml = "{name: compliance, kind: metric, " +
                     prometheus_source(prom, "{name: items, query: compliance_item, condition: {gt: 0}}") + "}",
      .services = {},
      .upstream = {.produce =
                       [&](int n) {
                         for (int i = 0; i < n; ++i)
                           exporter.set("compliance_item{item=\"" + std::to_string(++made) + "\"}", "1");
                       }},
      .topic_prefix = "metric/compliance/firing",
      .resumes_after_restart = true,
      .deadline = 20s};
  compliance::run_compliance(subject);
}

TEST_CASE("metric source (prometheus): a vector's series fire and resolve with their values, labels and link",
          "[metric][prometheus]") {
  Exporter exporter;
  exporter.set("disk_used_percent{mount=\"/\"}", "40");
  exporter.set("disk_used_percent{mount=\"/var\"}", "95.34");
  Prometheus prom({.targets = {exporter.target()}});
  REQUIRE(scraped(prom, "disk_used_percent", 2));
  MetricPoller poller(prometheus_source(prom, "{name: disk_full, query: disk_used_percent, condition: {gt: 90}, "
                                              "unit: percent, severity: critical}"));
  REQUIRE(poller.wait_events(1));
  auto fired = poller.events().at(0);
  CHECK(fired.topic == "metric/prom/firing");
  CHECK(fired.family == "metric");
  CHECK(fired.severity == ingestion::Severity::Critical);
  CHECK(fired.fields["labels"]["mount"] == "/var");
  CHECK(fired.fields["value"] == 95.34);
  CHECK(fired.fields["value_text"] == "95.3%");
  CHECK(fired.fields["link"] == prom.url() + "/graph?g0.expr=disk_used_percent&g0.tab=0");
  exporter.set("disk_used_percent{mount=\"/var\"}", "70");
  REQUIRE(poller.wait_events(2));
  const auto resolved = poller.events().at(1);
  CHECK(resolved.topic == "metric/prom/resolved");
  CHECK(resolved.fields["value_text"] == "70%");
  std::this_thread::sleep_for(1s);  // absence: nothing more comes
  CHECK(poller.events().size() == 2);
  CHECK(poller.state().empty());  // nothing active is remembered
}

TEST_CASE("metric source (prometheus): a scalar result is one series", "[metric][prometheus]") {
  Exporter exporter;
  exporter.set("queue_depth", "1200");
  Prometheus prom({.targets = {exporter.target()}});
  REQUIRE(scraped(prom, "queue_depth", 1));
  MetricPoller poller(prometheus_source(prom, "{name: queue, query: 'scalar(queue_depth)', condition: {gte: 1000}}"));
  REQUIRE(poller.wait_events(1));
  CHECK(poller.events().at(0).fields["value_text"] == "1.2k");
  CHECK(poller.events().at(0).fields["series"] == "{}");
}

TEST_CASE("metric source (prometheus): a restart neither resets a pending timer nor says a firing series again",
          "[metric][prometheus]") {
  Exporter exporter;
  exporter.set("test_level", "95");
  // Scraped every 3 s with as long a timeout: a scrape that timed out (1 s did on a loaded
  // machine) marks the series stale, the query finds nothing for a moment, and the pending
  // timer rightly starts again, which this test would take for the restart's doing.
  Prometheus prom({.targets = {exporter.target()}, .interval = "3s"});
  REQUIRE(scraped(prom, "test_level", 1));
  MetricPoller poller(prometheus_source(prom, "{name: high, query: test_level, condition: {gt: 90}, for: 4s}"));
  // Pending: its start is in the journal.
  REQUIRE(compliance::eventually([&] { return poller.state().size() == 1; }, 20s));
  const auto pending = ingestion::metric::series_state_from_text(poller.state().at(0).second);
  REQUIRE(pending);
  CHECK(pending->state == ingestion::metric::AlertState::Pending);
  std::this_thread::sleep_for(1s);  // a restart a second into the pending time
  poller.restart();
  REQUIRE(poller.wait_events(1));
  const auto fired = poller.events().at(0);
  CHECK(fired.topic == "metric/prom/firing");
  // It fired `for` after it became pending before the restart, not after the restart.
  CHECK(fired.fields["active_at"] == pending->active_at.time_since_epoch().count());
  const auto held = fired.fields["fired_at"].get<std::int64_t>() - fired.fields["active_at"].get<std::int64_t>();
  CHECK(held >= 4000);
  // Soon after `for`: the active_at check above is what shows the restart kept the timer; the
  // bound only catches a firing far too late (a loaded machine's polls come late at times).
  CHECK(held < 15000);
  // Firing: a restart says nothing again.
  poller.restart();
  std::this_thread::sleep_for(2s);  // absence: polls in that time say nothing
  CHECK(poller.events().size() == 1);
  exporter.set("test_level", "10");
  REQUIRE(poller.wait_events(2));
  CHECK(poller.events().at(1).topic == "metric/prom/resolved");
}

TEST_CASE("metric source (prometheus): an expression Prometheus refuses stops the source with its message",
          "[metric][prometheus]") {
  Exporter exporter;
  Prometheus prom({.targets = {exporter.target()}});
  MetricPoller poller(prometheus_source(prom, "{name: broken, query: 'sum(up', condition: {gt: 0}}"));
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
  CHECK_THAT(poller.status().last_error, Catch::Contains("check broken: Prometheus says bad_data"));
}

TEST_CASE("metric source (prometheus): a server that is down is retried, not fatal", "[metric][prometheus]") {
  const int port = free_port();
  MetricPoller poller("provider: prometheus, url: \"http://127.0.0.1:" + std::to_string(port) +
                      "\", interval: 250ms, checks: [{name: up, query: up, condition: {lt: 1}}]");
  REQUIRE(poller.wait_state(ingestion::SourceState::Retrying));
  CHECK(poller.stop() < compliance::kStopBound);
}

TEST_CASE("metric source (prometheus): TLS verified against a CA file, HTTP Basic credentials", "[metric][prometheus]") {
  TempDir certs("chatops-prometheus-tls");
  TestCa ca(certs.path());
  const auto server = ca.issue_server("prometheus");
  Exporter exporter;
  exporter.set("test_level", "95");
  // The bcrypt hash of "s3cret" (Prometheus's web configuration takes hashes only).
  Prometheus prom({.targets = {exporter.target()},
                   .web_config_yaml = "tls_server_config:\n  cert_file: " + server.cert.string() + "\n  key_file: " +
                                      server.key.string() + "\nbasic_auth_users:\n  chatops: "
                                      "$2b$12$beefZPc5hE1f7lCpuwe/EuzDFbqO2njxKlOEGUxKiSD.LmDJYd5lq\n"});
  const auto https = "https://127.0.0.1:" + std::to_string(prom.port());
  const auto check = ", interval: 250ms, checks: [{name: high, query: test_level, condition: {gt: 90}}]";

  SECTION("the right credentials and the CA: it fires") {
    MetricPoller poller("provider: prometheus, url: \"" + https + "\", ca_file: \"" + ca.ca_cert().string() +
                        "\", auth: {type: basic, username: chatops, password: s3cret}" + check);
    REQUIRE(poller.wait_events(1));
    CHECK(poller.events().at(0).fields["link"].get<std::string>().starts_with(https + "/graph?"));
  }
  SECTION("a wrong password stops the source") {
    MetricPoller poller("provider: prometheus, url: \"" + https + "\", ca_file: \"" + ca.ca_cert().string() +
                        "\", auth: {type: basic, username: chatops, password: wrong}" + check);
    REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
    CHECK_THAT(poller.status().last_error, Catch::Contains("401"));
  }
  SECTION("a certificate the system's CAs do not trust stops the source") {
    MetricPoller poller("provider: prometheus, url: \"" + https + "\", auth: {type: basic, username: chatops, "
                        "password: s3cret}" + check);
    REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
    CHECK(poller.events().empty());
  }
}
