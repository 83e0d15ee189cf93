// Shared by the metric source's integration tests: an exporter the test controls (its /metrics
// scraped by a real Prometheus), and `kind: metric` sources built from YAML as the bot builds
// them, on a real journal in a temp dir.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingestion/metric/metric_source.hpp"
#include "tests/integration/support/prometheus.hpp"
#include "tests/integration/support/test_api.hpp"
#include "tests/unit/ingestion/runtime/source_under_test.hpp"

namespace chatops::test {

inline const ingestion::SourceKind& metric_kind() {
  static const auto kind = ingestion::metric::metric_source_kind();
  return kind;
}

// Serves /metrics in Prometheus's text format: the gauges the test sets, as they are now.
class Exporter {
 public:
  Exporter() {
    api_.route("/metrics", [this](const ApiRequest&) {
      std::lock_guard lock(mutex_);
      std::string text;
      for (const auto& [series, value] : series_) text += series + " " + value + "\n";
      return ApiAnswer{.status = 200, .body = text, .content_type = "text/plain; version=0.0.4", .headers = {}};
    });
  }
  // `series` as exposed, e.g. test_level{disk="a"}; `value` as text ("95", "NaN").
  void set(const std::string& series, const std::string& value) {
    std::lock_guard lock(mutex_);
    series_[series] = value;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return series_.size();
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(api_.port()); }
  std::size_t scrapes() const { return api_.count("/metrics"); }

 private:
  TestApi api_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> series_;
};

// One `kind: metric` source on its own journal, restartable.
class MetricPoller : public SourceUnderTest {
 public:
  explicit MetricPoller(std::string entry, std::string name = "prom")
      : SourceUnderTest(metric_kind(), "metric", std::move(entry), std::move(name), std::chrono::seconds(20)) {}
};

// The topics of events, in journal order.
inline std::vector<std::string> topics(const std::vector<ingestion::IngestionEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.topic);
  return out;
}

}  // namespace chatops::test
