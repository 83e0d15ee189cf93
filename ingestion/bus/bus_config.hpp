#pragma once
// The `bus:` section of config.yml: the Kafka journal, for more than one machine. Off by default
// (one process journals in SQLite and speaks); `receiver` processes produce the events of their
// sources to a Kafka topic, and the `speaker` consumes that topic and says them.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"

namespace chatops::ingestion::bus {

enum class Role { Off, Receiver, Speaker };

struct BusOptions {
  Role role = Role::Off;
  std::string brokers;
  std::string topic = "chatops-events";
  std::string group = "chatops-speaker";
  std::vector<std::pair<std::string, std::string>> properties;  // passed to librdkafka as they are
  std::chrono::milliseconds delivery_timeout{std::chrono::seconds(10)};
  std::size_t max_message_size = 8 * 1024 * 1024;
};

config::Schema bus_schema();
// `bus` validated against bus_schema(); errors name the key (brokers missing, a property that
// librdkafka refuses, a build without Kafka).
Result<BusOptions> bus_options(const config::Node& bus);

}  // namespace chatops::ingestion::bus
