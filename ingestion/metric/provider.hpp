#pragma once
// What a metric source asks: the samples of a check's query, from Prometheus, InfluxDB or StatsD.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ingestion/metric/check.hpp"
#include "ingestion/metric/threshold.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/source.hpp"

namespace chatops::ingestion::metric {

// Where a check's samples come from.
class Provider {
 public:
  virtual ~Provider() = default;
  // Before the first run, and again after a failed one (then it keeps what it has: a listener
  // stays bound). `runtime` is the source's, for its counters.
  virtual SourceResult<> open(SourceRuntime&) { return {}; }
  // At the start of each run, before the checks' queries (StatsD ends its flush interval here).
  virtual SourceResult<> begin_run() { return {}; }
  // The samples of one check's query at the run's evaluation time `at` (now, unless a test drives
  // the source's clock), by `deadline`.
  virtual SourceResult<std::vector<Sample>> query(const Check& check, TimePoint at,
                                                  std::chrono::steady_clock::time_point deadline) = 0;
  // A link to the check's expression upstream ("" when none).
  virtual std::string link(const Check& check) const = 0;
  // From another thread: cut a query under way.
  virtual void interrupt() = 0;
  // Whether a series missing from an answer was not reported (pushed metrics: StatsD), rather
  // than no longer matching (a query's answer): then no_data applies to it too.
  virtual bool absent_series_are_no_data() const { return false; }
};

// Makes a source's provider, given how to tell that the source is stopping.
using ProviderFactory = std::function<std::unique_ptr<Provider>(std::function<bool()> stopping)>;

}  // namespace chatops::ingestion::metric
