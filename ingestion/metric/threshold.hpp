#pragma once
// The threshold engine every metric source shares: one check's condition evaluated per series (its
// label set) with the states of Prometheus's rule evaluator (rules/alerting.go, Prometheus 2.42):
// inactive → pending → firing → inactive (resolved). A series whose condition holds becomes
// pending; once it has held for `for`, it fires; when it no longer holds it resolves, after
// `keep_firing_for` when that is set. A pending series that stops holding goes back to inactive
// without a word. The state is a value the source saves in the journal with the events it causes,
// so that a restart neither says a firing series again nor restarts a pending one's timer.
//
// evaluate() does not change the engine: the source journals what it returns and apply()s it only
// once the journal has committed (a refused batch is evaluated again at the next run).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/condition.hpp"

namespace chatops::ingestion::metric {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::milliseconds>;
using Labels = std::map<std::string, std::string>;

// What "crossed" means for a check: value op threshold, or value outside/inside [low, high]
// (core/condition.hpp, shared with bind filters).
using chatops::Comparison;
using chatops::Condition;

// What an answer without any series means.
enum class NoData {
  Resolve,  // nothing holds: every series resolves (Prometheus's behaviour)
  Keep,     // nothing is known: every state stays as it is, timers included
  Alert,    // the absence is itself a series (no labels) that goes pending and fires
};

struct Rule {
  Condition condition;
  std::chrono::milliseconds hold{0};             // for:
  std::chrono::milliseconds keep_firing_for{0};  // keep_firing_for:
  NoData no_data = NoData::Resolve;
  std::chrono::milliseconds repeat_every{0};     // 0: a firing series is said once
  // A series missing from an answer is one not reported (StatsD), not one that no longer holds:
  // with no_data keep or alert, its state stays as it is.
  bool absent_is_no_data = false;
};

struct Sample {
  Labels labels;
  double value = 0;
};

enum class AlertState { Pending, Firing };  // inactive series have no state

struct SeriesState {
  Labels labels;
  AlertState state = AlertState::Pending;
  TimePoint active_at{};                       // when it became pending
  std::optional<TimePoint> fired_at;           // when it fired
  std::optional<TimePoint> keep_firing_since;  // first run it no longer held, while kept firing
  std::optional<TimePoint> last_said;          // when its firing was said last (first or repeat)
  double value = 0;                            // the last value that held (NaN: no data)
  bool no_data = false;                        // the series that stands for an empty answer
  bool operator==(const SeriesState&) const = default;
};

// {a="x", b="y"}: a series' identity, its labels sorted by name ("{}" for none).
std::string series_key(const Labels& labels);

// The state as the journal keeps it (JSON), and back; nullopt when it cannot be read.
std::string to_text(const SeriesState& s);
std::optional<SeriesState> series_state_from_text(std::string_view text);

enum class Transition { Firing, Repeat, Resolved };

struct Notice {
  Transition transition;
  SeriesState series;           // as it was when said (a resolved one: as it was last)
  std::optional<double> value;  // the value now (a resolved series' current value, when it has one)
};

struct Evaluation {
  std::vector<Notice> notices;
  // Series whose saved state changes: their new state, or nullopt once inactive.
  std::vector<std::pair<std::string, std::optional<SeriesState>>> changes;
  std::map<std::string, SeriesState> next;  // every active series after this run
};

class ThresholdEngine {
 public:
  explicit ThresholdEngine(Rule rule) : rule_(rule) {}

  // One run at `now` over every series the query gave (the condition is applied here).
  Evaluation evaluate(const std::vector<Sample>& samples, TimePoint now) const;
  // Makes a committed evaluation the engine's state.
  void apply(Evaluation&& evaluation) { active_ = std::move(evaluation.next); }
  // A state saved by an earlier run (after a restart).
  void restore(SeriesState state) { active_[series_key(state.labels)] = std::move(state); }
  void clear() { active_.clear(); }

  const std::map<std::string, SeriesState>& active() const { return active_; }
  const Rule& rule() const { return rule_; }

 private:
  Rule rule_;
  std::map<std::string, SeriesState> active_;
};

}  // namespace chatops::ingestion::metric
