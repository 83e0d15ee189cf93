#include "ingestion/webhook/generic.hpp"

#include <algorithm>

#include "ingestion/webhook/auth.hpp"
#include "ingestion/payload/mapping.hpp"
#include "ingestion/webhook/json_fields.hpp"

namespace chatops::ingestion::webhook {

namespace {

class GenericProvider final : public Provider {
 public:
  GenericProvider(AuthChecks auth, payload::Mapping mapping) : auth_(std::move(auth)), mapping_(std::move(mapping)) {}

  std::optional<Rejection> authenticate(const Request& request) const override { return auth_.verify(request); }

  std::expected<Parsed, Rejection> parse(const Request& request) const override {
    auto body = parse_json_body(request);
    if (!body) return std::unexpected(body.error());
    auto e = mapping_.map(body->root(), [&request](std::string_view name) { return request.header(name); });
    if (!e) return std::unexpected(bad_request(e.error().cause, e.error().reason));
    if (!mapping_.has_dedupe())
      if (const auto id = request.header("webhook-id"); id && is_token(*id) && auth_.has_standard_webhooks())
        e->dedupe_key = *id;  // Standard Webhooks ids are unique per message and kept across retries
    e->raw = body->text();
    e->time = request.received;
    return Parsed{{std::move(*e)}, {}};
  }

 private:
  AuthChecks auth_;
  payload::Mapping mapping_;
};

constexpr payload::MappingKeys kKeys{.headers = true, .topic_required = true};

config::Schema generic_schema() {
  config::Schema s("generic", "Any sender of JSON.");
  add_all_auth_fields(s, "X-Webhook-Token");
  s.field("allow_unauthenticated", config::Kind::Boolean,
          "Accept requests without credentials (only behind a trusted proxy or on localhost).")
      .fallback("false");
  payload::add_mapping_fields(s, kKeys);
  return s;
}

Result<std::unique_ptr<Provider>> make_generic(const config::Node& node) {
  auto auth = AuthChecks::from_config(node);
  if (!auth) return std::unexpected(auth.error());
  if (auth->empty() && !node.boolean("allow_unauthenticated"))
    return std::unexpected(node.error(
        "the generic provider needs hmac, token, bearer_token, basic_auth or standard_webhooks "
        "(or allow_unauthenticated: true)"));
  auto mapping = payload::Mapping::from_config(node, kKeys);
  if (!mapping) return std::unexpected(mapping.error());
  return std::make_unique<GenericProvider>(std::move(*auth), std::move(*mapping));
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
