#pragma once
// `kind: webhook` sources: one path on the shared HTTP server, handled by one provider.
#include <memory>
#include <string>

#include "core/config/node.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/source.hpp"
#include "ingestion/source_registry.hpp"
#include "http/server.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

class WebhookSource final : public IngestionSource {
 public:
  WebhookSource(std::string path, std::shared_ptr<const Provider> provider, http::Server& server);
  ~WebhookSource() override;

  // Built: the path is held (503 until a route is there). Started: the path is served.
  SourceResult<> start(SourceRuntime& runtime) override;  // takes the path
  void stop() override;                                   // gives it up (answers still to come go out)

 private:
  std::string path_;
  std::shared_ptr<const Provider> provider_;
  http::Server& server_;
  SourceRuntime* runtime_ = nullptr;  // while started
  bool holding_ = true;               // the path's hold (http::Server::hold_route), until the first stop
  void release_hold();
};

// The keys every webhook source has: the common source keys, provider and path.
config::Schema webhook_source_schema();
// Validates one `sources:` entry with the common keys merged with its provider's; an unknown
// provider is an error listing the known ones.
Result<config::Node> validate_webhook_source(const config::Node& raw);
Result<std::unique_ptr<IngestionSource>> make_webhook_source(const config::Node& validated, http::Server& server);
// The registry entry (source_registry.cpp).
SourceKind webhook_source_kind();

}  // namespace chatops::ingestion::webhook
