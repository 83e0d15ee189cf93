// time binds (Eggdrop's "minute hour day month year") and cron specs.
#include <catch2/catch.hpp>

#include "bindings/bind_table.hpp"
#include "bindings/clock.hpp"
#include "bindings/config_binds.hpp"
#include "bindings/template.hpp"

using namespace chatops::bindings;

namespace {

// 2027-03-14 (a Sunday) at hh:mm.
std::tm at(int hour, int minute, int day = 14, int month = 3, int weekday = 0) {
  std::tm t{};
  t.tm_year = 2027 - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_wday = weekday;
  return t;
}

bool cron(std::string_view spec, const std::tm& t) {
  auto parsed = CronSpec::parse(spec);
  REQUIRE(parsed);
  return parsed->matches(t);
}

}  // namespace

TEST_CASE("time bind text is Eggdrop's, with a zero-based month") {
  CHECK(eggdrop_time_text(at(9, 5)) == "05 09 14 02 2027");
}

TEST_CASE("time binds match their mask once a minute") {
  BindTable table;
  int full_hours = 0, lunch = 0;
  REQUIRE(table.bind(BindType::Time, "-", "00 * * * *", [&](const BindContext& c) {
    CHECK(c.tick());
    ++full_hours;
    return BindResult::Continue;
  }));
  REQUIRE(table.bind(BindType::Time, "-", "30 12 14 02 2027", [&](const BindContext&) { ++lunch; return BindResult::Continue; }));
  CHECK(table.dispatch_minute(at(10, 0)) == 1);
  CHECK(table.dispatch_minute(at(10, 1)) == 0);
  CHECK(table.dispatch_minute(at(12, 30)) == 1);
  CHECK(full_hours == 1);
  CHECK(lunch == 1);
}

TEST_CASE("cron specs: lists, ranges, steps and names") {
  CHECK(cron("*/15 * * * *", at(3, 45)));
  CHECK_FALSE(cron("*/15 * * * *", at(3, 46)));
  CHECK(cron("5/20 * * * *", at(3, 45)));
  CHECK(cron("0 9-17 * * *", at(17, 0)));
  CHECK_FALSE(cron("0 9-17 * * *", at(18, 0)));
  CHECK(cron("0,30 8 * mar sun", at(8, 30)));
  CHECK_FALSE(cron("0,30 8 * apr *", at(8, 30)));
  CHECK(cron("0 0 * * 7", at(0, 0)));  // 7 is Sunday too
  CHECK(cron("@hourly", at(5, 0)));
  CHECK(cron("@daily", at(0, 0)));
}

TEST_CASE("cron: when both day fields are restricted, either one matches") {
  CHECK(cron("0 0 1 * mon", at(0, 0, 14, 3, 1)));   // a Monday, not the 1st
  CHECK(cron("0 0 14 * mon", at(0, 0, 14, 3, 0)));  // the 14th, a Sunday
  CHECK_FALSE(cron("0 0 1 * mon", at(0, 0, 14, 3, 0)));
  CHECK_FALSE(cron("0 0 1 * *", at(0, 0, 14, 3, 1)));
}

TEST_CASE("invalid cron specs are refused with the reason") {
  for (const auto* spec : {"* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "*/0 * * * *",
                           "5-1 * * * *", "x * * * *", "@sometimes"}) {
    CAPTURE(spec);
    CHECK_FALSE(CronSpec::parse(spec));
  }
  CHECK_THAT(CronSpec::parse("61 * * * *").error().message, Catch::Contains("minute"));
}

TEST_CASE("cron binds run when dispatched for a matching minute") {
  BindTable table;
  int runs = 0;
  REQUIRE(table.bind(BindType::Cron, "-", "*/5 * * * *", [&](const BindContext&) { ++runs; return BindResult::Continue; }));
  CHECK(table.dispatch_minute(at(1, 10)) == 1);
  CHECK(table.dispatch_minute(at(1, 11)) == 0);
  CHECK(runs == 1);
}

TEST_CASE("a scheduled bind's template sees the minute's summary beside time and date") {
  BindTable table;
  std::string said;
  REQUIRE(table.bind(BindType::Time, "-", "00 09 * * *", [&](const BindContext& c) {
    auto compiled = Template::compile("{{date}} {{time}}: {{firing_count}} firing{{#firing}} [{{id}}] {{name}}{{/firing}}");
    REQUIRE(compiled);
    said = compiled->render(template_data(c)).value_or("(render failed)");
    return BindResult::Continue;
  }));
  CHECK(table.has_clock_binds());
  const nlohmann::json summary = {{"firing", {{{"id", "3fa9c1"}, {"name", "DiskFull"}}}}, {"firing_count", 1}};
  CHECK(table.dispatch_minute(at(9, 0), summary) == 1);
  CHECK(said == "2027-03-14 09:00: 1 firing [3fa9c1] DiskFull");
  CHECK_FALSE(BindTable().has_clock_binds());
}
