#include "ingestion/bus/kafka_bus_properties.hpp"

#include <array>

#include "ingestion/stream/kafka_source.hpp"

namespace chatops::ingestion::bus {

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
