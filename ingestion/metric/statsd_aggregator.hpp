#pragma once
// StatsD aggregation per flush interval: each series (name and tags) sums its counter, keeps its
// gauge (across intervals, as StatsD does; +/- changes apply to it), collects its timer or
// histogram values (count, sum, min and max exact; percentiles from a bounded reservoir) and
// its set's members (bounded). flush() ends an interval and gives its aggregates; checks then ask
// for one statistic of a name. Thread-safe: the listener adds while the poller flushes.
#include <chrono>
#include <expected>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ingestion/metric/statsd_parser.hpp"
#include "ingestion/metric/threshold.hpp"

namespace chatops::ingestion::metric::statsd {

struct Limits {
  std::size_t max_series = 10000;   // series (name and tags) at once; more are dropped, counted
  std::size_t max_samples = 10000;  // timer/histogram values kept per series per interval (a reservoir)
  std::size_t max_members = 10000;  // set members kept per series per interval
};

struct Aggregate {
  Type type = Type::Counter;
  Labels labels;
  double count = 0;  // counters: the sum of value/rate; timers and histograms: samples/rate
  double value = 0;  // gauges
  double sum = 0, min = 0, max = 0;  // timers and histograms
  std::vector<double> samples;        // timers and histograms (sorted once flushed)
  std::uint64_t seen = 0;             // samples offered to the reservoir
  std::set<std::string, std::less<>> members;  // sets
};

// One interval's aggregates, by name.
class Window {
 public:
  // The statistic `stat` of every series named `name`: count, rate (per second), value, mean,
  // min, max, sum, median, pNN (a percentile, e.g. p99) or unique; "" is the type's own (a
  // counter's count, a gauge's value, a timer's mean, a set's unique). No series: an empty list.
  // An error when the statistic does not apply to the name's type.
  std::expected<std::vector<Sample>, std::string> samples(std::string_view name, std::string_view stat) const;

  std::map<std::string, std::vector<Aggregate>, std::less<>> by_name;
  double seconds = 1;  // the interval's length, for rates
};

// `name` or `name:stat` of a check's query.
std::pair<std::string_view, std::string_view> split_query(std::string_view query);
// Whether `stat` is one samples() knows ("" included).
bool known_stat(std::string_view stat);

class Aggregator {
 public:
  explicit Aggregator(Limits limits);

  // False when the line's series is new and the series limit is reached (it is dropped).
  bool add(const Line& line);
  // Ends the interval begun at the last flush (or construction).
  Window flush(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  std::size_t series() const;

 private:
  Limits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<std::string, Aggregate>> series_;  // key → (name, aggregate)
  std::chrono::steady_clock::time_point begun_;
  std::mt19937_64 random_{42};
};

}  // namespace chatops::ingestion::metric::statsd
