#pragma once
// `kind: stream` sources: messages consumed from a broker the operations team already runs,
// acknowledged upstream only once the journal has committed them. `system:` picks the broker;
// each system lives in its own files here, built when its library's CMake option is on.
#include <string>
#include <vector>

#include "ingestion/source_registry.hpp"

namespace chatops::ingestion::stream {

// The systems this build has (kafka when CHATOPS_WITH_KAFKA).
std::vector<std::string> built_systems();

config::Schema stream_source_schema();
Result<config::Node> validate_stream_source(const config::Node& raw);
// The registry entry (source_registry.cpp).
SourceKind stream_source_kind();

}  // namespace chatops::ingestion::stream
