#pragma once
// Prometheus text exposition (format 0.0.4): counters, gauges and histograms, optionally labelled,
// plus collectors that write a component's status at scrape time. All operations are thread-safe.
//
//   metrics::Registry registry;
//   auto& sent = registry.counter_family("chatops_irc_lines_sent_total", "Lines sent.", {"target"});
//   sent.labels({"#ops"}).inc();
//   registry.add_collector([&](metrics::MetricWriter& w) {
//     w.counter("chatops_journal_commits_total", "Journal transactions.", double(journal.stats().commits));
//   });
//   std::string body = registry.render();
//
// Declaring a metric again with the same type and label names gives the same one (several
// sources of one kind share their metrics, told apart by a label). Misuse (an invalid name, a name
// declared again differently, a wrong number of label values, unsorted buckets) is a bug and
// throws std::invalid_argument.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatops::metrics {

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
  void dec(double by = 1.0) { value_.fetch_sub(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Cumulative counts per upper bound, as exposed.
struct HistogramSnapshot {
  std::vector<double> bounds;               // finite upper bounds, ascending
  std::vector<std::uint64_t> cumulative;    // one per bound, then one for +Inf
  double sum = 0.0;
  std::uint64_t count = 0;                  // equals cumulative.back()
};

std::vector<double> default_buckets();  // Prometheus' defaults: 0.005 … 10 (seconds)

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);  // finite, strictly ascending
  void observe(double v);
  HistogramSnapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
  std::atomic<double> sum_{0.0};
};

// Accumulates samples for one scrape. Samples of the same metric are grouped under one HELP/TYPE
// header whatever order they are written in, as the format requires.
class MetricWriter {
 public:
  void counter(std::string_view name, std::string_view help, double value, const LabelPairs& labels = {});
  void gauge(std::string_view name, std::string_view help, double value, const LabelPairs& labels = {});
  void histogram(std::string_view name, std::string_view help, const HistogramSnapshot& h,
                 const LabelPairs& labels = {});
  std::string str() const;

 private:
  struct Family {
    std::string name, help, type;
    std::string samples;
  };
  Family& family(std::string_view name, std::string_view help, std::string_view type, const LabelPairs& labels);
  std::vector<Family> families_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  virtual void write(MetricWriter& w) const = 0;
};

// Children of one metric name, one per combination of label values.
template <class Metric>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Metric>()> make);
  // The child for these label values (in label-name order), created on first use. The reference
  // stays valid for the registry's lifetime.
  Metric& labels(const std::vector<std::string>& values);
  void write(MetricWriter& w) const override;
  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

class Registry {
 public:
  Counter& counter(std::string name, std::string help);
  Gauge& gauge(std::string name, std::string help);
  Histogram& histogram(std::string name, std::string help, std::vector<double> bounds = default_buckets());
  Family<Counter>& counter_family(std::string name, std::string help, std::vector<std::string> label_names);
  Family<Gauge>& gauge_family(std::string name, std::string help, std::vector<std::string> label_names);
  Family<Histogram>& histogram_family(std::string name, std::string help, std::vector<std::string> label_names,
                                      std::vector<double> bounds = default_buckets());

  // Called on every render(), after the registered metrics, on the scraping thread.
  void add_collector(std::function<void(MetricWriter&)> collector);

  // The registered metrics in registration order (children sorted by label values), then what
  // the collectors write.
  std::string render() const;

 private:
  template <class Metric>
  Family<Metric>& add(std::string name, std::string help, std::vector<std::string> label_names,
                      std::function<std::unique_ptr<Metric>()> make);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
  std::vector<std::string> names_;
  std::vector<std::function<void(MetricWriter&)>> collectors_;
};

// Text-format escaping: label values escape \ " and newline; HELP text escapes \ and newline.
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
// Go-style number text: "3", "0.25", "1e+21", "+Inf", "-Inf", "NaN".
std::string format_value(double v);

}  // namespace chatops::metrics
