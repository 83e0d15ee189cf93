#pragma once
// A source's own metrics, labelled with its name: a source declares what it counts (an API
// poller its HTTP statuses, a stream its lag) and the same declaration by another source of the
// kind shares the metric, told apart by the `source` label.
#include <string>
#include <vector>

#include "core/metrics.hpp"

namespace chatops::ingestion {

class SourceMetrics {
 public:
  SourceMetrics(metrics::Registry* registry, std::string source) : registry_(registry), source_(std::move(source)) {}

  // A counter or gauge of this source; `labels` are further label names, their values given at
  // each use (in order). Without a registry (tests) they count into nothing.
  class Counter {
   public:
    void inc(const std::vector<std::string>& values = {}, double by = 1.0) const;
    double value(const std::vector<std::string>& values = {}) const;

   private:
    friend class SourceMetrics;
    metrics::Family<metrics::Counter>* family_ = nullptr;
    std::string source_;
  };
  class Gauge {
   public:
    void set(double v, const std::vector<std::string>& values = {}) const;

   private:
    friend class SourceMetrics;
    metrics::Family<metrics::Gauge>* family_ = nullptr;
    std::string source_;
  };

  Counter counter(std::string name, std::string help, std::vector<std::string> labels = {}) const;
  Gauge gauge(std::string name, std::string help, std::vector<std::string> labels = {}) const;
  const std::string& source() const { return source_; }

 private:
  metrics::Registry* registry_;
  std::string source_;
};

}  // namespace chatops::ingestion
