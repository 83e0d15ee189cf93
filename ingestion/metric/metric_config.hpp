#pragma once
// The keys of a `kind: metric` source, declared once, and what they say, checked.
#include <vector>

#include "core/config/node.hpp"
#include "ingestion/metric/check.hpp"
#include "ingestion/metric/provider.hpp"
#include "ingestion/runtime/polling.hpp"

namespace chatops::ingestion::metric {

struct MetricConfig {
  std::string name;
  std::vector<Check> checks;
  ProviderFactory provider;
  PollOptions poll;
};

// The kind's keys: the common source keys, the poll keys and the provider's.
config::Schema metric_source_schema();
Result<MetricConfig> metric_config(const config::Node& validated);

}  // namespace chatops::ingestion::metric
