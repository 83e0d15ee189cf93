#pragma once
// Whether a receiver can produce to the bus, read from librdkafka's statistics (emitted once a
// second on the producer's poll thread): at least one broker connection up, and every partition
// of the bus topic with a leader. A receiver that cannot is not ready (/healthz/ready answers
// 503), so that a load balancer sends its webhooks to another receiver.
#include <string_view>

#include "ingestion/bus/kafka_bus_config.hpp"

namespace chatops::ingestion::bus {

// From one statistics JSON document (librdkafka's STATISTICS.md); an unreadable one is a problem
// too, named as such.
BrokerReach reach_from_statistics(std::string_view statistics, std::string_view topic);

}  // namespace chatops::ingestion::bus
