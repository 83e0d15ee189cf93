#include "ingestion/payload/mapping.hpp"

#include <algorithm>
#include <vector>

namespace chatops::ingestion::payload {

namespace {

// Text usable in a topic: a string or number, not empty, no control characters.
std::optional<std::string> topic_text(std::optional<Value> value) {
  std::string s = as_text(value);
  if (s.empty() || std::ranges::any_of(s, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return std::nullopt;
  return s;
}

// The envelope's value as JSON text.
void append_envelope(std::string& out, const EnvelopeField& envelope) {
  if (envelope.text.empty()) append_json(out, envelope.value);
  else out += envelope.text;
}

// The item's text minified (simdjson's one pass over the text), or the parsed tree serialised
// when the text is not at hand.
std::string minified(simdjson::dom::object item, std::string_view item_text) {
  if (item_text.empty()) return simdjson::minify(item);
  std::string out(item_text.size(), '\0');
  std::size_t length = 0;
  if (simdjson::minify(item_text.data(), item_text.size(), out.data(), length) != simdjson::SUCCESS)
    return simdjson::minify(item);
  out.resize(length);
  return out;
}

// The fields of an object item with no `fields:` of the mapping, as text: the item's members
// (their text as parsed, not rebuilt as an nlohmann tree and serialised again), then the
// envelope's member. nullopt when a name repeats, in the item or with the envelope: the object,
// where the last one wins, says what the fields hold then.
std::optional<std::string> fields_text(simdjson::dom::object item, std::string_view item_text,
                                       const EnvelopeField* envelope) {
  std::vector<std::string_view> names;
  names.reserve(item.size() + 1);
  for (const auto [name, value] : item) names.push_back(name);
  if (envelope) names.push_back(envelope->name);
  std::ranges::sort(names);
  if (std::ranges::adjacent_find(names) != names.end()) return std::nullopt;
  std::string text = minified(item, item_text);
  if (!envelope) return text;
  text.pop_back();  // '}'
  if (names.size() > 1) text += ',';  // the item's members before it
  append_json_string(text, envelope->name);
  text += ':';
  append_envelope(text, *envelope);
  text += '}';
  return text;
}

Result<std::string> pointer_at(const config::Node& node, std::string_view key) {
  auto p = compile_pointer(node.str(key));
  if (!p) return std::unexpected(node[key].error(p.error().message));
  return p;
}

}  // namespace

void add_mapping_fields(config::Schema& s, MappingKeys keys) {
  s.field("topic", config::Kind::String, "Fixed topic of every event.").example("deploy/finished");
  s.field("topic_pointer", config::Kind::String, "JSON pointer to the topic in the payload.").example("/event");
  if (keys.headers) s.field("topic_header", config::Kind::String, "Header carrying the topic.").example("X-Event");
  s.field("topic_prefix", config::Kind::String, "Prepended to a topic read from the payload or a header.")
      .example("deploy/");
  s.field("dedupe", config::Kind::String, "JSON pointer to a unique id (retries with the same id are said once).")
      .example("/id");
  s.field("required", config::Kind::List, "JSON pointers that must be present, else the item is refused.")
      .items(config::Kind::String)
      .example("[/id, /status]");
  s.field("fields", config::Kind::Map, "Normalised fields: name → JSON pointer.").example("{status: /deployment/status}");
  s.field("severity", config::Kind::String, "JSON pointer to a severity (info, notice, warning, error, critical).");
  s.field("template", config::Kind::String, "Default template for binds that give none.");
}

Result<Mapping> Mapping::from_config(const config::Node& node, MappingKeys keys) {
  Mapping m;
  const bool header = keys.headers && node.has("topic_header");
  const int topics = node.has("topic") + node.has("topic_pointer") + header;
  if (topics > 1 || (topics == 0 && keys.topic_required))
    return std::unexpected(node.error(keys.headers ? "give exactly one of topic, topic_pointer, topic_header"
                                                   : "give exactly one of topic, topic_pointer"));
  if (node.has("topic")) {
    m.topic_from_ = TopicFrom::Fixed;
    m.topic_ = node.str("topic");
  } else if (node.has("topic_pointer")) {
    auto p = pointer_at(node, "topic_pointer");
    if (!p) return std::unexpected(p.error());
    m.topic_from_ = TopicFrom::Pointer;
    m.topic_ = node.str("topic_pointer");
    m.topic_pointer_ = std::move(*p);
  } else if (header) {
    m.topic_from_ = TopicFrom::Header;
    m.topic_ = node.str("topic_header");
  }
  if (node.has("topic_prefix")) m.topic_prefix_ = node.str("topic_prefix");
  for (std::string_view key : {"dedupe", "severity"}) {
    if (!node.has(key)) continue;
    auto p = pointer_at(node, key);
    if (!p) return std::unexpected(p.error());
    (key == "dedupe" ? m.dedupe_ : m.severity_) = std::move(*p);
  }
  if (node.has("required"))
    for (const auto& item : node.list("required")) {
      auto p = compile_pointer(item.scalar());
      if (!p) return std::unexpected(item.error(p.error().message));
      m.required_.push_back({item.scalar(), std::move(*p)});
    }
  if (node.has("fields")) {
    const auto fields = node.map("fields");
    for (const auto& name : fields.keys()) {
      auto p = compile_pointer(fields[name].scalar());
      if (!p) return std::unexpected(fields[name].error(p.error().message));
      m.fields_.push_back({name, std::move(*p)});
    }
  }
  if (node.has("template")) m.default_template_ = node.str("template");
  return m;
}

std::expected<IngestionEvent, MappingError> Mapping::map(Value item, const HeaderLookup& header,
                                                         std::string_view fallback_topic,
                                                         const EnvelopeField* envelope, FieldsForm form,
                                                         std::string_view item_text) const {
  for (const auto& r : required_)
    if (!find(item, r.pointer)) return std::unexpected(MappingError{"missing_field", "missing required field " + r.name});

  IngestionEvent e;
  switch (topic_from_) {
    case TopicFrom::None:
      e.topic = fallback_topic;
      break;
    case TopicFrom::Fixed:
      e.topic = topic_prefix_ + topic_;
      break;
    case TopicFrom::Pointer:
      if (auto t = topic_text(find(item, topic_pointer_))) e.topic = topic_prefix_ + *t;
      else return std::unexpected(MappingError{"missing_field", "missing topic field " + topic_});
      break;
    case TopicFrom::Header:
      if (auto h = header ? header(topic_) : std::nullopt; h && is_token(*h)) e.topic = topic_prefix_ + *h;
      else return std::unexpected(MappingError{"missing_topic", "missing or malformed " + topic_ + " header"});
      break;
  }
  if (dedupe_) e.dedupe_key = as_text(find(item, *dedupe_));
  if (severity_) e.severity = severity_from_string(ascii_lower(as_text(find(item, *severity_))));
  std::optional<std::string> text;
  if (form == FieldsForm::Text && item.is_object() && fields_.empty()) text = fields_text(item.get_object().value_unsafe(), item_text, envelope);
  if (text) {
    e.fields = EventFields::from_text(std::move(*text));
  } else {
    if (item.is_object()) e.fields = to_json(item);  // top-level fields as they are
    for (const auto& f : fields_)
      if (const auto v = find(item, f.pointer)) e.fields[f.name] = to_json(*v);
    if (envelope)
      e.fields[envelope->name] = envelope->text.empty() ? envelope->value : nlohmann::json::parse(envelope->text);
  }
  e.default_template = default_template_;
  return e;
}

}  // namespace chatops::ingestion::payload
