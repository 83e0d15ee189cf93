// Scalar parsing shared by validation and the typed getters.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include "core/config/node.hpp"

namespace chatops::config {
namespace {

std::string_view without_plus(std::string_view text) {
  return text.starts_with('+') ? text.substr(1) : text;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "1.5h" → {1.5, "h"}; nullopt when there is no non-negative number in front.
std::optional<std::pair<double, std::string_view>> amount_and_unit(std::string_view text) {
  auto unit = std::ranges::find_if(text, [](char c) { return !std::isdigit(static_cast<unsigned char>(c)) && c != '.'; });
  std::string_view number(text.begin(), unit);
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc{} || end != number.data() + number.size()) return std::nullopt;
  return std::pair{value, std::string_view(unit, text.end())};
}

template <std::size_t N>
std::optional<double> factor_of(std::string_view unit, const std::array<std::pair<std::string_view, double>, N>& units) {
  auto it = std::ranges::find(units, unit, &std::pair<std::string_view, double>::first);
  return it == units.end() ? std::nullopt : std::optional(it->second);
}

}  // namespace

Result<std::int64_t> parse_integer(std::string_view text) {
  text = without_plus(text);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return fail("integer out of range");
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return fail("expected an integer");
  return value;
}

Result<double> parse_number(std::string_view text) {
  text = without_plus(text);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
    return fail("expected a number");
  return value;
}

Result<bool> parse_boolean(std::string_view text) {
  const std::string word = lowercase(text);
  if (word == "true" || word == "yes" || word == "on") return true;
  if (word == "false" || word == "no" || word == "off") return false;
  return fail("expected a boolean (true/false, yes/no, on/off)");
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, double>, 5> units{
      {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
  static constexpr double max_ms = 1e15;  // ~30000 years: far from overflowing the int64 count
  auto parsed = amount_and_unit(text);
  // A unit is required: is "initial: 2" two seconds or two milliseconds? Only zero is zero in any unit.
  if (parsed && parsed->second.empty() && parsed->first != 0)
    return fail("a duration needs a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m, 2h, 1d)");
  auto factor = parsed ? (parsed->second.empty() ? std::optional(1.0) : factor_of(parsed->second, units)) : std::nullopt;
  if (!factor || parsed->first * *factor > max_ms)
    return fail("expected a duration such as 250ms, 30s, 5m, 2h, 1d");
  return std::chrono::milliseconds(std::llround(parsed->first * *factor));
}

Result<std::uint64_t> parse_size(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, double>, 10> units{
      {{"", 1}, {"b", 1}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
       {"kib", 0x1p10}, {"mib", 0x1p20}, {"gib", 0x1p30}, {"tib", 0x1p40}}};
  static constexpr double max_bytes = 0x1p63;
  auto parsed = amount_and_unit(text);
  auto factor = parsed ? factor_of(lowercase(parsed->second), units) : std::nullopt;
  if (!factor || parsed->first * *factor >= max_bytes)
    return fail("expected a size such as 512, 64KiB, 25MiB, 1GiB, 10KB");
  return static_cast<std::uint64_t>(std::llround(parsed->first * *factor));
}

}  // namespace chatops::config
