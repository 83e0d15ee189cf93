// chatops-kafka.so's one entry point: what the executable calls of librdkafka's users (the Kafka
// stream system and the Kafka journal's two ends) goes through this table.
#include "ingestion/bus/kafka_bus_config.hpp"
#include "ingestion/bus/kafka_bus_producer.hpp"
#include "ingestion/bus/kafka_bus_speaker.hpp"
#include "ingestion/stream/kafka_source.hpp"

namespace chatops::ingestion::bus {
namespace {

class ModuleSpeaker final : public Speaker {
 public:
  ModuleSpeaker(const BusOptions& options, Journal& journal, metrics::Registry* registry)
      : speaker_(options, journal, registry) {}
  void start() override { speaker_.start(); }
  void stop() override { speaker_.stop(); }
  SourceReport report() const override { return speaker_.report(); }

 private:
  BusSpeaker speaker_;
};

Result<std::unique_ptr<Producer>> open_producer(const BusOptions& options, SourceStore& local,
                                                metrics::Registry* registry) {
  auto producer = BusProducer::open(options, local, registry);
  if (!producer) return std::unexpected(producer.error());
  return std::unique_ptr<Producer>(std::move(*producer));
}

std::unique_ptr<Speaker> make_speaker(const BusOptions& options, Journal& journal, metrics::Registry* registry) {
  return std::make_unique<ModuleSpeaker>(options, journal, registry);
}

}  // namespace
}  // namespace chatops::ingestion::bus

extern "C" const chatops::ingestion::stream::SystemModule* chatops_module_kafka() {
  using namespace chatops::ingestion;
  static const stream::KafkaModule module{{stream::make_kafka_source}, stream::check_kafka_properties,
                                          bus::open_producer, bus::make_speaker};
  return &module;
}
