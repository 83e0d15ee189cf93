#include "ingestion/runtime/source_metrics.hpp"

namespace chatops::ingestion {

namespace {
std::vector<std::string> with_source(const std::string& source, const std::vector<std::string>& values) {
  std::vector<std::string> out{source};
  out.insert(out.end(), values.begin(), values.end());
  return out;
}
}  // namespace

void SourceMetrics::Counter::inc(const std::vector<std::string>& values, double by) const {
  if (family_) family_->labels(with_source(source_, values)).inc(by);
}

double SourceMetrics::Counter::value(const std::vector<std::string>& values) const {
  return family_ ? family_->labels(with_source(source_, values)).value() : 0;
}

void SourceMetrics::Gauge::set(double v, const std::vector<std::string>& values) const {
  if (family_) family_->labels(with_source(source_, values)).set(v);
}

SourceMetrics::Counter SourceMetrics::counter(std::string name, std::string help, std::vector<std::string> labels) const {
  Counter c;
  c.source_ = source_;
  if (registry_) {
    labels.insert(labels.begin(), "source");
    c.family_ = &registry_->counter_family(std::move(name), std::move(help), std::move(labels));
  }
  return c;
}

SourceMetrics::Gauge SourceMetrics::gauge(std::string name, std::string help, std::vector<std::string> labels) const {
  Gauge g;
  g.source_ = source_;
  if (registry_) {
    labels.insert(labels.begin(), "source");
    g.family_ = &registry_->gauge_family(std::move(name), std::move(help), std::move(labels));
  }
  return g;
}

}  // namespace chatops::ingestion
