#pragma once
// One webhook source's path on the HTTP server: its provider authenticates the head (before the
// body is read) and then the raw body, parses it into events, and the events go to the sink. The
// answer waits for the journal, without holding a thread:
//   202 {"status":"accepted","events":n}   200 {"status":"duplicate"}
//   202 {"status":"skipped","reason":…}    503 {"status":"unavailable"} + Retry-After (not stored; retry)
//   401/400/415 {"status":"rejected","cause":…,"reason":…}
// Rejections are counted per cause (chatops_events_rejected_total{source,reason}) and logged at
// warn once per cause, later at debug.
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "core/metrics.hpp"
#include "http/server.hpp"
#include "ingestion/source.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

class WebhookRoute final : public http::Handler {
 public:
  // `sink` and `counters` are shared with the source: an answer still to come keeps them alive.
  WebhookRoute(std::string source, std::shared_ptr<const Provider> provider, EventSink& sink,
               std::shared_ptr<StatusCounters> counters, metrics::Registry* registry);

  std::optional<http::Response> check_head(const http::Request& request) const override;
  void handle(http::Request request, http::Responder responder) override;

 private:
  http::Response reject(const Rejection& r, const std::string& remote) const;

  std::string source_;
  std::shared_ptr<const Provider> provider_;
  EventSink& sink_;
  std::shared_ptr<StatusCounters> counters_;
  metrics::Family<metrics::Counter>* rejected_ = nullptr;
  mutable std::mutex logged_mutex_;
  mutable std::set<std::string> logged_causes_;  // logged at warn once
};

// Request text in a log line: control characters could forge lines or terminal escapes.
std::string printable(std::string_view s);

}  // namespace chatops::ingestion::webhook
