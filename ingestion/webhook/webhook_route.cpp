#include "ingestion/webhook/webhook_route.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace chatops::ingestion::webhook {

namespace {

using nlohmann::json;

http::Response json_response(int status, const json& body) {
  // Replace rather than throw on invalid UTF-8 echoed from a request (e.g. a header in a reason).
  return http::Response::json(status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out(s.substr(0, 300));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

WebhookRoute::WebhookRoute(std::shared_ptr<const Provider> provider, SourceRuntime& runtime)
    : provider_(std::move(provider)),
      runtime_(runtime),
      rejected_(runtime.metrics().counter("chatops_events_rejected_total", "Requests refused, by source and reason.",
                                          {"reason"})) {}

http::Response WebhookRoute::reject(const Rejection& r, const std::string& remote) const {
  auto& status = runtime_.status();
  status.consumed++;
  status.failed++;
  rejected_.inc({r.cause});
  bool first = false;
  {
    std::lock_guard lock(logged_mutex_);
    first = logged_causes_.insert(r.cause).second;
  }
  // Once per cause at warn, so that a misconfigured sender shows without flooding the log.
  spdlog::log(first ? spdlog::level::warn : spdlog::level::debug, "webhook {}: refused ({}): {} from {}{}", runtime_.name(),
              r.cause, printable(r.reason), remote, first ? " (further ones are logged at debug)" : "");
  return json_response(r.status, {{"status", "rejected"}, {"cause", r.cause}, {"reason", r.reason}});
}

std::optional<http::Response> WebhookRoute::check_head(const http::Request& request) const {
  // What the head alone can refuse (a missing signature, a wrong token) is refused before a byte
  // of the body is read: an unauthenticated sender cannot make the bot hold its body.
  if (auto refused = provider_->authenticate(request)) return reject(*refused, request.remote);
  return std::nullopt;
}

void WebhookRoute::handle(http::Request request, http::Responder responder) {
  // Credentials first, on the raw bytes: nothing of an unauthenticated body is parsed.
  if (auto refused = provider_->authenticate(request)) return responder.send(reject(*refused, request.remote));
  if (runtime_.paused()) {
    // Paused from IRC: senders retry later, and nothing is stored meanwhile.
    auto r = json_response(503, {{"status", "paused"}, {"source", runtime_.name()}});
    r.headers.emplace_back("Retry-After", std::to_string(kPausedRetryAfterSeconds));
    return responder.send(std::move(r));
  }
  auto parsed = provider_->parse(request);
  if (!parsed) return responder.send(reject(parsed.error(), request.remote));
  auto& status = runtime_.status();
  status.consumed++;
  if (parsed->events.empty()) {
    status.skipped++;
    status.committed++;
    spdlog::debug("webhook {}: skipped: {}", runtime_.name(), printable(parsed->skip_reason));
    return responder.send(json_response(202, {{"status", "skipped"}, {"reason", parsed->skip_reason}}));
  }
  // Answered on the journal's thread once the batch is durable; the loop serves others meanwhile.
  runtime_.submit(std::move(parsed->events), std::nullopt, [&status, responder](const BatchResult& result) {
    if (!result.committed()) {
      // Not durable: a 5xx makes the sender retry (the dedupe key absorbs the repeat).
      status.failed++;
      status.set_error("the journal refused an event: " + result.error);
      auto r = json_response(503, {{"status", "unavailable"}});
      r.headers.emplace_back("Retry-After", "5");
      return responder.send(std::move(r));
    }
    const auto accepted = result.count(Submission::Accepted);
    status.processed += accepted;
    status.committed++;
    // Written out rather than built as a JSON object: this runs on the journal's syncer thread,
    // once per request, between its syncs.
    if (accepted == 0) return responder.send(http::Response::json(200, R"({"status":"duplicate"})"));
    responder.send(http::Response::json(202, R"({"events":)" + std::to_string(accepted) + R"(,"status":"accepted"})"));
  });
}

}  // namespace chatops::ingestion::webhook
