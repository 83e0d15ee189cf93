// /healthz/live, /healthz/ready (/healthz is ready's old name) and /metrics. The HTTP loop hands
// each request to the io thread, which owns what they report (the IRC client, the dispatcher);
// a deadline set on the HTTP side answers 503 if the io thread does not (stuck, or shutting down).
#include <nlohmann/json.hpp>

#include "bot/app.hpp"
#include "core/text/casemap.hpp"
#ifdef CHATOPS_WITH_KAFKA
#include "ingestion/bus/kafka_bus_producer.hpp"
#endif

namespace chatops::bot {

namespace {

constexpr auto kIoDeadline = std::chrono::seconds(2);

bool contains_folded(const std::vector<std::string>& list, const std::string& item) {
  for (const auto& x : list)
    if (text::equal_folded(x, item, text::CaseMapping::Rfc1459)) return true;
  return false;
}

http::Response json_response(int status, const nlohmann::json& body) {
  return http::Response::json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace

Result<void> App::add_observability_routes() {
  const std::set<std::string> get{"GET", "HEAD"};
  for (const auto& [path, ready] : {std::pair{"/healthz", true}, {"/healthz/ready", true}, {"/healthz/live", false}}) {
    auto routed = http_->add_route(path, get, http::handler([this, ready](http::Request, http::Responder answer) {
      serve_health(std::move(answer), ready);
    }));
    if (!routed) return routed;
  }
  return http_->add_route("/metrics", get, http::handler([this](http::Request, http::Responder answer) {
    serve_metrics(std::move(answer));
  }));
}

// Live: the io thread answers (the process works). Ready: also registered on IRC, in every
// configured channel, and the journal takes writes. A failing source makes neither fail: it is
// "degraded" in the body (and in /metrics), so that a database outage does not get the bot
// restarted by a liveness probe.
void App::serve_health(http::Responder answer, bool ready) {
  answer.send_after(kIoDeadline, json_response(503, {{"status", "unavailable"},
                                                     {"reason", "the io thread did not answer within 2 s"}}));
  asio::post(io_, [this, answer, ready] {
    nlohmann::json body;
    bool healthy = true;
    // A bus receiver says nothing: IRC is no part of its readiness (it has no connection), the
    // brokers are: one that cannot produce would only answer 503 after bus.delivery_timeout.
    if (bus_role_ == ingestion::bus::Role::Receiver) {
      body["bus"] = {{"role", "receiver"}};
#ifdef CHATOPS_WITH_KAFKA
      body["bus"]["produced"] = bus_producer_->produced();  // acknowledged by the brokers
      body["bus"]["failed"] = bus_producer_->failed();
      const auto reach = bus_producer_->reach();
      body["bus"]["brokers_up"] = reach.brokers_up;
      body["bus"]["reachable"] = reach.problem.empty();
      if (!reach.problem.empty()) body["bus"]["problem"] = reach.problem;
      healthy &= reach.problem.empty();
#endif
    } else {
      const auto irc = irc_->status();
      nlohmann::json channels = nlohmann::json::object();
      for (const auto& channel : channels_) {
        const bool joined = contains_folded(irc.joined, channel);
        channels[channel] = joined ? "joined" : "not joined";
        healthy &= joined;
      }
      healthy &= irc.state == irc::ClientState::Registered;
      body["irc"] = {{"state", irc::to_string(irc.state)}, {"server", irc.server}, {"nick", irc.nick},
                     {"channels", channels}, {"sasl", irc.sasl}, {"last_error", irc.last_error}};
    }

    nlohmann::json sources = nlohmann::json::object();
    bool degraded = false;
    for (const auto& r : manager_->reports()) {
      degraded |= r.status.state != ingestion::SourceState::Running;
      sources[r.name] = {{"kind", r.kind}, {"state", ingestion::to_string(r.status.state)}};
      if (!r.status.last_error.empty()) sources[r.name]["last_error"] = r.status.last_error;
      if (r.lag) sources[r.name]["lag"] = *r.lag;
      if (r.outstanding) sources[r.name]["outstanding"] = *r.outstanding;
    }
    body["sources"] = sources;
    const auto stats = dispatcher_->stats();
    body["delivery"] = {{"waiting_lines", stats.waiting_lines}, {"waiting_for_targets", stats.starved_targets}};
    if (auto backlog = journal_->backlog()) body["journal"]["backlog"] = *backlog;

    if (!ready) {
      body["status"] = degraded ? "degraded" : "ok";
      return answer.send(json_response(200, body));
    }
    // The journal's writability is asked of its writer, which answers on its own thread.
    journal_->probe_writable([answer, body = std::move(body), healthy, degraded](const std::string& error) mutable {
      body["journal"]["writable"] = error.empty();
      if (!error.empty()) body["journal"]["error"] = error;
      const bool ok = healthy && error.empty();
      body["status"] = !ok ? "unavailable" : degraded ? "degraded" : "ok";
      answer.send(json_response(ok ? 200 : 503, body));
    });
  });
}

void App::serve_metrics(http::Responder answer) {
  answer.send_after(kIoDeadline, json_response(503, {{"status", "unavailable"},
                                                     {"reason", "the io thread did not answer within 2 s"}}));
  asio::post(io_, [this, answer] {
    answer.send({200, "text/plain; version=0.0.4; charset=utf-8", registry_.render(), {}});
  });
}

void App::register_metrics() {
  latency_ = &registry_.histogram("chatops_delivery_latency_seconds",
                                  "Time from ingestion to the last line of an event accepted by the IRC server.",
                                  {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300});

  // Runs on the io thread (serve_metrics), which owns the dispatcher and the IRC client. The
  // sources' metrics are the manager's and their own.
  registry_.add_collector([this](metrics::MetricWriter& w) {
    if (auto backlog = journal_->backlog())
      w.gauge("chatops_journal_backlog", "Events journaled and not yet done.", static_cast<double>(*backlog));
    if (auto age = journal_->oldest_pending_age())
      w.gauge("chatops_journal_oldest_pending_seconds", "Age of the oldest event not yet done.",
              std::chrono::duration<double>(*age).count());
    w.counter("chatops_journal_commits_total", "Write transactions of the journal writer.",
              static_cast<double>(journal_->stats().commits));

    const auto irc = irc_->status();
    w.gauge("chatops_irc_connected", "1 when registered on an IRC server.",
            irc.state == irc::ClientState::Registered ? 1 : 0);
    w.counter("chatops_irc_reconnects_total", "Reconnections to IRC.", static_cast<double>(irc.reconnects));
    w.counter("chatops_irc_lines_sent_total", "Lines written to the IRC server.", static_cast<double>(irc.lines_sent));
    w.gauge("chatops_irc_lines_queued", "Lines in the IRC output queue.", static_cast<double>(irc.lines_queued));
    w.gauge("chatops_irc_sasl", "SASL outcome of the current connection (1 for the current one).", 1,
            {{"outcome", irc.sasl}});
    for (const auto& channel : channels_)
      w.gauge("chatops_irc_channel_joined", "1 when the bot is in the configured channel.",
              contains_folded(irc.joined, channel) ? 1 : 0, {{"channel", channel}});

    const auto stats = dispatcher_->stats();
    w.counter("chatops_events_planned_total", "Events routed through the bind table.",
              static_cast<double>(stats.events_planned));
    w.counter("chatops_events_done_total", "Events whose every output was delivered.",
              static_cast<double>(stats.events_done));
    w.counter("chatops_events_failed_total",
              "Events a handler could not say (template or rendering failed): ended with the reason, never replayed.",
              static_cast<double>(stats.events_failed));
    w.counter("chatops_lines_said_total", "Lines accepted by the IRC server for events.",
              static_cast<double>(stats.lines_sent));
    w.counter("chatops_digest_lines_total", "Digest lines said instead of bursts.",
              static_cast<double>(stats.digest_lines));
    w.counter("chatops_lines_coalesced_total", "Event outputs counted in a digest instead of said.",
              static_cast<double>(stats.outputs_digested));
    w.gauge("chatops_dispatch_waiting_lines", "Lines planned and waiting for flood control.",
            static_cast<double>(stats.waiting_lines));
    w.gauge("chatops_dispatch_held_outputs",
            "Event outputs in memory (waiting, coalesced into a digest not yet said, or in flight); at most "
            "delivery.max_waiting_outputs.",
            static_cast<double>(stats.held_outputs));
  });
}

}  // namespace chatops::bot
