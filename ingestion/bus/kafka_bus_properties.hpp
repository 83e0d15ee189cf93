#pragma once
// The librdkafka settings the bus's producer and consumer share.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "core/error.hpp"

namespace chatops::ingestion::bus {

// A configuration of `settings` in order (later ones win), or why one was refused (a secret's
// value is never quoted).
Result<rd_kafka_conf_t*> make_conf(const std::vector<std::pair<std::string, std::string>>& settings);

}  // namespace chatops::ingestion::bus
