// The issue's claim: our checks fire and resolve when Prometheus's own alerting rules do. A real
// Prometheus evaluates rules with the same expressions, `for` and `keep_firing_for` as our checks,
// on the same data (an exporter the test drives through a scripted sequence of values), and the
// ALERTS series it records is compared with the transitions our source journaled: the same
// transitions, each within one evaluation interval of Prometheus's.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "tests/integration/ingestion/metric/metric_fixture.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

constexpr auto kInterval = 1s;  // Prometheus's scrape and evaluation interval, and our checks' poll interval

const std::string kRules = R"(groups:
  - name: agreement
    interval: 1s
    rules:
      - alert: held
        expr: test_level > 90
        for: 3s
      - alert: flappy
        expr: test_level > 90
        keep_firing_for: 3s
)";

const std::string kChecks =
    "{name: held, query: test_level, condition: {gt: 90}, for: 3s}, "
    "{name: flappy, query: test_level, condition: {gt: 90}, keep_firing_for: 3s}";

// A firing period, in ms since the epoch: from the first evaluation that fired to the first that
// no longer did.
struct Period {
  std::int64_t fired = 0, resolved = 0;
};

// Prometheus's firing periods of `alert`, from the raw samples of ALERTS{alertstate="firing"}: one
// per evaluation while firing, so a period ends one evaluation after its last sample.
std::vector<Period> prometheus_periods(Prometheus& prom, const std::string& alert) {
  const auto answer = nlohmann::json::parse(
      prom.query("ALERTS{alertname=\"" + alert + "\",alertstate=\"firing\"}[10m]").body, nullptr, false);
  REQUIRE(answer.is_object());
  std::vector<Period> periods;
  for (const auto& series : answer["data"]["result"]) {
    std::int64_t last = 0;
    for (const auto& sample : series["values"]) {
      const auto at = static_cast<std::int64_t>(std::llround(sample[0].get<double>() * 1000));
      const auto step = std::chrono::milliseconds(kInterval).count();
      if (periods.empty() || at - last > step + step / 2) periods.push_back({at, 0});
      last = at;
      periods.back().resolved = at + step;
    }
  }
  return periods;
}

std::vector<Period> our_periods(const std::vector<ingestion::IngestionEvent>& events, const std::string& check) {
  std::vector<Period> periods;
  for (const auto& e : events) {
    if (e.fields.value("check", "") != check) continue;
    const auto at = std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count();
    if (e.topic.ends_with("/firing")) periods.push_back({at, 0});
    else if (!periods.empty()) periods.back().resolved = at;
  }
  return periods;
}

}  // namespace

TEST_CASE("metric source (prometheus): fires and resolves at the evaluations Prometheus's own rules do",
          "[metric][prometheus][agreement]") {
  Exporter exporter;
  exporter.set("test_level", "50");
  Prometheus prom({.targets = {exporter.target()}, .rules_yaml = kRules});
  REQUIRE(compliance::eventually([&] { return prom.query("test_level").body.find("\"50\"") != std::string::npos; }, 20s));
  MetricPoller poller("provider: prometheus, url: \"" + prom.url() + "\", interval: 1s, jitter: 0, checks: [" +
                      kChecks + "]");

  // The script: held high long enough to fire both; a dip shorter than keep_firing_for (held
  // resolves, flappy stays); a blip shorter than for (held only pending, flappy still firing); then
  // low for good (flappy resolves after keep_firing_for).
  const std::vector<std::pair<std::string, std::chrono::milliseconds>> script{
      {"50", 3s}, {"95", 7s}, {"50", 1500ms}, {"95", 1500ms}, {"50", 8s}};
  for (const auto& [value, hold] : script) {
    exporter.set("test_level", value);
    std::this_thread::sleep_for(hold);  // the script's timeline itself: what is compared is recorded, not timed
  }
  REQUIRE(poller.wait_events(4));
  const auto events = poller.events();

  for (const std::string alert : {"held", "flappy"}) {
    const auto theirs = prometheus_periods(prom, alert);
    const auto ours = our_periods(events, alert);
    INFO("alert " << alert);
    REQUIRE(theirs.size() == 1);  // the script makes each fire exactly once
    REQUIRE(ours.size() == theirs.size());
    for (std::size_t i = 0; i < ours.size(); ++i) {
      const auto fired_gap = ours[i].fired - theirs[i].fired, resolved_gap = ours[i].resolved - theirs[i].resolved;
      std::fprintf(stderr, "agreement: %s fired %+lld ms, resolved %+lld ms from Prometheus's evaluations\n",
                   alert.c_str(), static_cast<long long>(fired_gap), static_cast<long long>(resolved_gap));
      CHECK(std::llabs(fired_gap) <= std::chrono::milliseconds(kInterval).count());
      CHECK(ours[i].resolved > 0);
      CHECK(std::llabs(resolved_gap) <= std::chrono::milliseconds(kInterval).count());
    }
  }
}
