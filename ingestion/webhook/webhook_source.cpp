#include "ingestion/webhook/webhook_source.hpp"

#include "ingestion/webhook/webhook_route.hpp"

namespace chatops::ingestion::webhook {

WebhookSource::WebhookSource(std::string name, std::string path, std::shared_ptr<const Provider> provider,
                             http::Server& server, metrics::Registry* metrics)
    : name_(std::move(name)), path_(std::move(path)), provider_(std::move(provider)), server_(server), metrics_(metrics) {}

WebhookSource::~WebhookSource() { stop(); }

Result<void> WebhookSource::start(EventSink& sink) {
  counters_->set_state(SourceState::Starting);
  auto route = std::make_shared<WebhookRoute>(name_, provider_, sink, counters_, metrics_);
  if (auto added = server_.add_route(path_, {"POST"}, std::move(route)); !added) {
    counters_->set_state(SourceState::Failed);
    counters_->set_error(added.error().message);
    return added;
  }
  routed_ = true;
  counters_->set_state(SourceState::Running);
  return {};
}

void WebhookSource::stop() {
  if (routed_) server_.remove_route(path_);
  routed_ = false;
  counters_->set_state(SourceState::Stopped);
}

config::Schema webhook_source_schema() {
  config::Schema keys("webhook", "");
  keys.field("provider", config::Kind::String, "Who sends the webhooks: github, gitlab, jenkins, alertmanager, "
                                               "pagerduty or generic.")
      .required();
  keys.field("path", config::Kind::String, "URL path on the http: listener, e.g. /hooks/github.").required();
  return common_source_schema().merged(keys, "webhook");
}

namespace {

std::string known_providers() {
  std::string names;
  for (const auto& p : provider_registry()) names += (names.empty() ? "" : ", ") + p.name;
  return names;
}

}  // namespace

Result<config::Node> validate_webhook_source(const config::Node& raw) {
  if (!raw.has("provider")) return std::unexpected(raw.error("missing provider (one of " + known_providers() + ")"));
  const std::string name = raw["provider"].scalar();
  const ProviderSpec* spec = find_provider(name);
  if (!spec)
    return std::unexpected(raw["provider"].error("unknown provider \"" + name + "\"; known: " + known_providers()));
  auto validated = config::validate(webhook_source_schema().merged(spec->schema(), "webhook/" + name), raw);
  if (!validated) return validated;
  if (!validated->str("path").starts_with('/'))
    return std::unexpected((*validated)["path"].error("a path starts with /"));
  return validated;
}

Result<std::unique_ptr<IngestionSource>> make_webhook_source(const config::Node& validated, http::Server& server,
                                                             metrics::Registry* metrics) {
  const ProviderSpec* spec = find_provider(validated.str("provider"));
  if (!spec) return std::unexpected(validated["provider"].error("unknown provider"));
  auto provider = spec->make(validated);
  if (!provider) return std::unexpected(provider.error());
  return std::make_unique<WebhookSource>(validated.str("name"), validated.str("path"),
                                         std::shared_ptr<const Provider>(std::move(*provider)), server, metrics);
}

SourceKind webhook_source_kind() {
  return {
      .name = "webhook",
      .doc = "Webhooks received on a path of the http: listener; `provider` says who sends them.",
      .validate = validate_webhook_source,
      .make = [](const config::Node& validated, SourceContext& context) -> Result<std::unique_ptr<IngestionSource>> {
        if (!context.http) return fail("webhook sources need the http: listener");
        return make_webhook_source(validated, *context.http, context.metrics);
      },
      .schemas =
          [] {
            std::vector<config::Schema> schemas{webhook_source_schema()};
            for (const auto& p : provider_registry()) schemas.push_back(p.schema());
            return schemas;
          },
  };
}

}  // namespace chatops::ingestion::webhook
