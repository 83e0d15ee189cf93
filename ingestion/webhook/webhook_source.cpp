#include "ingestion/webhook/webhook_source.hpp"

#include <vector>

#include "core/text/suggest.hpp"

#include "ingestion/webhook/webhook_route.hpp"

namespace chatops::ingestion::webhook {

WebhookSource::WebhookSource(std::string path, std::shared_ptr<const Provider> provider, http::Server& server)
    : path_(std::move(path)), provider_(std::move(provider)), server_(server) {
  // From now until the first stop, a request on the path before its route is there (the
  // listener opens before the supervisor starts the sources; a reload stops the old source
  // before starting this one) is answered 503, which senders retry, rather than 404.
  server_.hold_route(path_);
}

WebhookSource::~WebhookSource() {
  stop();
  release_hold();
}

void WebhookSource::release_hold() {
  if (holding_) server_.release_route(path_);
  holding_ = false;
}

SourceResult<> WebhookSource::start(SourceRuntime& runtime) {
  // A path taken by another source stays taken until the configuration changes.
  if (auto added = server_.add_route(path_, {"POST"}, std::make_shared<WebhookRoute>(provider_, runtime)); !added) {
    release_hold();  // not retried: the path is the other source's
    return std::unexpected(SourceError::configuration(added.error().message));
  }
  runtime_ = &runtime;
  runtime.status().set_state(SourceState::Running);
  return {};
}

void WebhookSource::stop() {
  if (!runtime_) return;
  server_.remove_route(path_);
  // A source stopped for good (removed by a reload, or its successor holds the path) leaves the
  // path to 404 once no other source holds it.
  release_hold();
  runtime_->status().set_state(SourceState::Stopped);
  runtime_ = nullptr;
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
  if (!spec) {
    std::vector<std::string> names;
    for (const auto& p : provider_registry()) names.push_back(p.name);
    return std::unexpected(raw["provider"].error("unknown provider \"" + name + "\"" + text::did_you_mean(name, names) +
                                                 "; known: " + known_providers()));
  }
  auto validated = config::validate(webhook_source_schema().merged(spec->schema(), "webhook/" + name), raw);
  if (!validated) return validated;
  if (!validated->str("path").starts_with('/'))
    return std::unexpected((*validated)["path"].error("a path starts with /"));
  // What the provider requires beyond its keys (credentials, consistent options) is checked by
  // making one, as start-up will.
  if (auto provider = spec->make(*validated); !provider) return std::unexpected(provider.error());
  return validated;
}

Result<std::unique_ptr<IngestionSource>> make_webhook_source(const config::Node& validated, http::Server& server) {
  const ProviderSpec* spec = find_provider(validated.str("provider"));
  if (!spec) return std::unexpected(validated["provider"].error("unknown provider"));
  auto provider = spec->make(validated);
  if (!provider) return std::unexpected(provider.error());
  return std::make_unique<WebhookSource>(validated.str("path"), std::shared_ptr<const Provider>(std::move(*provider)),
                                         server);
}

SourceKind webhook_source_kind() {
  return {
      .name = "webhook",
      .family = "webhook",
      .doc = "Webhooks received on a path of the http: listener; `provider` says who sends them.",
      .validate = validate_webhook_source,
      .make = [](const config::Node& validated, SourceServices& services) -> Result<std::unique_ptr<IngestionSource>> {
        if (!services.http) return fail("webhook sources need the http: listener");
        return make_webhook_source(validated, *services.http);
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
