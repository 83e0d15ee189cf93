#pragma once
// One event on the Kafka journal's topic (docs/architecture.md, "Past one machine"): a receiver
// writes each IngestionEvent whole — source, family, topic, time, severity, dedupe key, fields,
// payload, default template — and the speaker reads it back into the same event. The format is a
// JSON object with a version, so that a speaker refuses what it does not understand by name.
#include <expected>
#include <string>
#include <string_view>

#include "ingestion/event.hpp"

namespace chatops::ingestion::bus {

inline constexpr int kMessageVersion = 1;

// The message for `event` (its payload decompressed when the source journaled it compressed).
std::string encode(const IngestionEvent& event);

// The event a message holds, or why it is not one (malformed JSON with line and column, a missing
// or mistyped member, an unknown version): a hostile or corrupt message never becomes an event.
std::expected<IngestionEvent, std::string> decode(std::string_view message);

}  // namespace chatops::ingestion::bus
