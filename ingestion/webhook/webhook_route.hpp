#pragma once
// One webhook source's path on the HTTP server: its provider authenticates the head (before the
// body is read) and then the raw body, parses it into events, and the events go to the sink. The
// answer waits for the journal, without holding a thread:
//   202 {"status":"accepted","events":n}   200 {"status":"duplicate"}
//   202 {"status":"skipped","reason":…}    503 {"status":"unavailable"} + Retry-After (not stored; retry)
//   401/400/415 {"status":"rejected","cause":…,"reason":…}
//   503 {"status":"paused","source":…} + Retry-After: 60 while paused from IRC (`!pause`), once authenticated
// Rejections are counted per cause (chatops_events_rejected_total{source,reason}) and logged at
// warn once per cause, later at debug.
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "http/server.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

inline constexpr int kPausedRetryAfterSeconds = 60;

class WebhookRoute final : public http::Handler {
 public:
  // `runtime` (the source's) must outlive the answers still to come: the application stops the
  // HTTP server and the sources, and drains the journal, before it destroys the runtimes.
  WebhookRoute(std::shared_ptr<const Provider> provider, SourceRuntime& runtime);

  std::optional<http::Response> check_head(const http::Request& request) const override;
  void handle(http::Request request, http::Responder responder) override;

 private:
  http::Response reject(const Rejection& r, const std::string& remote) const;

  std::shared_ptr<const Provider> provider_;
  SourceRuntime& runtime_;
  SourceMetrics::Counter rejected_;
  mutable std::mutex logged_mutex_;
  mutable std::set<std::string> logged_causes_;  // logged at warn once
};

// Request text in a log line: control characters could forge lines or terminal escapes.
std::string printable(std::string_view s);

}  // namespace chatops::ingestion::webhook
