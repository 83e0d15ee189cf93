#pragma once
// The Kafka journal as the executable knows it: the check of the bus's librdkafka properties and
// its two ends, all made by the Kafka module (chatops-kafka.so), which is loaded only when
// `bus.role` is receiver or speaker.
#include <cstdint>
#include <memory>

#include "core/config/node.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "ingestion/bus/bus_config.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/manager.hpp"
#include "ingestion/runtime/store.hpp"
#include "ingestion/stream/kafka_statistics.hpp"

namespace chatops::ingestion::bus {

// The speaker's end (kafka_bus_speaker.hpp): consumes the bus topic into the local journal.
class Speaker {
 public:
  virtual ~Speaker() = default;
  virtual void start() = 0;  // consumes on its own thread; returns at once
  virtual void stop() = 0;   // within about a second
  // The consumer as source `bus` in `!sources`, /healthz and /metrics (IngestionManager::also_report).
  virtual SourceReport report() const = 0;
};

// Whether a receiver can produce to the bus (stream/kafka_statistics.hpp).
using BrokerReach = stream::KafkaReach;

// The receiver's end (kafka_bus_producer.hpp): the journal its sources submit to, which produces
// their events to the bus topic.
class Producer : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  virtual std::uint64_t produced() const = 0;  // acknowledged by the brokers
  virtual std::uint64_t failed() const = 0;    // refused or not acknowledged in time
  virtual BrokerReach reach() const = 0;       // as of librdkafka's last statistics (once a second)
};

// A `properties:` map checked against librdkafka; the bus's own settings are refused by name.
Result<void> check_bus_properties(const config::Node& properties);

// The receiver's journal (kafka_bus_producer.hpp): where its sources' batches go.
Result<std::unique_ptr<Producer>> open_bus_producer(const BusOptions& options, SourceStore& local,
                                                    metrics::Registry* registry);
// The speaker; it sets the journal's on_done.
Result<std::unique_ptr<Speaker>> make_bus_speaker(const BusOptions& options, Journal& journal,
                                                  metrics::Registry* registry);

}  // namespace chatops::ingestion::bus
