#include "ingestion/bus/kafka_bus_properties.hpp"

#include <set>

#include "ingestion/stream/kafka_source.hpp"

namespace chatops::ingestion::bus {

namespace {
// Settings the bus makes itself: its guarantees depend on them.
const std::set<std::string, std::less<>> kBusOwnProperties = {
    "bootstrap.servers", "metadata.broker.list", "group.id",           "enable.auto.offset.store",
    "enable.auto.commit", "auto.offset.reset",   "acks",               "enable.idempotence",
    "message.timeout.ms", "delivery.timeout.ms", "enable.partition.eof", "partition.assignment.strategy"};
}  // namespace

Result<void> check_bus_properties(const config::Node& properties) {
  return stream::check_kafka_properties(properties, kBusOwnProperties, "the bus itself (see brokers, group)");
}

Result<rd_kafka_conf_t*> make_conf(const std::vector<std::pair<std::string, std::string>>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> error{};
  for (const auto& [name, value] : settings)
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error.data(), error.size()) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return fail("bus: property " + name + ": " +
                  (stream::secret_property(name) ? std::string("invalid value") : std::string(error.data())));
    }
  rd_kafka_conf_set_log_cb(conf, stream::log_to_spdlog);
  return conf;
}

}  // namespace chatops::ingestion::bus
