#pragma once
// The HTTP(S) listener behind webhooks, /healthz, /metrics and later endpoints: event-driven (a few
// event loops, no thread per connection, so a slow or hostile client costs a socket, not a
// worker), with every limit of ServerOptions enforced while reading, and answers that may come
// later from any thread (a webhook is answered when the journal has committed its events).
//
// A route is a path with the methods it serves and a Handler. The handler first sees the head,
// before any byte of the body is read, and may refuse it there (missing credentials); then the
// whole request, with a Responder to answer through, once, from any thread.
// Statuses the server gives on its own: 400 malformed, 404 no route, 405 wrong method (with
// Allow), 408 too slow, 413 body, 414 target, 415 Content-Encoding, 431 head, 501 transfer
// coding, 503 over a limit, no answer in time or a route still to come (with Retry-After), 505
// HTTP version.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "http/message.hpp"
#include "http/server_config.hpp"

namespace chatops::http {

struct Exchange;

// Answers one request. Copies share the request: the first send() wins, the others do nothing.
// If every copy is gone unanswered, the client gets 500.
class Responder {
 public:
  explicit Responder(std::shared_ptr<Exchange> exchange) : exchange_(std::move(exchange)) {}
  void send(Response response) const;
  // Sends `fallback` if nothing else was sent within `after`: a deadline that holds even when
  // whatever should answer is stuck (a health check of a wedged thread).
  void send_after(std::chrono::milliseconds after, Response fallback) const;

 private:
  std::shared_ptr<Exchange> exchange_;
};

class Handler {
 public:
  virtual ~Handler() = default;
  // The head only (request.head_only): a response refuses the request before its body is read
  // (the connection then closes). Runs on an event loop: be quick.
  virtual std::optional<Response> check_head(const Request&) const { return std::nullopt; }
  // The whole request. Runs on an event loop: hand slow work elsewhere and answer later.
  virtual void handle(Request request, Responder responder) = 0;
};

// A handler from a function, for routes that need no head check.
std::shared_ptr<Handler> handler(std::function<void(Request, Responder)> handle);

// Counters since start, for /metrics and tests.
struct ServerStats {
  std::uint64_t connections_open = 0, connections_accepted = 0;
  std::uint64_t refused_max_connections = 0, refused_per_address = 0;
  std::uint64_t requests = 0;  // complete requests handed to a handler
  std::map<int, std::uint64_t> responses;     // by status
  std::map<std::string, std::uint64_t> timeouts;  // by phase: head, body, answer, write
  std::uint64_t buffered_bytes = 0;           // request bodies in memory now
};

class Server {
 public:
  // Registers the chatops_http_* metrics when a registry is given.
  explicit Server(ServerOptions options, metrics::Registry* registry = nullptr);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (an error names the address) and serves on the event loops' threads.
  Result<void> start();
  // Stops accepting and closes every connection; answers still to come are dropped.
  void stop();
  int port() const;  // the bound port, once started

  // Routes may change while serving. A path already taken is an error.
  Result<void> add_route(std::string path, std::set<std::string> methods, std::shared_ptr<Handler> handler);
  void remove_route(const std::string& path);
  // A path whose route is coming: while it has no route, it is answered 503 with Retry-After
  // instead of 404 (a source built and not yet started, or restarting for a reload). Counted:
  // each hold is released once; with none left and no route, the path is 404 again.
  void hold_route(const std::string& path);
  void release_route(const std::string& path);

  ServerStats stats() const;
  const ServerOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace chatops::http
