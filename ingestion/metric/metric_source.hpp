#pragma once
// `kind: metric` sources: checks whose queries a provider answers at each run (Prometheus today),
// evaluated by the threshold engine; a series that fires or resolves becomes an event, journaled in
// the same transaction as the state that remembers it (pending since, firing since, last said).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ingestion/metric/check.hpp"
#include "ingestion/metric/provider.hpp"
#include "ingestion/metric/threshold.hpp"
#include "ingestion/runtime/polling.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::ingestion::metric {

// The time of a run: the states' timers and the queries' evaluation time (Prometheus's `time=`).
using EvaluationClock = std::function<TimePoint()>;
TimePoint system_now();

class MetricSource final : public PollingSource {
 public:
  // `clock` is the system's but in tests that replay a history faster than it happened.
  MetricSource(PollOptions poll, std::vector<Check> checks, const ProviderFactory& provider,
               EvaluationClock clock = system_now);
  ~MetricSource() override;

 private:
  SourceResult<> open() override;  // loads the series' saved states
  SourceResult<> poll(std::chrono::steady_clock::time_point deadline) override;
  void interrupt() override { provider_->interrupt(); }

  std::vector<Check> checks_;
  std::vector<ThresholdEngine> engines_;  // one per check, in the same order
  std::unique_ptr<Provider> provider_;
  EvaluationClock clock_;
  std::vector<std::string> stale_;  // saved keys of checks no longer configured, deleted with the next commit
};

// The state key of a check's series.
std::string state_key(const std::string& check, const std::string& series_key);

// The registry entry (source_registry.cpp).
SourceKind metric_source_kind();

}  // namespace chatops::ingestion::metric
