#include "ingestion/webhook/generic.hpp"

#include <algorithm>

#include "ingestion/webhook/auth.hpp"
#include "ingestion/webhook/json_fields.hpp"

namespace chatops::ingestion::webhook {

namespace {

struct NamedPointer {
  std::string name;  // the pointer's text, for messages; or the field's name
  std::string pointer;
};

struct GenericOptions {
  AuthChecks auth;
  enum class TopicFrom { Fixed, Pointer, Header } topic_from = TopicFrom::Fixed;
  std::string topic;  // the fixed topic, the pointer's text or the header name
  std::string topic_pointer;
  std::string topic_prefix;
  std::optional<std::string> dedupe, severity;
  std::vector<NamedPointer> required, fields;
  std::string default_template;
};

// Text usable in a topic: a string or number, not empty, no control characters.
std::optional<std::string> topic_text(std::optional<Value> value) {
  std::string s = as_text(value);
  if (s.empty() || std::ranges::any_of(s, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return std::nullopt;
  return s;
}

class GenericProvider final : public Provider {
 public:
  explicit GenericProvider(GenericOptions options) : o_(std::move(options)) {}

  std::optional<Rejection> authenticate(const Request& request) const override { return o_.auth.verify(request); }

  std::expected<Parsed, Rejection> parse(const Request& request) const override {
    auto body = parse_json_body(request);
    if (!body) return std::unexpected(body.error());
    const Value payload = body->root();
    for (const auto& r : o_.required)
      if (!find(payload, r.pointer))
        return std::unexpected(bad_request("missing_field", "missing required field " + r.name));

    IngestionEvent e;
    auto topic = topic_of(request, payload);
    if (!topic) return std::unexpected(topic.error());
    e.topic = o_.topic_prefix + *topic;

    if (o_.dedupe) {
      e.dedupe_key = as_text(find(payload, *o_.dedupe));
    } else if (const auto id = request.header("webhook-id"); id && is_token(*id) && o_.auth.has_standard_webhooks()) {
      e.dedupe_key = *id;  // Standard Webhooks ids are unique per message and kept across retries
    }
    if (o_.severity) e.severity = severity_from_string(ascii_lower(as_text(find(payload, *o_.severity))));

    if (payload.is_object()) e.fields = to_json(payload);  // top-level fields as they are
    for (const auto& f : o_.fields)
      if (const auto v = find(payload, f.pointer)) e.fields[f.name] = to_json(*v);
    e.raw = body->text();
    e.default_template = o_.default_template;
    e.time = request.received;
    return Parsed{{std::move(e)}, {}};
  }

 private:
  std::expected<std::string, Rejection> topic_of(const Request& request, Value payload) const {
    switch (o_.topic_from) {
      case GenericOptions::TopicFrom::Fixed: return o_.topic;
      case GenericOptions::TopicFrom::Pointer:
        if (auto t = topic_text(find(payload, o_.topic_pointer))) return *t;
        return std::unexpected(bad_request("missing_field", "missing topic field " + o_.topic));
      case GenericOptions::TopicFrom::Header:
        if (auto h = request.header(o_.topic); h && is_token(*h)) return *h;
        return std::unexpected(bad_request("missing_topic", "missing or malformed " + o_.topic + " header"));
    }
    return o_.topic;
  }

  GenericOptions o_;
};

config::Schema generic_schema() {
  config::Schema s("generic", "Any sender of JSON.");
  add_all_auth_fields(s, "X-Webhook-Token");
  s.field("allow_unauthenticated", config::Kind::Boolean,
          "Accept requests without credentials (only behind a trusted proxy or on localhost).")
      .fallback("false");
  s.field("topic", config::Kind::String, "Fixed topic of every event.").example("deploy/finished");
  s.field("topic_pointer", config::Kind::String, "JSON pointer to the topic in the payload.").example("/event");
  s.field("topic_header", config::Kind::String, "Header carrying the topic.").example("X-Event");
  s.field("topic_prefix", config::Kind::String, "Prepended to a topic read from the payload or a header.")
      .example("deploy/");
  s.field("dedupe", config::Kind::String, "JSON pointer to a unique id (retries with the same id are said once).")
      .example("/id");
  s.field("required", config::Kind::List, "JSON pointers that must be present, else 400.")
      .items(config::Kind::String)
      .example("[/id, /status]");
  s.field("fields", config::Kind::Map, "Normalised fields: name → JSON pointer.").example("{status: /deployment/status}");
  s.field("severity", config::Kind::String, "JSON pointer to a severity (info, notice, warning, error, critical).");
  s.field("template", config::Kind::String, "Default template for binds that give none.");
  return s;
}

Result<std::string> pointer_at(const config::Node& node, std::string_view key) {
  auto p = compile_pointer(node.str(key));
  if (!p) return std::unexpected(node[key].error(p.error().message));
  return p;
}

Result<std::unique_ptr<Provider>> make_generic(const config::Node& node) {
  GenericOptions o;
  auto auth = AuthChecks::from_config(node);
  if (!auth) return std::unexpected(auth.error());
  o.auth = std::move(*auth);
  if (o.auth.empty() && !node.boolean("allow_unauthenticated"))
    return std::unexpected(node.error(
        "the generic provider needs hmac, token, bearer_token, basic_auth or standard_webhooks "
        "(or allow_unauthenticated: true)"));

  const int topics = node.has("topic") + node.has("topic_pointer") + node.has("topic_header");
  if (topics != 1) return std::unexpected(node.error("give exactly one of topic, topic_pointer, topic_header"));
  if (node.has("topic")) {
    o.topic = node.str("topic");
  } else if (node.has("topic_pointer")) {
    auto p = pointer_at(node, "topic_pointer");
    if (!p) return std::unexpected(p.error());
    o.topic_from = GenericOptions::TopicFrom::Pointer;
    o.topic = node.str("topic_pointer");
    o.topic_pointer = std::move(*p);
  } else {
    o.topic_from = GenericOptions::TopicFrom::Header;
    o.topic = node.str("topic_header");
  }
  if (node.has("topic_prefix")) o.topic_prefix = node.str("topic_prefix");

  for (std::string_view key : {"dedupe", "severity"}) {
    if (!node.has(key)) continue;
    auto p = pointer_at(node, key);
    if (!p) return std::unexpected(p.error());
    (key == "dedupe" ? o.dedupe : o.severity) = std::move(*p);
  }
  if (node.has("required"))
    for (const auto& item : node.list("required")) {
      auto p = compile_pointer(item.scalar());
      if (!p) return std::unexpected(item.error(p.error().message));
      o.required.push_back({item.scalar(), std::move(*p)});
    }
  if (node.has("fields")) {
    const auto fields = node.map("fields");
    for (const auto& name : fields.keys()) {
      auto p = compile_pointer(fields[name].scalar());
      if (!p) return std::unexpected(fields[name].error(p.error().message));
      o.fields.push_back({name, std::move(*p)});
    }
  }
  if (node.has("template")) o.default_template = node.str("template");
  return std::make_unique<GenericProvider>(std::move(o));
}

}  // namespace

ProviderSpec generic_spec() {
  return {
      .name = "generic",
      .doc = "Any JSON sender: credentials by HMAC, shared token, bearer, basic or Standard Webhooks; "
             "topic fixed, from the payload or from a header; fields from JSON pointers.",
      .schema = generic_schema,
      .make = make_generic,
  };
}

}  // namespace chatops::ingestion::webhook
