#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "ingestion/metric/threshold.hpp"

using namespace chatops::ingestion::metric;
using namespace std::chrono_literals;

namespace {

TimePoint at_second(int s) { return TimePoint(std::chrono::milliseconds(1'700'000'000'000LL + s * 1000LL)); }

Rule gt_rule(double threshold, std::chrono::milliseconds hold = 0ms, std::chrono::milliseconds keep = 0ms) {
  Rule r;
  r.condition = {Comparison::Gt, threshold};
  r.hold = hold;
  r.keep_firing_for = keep;
  return r;
}

std::vector<Sample> one_series(double value, Labels labels = {{"instance", "a"}}) { return {{std::move(labels), value}}; }

// Evaluates and applies (as after a committed run); returns the transitions said.
std::vector<Transition> run(ThresholdEngine& engine, const std::vector<Sample>& samples, TimePoint now) {
  auto e = engine.evaluate(samples, now);
  std::vector<Transition> said;
  for (const auto& n : e.notices) said.push_back(n.transition);
  engine.apply(std::move(e));
  return said;
}

const std::vector<Transition> kNothing{};
const std::vector<Transition> kFires{Transition::Firing};
const std::vector<Transition> kResolves{Transition::Resolved};

}  // namespace

TEST_CASE("conditions compare as PromQL does, NaN never holding", "[metric]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(Condition{Comparison::Gt, 90}.holds(90.5));
  CHECK_FALSE(Condition{Comparison::Gt, 90}.holds(90));
  CHECK(Condition{Comparison::Gte, 90}.holds(90));
  CHECK(Condition{Comparison::Lt, 1}.holds(0.5));
  CHECK_FALSE(Condition{Comparison::Lte, 1}.holds(1.5));
  CHECK(Condition{Comparison::Eq, 0}.holds(0));
  CHECK(Condition{Comparison::Ne, 0}.holds(1));
  CHECK(Condition{Comparison::Outside, 10, 20}.holds(9));
  CHECK(Condition{Comparison::Outside, 10, 20}.holds(21));
  CHECK_FALSE(Condition{Comparison::Outside, 10, 20}.holds(10));
  CHECK(Condition{Comparison::Inside, 10, 20}.holds(20));
  CHECK_FALSE(Condition{Comparison::Inside, 10, 20}.holds(20.1));
  for (auto op : {Comparison::Gt, Comparison::Lt, Comparison::Eq, Comparison::Ne, Comparison::Outside})
    CHECK_FALSE(Condition{op, 1, 2}.holds(nan));
  CHECK(Condition{Comparison::Gt, 1}.holds(std::numeric_limits<double>::infinity()));
  CHECK(Condition{Comparison::Gte, 90}.text() == ">= 90");
  CHECK(Condition{Comparison::Outside, 0.5, 20}.text() == "outside [0.5, 20]");
}

TEST_CASE("without for: a series fires at the first run it holds and resolves at the first it does not", "[metric]") {
  ThresholdEngine engine(gt_rule(90));
  CHECK(run(engine, one_series(50), at_second(0)) == kNothing);
  CHECK(run(engine, one_series(95), at_second(1)) == kFires);
  CHECK(run(engine, one_series(96), at_second(2)) == kNothing);  // still firing: said once
  CHECK(run(engine, one_series(80), at_second(3)) == kResolves);
  CHECK(run(engine, one_series(80), at_second(4)) == kNothing);
  CHECK(engine.active().empty());
}

TEST_CASE("with for: pending until the condition has held that long, then firing", "[metric]") {
  ThresholdEngine engine(gt_rule(90, 3s));
  CHECK(run(engine, one_series(95), at_second(0)) == kNothing);
  REQUIRE(engine.active().size() == 1);
  CHECK(engine.active().begin()->second.state == AlertState::Pending);
  CHECK(engine.active().begin()->second.active_at == at_second(0));
  CHECK(run(engine, one_series(95), at_second(1)) == kNothing);
  CHECK(run(engine, one_series(95), at_second(2)) == kNothing);
  CHECK(run(engine, one_series(95), at_second(3)) == kFires);  // now - active_at >= for, as Prometheus
  CHECK(engine.active().begin()->second.fired_at == at_second(3));
}

TEST_CASE("a pending series that stops holding goes back to inactive without a word, and starts over", "[metric]") {
  ThresholdEngine engine(gt_rule(90, 3s));
  CHECK(run(engine, one_series(95), at_second(0)) == kNothing);
  CHECK(run(engine, one_series(95), at_second(2)) == kNothing);
  CHECK(run(engine, one_series(10), at_second(3)) == kNothing);
  CHECK(engine.active().empty());
  CHECK(run(engine, one_series(95), at_second(4)) == kNothing);
  CHECK(engine.active().begin()->second.active_at == at_second(4));  // the timer restarted
  CHECK(run(engine, one_series(95), at_second(6)) == kNothing);
  CHECK(run(engine, one_series(95), at_second(7)) == kFires);
}

TEST_CASE("each series (label set) has its own state", "[metric]") {
  ThresholdEngine engine(gt_rule(90, 1s));
  const std::vector<Sample> both{{{{"disk", "a"}}, 95}, {{{"disk", "b"}}, 10}};
  CHECK(run(engine, both, at_second(0)) == kNothing);
  const std::vector<Sample> swapped{{{{"disk", "a"}}, 95}, {{{"disk", "b"}}, 99}};
  auto e = engine.evaluate(swapped, at_second(1));
  REQUIRE(e.notices.size() == 1);
  CHECK(e.notices[0].series.labels.at("disk") == "a");
  engine.apply(std::move(e));
  CHECK(run(engine, swapped, at_second(2)) == kFires);  // b, a second after it began
  CHECK(engine.active().size() == 2);
}

TEST_CASE("keep_firing_for: a flapping value fires once and resolves once, after the hysteresis", "[metric]") {
  ThresholdEngine engine(gt_rule(90, 0s, 3s));
  CHECK(run(engine, one_series(95), at_second(0)) == kFires);
  // Flapping: below, above, below, above … each gap shorter than keep_firing_for.
  for (int s = 1; s < 20; ++s) CHECK(run(engine, one_series(s % 2 ? 80 : 95), at_second(s)) == kNothing);
  // Below for good since 19: kept firing at 20 and 21 (less than 3 s since 19), resolved at 22.
  CHECK(run(engine, one_series(80), at_second(20)) == kNothing);
  CHECK(run(engine, one_series(80), at_second(21)) == kNothing);
  CHECK(run(engine, one_series(80), at_second(22)) == kResolves);
}

TEST_CASE("without keep_firing_for a flapping value is said at every flip", "[metric]") {
  ThresholdEngine engine(gt_rule(90));
  int said = 0;
  for (int s = 0; s < 10; ++s) said += static_cast<int>(run(engine, one_series(s % 2 ? 80 : 95), at_second(s)).size());
  CHECK(said == 10);
}

TEST_CASE("a resolved notice carries the value now, or none when the series is gone", "[metric]") {
  ThresholdEngine engine(gt_rule(90));
  run(engine, one_series(95), at_second(0));
  auto e = engine.evaluate(one_series(42), at_second(1));
  REQUIRE(e.notices.size() == 1);
  CHECK(e.notices[0].value == 42);
  CHECK(e.notices[0].series.value == 95);  // as it was when it last held
  auto gone = engine.evaluate({{{{"instance", "other"}}, 1}}, at_second(1));
  REQUIRE(gone.notices.size() == 1);
  CHECK_FALSE(gone.notices[0].value);
}

TEST_CASE("no_data: resolve, keep or alert when the answer has no series at all", "[metric]") {
  SECTION("resolve: as Prometheus, everything resolves") {
    ThresholdEngine engine(gt_rule(90));
    run(engine, one_series(95), at_second(0));
    CHECK(run(engine, {}, at_second(1)) == kResolves);
  }
  SECTION("keep: nothing changes, a pending timer keeps running") {
    Rule r = gt_rule(90, 3s);
    r.no_data = NoData::Keep;
    ThresholdEngine engine(r);
    run(engine, one_series(95), at_second(0));
    CHECK(run(engine, {}, at_second(1)) == kNothing);
    CHECK(run(engine, {}, at_second(2)) == kNothing);
    CHECK(engine.active().begin()->second.active_at == at_second(0));
    CHECK(run(engine, one_series(95), at_second(3)) == kFires);
  }
  SECTION("alert: the absence goes pending, fires after for, and resolves when data returns") {
    Rule r = gt_rule(90, 2s);
    r.no_data = NoData::Alert;
    ThresholdEngine engine(r);
    CHECK(run(engine, {}, at_second(0)) == kNothing);
    CHECK(run(engine, {}, at_second(1)) == kNothing);
    auto e = engine.evaluate({}, at_second(2));
    REQUIRE(e.notices.size() == 1);
    CHECK(e.notices[0].series.no_data);
    CHECK(e.notices[0].series.labels.empty());
    CHECK(std::isnan(*e.notices[0].value));
    engine.apply(std::move(e));
    CHECK(run(engine, one_series(10), at_second(3)) == kResolves);
  }
}

TEST_CASE("repeat_every says a series that is still firing again, at most that often", "[metric]") {
  Rule r = gt_rule(90);
  r.repeat_every = 10s;
  ThresholdEngine engine(r);
  CHECK(run(engine, one_series(95), at_second(0)) == kFires);
  for (int s = 1; s < 10; ++s) CHECK(run(engine, one_series(95), at_second(s)) == kNothing);
  CHECK(run(engine, one_series(95), at_second(10)) == std::vector{Transition::Repeat});
  CHECK(run(engine, one_series(95), at_second(15)) == kNothing);
  CHECK(run(engine, one_series(95), at_second(21)) == std::vector{Transition::Repeat});
}

TEST_CASE("evaluate changes nothing until apply: a run the journal refused is evaluated again", "[metric]") {
  ThresholdEngine engine(gt_rule(90));
  auto refused = engine.evaluate(one_series(95), at_second(0));
  CHECK(refused.notices.size() == 1);
  CHECK(engine.active().empty());
  auto again = engine.evaluate(one_series(95), at_second(1));
  REQUIRE(again.notices.size() == 1);
  CHECK(again.notices[0].series.fired_at == at_second(1));
}

TEST_CASE("only what must survive a restart is a change to save, not every new value", "[metric]") {
  ThresholdEngine engine(gt_rule(90, 5s));
  auto first = engine.evaluate(one_series(95), at_second(0));
  CHECK(first.changes.size() == 1);  // pending since 0
  engine.apply(std::move(first));
  auto same = engine.evaluate(one_series(97), at_second(1));
  CHECK(same.changes.empty());
  engine.apply(std::move(same));
  auto fired = engine.evaluate(one_series(97), at_second(5));
  REQUIRE(fired.changes.size() == 1);
  CHECK(fired.changes[0].second->state == AlertState::Firing);
  engine.apply(std::move(fired));
  auto resolved = engine.evaluate(one_series(1), at_second(6));
  REQUIRE(resolved.changes.size() == 1);
  CHECK_FALSE(resolved.changes[0].second);  // inactive: forgotten
}

TEST_CASE("a restored state neither re-fires nor resets a pending timer", "[metric]") {
  Rule r = gt_rule(90, 10s);
  ThresholdEngine before(r);
  run(before, {{{{"i", "pending"}}, 95}}, at_second(0));
  run(before, {{{{"i", "pending"}}, 95}, {{{"i", "firing"}}, 95}}, at_second(5));
  ThresholdEngine firing_before(gt_rule(90));
  run(firing_before, {{{{"i", "firing"}}, 95}}, at_second(5));

  // Saved as text (the journal's state), read back by a new engine, as after a restart.
  ThresholdEngine after(r);
  for (const auto& [key, s] : before.active()) {
    auto copy = series_state_from_text(to_text(s));
    REQUIRE(copy);
    CHECK(*copy == s);
    if (key.find("pending") != std::string::npos) after.restore(*copy);
  }
  for (const auto& [key, s] : firing_before.active()) after.restore(*series_state_from_text(to_text(s)));
  const std::vector<Sample> both{{{{"i", "pending"}}, 95}, {{{"i", "firing"}}, 95}};
  CHECK(run(after, both, at_second(6)) == kNothing);  // the firing one is not said again
  CHECK(run(after, both, at_second(10)) == kFires);   // the pending one fires 10 s after it began
}

TEST_CASE("saved states that do not parse are refused", "[metric]") {
  CHECK_FALSE(series_state_from_text(""));
  CHECK_FALSE(series_state_from_text("[]"));
  CHECK_FALSE(series_state_from_text(R"({"labels":{},"state":"bogus","active_at":1})"));
  CHECK_FALSE(series_state_from_text(R"({"labels":{"a":1},"state":"firing","active_at":1})"));
  CHECK_FALSE(series_state_from_text(R"({"labels":{},"state":"firing"})"));
  const auto s = series_state_from_text(R"({"labels":{"a":"b"},"state":"firing","active_at":1,"value":null})");
  REQUIRE(s);
  CHECK(std::isnan(s->value));
}

TEST_CASE("series keys name the labels sorted, values quoted", "[metric]") {
  CHECK(series_key({}) == "{}");
  CHECK(series_key({{"z", "1"}, {"a", "say \"hi\""}}) == R"({a="say \"hi\"", z="1"})");
}

TEST_CASE("pushed metrics: a series not reported is no data, kept with no_data keep, resolved with resolve", "[metric]") {
  Rule r = gt_rule(90, 2s);
  r.absent_is_no_data = true;
  r.no_data = NoData::Keep;
  ThresholdEngine engine(r);
  const std::vector<Sample> both{{{{"q", "a"}}, 95}, {{{"q", "b"}}, 95}};
  CHECK(run(engine, both, at_second(0)) == kNothing);
  CHECK(run(engine, {{{{"q", "a"}}, 95}}, at_second(1)) == kNothing);  // b not reported: still pending
  CHECK(run(engine, {{{{"q", "a"}}, 95}}, at_second(2)).size() == 1);   // a fires; b, unreported, does not
  CHECK(run(engine, {{{{"q", "b"}}, 95}}, at_second(3)).size() == 1);   // b fires, its timer kept; a kept firing
  CHECK(run(engine, {{{{"q", "a"}}, 10}}, at_second(4)) == kResolves);   // a reported low: resolves
  CHECK(engine.active().size() == 1);

  r.no_data = NoData::Resolve;
  ThresholdEngine resolving(r);
  run(resolving, {{{{"q", "a"}}, 95}}, at_second(0));
  run(resolving, {{{{"q", "a"}}, 95}}, at_second(2));
  CHECK(run(resolving, {{{{"q", "b"}}, 1}}, at_second(3)) == kResolves);
}
