#pragma once
// How one JSON item becomes an event: its topic (fixed, from a JSON pointer or from a header, with
// an optional prefix), its dedupe key, severity and fields, and which values it must have. One
// declaration of the keys, shared by every source that carries JSON (generic webhooks, API polls,
// stream messages), so that they read alike in config.yml.
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/node.hpp"
#include "ingestion/event.hpp"
#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::payload {

// Why an item could not be mapped; `cause` is a short stable label (missing_field, missing_topic).
struct MappingError {
  std::string cause;
  std::string reason;
};

// Looks up a header of the item's envelope (an HTTP request's, a Kafka message's); nullopt when
// absent.
using HeaderLookup = std::function<std::optional<std::string>(std::string_view name)>;

struct MappingKeys {
  bool headers = false;   // the source's items have headers: topic_header is offered
  bool topic_required = true;  // else a source's own default topic applies when none is given
};

// Declares topic, topic_pointer, topic_header (with headers), topic_prefix, dedupe, required,
// fields, severity and template on a source's schema.
void add_mapping_fields(config::Schema& schema, MappingKeys keys);

// A member a source adds to every event's fields (a Kafka message's key and offset, a Redis
// entry's id…). It replaces the item's member of the same name. A source that reads many small
// messages may write the value's JSON text itself instead (`text`, valid JSON, with `value` left
// null): the fields are kept as text, so no tree is built and serialised again per message.
struct EnvelopeField {
  std::string name;
  nlohmann::json value;
  std::string text{};
};

// How an event's fields are held (EventFields): as text, the item's members as parsed with the
// envelope's appended (what the journal stores: no tree built and serialised again), for callers
// that change nothing else in them; or as an object, for callers that go on adding to them.
enum class FieldsForm { Text, Object };

class Mapping {
 public:
  // From a validated node with the keys above. Errors name the key (pointers are checked here).
  static Result<Mapping> from_config(const config::Node& node, MappingKeys keys);

  // The event for `item` (source and family are the runtime's to fill): its fields are the item's
  // top-level fields when it is an object, then the `fields:` ones, then the envelope's member.
  // `fallback_topic` applies when the mapping gives none. `item_text`, when the item is a whole
  // document, is the text it was parsed from: the fields' text is then that text minified, rather
  // than the parsed tree serialised again.
  std::expected<IngestionEvent, MappingError> map(Value item, const HeaderLookup& header = {},
                                                  std::string_view fallback_topic = {},
                                                  const EnvelopeField* envelope = nullptr,
                                                  FieldsForm form = FieldsForm::Text,
                                                  std::string_view item_text = {}) const;

  bool has_dedupe() const { return dedupe_.has_value(); }
  const std::string& default_template() const { return default_template_; }

 private:
  struct NamedPointer {
    std::string name;  // the pointer's text, for messages; or the field's name
    std::string pointer;
  };
  enum class TopicFrom { None, Fixed, Pointer, Header } topic_from_ = TopicFrom::None;
  std::string topic_;  // the fixed topic, the pointer's text or the header name
  std::string topic_pointer_;
  std::string topic_prefix_;
  std::optional<std::string> dedupe_, severity_;
  std::vector<NamedPointer> required_, fields_;
  std::string default_template_;
};

}  // namespace chatops::ingestion::payload
