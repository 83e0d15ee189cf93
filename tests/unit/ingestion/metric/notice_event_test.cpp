// The events a check's transitions become: topic, fields, severity, a dedupe key per transition,
// and a default line with the value humanised.
#include <catch2/catch.hpp>

#include "bindings/template.hpp"
#include "ingestion/metric/check.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::metric;

namespace {

Check disk_check() {
  Check c;
  c.name = "disk_full";
  c.query = "disk_used";
  c.rule.condition = {Comparison::Gt, 90};
  c.unit = Unit::Percent;
  c.severity = Severity::Critical;
  c.summary = "disk almost full";
  return c;
}

SeriesState firing_series() {
  SeriesState s;
  s.labels = {{"instance", "db1"}, {"mount", "/var"}};
  s.state = AlertState::Firing;
  s.active_at = TimePoint(std::chrono::milliseconds(1000));
  s.fired_at = TimePoint(std::chrono::milliseconds(61000));
  s.last_said = s.fired_at;
  s.value = 95.34;
  return s;
}

}  // namespace

TEST_CASE("a firing series becomes metric/<source>/firing with its value, threshold, labels and link", "[metric]") {
  const auto e = notice_event(disk_check(), {Transition::Firing, firing_series(), 95.34},
                              {"prom", "http://prom/graph?g0.expr=disk_used"});
  CHECK(e.topic == "metric/prom/firing");
  CHECK(e.severity == Severity::Critical);
  CHECK(e.fields["check"] == "disk_full");
  CHECK(e.fields["value"] == 95.34);
  CHECK(e.fields["value_text"] == "95.3%");
  CHECK(e.fields["condition"] == "> 90");
  CHECK(e.fields["threshold"] == 90);
  CHECK(e.fields["labels"]["mount"] == "/var");
  CHECK(e.fields["link"] == "http://prom/graph?g0.expr=disk_used");
  CHECK(e.fields["fired_at"] == 61000);
  CHECK_FALSE(e.default_template.empty());
}

TEST_CASE("each transition has its own dedupe key, a repeat differs from the first firing", "[metric]") {
  const auto check = disk_check();
  auto s = firing_series();
  const auto fired = notice_event(check, {Transition::Firing, s, 95.0}, {"prom", ""});
  const auto resolved = notice_event(check, {Transition::Resolved, s, 12.0}, {"prom", ""});
  s.last_said = TimePoint(std::chrono::milliseconds(3661000));
  const auto repeat = notice_event(check, {Transition::Repeat, s, 95.0}, {"prom", ""});
  CHECK(fired.dedupe_key != resolved.dedupe_key);
  CHECK(fired.dedupe_key != repeat.dedupe_key);
  CHECK(resolved.topic == "metric/prom/resolved");
  CHECK(resolved.severity == Severity::Info);
  CHECK(resolved.fields["value_text"] == "12%");
  CHECK(repeat.topic == "metric/prom/firing");
  CHECK(repeat.fields["repeat"] == true);
}

TEST_CASE("the default lines read as a person would say them", "[metric]") {
  const auto check = disk_check();
  const auto fired = notice_event(check, {Transition::Firing, firing_series(), 95.34}, {"prom", "http://prom/g"});
  auto firing_line = chatops::bindings::Template::compile(fired.default_template);
  REQUIRE(firing_line);
  // Formatting ([B], [COLOR]) becomes IRC codes; the words are these.
  const auto firing_text = *firing_line->render(fired.fields);
  CHECK_THAT(firing_text, Catch::Contains("FIRING") && Catch::Contains("disk_full") &&
                              Catch::Contains("{instance=\"db1\", mount=\"/var\"}: 95.3% (> 90) disk almost full "
                                              "http://prom/g"));
  const auto gone = notice_event(check, {Transition::Resolved, firing_series(), std::nullopt}, {"prom", ""});
  auto resolved_line = chatops::bindings::Template::compile(gone.default_template);
  REQUIRE(resolved_line);
  const auto resolved_text = *resolved_line->render(gone.fields);
  CHECK_THAT(resolved_text, Catch::Contains("RESOLVED") &&
                                Catch::Contains("{instance=\"db1\", mount=\"/var\"}: no longer reported disk almost full"));
  CHECK_THAT(resolved_text, !Catch::Contains("http"));
}
