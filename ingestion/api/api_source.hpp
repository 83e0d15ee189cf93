#pragma once
// `kind: api` sources: a REST API polled at intervals. Each run asks for the listing (following
// its pages), compares its items with what was seen, and submits the new (or changed) ones as
// events together with the state that remembers them, in one journal transaction: an item is said
// once, across kill -9 and restarts. A 304 to a conditional request ends a run early; 429 and 503
// wait as long as the server says; 401 and 403 stop the source with a clear message.
#include <memory>
#include <optional>
#include <string>

#include <simdjson.h>

#include "ingestion/api/api_config.hpp"
#include "ingestion/api/auth.hpp"
#include "ingestion/api/differ.hpp"
#include "ingestion/api/http_client.hpp"
#include "ingestion/payload/mapping.hpp"
#include "ingestion/runtime/polling.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::ingestion::api {

class ApiSource final : public PollingSource {
 public:
  ApiSource(ApiConfig config, payload::Mapping mapping);
  ~ApiSource() override;

 private:
  SourceResult<> open() override;  // loads what was seen
  SourceResult<> poll(std::chrono::steady_clock::time_point deadline) override;
  void interrupt() override;

  // One request with the credentials; after a 401, an OAuth2 token is renewed and the request made
  // once more. An answer that is neither 2xx nor 304 is an error.
  SourceResult<HttpResponse> ask(const HttpRequest& request, std::chrono::steady_clock::time_point deadline);
  // The next page after `current`, if pagination finds one.
  SourceResult<std::optional<Url>> next_page(const Url& current, const HttpResponse& answer, const PageScan& scan) const;
  std::vector<IngestionEvent> events(const Differ& differ);
  // The state to save besides the items: validators, the first run's mark, the listing's shape.
  std::vector<StateChange> meta_changes(const std::optional<std::string>& etag,
                                        const std::optional<std::string>& last_modified) const;

  const ApiConfig config_;
  const payload::Mapping mapping_;
  const std::string shape_;  // what identifies the listing: remembered items belong to it
  HttpClient http_;
  Authorizer auth_;
  simdjson::ondemand::parser parser_;
  SeenItems seen_;
  std::optional<std::string> etag_, last_modified_;
  bool primed_ = false;                    // a first run has been committed
  std::vector<std::string> stale_;         // state keys of another listing, deleted with the next commit
  SourceMetrics::Counter responses_;
};

// The registry entry (source_registry.cpp).
SourceKind api_source_kind();

}  // namespace chatops::ingestion::api
