#pragma once
// Metric values as people read them, by unit: 95.3%, 1.2 GiB, 350 ms, 4.1k/s.
#include <optional>
#include <string>
#include <string_view>

namespace chatops::ingestion::metric {

enum class Unit {
  None,       // 4.1k, 0.25, 12
  Percent,    // the value is a percentage already: 95.3%
  Ratio,      // a fraction of one, said as a percentage: 0.953 → 95.3%
  Bytes,      // binary multiples: 1.2 GiB
  Seconds,    // 350 ms, 2.5 s, 4m 10s, 3h 5m, 2d 4h
  Milliseconds,  // the same, from milliseconds (StatsD timers): 350 → 350 ms
  PerSecond,  // 4.1k/s
};

std::optional<Unit> unit_from_string(std::string_view name);  // none, percent, ratio, bytes, seconds, milliseconds, per_second

// "no data" for NaN, "+Inf"/"-Inf" for infinities.
std::string humanise(double value, Unit unit);

}  // namespace chatops::ingestion::metric
