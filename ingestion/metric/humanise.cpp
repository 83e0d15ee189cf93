#include "ingestion/metric/humanise.hpp"

#include <array>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

namespace chatops::ingestion::metric {

namespace {

// Three significant digits at most, without trailing zeros: 95.3, 1.25, 350, 4.1.
std::string short_number(double v) {
  const double magnitude = std::fabs(v);
  const int decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

// SI prefixes for counts and rates: 4.1k, 2.3M; small values as they are.
std::string si(double v) {
  static constexpr std::array<const char*, 6> prefixes{"", "k", "M", "G", "T", "P"};
  std::size_t i = 0;
  while (std::fabs(v) >= 999.5 && i + 1 < prefixes.size()) {
    v /= 1000;
    ++i;
  }
  return short_number(v) + prefixes[i];
}

std::string bytes(double v) {
  static constexpr std::array<const char*, 7> units{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  std::size_t i = 0;
  while (std::fabs(v) >= 1023.5 && i + 1 < units.size()) {
    v /= 1024;
    ++i;
  }
  return (i == 0 ? fmt::format("{:.0f}", v) : short_number(v)) + " " + units[i];
}

std::string duration(double v) {
  const double a = std::fabs(v);
  const std::string sign = v < 0 ? "-" : "";
  if (a == 0) return "0 s";
  if (a < 1e-3) return sign + short_number(a * 1e6) + " µs";
  if (a < 1) return sign + short_number(a * 1e3) + " ms";
  if (a < 60) return sign + short_number(a) + " s";
  const auto whole = static_cast<std::int64_t>(std::llround(a));
  const auto pair = [&](std::int64_t big, const char* big_unit, std::int64_t small, const char* small_unit) {
    const auto rest = whole % big / small;
    return rest ? fmt::format("{}{}{} {}{}", sign, whole / big, big_unit, rest, small_unit)
                : fmt::format("{}{}{}", sign, whole / big, big_unit);
  };
  if (whole < 3600) return pair(60, "m", 1, "s");
  if (whole < 86400) return pair(3600, "h", 60, "m");
  return pair(86400, "d", 3600, "h");
}

}  // namespace

std::optional<Unit> unit_from_string(std::string_view name) {
  if (name == "none") return Unit::None;
  if (name == "percent") return Unit::Percent;
  if (name == "ratio") return Unit::Ratio;
  if (name == "bytes") return Unit::Bytes;
  if (name == "seconds") return Unit::Seconds;
  if (name == "milliseconds") return Unit::Milliseconds;
  if (name == "per_second") return Unit::PerSecond;
  return std::nullopt;
}

std::string humanise(double value, Unit unit) {
  if (std::isnan(value)) return "no data";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  switch (unit) {
    case Unit::None: return si(value);
    case Unit::Percent: return short_number(value) + "%";
    case Unit::Ratio: return short_number(value * 100) + "%";
    case Unit::Bytes: return bytes(value);
    case Unit::Seconds: return duration(value);
    case Unit::Milliseconds: return duration(value / 1000);
    case Unit::PerSecond: return si(value) + "/s";
  }
  return si(value);
}

}  // namespace chatops::ingestion::metric
