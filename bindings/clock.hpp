#pragma once
// What `time` and `cron` binds match against, for one minute of local time.
//
// time (Eggdrop): the mask is a wildcard over "minute hour day month year", two digits each with
// leading zeros and a four-digit year, and — as in Eggdrop — a ZERO-BASED month ("00" is
// January): "00 * * * *" is every full hour, "30 12 01 00 *" is 12:30 on January 1st.
// cron: a five-field cron spec "minute hour day-of-month month day-of-week" with `*`, lists,
// ranges, steps and names (jan…dec, sun…sat; 0 or 7 is Sunday), or @hourly, @daily, @midnight,
// @weekly, @monthly, @yearly, @annually. As in Vixie cron, when both day fields are restricted
// a day matching either one matches.
#include <bitset>
#include <ctime>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace chatops::bindings {

// "MM HH DD MM YYYY" with the zero-based month, the text a `time` mask is matched against.
std::string eggdrop_time_text(const std::tm& local);

class CronSpec {
 public:
  static Result<CronSpec> parse(std::string_view spec);
  bool matches(const std::tm& local) const;

 private:
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;
  std::bitset<13> months_;       // 1-12
  std::bitset<7> days_of_week_;  // 0 = Sunday
  bool any_day_of_month_ = false;
  bool any_day_of_week_ = false;
};

}  // namespace chatops::bindings
