#pragma once
// The unit that flows from a source through the journal to the bind table.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingestion/event_fields.hpp"

namespace chatops::ingestion {

enum class Severity { Info, Notice, Warning, Error, Critical };
std::string_view to_string(Severity s);
Severity severity_from_string(std::string_view s);  // unknown → Info

struct IngestionEvent;
// The event's payload as JSON text ("" when none, or when a journaled one does not decompress).
std::string payload_text(const IngestionEvent& event);

struct IngestionEvent {
  std::int64_t id = 0;         // journal sequence number; 0 until the journal assigns it
  std::string source;          // the source's config name, e.g. "github"
  std::string family;          // webhook, api, file, db, stream, log, metric: the bind type it goes to
  std::string topic;           // e.g. "github/push", "alertmanager/firing"
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
  Severity severity = Severity::Info;
  std::string dedupe_key;      // empty: never a duplicate
  // Normalised fields: a JSON object, or its text for a source that writes the journal's form
  // directly (the db kind: no map per row); one form, the other made from it when asked.
  EventFields fields;
  // The payload as JSON text, as received ("" when none). Journaled as it is, not re-serialised.
  std::string raw;
  // Events read back from the journal carry it still compressed, as journaled: most of them are
  // said without it. payload_text() gives the text either way.
  std::string raw_compressed;
  std::string default_template;  // the provider's template for this topic ("" when none)
};

}  // namespace chatops::ingestion
