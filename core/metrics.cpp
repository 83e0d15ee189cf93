#include "core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace chatops::metrics {

namespace {

bool valid_name(std::string_view s, bool allow_colon) {
  auto head = [&](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':'); };
  auto tail = [&](char c) { return head(c) || (c >= '0' && c <= '9'); };
  return !s.empty() && head(s.front()) && std::all_of(s.begin() + 1, s.end(), tail);
}

void check_metric_name(std::string_view name) {
  if (!valid_name(name, true)) throw std::invalid_argument(fmt::format("invalid metric name '{}'", name));
}

void check_label_name(std::string_view name) {
  // "__" is reserved for Prometheus itself, "le" for histogram buckets.
  if (!valid_name(name, false) || name.starts_with("__") || name == "le")
    throw std::invalid_argument(fmt::format("invalid label name '{}'", name));
}

void check_bounds(const std::vector<double>& bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
      throw std::invalid_argument("histogram bounds must be finite and strictly ascending");
  }
}

// `{a="x",b="y"}` (with le="…" last when given), or "" when there are no labels.
std::string label_text(const LabelPairs& labels, std::string_view le = {}) {
  if (labels.empty() && le.empty()) return {};
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    out += name + "=\"" + escape_label_value(value) + '"';
  }
  if (!le.empty()) out.append(out.size() > 1 ? "," : "").append("le=\"").append(le).append("\"");
  return out + '}';
}

void add_sample(std::string& out, std::string_view name, const std::string& labels, double value) {
  out.append(name).append(labels).append(" ").append(format_value(value)).append("\n");
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // shortest text that reads back as the same double
}

std::vector<double> default_buckets() { return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}; }

// --- Histogram

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  check_bounds(bounds_);
}

void Histogram::observe(double v) {
  // Buckets are "less or equal"; NaN lands in +Inf as in the Go client.
  auto i = std::isnan(v) ? bounds_.size()
                         : static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(total);
  }
  s.count = total;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// --- MetricWriter

MetricWriter::Family& MetricWriter::family(std::string_view name, std::string_view help, std::string_view type,
                                           const LabelPairs& labels) {
  for (const auto& l : labels) check_label_name(l.first);
  if (auto it = index_.find(name); it != index_.end()) {
    auto& f = families_[it->second];
    if (f.type != type) throw std::invalid_argument(fmt::format("metric '{}' written as {} and {}", name, f.type, type));
    return f;
  }
  check_metric_name(name);
  index_.emplace(std::string(name), families_.size());
  return families_.emplace_back(Family{std::string(name), std::string(help), std::string(type), {}});
}

void MetricWriter::counter(std::string_view name, std::string_view help, double value, const LabelPairs& labels) {
  add_sample(family(name, help, "counter", labels).samples, name, label_text(labels), value);
}

void MetricWriter::gauge(std::string_view name, std::string_view help, double value, const LabelPairs& labels) {
  add_sample(family(name, help, "gauge", labels).samples, name, label_text(labels), value);
}

void MetricWriter::histogram(std::string_view name, std::string_view help, const HistogramSnapshot& h,
                             const LabelPairs& labels) {
  auto& out = family(name, help, "histogram", labels).samples;
  const std::string base(name);
  for (std::size_t i = 0; i < h.cumulative.size(); ++i) {
    auto le = format_value(i < h.bounds.size() ? h.bounds[i] : INFINITY);
    add_sample(out, base + "_bucket", label_text(labels, le), static_cast<double>(h.cumulative[i]));
  }
  add_sample(out, base + "_sum", label_text(labels), h.sum);
  add_sample(out, base + "_count", label_text(labels), static_cast<double>(h.count));
}

std::string MetricWriter::str() const {
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f.name + " " + escape_help(f.help) + "\n";
    out += "# TYPE " + f.name + " " + f.type + "\n";
    out += f.samples;
  }
  return out;
}

// --- Family

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::function<std::unique_ptr<Metric>()> make)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), make_(std::move(make)) {
  check_metric_name(name_);
  for (const auto& l : label_names_) check_label_name(l);
}

template <class Metric>
Metric& Family<Metric>::labels(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size())
    throw std::invalid_argument(fmt::format("metric '{}' takes {} label values, got {}", name_, label_names_.size(),
                                            values.size()));
  std::lock_guard lock(mutex_);
  auto& child = children_[values];
  if (!child) child = make_();
  return *child;
}

template <class Metric>
void Family<Metric>::write(MetricWriter& w) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, metric] : children_) {
    LabelPairs labels;
    for (std::size_t i = 0; i < values.size(); ++i) labels.emplace_back(label_names_[i], values[i]);
    if constexpr (std::is_same_v<Metric, Counter>) w.counter(name_, help_, metric->value(), labels);
    else if constexpr (std::is_same_v<Metric, Gauge>) w.gauge(name_, help_, metric->value(), labels);
    else w.histogram(name_, help_, metric->snapshot(), labels);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// --- Registry

template <class Metric>
Family<Metric>& Registry::add(std::string name, std::string help, std::vector<std::string> label_names,
                              std::function<std::unique_ptr<Metric>()> make) {
  std::lock_guard lock(mutex_);
  if (auto at = std::find(names_.begin(), names_.end(), name); at != names_.end()) {
    // The same declaration again (several components of one kind each ask for it) shares it.
    auto* same = dynamic_cast<Family<Metric>*>(families_[static_cast<std::size_t>(at - names_.begin())].get());
    if (!same || same->label_names() != label_names)
      throw std::invalid_argument(fmt::format("metric '{}' registered twice, differently", name));
    return *same;
  }
  auto family = std::make_unique<Family<Metric>>(name, std::move(help), std::move(label_names), std::move(make));
  auto& ref = *family;
  names_.push_back(std::move(name));
  families_.push_back(std::move(family));
  return ref;
}

Counter& Registry::counter(std::string name, std::string help) {
  return counter_family(std::move(name), std::move(help), {}).labels({});
}

Gauge& Registry::gauge(std::string name, std::string help) {
  return gauge_family(std::move(name), std::move(help), {}).labels({});
}

Histogram& Registry::histogram(std::string name, std::string help, std::vector<double> bounds) {
  return histogram_family(std::move(name), std::move(help), {}, std::move(bounds)).labels({});
}

Family<Counter>& Registry::counter_family(std::string name, std::string help, std::vector<std::string> label_names) {
  return add<Counter>(std::move(name), std::move(help), std::move(label_names),
                      [] { return std::make_unique<Counter>(); });
}

Family<Gauge>& Registry::gauge_family(std::string name, std::string help, std::vector<std::string> label_names) {
  return add<Gauge>(std::move(name), std::move(help), std::move(label_names), [] { return std::make_unique<Gauge>(); });
}

Family<Histogram>& Registry::histogram_family(std::string name, std::string help, std::vector<std::string> label_names,
                                              std::vector<double> bounds) {
  check_bounds(bounds);  // now rather than at the first child
  return add<Histogram>(std::move(name), std::move(help), std::move(label_names),
                        [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
}

void Registry::add_collector(std::function<void(MetricWriter&)> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::render() const {
  // Copied under the lock, run outside it: a slow collector does not block registration.
  std::vector<const FamilyBase*> families;
  std::vector<std::function<void(MetricWriter&)>> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& f : families_) families.push_back(f.get());
    collectors = collectors_;
  }
  MetricWriter w;
  for (const auto* f : families) f->write(w);
  for (const auto& c : collectors) c(w);
  return w.str();
}

}  // namespace chatops::metrics
