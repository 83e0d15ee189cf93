#pragma once
// `kind: stream` sources: messages consumed from a broker the operations team already runs,
// acknowledged upstream only once the journal has committed them. `system:` picks the broker;
// each system lives in its own files here, built when its library's CMake option is on.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/runtime/stream.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::ingestion::stream {

// Why a message cannot become an event.
struct Unreadable {
  std::string cause;  // too_large, not_utf8, not_json, or the mapping's (missing_field, missing_topic)
  std::string reason;
};

// A message that cannot become an event (too large, not JSON, unmapped): skipped and acknowledged
// (the same bytes would fail again and hold the stream up), counted by `cause` and named by its
// `position` in the source's last error.
void skip_unreadable(SourceRuntime& runtime, const SourceMetrics::Counter& unreadable, const std::string& position,
                     const std::string& cause, const std::string& reason);

// The JSON item a message's payload is: the payload itself (`json`), or {"text": payload} (text,
// which must be UTF-8); a payload longer than `max_size` is too_large. (Whether it parses is the
// mapping's to find.)
std::expected<std::string, Unreadable> payload_item(std::string_view payload, bool json, std::size_t max_size);

// Declares `format` (json or text, for payload_item) on a system's schema; `which` says which
// messages it applies to when not all.
void add_format_field(config::Schema& schema, std::string_view which = "");

// receive_wait and backoff (the `backoff:` key) of a validated entry.
StreamOptions stream_options(const config::Node& validated);

// What a broker's module (chatops-<system>.so: the system's code and its library) gives the kind:
// its extern "C" factory chatops_module_<system> returns this table. Loaded when a source of the
// system is made, never to validate one (schema and checks stay in the executable).
struct SystemModule {
  Result<std::unique_ptr<IngestionSource>> (*make)(const config::Node& validated);
};

// The systems this build has (kafka when CHATOPS_WITH_KAFKA).
std::vector<std::string> built_systems();

config::Schema stream_source_schema();
Result<config::Node> validate_stream_source(const config::Node& raw);
// The registry entry (source_registry.cpp).
SourceKind stream_source_kind();

}  // namespace chatops::ingestion::stream
