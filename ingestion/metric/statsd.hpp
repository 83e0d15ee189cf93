#pragma once
// `provider: statsd`: the source is a StatsD server. Its listener aggregates what senders push;
// each run ends a flush interval (the source's interval) and the checks' queries name a metric and
// one of its statistics (`api.latency:p99`, `jobs.failed:count`, `queue.depth`).
#include <memory>

#include "ingestion/metric/provider.hpp"
#include "ingestion/metric/statsd_aggregator.hpp"
#include "ingestion/metric/statsd_listener.hpp"

namespace chatops::ingestion::metric::statsd {

struct StatsdConfig {
  ListenerOptions listener;
  Limits limits;
};

std::unique_ptr<Provider> make_provider(StatsdConfig config);

}  // namespace chatops::ingestion::metric::statsd
