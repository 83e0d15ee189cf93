#include "bindings/clock.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <vector>

namespace chatops::bindings {
namespace {

struct FieldRange {
  std::string_view what;
  int min, max;
  std::array<std::string_view, 12> names;  // names[i] means min + i (when present)
};

constexpr FieldRange kMinute{"minute", 0, 59, {}};
constexpr FieldRange kHour{"hour", 0, 23, {}};
constexpr FieldRange kDayOfMonth{"day of month", 1, 31, {}};
constexpr FieldRange kMonth{"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}};
// 7 is accepted as Sunday and folded to 0 below.
constexpr FieldRange kDayOfWeek{"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}};

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

std::vector<std::string_view> split_spaces(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const auto start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

Result<int> parse_value(std::string_view text, const FieldRange& range) {
  for (std::size_t i = 0; i < range.names.size(); ++i) {
    const auto name = range.names[i];
    if (name.empty() || text.size() != name.size()) continue;
    bool same = true;
    for (std::size_t k = 0; k < name.size(); ++k)
      same = same && static_cast<char>(text[k] | 0x20) == name[k];
    if (same) return range.min + static_cast<int>(i);
  }
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < range.min || value > range.max)
    return fail("invalid " + std::string(range.what) + " \"" + std::string(text) + "\" (" +
                std::to_string(range.min) + "-" + std::to_string(range.max) + ")");
  return value;
}

// One field ("*/15", "1-5", "mon,wed,fri") into a bitset indexed by value.
template <std::size_t N>
Result<std::bitset<N>> parse_field(std::string_view field, const FieldRange& range) {
  std::bitset<N> bits;
  for (auto item : split(field, ',')) {
    int step = 1;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      const auto step_text = item.substr(slash + 1);
      const auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (ec != std::errc{} || end != step_text.data() + step_text.size() || step < 1)
        return fail("invalid step \"" + std::string(step_text) + "\" in " + std::string(range.what));
      item = item.substr(0, slash);
    }
    int first = range.min, last = range.max;
    if (item != "*") {
      const auto dash = item.find('-');
      auto low = parse_value(item.substr(0, dash), range);
      if (!low) return std::unexpected(low.error());
      first = last = *low;
      if (dash != std::string_view::npos) {
        auto high = parse_value(item.substr(dash + 1), range);
        if (!high) return std::unexpected(high.error());
        last = *high;
      } else if (step > 1) {
        last = range.max;  // "5/15" means from 5 on, every 15
      }
      if (first > last) return fail("invalid range \"" + std::string(item) + "\" in " + std::string(range.what));
    }
    for (int v = first; v <= last; v += step) bits.set(static_cast<std::size_t>(v % static_cast<int>(N)));
  }
  return bits;
}

std::string_view expand_macro(std::string_view spec) {
  if (spec == "@hourly") return "0 * * * *";
  if (spec == "@daily" || spec == "@midnight") return "0 0 * * *";
  if (spec == "@weekly") return "0 0 * * 0";
  if (spec == "@monthly") return "0 0 1 * *";
  if (spec == "@yearly" || spec == "@annually") return "0 0 1 1 *";
  return spec;
}

}  // namespace

std::string eggdrop_time_text(const std::tm& local) {
  char text[32];
  std::snprintf(text, sizeof text, "%02d %02d %02d %02d %04d", local.tm_min, local.tm_hour, local.tm_mday,
                local.tm_mon, local.tm_year + 1900);
  return text;
}

Result<CronSpec> CronSpec::parse(std::string_view spec) {
  const auto fields = split_spaces(expand_macro(spec));
  if (fields.size() != 5)
    return fail("invalid cron spec \"" + std::string(spec) + "\": expected 5 fields (minute hour day month weekday)");
  CronSpec out;
  auto minutes = parse_field<60>(fields[0], kMinute);
  auto hours = parse_field<24>(fields[1], kHour);
  auto days = parse_field<32>(fields[2], kDayOfMonth);
  auto months = parse_field<13>(fields[3], kMonth);
  auto weekdays = parse_field<7>(fields[4], kDayOfWeek);  // 7 wraps to 0 (Sunday)
  for (const Error* e : {minutes ? nullptr : &minutes.error(), hours ? nullptr : &hours.error(),
                         days ? nullptr : &days.error(), months ? nullptr : &months.error(),
                         weekdays ? nullptr : &weekdays.error()})
    if (e) return fail("invalid cron spec \"" + std::string(spec) + "\": " + e->message);
  out.minutes_ = *minutes;
  out.hours_ = *hours;
  out.days_of_month_ = *days;
  out.months_ = *months;
  out.days_of_week_ = *weekdays;
  out.any_day_of_month_ = fields[2].starts_with('*');
  out.any_day_of_week_ = fields[4].starts_with('*');
  return out;
}

bool CronSpec::matches(const std::tm& local) const {
  if (!minutes_.test(static_cast<std::size_t>(local.tm_min)) || !hours_.test(static_cast<std::size_t>(local.tm_hour)) ||
      !months_.test(static_cast<std::size_t>(local.tm_mon + 1)))
    return false;
  const bool day_of_month = days_of_month_.test(static_cast<std::size_t>(local.tm_mday));
  const bool day_of_week = days_of_week_.test(static_cast<std::size_t>(local.tm_wday));
  if (any_day_of_month_ || any_day_of_week_) return day_of_month && day_of_week;
  return day_of_month || day_of_week;
}

}  // namespace chatops::bindings
