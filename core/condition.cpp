#include "core/condition.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "core/text/suggest.hpp"

namespace chatops {

namespace {

constexpr std::array<std::pair<std::string_view, Comparison>, 8> kComparisons{{
    {"gt", Comparison::Gt},
    {"gte", Comparison::Gte},
    {"lt", Comparison::Lt},
    {"lte", Comparison::Lte},
    {"eq", Comparison::Eq},
    {"ne", Comparison::Ne},
    {"outside", Comparison::Outside},
    {"inside", Comparison::Inside},
}};

std::string number_text(double v) { return fmt::format("{}", v); }

Result<double> number_at(const config::Node& node) {
  if (!node.is_scalar()) return std::unexpected(node.error("expected a number"));
  auto value = config::parse_number(node.scalar());
  if (!value) return std::unexpected(node.error("expected a number, got " + node.quoted()));
  return *value;
}

Result<Condition> range_at(const config::Node& node, Comparison op) {
  const auto bounds = node.is_sequence() ? node.items() : std::vector<config::Node>{};
  if (bounds.size() != 2) return std::unexpected(node.error("expected two numbers [low, high]"));
  auto low = number_at(bounds[0]);
  if (!low) return std::unexpected(low.error());
  auto high = number_at(bounds[1]);
  if (!high) return std::unexpected(high.error());
  if (*low > *high) return std::unexpected(node.error("expected two numbers [low, high] with low <= high"));
  return Condition{op, *low, *high};
}

}  // namespace

bool Condition::holds(double v) const {
  if (std::isnan(v)) return false;
  switch (op) {
    case Comparison::Gt: return v > threshold;
    case Comparison::Gte: return v >= threshold;
    case Comparison::Lt: return v < threshold;
    case Comparison::Lte: return v <= threshold;
    case Comparison::Eq: return v == threshold;
    case Comparison::Ne: return v != threshold;
    case Comparison::Outside: return v < threshold || v > high;
    case Comparison::Inside: return v >= threshold && v <= high;
  }
  return false;
}

std::string Condition::text() const {
  switch (op) {
    case Comparison::Gt: return "> " + number_text(threshold);
    case Comparison::Gte: return ">= " + number_text(threshold);
    case Comparison::Lt: return "< " + number_text(threshold);
    case Comparison::Lte: return "<= " + number_text(threshold);
    case Comparison::Eq: return "== " + number_text(threshold);
    case Comparison::Ne: return "!= " + number_text(threshold);
    case Comparison::Outside: return "outside [" + number_text(threshold) + ", " + number_text(high) + "]";
    case Comparison::Inside: return "inside [" + number_text(threshold) + ", " + number_text(high) + "]";
  }
  return "";
}

const std::vector<std::string>& comparison_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, _] : kComparisons) out.emplace_back(name);
    return out;
  }();
  return names;
}

Result<std::vector<Condition>> conditions_from(const config::Node& map) {
  if (!map.is_map()) return std::unexpected(map.error("expected a map of comparisons, e.g. {gt: 90}"));
  std::vector<Condition> out;
  for (const auto& key : map.keys()) {
    const auto known = std::ranges::find(kComparisons, key, &std::pair<std::string_view, Comparison>::first);
    const auto value = map[key];
    if (known == kComparisons.end())
      return std::unexpected(value.error("unknown comparison \"" + key + "\"" + text::did_you_mean(key, comparison_names()) +
                                         " (one of gt, gte, lt, lte, eq, ne, outside, inside)"));
    const auto op = known->second;
    if (op == Comparison::Outside || op == Comparison::Inside) {
      auto range = range_at(value, op);
      if (!range) return std::unexpected(range.error());
      out.push_back(*range);
    } else {
      auto number = number_at(value);
      if (!number) return std::unexpected(number.error());
      out.push_back({op, *number, 0});
    }
  }
  if (out.empty()) return std::unexpected(map.error("no comparison: give one of gt, gte, lt, lte, eq, ne, outside, inside"));
  return out;
}

}  // namespace chatops
