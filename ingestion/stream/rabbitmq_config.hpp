#pragma once
// `kind: stream, system: rabbitmq`: its keys and the checks of a configured source, in the executable
// (validation loads no module); its sources are made by the module chatops-rabbitmq.so (rabbitmq_source).
#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "ingestion/payload/mapping.hpp"

namespace chatops::ingestion::stream {

inline constexpr payload::MappingKeys kRabbitMqMappingKeys{.headers = true, .topic_required = false};

config::Schema rabbitmq_schema();
Result<void> check_rabbitmq_config(const config::Node& validated);

}  // namespace chatops::ingestion::stream
