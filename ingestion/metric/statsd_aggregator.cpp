#include "ingestion/metric/statsd_aggregator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace chatops::ingestion::metric::statsd {

namespace {

// The nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::nan("");
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

std::optional<double> percentile_of(std::string_view stat) {
  if (stat == "median") return 50.0;
  if (stat.size() < 2 || stat[0] != 'p') return std::nullopt;
  int p = 0;
  const auto digits = stat.substr(1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
  if (ec != std::errc() || end != digits.data() + digits.size() || p < 1 || p > 100) return std::nullopt;
  return p;
}

std::optional<double> statistic(const Aggregate& a, std::string_view stat, double seconds) {
  switch (a.type) {
    case Type::Counter:
      if (stat.empty() || stat == "count") return a.count;
      if (stat == "rate") return a.count / seconds;
      return std::nullopt;
    case Type::Gauge:
      if (stat.empty() || stat == "value") return a.value;
      return std::nullopt;
    case Type::Set:
      if (stat.empty() || stat == "unique") return static_cast<double>(a.members.size());
      return std::nullopt;
    case Type::Timer:
    case Type::Histogram:
      if (stat == "count") return a.count;
      if (stat == "rate") return a.count / seconds;
      if (stat.empty() || stat == "mean") return a.seen ? a.sum / static_cast<double>(a.seen) : std::nan("");
      if (stat == "sum") return a.sum;
      if (stat == "min") return a.min;
      if (stat == "max") return a.max;
      if (const auto p = percentile_of(stat)) return percentile(a.samples, *p);
      return std::nullopt;
  }
  return std::nullopt;
}

std::string_view type_name(Type t) {
  switch (t) {
    case Type::Counter: return "counter";
    case Type::Gauge: return "gauge";
    case Type::Timer: return "timer";
    case Type::Histogram: return "histogram";
    case Type::Set: return "set";
  }
  return "";
}

}  // namespace

std::pair<std::string_view, std::string_view> split_query(std::string_view query) {
  const auto colon = query.rfind(':');
  if (colon == std::string_view::npos) return {query, ""};
  return {query.substr(0, colon), query.substr(colon + 1)};
}

bool known_stat(std::string_view stat) {
  for (const auto s : {"", "count", "rate", "value", "unique", "mean", "sum", "min", "max"})
    if (stat == s) return true;
  return percentile_of(stat).has_value();
}

std::expected<std::vector<Sample>, std::string> Window::samples(std::string_view name, std::string_view stat) const {
  std::vector<Sample> out;
  const auto it = by_name.find(name);
  if (it == by_name.end()) return out;
  for (const auto& a : it->second) {
    const auto v = statistic(a, stat, seconds);
    if (!v) return std::unexpected(std::string(name) + " is a " + std::string(type_name(a.type)) + ": it has no '" +
                                   std::string(stat) + "'");
    out.push_back({a.labels, *v});
  }
  return out;
}

Aggregator::Aggregator(Limits limits) : limits_(limits), begun_(std::chrono::steady_clock::now()) {}

std::size_t Aggregator::series() const {
  std::lock_guard lock(mutex_);
  return series_.size();
}

bool Aggregator::add(const Line& line) {
  // The series' key: its name, type and sorted tags (a name sent as two types is two series).
  Labels labels;
  for (const auto& [k, v] : line.tags) labels.insert_or_assign(std::string(k), std::string(v));
  std::string key(line.name);
  key += '\n';
  key += static_cast<char>('0' + static_cast<int>(line.type));
  for (const auto& [k, v] : labels) key += '\n' + k + '=' + v;

  std::lock_guard lock(mutex_);
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= limits_.max_series) return false;
    Aggregate a;
    a.type = line.type;
    a.labels = std::move(labels);
    it = series_.emplace(std::move(key), std::pair{std::string(line.name), std::move(a)}).first;
  }
  auto& a = it->second.second;
  switch (line.type) {
    case Type::Counter: a.count += line.value / line.rate; break;
    case Type::Gauge: a.value = line.delta ? a.value + line.value : line.value; break;
    case Type::Set:
      if (a.members.size() < limits_.max_members) a.members.emplace(line.member);
      break;
    case Type::Timer:
    case Type::Histogram:
      a.count += 1 / line.rate;
      a.sum += line.value;
      a.min = a.seen ? std::min(a.min, line.value) : line.value;
      a.max = a.seen ? std::max(a.max, line.value) : line.value;
      ++a.seen;
      if (a.samples.size() < limits_.max_samples) {
        a.samples.push_back(line.value);
      } else {  // reservoir sampling (Algorithm R): every value kept with the same chance
        const auto slot = std::uniform_int_distribution<std::uint64_t>(0, a.seen - 1)(random_);
        if (slot < a.samples.size()) a.samples[slot] = line.value;
      }
      break;
  }
  return true;
}

Window Aggregator::flush(std::chrono::steady_clock::time_point now) {
  Window w;
  decltype(series_) ended;
  {
    std::lock_guard lock(mutex_);
    w.seconds = std::max(std::chrono::duration<double>(now - begun_).count(), 0.001);
    begun_ = now;
    // Gauges stay for the next interval; the rest starts over.
    for (auto it = series_.begin(); it != series_.end();) {
      if (it->second.second.type == Type::Gauge) {
        w.by_name[it->second.first].push_back(it->second.second);
        ++it;
      } else {
        ended.insert(series_.extract(it++));
      }
    }
  }
  for (auto& [key, named] : ended) {
    auto& a = named.second;
    std::ranges::sort(a.samples);
    w.by_name[named.first].push_back(std::move(a));
  }
  return w;
}

}  // namespace chatops::ingestion::metric::statsd
