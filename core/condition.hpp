#pragma once
// A numeric comparison, as config.yml writes it: `{gt: 90}`, `{lte: 0.5}`, `{outside: [10, 20]}`.
// Metric checks (`condition:`) and bind filters on numeric fields (`filter: {value: {gt: 90}}`)
// read and apply the same ones.
#include <string>
#include <vector>

#include "core/config/node.hpp"
#include "core/error.hpp"

namespace chatops {

enum class Comparison { Gt, Gte, Lt, Lte, Eq, Ne, Outside, Inside };

// value op threshold, or value outside/inside [low, high].
struct Condition {
  Comparison op = Comparison::Gt;
  double threshold = 0;  // low, for ranges
  double high = 0;       // ranges only
  bool holds(double value) const;  // false for NaN, as PromQL's comparisons
  std::string text() const;        // "> 90", "outside [10, 20]"
};

// The keys a comparison map may have: gt, gte, lt, lte, eq, ne, outside, inside.
const std::vector<std::string>& comparison_names();

// Every comparison of a map such as {gte: 10, lt: 20}, in document order, checked: a known key
// (with a "did you mean"), a finite number, a range of two numbers low <= high. Errors name the
// file:line:column of what is wrong; a map without any key is one too.
Result<std::vector<Condition>> conditions_from(const config::Node& map);

}  // namespace chatops
