#pragma once
// An item an API poller found new or changed, as an event: the shared payload mapping (fields,
// topic, dedupe, severity, template), the topic api/<source>/new or api/<source>/changed unless the
// mapping gives one, the item's text as the payload, and `_item` for templates: its key, the change
// (new, changed), and a title, a link and a status taken from the usual fields, so that the
// default line reads well for most APIs.
#include <expected>
#include <string>

#include "ingestion/api/differ.hpp"
#include "ingestion/event.hpp"
#include "ingestion/payload/mapping.hpp"

namespace chatops::ingestion::api {

struct ItemContext {
  const payload::Mapping& mapping;
  std::string source;
  EmitMode emit;
  std::string url;  // the source's URL for messages (the link of a document)
};

// An error says why the item cannot be an event (not JSON, a required field missing).
std::expected<IngestionEvent, std::string> item_event(const FoundItem& item, const ItemContext& context);

}  // namespace chatops::ingestion::api
