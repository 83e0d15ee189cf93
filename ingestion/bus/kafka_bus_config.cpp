#include "ingestion/bus/kafka_bus_config.hpp"

#include <set>

#include "ingestion/stream/kafka_config.hpp"

namespace chatops::ingestion::bus {

namespace {
// Settings the bus makes itself: its guarantees depend on them.
const std::set<std::string, std::less<>> kBusOwnProperties = {
    "bootstrap.servers", "metadata.broker.list", "group.id",           "enable.auto.offset.store",
    "enable.auto.commit", "auto.offset.reset",   "acks",               "enable.idempotence",
    "message.timeout.ms", "delivery.timeout.ms", "enable.partition.eof", "partition.assignment.strategy",
    "statistics.interval.ms"};
}  // namespace

Result<void> check_bus_properties(const config::Node& properties) {
  auto module = stream::kafka_module();
  if (!module) return std::unexpected(properties.error(module.error().message));
  return (*module)->check_properties(properties, kBusOwnProperties, "the bus itself (see brokers, group)");
}

Result<std::unique_ptr<Producer>> open_bus_producer(const BusOptions& options, SourceStore& local,
                                                    metrics::Registry* registry) {
  auto module = stream::kafka_module();
  if (!module) return std::unexpected(module.error());
  return (*module)->open_bus_producer(options, local, registry);
}

Result<std::unique_ptr<Speaker>> make_bus_speaker(const BusOptions& options, Journal& journal,
                                                  metrics::Registry* registry) {
  auto module = stream::kafka_module();
  if (!module) return std::unexpected(module.error());
  return (*module)->make_bus_speaker(options, journal, registry);
}

}  // namespace chatops::ingestion::bus
