#pragma once
// `kind: stream, system: redis`: its keys and the checks of a configured source, in the executable
// (validation loads no module); its sources are made by the module chatops-redis.so (redis_source).
#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "ingestion/payload/mapping.hpp"

namespace chatops::ingestion::stream {

inline constexpr payload::MappingKeys kRedisMappingKeys{.headers = false, .topic_required = false};

config::Schema redis_schema();
Result<void> check_redis_config(const config::Node& validated);

}  // namespace chatops::ingestion::stream
