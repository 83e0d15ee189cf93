#pragma once
// `kind: stream, system: nats`: its keys and the checks of a configured source, in the executable
// (validation loads no module); its sources are made by the module chatops-nats.so (nats_source).
#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "ingestion/payload/mapping.hpp"

namespace chatops::ingestion::stream {

inline constexpr payload::MappingKeys kNatsMappingKeys{.headers = true, .topic_required = false};

config::Schema nats_schema();
Result<void> check_nats_config(const config::Node& validated);

}  // namespace chatops::ingestion::stream
