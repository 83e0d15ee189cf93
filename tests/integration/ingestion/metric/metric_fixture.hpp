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
#include "tests/unit/ingestion/runtime/compliance.hpp"

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
class MetricPoller {
 public:
  MetricPoller(std::string entry, std::string name = "prom")
      : subject_{.kind = metric_kind(), .config_yaml = "{name: " + name + ", kind: metric, " + std::move(entry) + "}"},
        journal_(ingestion::testing::open_journal(dir_.file("j.db"))),
        name_(std::move(name)) {
    start();
  }
  void start() {
    running_ = std::make_unique<compliance::Running>(subject_, *journal_, name_);
    running_->start();
  }
  std::chrono::milliseconds stop() { return running_->stop(); }
  void restart() {
    running_.reset();
    start();
  }
  std::vector<ingestion::IngestionEvent> events() const { return journal_->pending_events(0, 1000000).value(); }
  bool wait_events(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    return compliance::eventually([&] { return events().size() >= n; }, timeout);
  }
  std::vector<std::pair<std::string, std::string>> state() const {
    return journal_->list_state("source/" + name_).value();
  }
  ingestion::IngestionStatus status() const { return running_->runtime.status().snapshot(); }
  bool wait_state(ingestion::SourceState s, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    return compliance::eventually([&] { return status().state == s; }, timeout);
  }

 private:
  compliance::Subject subject_;
  ingestion::testing::TempDir dir_;
  std::unique_ptr<ingestion::Journal> journal_;
  std::string name_;
  std::unique_ptr<compliance::Running> running_;
};

// The topics of events, in journal order.
inline std::vector<std::string> topics(const std::vector<ingestion::IngestionEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.topic);
  return out;
}

}  // namespace chatops::test
