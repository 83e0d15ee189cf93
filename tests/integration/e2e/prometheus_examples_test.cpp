// docs/examples.md, "Metrics": the two Prometheus examples, configuration and binds word for word
// (only the server's URL changed), against a real Prometheus 2.42 whose storage holds a history
// the test wrote with promtool (scrapes every 15 s over an hour or more). Their `for`,
// `keep_firing_for`, `repeat_every` and `[5m]` windows are minutes and hours long, so the
// source's evaluation clock is driven by the test: each run is one `interval` (30 s) later in
// that history, and Prometheus answers each query at that time (`time=`), as it would have then.
// The runs themselves follow each other at once. The channel's lines are what the example's bind
// says for the journaled events, compared with the page's ```text block.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "bindings/config_binds.hpp"
#include "ingestion/metric/metric_config.hpp"
#include "ingestion/metric/metric_source.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/prometheus.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;
using ingestion::metric::TimePoint;

namespace {

// A series of the history: its name and labels as exposed, and its value `s` seconds after the
// history's start.
struct HistorySeries {
  std::string family;  // for the # TYPE line
  std::string type;    // gauge or counter
  std::string series;  // name{labels}
  std::function<double(int s)> value;
};

// OpenMetrics text: every series sampled every 15 s over [start, start + length].
std::string history_text(const std::vector<HistorySeries>& all, TimePoint start, std::chrono::seconds length) {
  std::string out;
  std::string family;
  const auto t0 = std::chrono::duration_cast<std::chrono::seconds>(start.time_since_epoch()).count();
  for (const auto& h : all) {
    if (h.family != family) out += "# TYPE " + h.family + " " + h.type + "\n";
    family = h.family;
    for (int s = 0; s <= length.count(); s += 15) out += fmt::format("{} {} {}\n", h.series, h.value(s), t0 + s);
  }
  return out + "# EOF\n";
}

// The source's clock: each run is one interval after the previous, from `start` to `end`.
struct Replay {
  TimePoint start, end;
  std::chrono::milliseconds step{0};  // the example's interval, set when the source is made
  std::atomic<long> runs{0};
  TimePoint now() { return std::min(end, start + step * (runs.fetch_add(1) + 1)); }
  bool done() const { return step.count() > 0 && start + step * runs.load() > end; }
};

// A start on the minute, hours before now: the history is past when Prometheus starts.
TimePoint history_start(std::chrono::hours back) {
  const auto now = std::chrono::time_point_cast<std::chrono::minutes>(std::chrono::system_clock::now());
  return std::chrono::time_point_cast<std::chrono::milliseconds>(now - back);
}

class SilentSpeaker : public bindings::Speaker {
 public:
  void say(const bindings::Utterance& u) override { said.push_back(examples::plain(u.text)); }
  void cannot_say(const std::vector<std::string>&, const std::string& reason, const bindings::Delivery&) override {
    FAIL("cannot say: " << reason);
  }
  std::vector<std::string> said;
};

struct ExampleRun {
  std::vector<ingestion::IngestionEvent> events;
  std::vector<std::string> said;
};

// Runs the example under `heading` against `prometheus` from `replay.start` to `replay.end`.
ExampleRun run_example(const std::string& heading, Prometheus& prometheus, Replay& replay) {
  const auto example = examples::replaced(examples::blocks(heading, "yaml").at(0), "url: http://127.0.0.1:9090",
                                          "url: " + prometheus.url());
  const auto binds_at = example.find("binds:\n");
  REQUIRE(example.starts_with("sources:\n  - "));
  REQUIRE(binds_at != std::string::npos);

  // The source as the bot makes it, but for its clock and the real wait between runs.
  ingestion::SourceKind kind = ingestion::metric::metric_source_kind();
  kind.make = [&replay](const config::Node& validated,
                        ingestion::SourceServices&) -> Result<std::unique_ptr<ingestion::IngestionSource>> {
    auto c = ingestion::metric::metric_config(validated);
    if (!c) return std::unexpected(c.error());
    replay.step = c->poll.interval;
    auto poll = c->poll;
    poll.interval = 1ms;
    poll.jitter = 0;
    return std::make_unique<ingestion::metric::MetricSource>(poll, std::move(c->checks), c->provider,
                                                            [&replay] { return replay.now(); });
  };
  compliance::Subject subject{.kind = kind, .config_yaml = example.substr(13, binds_at - 13)};
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  ExampleRun run;
  {
    compliance::Running source(subject, *journal, "prom");
    source.start();
    REQUIRE(compliance::eventually([&] { return replay.done(); }, 120s));
    INFO(source.runtime.status().snapshot().last_error);
    CHECK(source.runtime.status().snapshot().state == ingestion::SourceState::Running);
  }
  run.events = compliance::journaled(*journal);

  config::Schema root("root", "the example's binds");
  root.field("binds", config::Kind::List, "binds").items(bindings::bind_schema());
  auto doc = config::load_string(example.substr(binds_at), "docs/examples.md");
  REQUIRE(doc);
  auto validated = config::validate(root, *doc);
  INFO((validated ? "" : validated.error().message));
  REQUIRE(validated);
  auto binds = bindings::parse_binds((*validated)["binds"]);
  REQUIRE(binds);
  SilentSpeaker speaker;
  bindings::BindTable table;
  REQUIRE(bindings::install_binds(table, *binds, speaker));
  for (const auto& e : run.events) table.dispatch(e);
  run.said = speaker.said;
  return run;
}

std::int64_t ms_at(TimePoint start, std::chrono::seconds after) { return (start + after).time_since_epoch().count(); }

}  // namespace

TEST_CASE("docs/examples.md: disk almost full, word for word against Prometheus", "[e2e][metric][docs][prometheus]") {
  const std::string heading = "### Disk almost full (Prometheus, node_exporter)";
  const auto start = history_start(3h);
  Replay replay{.start = start, .end = start + 60min};
  const std::string var_db1 = R"({device="/dev/sda1",fstype="ext4",instance="db1:9100",job="node",mountpoint="/var"})";
  const std::string root_db1 = R"({device="/dev/sda2",fstype="ext4",instance="db1:9100",job="node",mountpoint="/"})";
  const std::string var_db2 = R"({device="/dev/sda1",fstype="ext4",instance="db2:9100",job="node",mountpoint="/var"})";
  const std::string run_db1 = R"({device="tmpfs",fstype="tmpfs",instance="db1:9100",job="node",mountpoint="/run"})";
  constexpr double size = 100e9;
  const auto used = [](double percent) { return size * (1 - percent / 100); };  // → available bytes
  // /var on db1: 40 % used, 95.3 % from minute 10, a dip to 89 % at minutes 25 to 28 (shorter than
  // keep_firing_for), 71.2 % from minute 40. /var on db2: 92 % for 3 minutes only (shorter than
  // for). / on db1: 50 %. A full tmpfs, which the query leaves out.
  const auto var = [&](int s) {
    if (s < 600) return used(40);
    if (s >= 1500 && s < 1680) return used(89);
    return s < 2400 ? used(95.3) : used(71.2);
  };
  std::vector<HistorySeries> history;
  for (const auto& labels : {var_db1, root_db1, var_db2, run_db1})
    history.push_back({"node_filesystem_size_bytes", "gauge", "node_filesystem_size_bytes" + labels,
                       [](int) { return size; }});
  history.push_back({"node_filesystem_avail_bytes", "gauge", "node_filesystem_avail_bytes" + var_db1, var});
  history.push_back({"node_filesystem_avail_bytes", "gauge", "node_filesystem_avail_bytes" + root_db1,
                     [&](int) { return used(50); }});
  history.push_back({"node_filesystem_avail_bytes", "gauge", "node_filesystem_avail_bytes" + var_db2,
                     [&](int s) { return s >= 720 && s < 900 ? used(92) : used(50); }});
  history.push_back({"node_filesystem_avail_bytes", "gauge", "node_filesystem_avail_bytes" + run_db1,
                     [&](int) { return used(99); }});
  Prometheus prometheus(PrometheusOptions{.history_openmetrics = history_text(history, replay.start, 60min)});

  const auto run = run_example(heading, prometheus, replay);
  CHECK(run.said == examples::lines(examples::blocks(heading, "text").at(0)));
  REQUIRE(run.events.size() == 2);
  // When Prometheus's rule evaluator would say them: pending at minute 10, firing 5 minutes later;
  // the dip kept firing; resolved 10 minutes after the value fell, at minute 50.
  CHECK(run.events[0].fields["active_at"] == ms_at(replay.start, 10min));
  CHECK(run.events[0].fields["fired_at"] == ms_at(replay.start, 15min));
  CHECK(run.events[1].time == replay.start + 50min);
}

TEST_CASE("docs/examples.md: 5xx rate over 1%, word for word against Prometheus", "[e2e][metric][docs][prometheus]") {
  const std::string heading = "### 5xx rate over 1% (Prometheus)";
  const auto start = history_start(4h);
  Replay replay{.start = start, .end = start + 90min};
  // api serves 1,000 requests a second: 0.2 % fail, 2.5 % from minute 10, 3.1 % from minute 40,
  // 0.2 % again from minute 80. web: 0.1 % throughout. Counters start high, as after days.
  const auto api_ratio = [](int s) { return s < 600 ? 0.002 : s < 2400 ? 0.025 : s < 4800 ? 0.031 : 0.002; };
  const auto counted = [](std::function<double(int)> per_second, double from) {
    return [per_second, from](int s) {
      double total = from;
      for (int t = 15; t <= s; t += 15) total += 15 * per_second(t - 15);
      return total;
    };
  };
  const std::string family = "http_requests";
  const std::vector<HistorySeries> history{
      {family, "counter", R"(http_requests_total{code="200",job="api"})",
       counted([&](int s) { return 1000 * (1 - api_ratio(s)); }, 5e8)},
      {family, "counter", R"(http_requests_total{code="500",job="api"})",
       counted([&](int s) { return 1000 * api_ratio(s); }, 2e6)},
      {family, "counter", R"(http_requests_total{code="200",job="web"})", counted([](int) { return 999.0; }, 5e8)},
      {family, "counter", R"(http_requests_total{code="503",job="web"})", counted([](int) { return 1.0; }, 5e5)},
  };
  Prometheus prometheus(PrometheusOptions{.history_openmetrics = history_text(history, replay.start, 90min)});

  const auto run = run_example(heading, prometheus, replay);
  CHECK(run.said == examples::lines(examples::blocks(heading, "text").at(0)));
  REQUIRE(run.events.size() == 3);
  CHECK(run.events[0].fields["link"].get<std::string>().starts_with("https://prometheus.example.com/graph?g0.expr="));
  // The repeat comes an hour after the firing; each has its own dedupe key.
  CHECK(run.events[1].fields["repeat"] == true);
  CHECK(run.events[1].time - run.events[0].time == 60min);
}
