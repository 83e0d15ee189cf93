#include "ingestion/webhook/receiver.hpp"

#include <charconv>

#include <pthread.h>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace chatops::ingestion::webhook {

struct WebhookReceiver::Route {
  std::shared_ptr<const Provider> provider;
  std::string source;
  EventSink* sink;
  StatusCounters* counters;
};

namespace {

using nlohmann::json;

// httplib's pool with its threads named, for top -H, perf and gdb.
class WorkerPool final : public httplib::TaskQueue {
 public:
  explicit WorkerPool(std::size_t threads) : pool_(threads) {}
  void enqueue(std::function<void()> connection) override {
    pool_.enqueue([connection = std::move(connection)] {
      thread_local const int named = pthread_setname_np(pthread_self(), "http-worker");
      (void)named;
      connection();
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
};

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // Replace rather than throw on invalid UTF-8 echoed from a request (e.g. a header in a reason).
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// Request text in a log line: control characters could forge lines or terminal escapes.
std::string printable(std::string_view s) {
  std::string out(s.substr(0, 300));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

Request to_request(const httplib::Request& req) {
  Request r;
  r.method = req.method;
  r.path = req.path;
  r.headers.assign(req.headers.begin(), req.headers.end());
  r.body = req.body;
  return r;
}

}  // namespace

// --- configuration ------------------------------------------------------------------------------

config::Schema http_schema() {
  config::Schema tls("tls", "Serve HTTPS instead of HTTP.");
  tls.field("cert", config::Kind::String, "Certificate chain file (PEM).").required();
  tls.field("key", config::Kind::String, "Private key file (PEM).").required();

  config::Schema s("http", "The HTTP listener shared by every webhook source, /healthz and /metrics.");
  s.field("listen", config::Kind::String, "Address and port to listen on (\"[::1]:8080\" for IPv6; port 0: any).")
      .fallback("127.0.0.1:8080");
  s.field("max_body", config::Kind::Size, "Largest request body accepted; larger ones get 413.")
      .fallback("25MiB")
      .range(1024, 1024.0 * 1024 * 1024);
  s.field("read_timeout", config::Kind::Duration, "How long a client may take to send its request.")
      .fallback("10s")
      .range(1, 300);
  s.field("threads", config::Kind::Integer,
          "Worker threads answering requests. A keep-alive connection holds one while it is open, and a "
          "request holds one until its event is committed, so this bounds the senders served at once.")
      .fallback("32")
      .range(1, 256);
  s.field("tls", config::Kind::Map, "TLS certificate and key; plain HTTP when absent.").schema(tls);
  return s;
}

Result<HttpOptions> http_options(const config::Node& node) {
  HttpOptions o;
  const std::string listen = node.str("listen");
  const auto colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string_view port = colon == std::string::npos ? std::string_view{} : std::string_view(listen).substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), o.port);
  if (host.empty() || port.empty() || ec != std::errc{} || end != port.data() + port.size() || o.port < 0 ||
      o.port > 65535)
    return std::unexpected(node["listen"].error("expected host:port, e.g. 127.0.0.1:8080"));
  o.host = std::move(host);
  o.max_body = node.size("max_body");
  o.read_timeout = node.duration("read_timeout");
  o.threads = static_cast<int>(node.integer("threads"));
  if (node.has("tls")) o.tls = std::pair{node.map("tls").str("cert"), node.map("tls").str("key")};
  return o;
}

// --- lifecycle ----------------------------------------------------------------------------------

WebhookReceiver::WebhookReceiver(HttpOptions options) : options_(std::move(options)) {}

WebhookReceiver::~WebhookReceiver() { stop(); }

Result<void> WebhookReceiver::start() {
  if (options_.tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(options_.tls->first.c_str(), options_.tls->second.c_str());
    if (!ssl->is_valid())
      return fail("http.tls: cannot load certificate " + options_.tls->first + " or key " + options_.tls->second);
    server_ = std::move(ssl);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  auto& s = *server_;
  const auto threads = static_cast<std::size_t>(options_.threads);
  s.new_task_queue = [threads] { return new WorkerPool(threads); };
  s.set_payload_max_length(options_.max_body);
  s.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(options_.read_timeout));
  s.set_keep_alive_max_count(100);
  s.set_tcp_nodelay(true);  // else each keep-alive answer waits ~40 ms for the client's delayed ACK
  const httplib::Server::Handler other = [this](const httplib::Request& req, httplib::Response& res) {
    handle_other(req, res);
  };
  s.Post(".*", [this](const httplib::Request& req, httplib::Response& res) { handle_post(req, res); });
  s.Get(".*", other);
  s.Put(".*", other);
  s.Patch(".*", other);
  s.Delete(".*", other);
  s.Options(".*", other);
  // httplib answers 413 itself, before any handler: count it for the route and give it a body.
  s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 413)
      if (auto r = route(req.path)) {
        r->counters->consumed++;
        r->counters->failed++;
        count_rejection(r->source, "body_too_large", "body over " + std::to_string(options_.max_body) + " bytes");
      }
    if (res.body.empty())
      send_json(res, res.status, {{"status", res.status == 404 ? "not_found" : "error"}, {"code", res.status}});
  });

  port_ = options_.port == 0 ? s.bind_to_any_port(options_.host) : (s.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port_ <= 0) {
    server_.reset();
    return fail("http.listen: cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                " (address in use, not local, or not permitted)");
  }
  thread_ = std::thread([&s] { s.listen_after_bind(); });
  spdlog::info("webhook receiver listening on {}://{}:{}", options_.tls ? "https" : "http", options_.host, port_);
  return {};
}

void WebhookReceiver::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

// --- routes -------------------------------------------------------------------------------------

Result<void> WebhookReceiver::add_route(std::string path, std::shared_ptr<const Provider> provider,
                                        std::string source, EventSink& sink, StatusCounters& counters) {
  std::lock_guard lock(mutex_);
  if (routes_.contains(path) || gets_.contains(path))
    return fail("webhook path " + path + " is already used by another source");
  routes_.emplace(std::move(path), std::make_shared<Route>(Route{std::move(provider), std::move(source), &sink, &counters}));
  return {};
}

void WebhookReceiver::remove_route(const std::string& path) {
  std::shared_ptr<Route> removed;
  {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(path);
    if (it == routes_.end()) return;
    removed = std::move(it->second);
    routes_.erase(it);
  }
  // Requests in flight hold the route (and use the caller's sink and counters) until they answer.
  while (removed.use_count() > 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void WebhookReceiver::add_get(std::string path, std::function<Reply()> handler) {
  std::lock_guard lock(mutex_);
  gets_[std::move(path)] = std::move(handler);
}

std::shared_ptr<WebhookReceiver::Route> WebhookReceiver::route(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = routes_.find(path);
  return it == routes_.end() ? nullptr : it->second;
}

std::map<std::pair<std::string, std::string>, std::uint64_t> WebhookReceiver::rejections() const {
  std::lock_guard lock(mutex_);
  return rejections_;
}

void WebhookReceiver::count_rejection(const std::string& source, const std::string& cause, const std::string& detail) {
  std::uint64_t n;
  {
    std::lock_guard lock(mutex_);
    n = ++rejections_[{source, cause}];
  }
  // Once per (source, cause) at warn so that a misconfigured sender shows without flooding the log.
  spdlog::log(n == 1 ? spdlog::level::warn : spdlog::level::debug, "webhook {}: refused ({}): {}{}", source, cause,
              printable(detail), n == 1 ? " (further ones are logged at debug)" : "");
}

// --- requests -----------------------------------------------------------------------------------

void WebhookReceiver::reject(const Route& route, const Rejection& r, const std::string& remote,
                             httplib::Response& res) {
  route.counters->failed++;
  count_rejection(route.source, r.cause, r.reason + " from " + remote);
  send_json(res, r.status, {{"status", "rejected"}, {"cause", r.cause}, {"reason", r.reason}});
}

void WebhookReceiver::handle_post(const httplib::Request& req, httplib::Response& res) {
  const auto r = route(req.path);
  if (!r) return handle_other(req, res);
  r->counters->consumed++;
  const Request request = to_request(req);
  // Credentials first, on the raw bytes: nothing of an unauthenticated body is parsed.
  if (auto refused = r->provider->authenticate(request)) return reject(*r, *refused, req.remote_addr, res);
  auto parsed = r->provider->parse(request);
  if (!parsed) return reject(*r, parsed.error(), req.remote_addr, res);

  if (parsed->events.empty()) {
    r->counters->skipped++;
    r->counters->committed++;
    spdlog::debug("webhook {}: skipped: {}", r->source, printable(parsed->skip_reason));
    return send_json(res, 202, {{"status", "skipped"}, {"reason", parsed->skip_reason}});
  }
  std::uint64_t accepted = 0;
  for (auto& event : parsed->events) {
    event.source = r->source;
    event.family = "webhook";
    switch (r->sink->submit_one(std::move(event))) {
      case Submission::Accepted: ++accepted; break;
      case Submission::Duplicate: break;
      case Submission::Refused:
        // Not durable: answer 5xx so that the sender retries (dedupe keys absorb the repeat).
        r->counters->failed++;
        r->counters->set_error("the journal refused an event");
        return send_json(res, 503, {{"status", "unavailable"}});
    }
  }
  r->counters->processed += accepted;
  r->counters->committed++;
  if (accepted == 0) return send_json(res, 200, {{"status", "duplicate"}});
  send_json(res, 202, {{"status", "accepted"}, {"events", accepted}});
}

void WebhookReceiver::handle_other(const httplib::Request& req, httplib::Response& res) {
  std::function<Reply()> get;
  bool is_route = false;
  {
    std::lock_guard lock(mutex_);
    is_route = routes_.contains(req.path);
    if (auto it = gets_.find(req.path); it != gets_.end()) get = it->second;
  }
  if (get && (req.method == "GET" || req.method == "HEAD")) {
    const Reply reply = get();
    res.status = reply.status;
    res.set_content(reply.body, reply.content_type.c_str());
  } else if (get || is_route) {
    res.set_header("Allow", get ? "GET, HEAD" : "POST");
    send_json(res, 405, {{"status", "method_not_allowed"}, {"allow", get ? "GET, HEAD" : "POST"}});
  } else {
    send_json(res, 404, {{"status", "not_found"}});
  }
}

}  // namespace chatops::ingestion::webhook
