#pragma once
// `kind: stream, system: kafka`: its keys and the checks of a configured source, in the executable;
// its sources, and both ends of the Kafka journal (ingestion/bus/), are made by the module
// chatops-kafka.so (kafka_source, kafka_bus_*), loaded when a Kafka source or the bus is configured.
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "ingestion/payload/mapping.hpp"
#include "ingestion/stream/stream_kind.hpp"

namespace chatops::metrics {
class Registry;
}

namespace chatops::ingestion {
class Journal;
class SourceStore;
namespace bus {
struct BusOptions;
class Producer;
class Speaker;
}  // namespace bus
}  // namespace chatops::ingestion

namespace chatops::ingestion::stream {

inline constexpr payload::MappingKeys kKafkaMappingKeys{.headers = true, .topic_required = false};

// What chatops-kafka.so gives: the stream system's make, librdkafka's own check of properties, and
// the Kafka journal's two ends.
struct KafkaModule : SystemModule {
  // Checks a `properties:` map against librdkafka; names in `own` are refused as set by `owner`.
  Result<void> (*check_properties)(const config::Node& properties, const std::set<std::string, std::less<>>& own,
                                   std::string_view owner);
  Result<std::unique_ptr<bus::Producer>> (*open_bus_producer)(const bus::BusOptions& options, SourceStore& local,
                                                              metrics::Registry* registry);
  std::unique_ptr<bus::Speaker> (*make_bus_speaker)(const bus::BusOptions& options, Journal& journal,
                                                    metrics::Registry* registry);
};

// The Kafka module, loaded on first use (the error names the paths tried and the loader's answer).
Result<const KafkaModule*> kafka_module();

config::Schema kafka_schema();
// Checks the mapping, the topics, and the properties against librdkafka (through the module: an
// unknown name or a bad value stops start-up).
Result<void> check_kafka_config(const config::Node& validated);

}  // namespace chatops::ingestion::stream
