#include <catch2/catch.hpp>

#include <stdexcept>
#include <thread>
#include <vector>

#include "core/metrics.hpp"

using namespace chatops::metrics;

TEST_CASE("counters and gauges render with HELP and TYPE", "[metrics]") {
  Registry r;
  auto& c = r.counter("chatops_events_total", "Events journaled.");
  auto& g = r.gauge("chatops_backlog", "Events not yet said.");
  c.inc();
  c.inc(2);
  g.set(7);
  g.dec(0.5);
  REQUIRE(r.render() ==
          "# HELP chatops_events_total Events journaled.\n"
          "# TYPE chatops_events_total counter\n"
          "chatops_events_total 3\n"
          "# HELP chatops_backlog Events not yet said.\n"
          "# TYPE chatops_backlog gauge\n"
          "chatops_backlog 6.5\n");
}

TEST_CASE("labelled families render one line per child, sorted by label values", "[metrics]") {
  Registry r;
  auto& f = r.counter_family("chatops_submissions_total", "Submissions by source and result.", {"source", "result"});
  f.labels({"github", "accepted"}).inc(5);
  f.labels({"alerts", "duplicate"}).inc();
  f.labels({"github", "accepted"}).inc();
  auto& empty = r.gauge_family("chatops_unused", "No children yet.", {"x"});
  (void)empty;
  REQUIRE(r.render() ==
          "# HELP chatops_submissions_total Submissions by source and result.\n"
          "# TYPE chatops_submissions_total counter\n"
          "chatops_submissions_total{source=\"alerts\",result=\"duplicate\"} 1\n"
          "chatops_submissions_total{source=\"github\",result=\"accepted\"} 6\n");
}

TEST_CASE("label values and help text are escaped", "[metrics]") {
  Registry r;
  r.gauge_family("chatops_odd", "Back\\slash and\nnewline, \"quotes\" kept.", {"v"})
      .labels({"a\\b\"c\nd"})
      .set(1);
  REQUIRE(r.render() ==
          "# HELP chatops_odd Back\\\\slash and\\nnewline, \"quotes\" kept.\n"
          "# TYPE chatops_odd gauge\n"
          "chatops_odd{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST_CASE("histograms render cumulative buckets, +Inf, sum and count", "[metrics]") {
  Registry r;
  auto& h = r.histogram("chatops_commit_seconds", "Journal commit time.", {0.001, 0.01, 0.1});
  h.observe(0.0005);
  h.observe(0.001);  // bounds are inclusive
  h.observe(0.05);
  h.observe(3);
  r.histogram_family("chatops_lines", "Lines per event.", {"source"}, {1, 2.5}).labels({"github"}).observe(2);
  REQUIRE(r.render() ==
          "# HELP chatops_commit_seconds Journal commit time.\n"
          "# TYPE chatops_commit_seconds histogram\n"
          "chatops_commit_seconds_bucket{le=\"0.001\"} 2\n"
          "chatops_commit_seconds_bucket{le=\"0.01\"} 2\n"
          "chatops_commit_seconds_bucket{le=\"0.1\"} 3\n"
          "chatops_commit_seconds_bucket{le=\"+Inf\"} 4\n"
          "chatops_commit_seconds_sum 3.0515\n"
          "chatops_commit_seconds_count 4\n"
          "# HELP chatops_lines Lines per event.\n"
          "# TYPE chatops_lines histogram\n"
          "chatops_lines_bucket{source=\"github\",le=\"1\"} 0\n"
          "chatops_lines_bucket{source=\"github\",le=\"2.5\"} 1\n"
          "chatops_lines_bucket{source=\"github\",le=\"+Inf\"} 1\n"
          "chatops_lines_sum{source=\"github\"} 2\n"
          "chatops_lines_count{source=\"github\"} 1\n");
}

TEST_CASE("collectors write at scrape time, grouped under one header per name", "[metrics]") {
  Registry r;
  int scrapes = 0;
  r.counter("chatops_a_total", "A.").inc();
  r.add_collector([&](MetricWriter& w) {
    ++scrapes;
    w.gauge("chatops_source_up", "Whether a source runs.", 1, {{"source", "github"}});
    w.counter("chatops_source_events_total", "Events consumed.", 12, {{"source", "github"}});
    w.gauge("chatops_source_up", "Whether a source runs.", 0, {{"source", "kafka"}});
  });
  auto expected =
      "# HELP chatops_a_total A.\n"
      "# TYPE chatops_a_total counter\n"
      "chatops_a_total 1\n"
      "# HELP chatops_source_up Whether a source runs.\n"
      "# TYPE chatops_source_up gauge\n"
      "chatops_source_up{source=\"github\"} 1\n"
      "chatops_source_up{source=\"kafka\"} 0\n"
      "# HELP chatops_source_events_total Events consumed.\n"
      "# TYPE chatops_source_events_total counter\n"
      "chatops_source_events_total{source=\"github\"} 12\n";
  REQUIRE(r.render() == expected);
  REQUIRE(r.render() == expected);
  REQUIRE(scrapes == 2);
}

TEST_CASE("values use Prometheus number text", "[metrics]") {
  REQUIRE(format_value(3) == "3");
  REQUIRE(format_value(0.25) == "0.25");
  REQUIRE(format_value(-2) == "-2");
  REQUIRE(format_value(1e21) == "1e+21");
  REQUIRE(format_value(1.0 / 0.0) == "+Inf");
  REQUIRE(format_value(-1.0 / 0.0) == "-Inf");
  REQUIRE(format_value(0.0 / 0.0) == "NaN");
}

TEST_CASE("declaring a metric again the same way shares it", "[metrics]") {
  Registry r;
  auto& a = r.counter_family("chatops_rejected_total", "Rejected.", {"source", "reason"});
  auto& b = r.counter_family("chatops_rejected_total", "Rejected.", {"source", "reason"});
  REQUIRE(&a == &b);
  a.labels({"github", "bad_signature"}).inc();
  b.labels({"gitlab", "bad_token"}).inc(2);
  const auto text = r.render();
  REQUIRE(text.find("# TYPE chatops_rejected_total counter") == text.rfind("# TYPE chatops_rejected_total counter"));
  REQUIRE_THAT(text, Catch::Contains("chatops_rejected_total{source=\"gitlab\",reason=\"bad_token\"} 2"));
}

TEST_CASE("misuse is reported as a bug", "[metrics]") {
  Registry r;
  r.counter("chatops_x_total", "X.");
  REQUIRE_THROWS_AS(r.gauge("chatops_x_total", "X as a gauge."), std::invalid_argument);
  REQUIRE_THROWS_AS(r.counter_family("chatops_x_total", "X with labels.", {"source"}), std::invalid_argument);
  REQUIRE_THROWS_AS(r.counter("1bad", "Bad."), std::invalid_argument);
  REQUIRE_THROWS_AS(r.counter_family("chatops_y_total", "Y.", {"le"}), std::invalid_argument);
  REQUIRE_THROWS_AS(r.counter_family("chatops_z_total", "Z.", {"a"}).labels({"1", "2"}), std::invalid_argument);
  REQUIRE_THROWS_AS(r.histogram("chatops_h", "H.", {1, 1}), std::invalid_argument);
  MetricWriter w;
  w.gauge("chatops_g", "G.", 1);
  REQUIRE_THROWS_AS(w.counter("chatops_g", "G.", 1), std::invalid_argument);
}

TEST_CASE("concurrent updates are not lost", "[metrics]") {
  Registry r;
  auto& f = r.counter_family("chatops_hits_total", "Hits.", {"t"});
  auto& h = r.histogram("chatops_h", "H.", {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        f.labels({t % 2 ? "odd" : "even"}).inc();
        h.observe(i % 2);
      }
    });
  for (auto& t : threads) t.join();
  REQUIRE(f.labels({"odd"}).value() == 40000);
  REQUIRE(f.labels({"even"}).value() == 40000);
  auto s = h.snapshot();
  REQUIRE(s.count == 80000);
  REQUIRE(s.cumulative[0] == 80000);
  REQUIRE(s.sum == 40000);
}
