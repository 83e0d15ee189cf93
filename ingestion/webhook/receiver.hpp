#pragma once
// The one HTTP(S) listener behind every webhook source (cpp-httplib). Each source owns a path; a
// POST there is authenticated on the raw body by its provider, parsed into events, submitted to
// the sink, and answered only once the sink has made them durable:
//   202 {"status":"accepted","events":n}   200 {"status":"duplicate"}
//   202 {"status":"skipped","reason":…}    503 {"status":"unavailable"} (the sink refused; retry)
//   401/400/415 {"status":"rejected","cause":…,"reason":…}   404 unknown path   405 wrong method
//   413 body over http.max_body
// Rejections are counted per (source, cause) and logged at warn once per pair, later at debug.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "core/config/node.hpp"
#include "core/error.hpp"
#include "ingestion/source.hpp"
#include "ingestion/webhook/provider.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace chatops::ingestion::webhook {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see WebhookReceiver::port())
  std::uint64_t max_body = 25 * 1024 * 1024;
  std::chrono::milliseconds read_timeout{10'000};
  std::optional<std::pair<std::string, std::string>> tls{};  // certificate and key files (PEM)
  // Each keep-alive connection holds a worker while it is open, and a request holds it while its
  // event is committed: more workers, more senders served at once and bigger group commits.
  int threads = 32;
};

// The `http:` section.
config::Schema http_schema();
Result<HttpOptions> http_options(const config::Node& validated_http);

// What a GET handler (/healthz, /metrics…) answers.
struct Reply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class WebhookReceiver {
 public:
  explicit WebhookReceiver(HttpOptions options);
  ~WebhookReceiver();  // stops
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  // Binds (an error names the address) and serves on a background thread.
  Result<void> start();
  void stop();
  int port() const { return port_; }  // the bound port, once started

  // Routes may be added and removed while serving. `sink` and `counters` must outlive the route:
  // remove_route waits for requests in flight on it. A path already taken is an error.
  Result<void> add_route(std::string path, std::shared_ptr<const Provider> provider, std::string source,
                         EventSink& sink, StatusCounters& counters);
  void remove_route(const std::string& path);
  void add_get(std::string path, std::function<Reply()> handler);

  // (source, cause) → requests refused for that cause, for /metrics.
  std::map<std::pair<std::string, std::string>, std::uint64_t> rejections() const;

 private:
  struct Route;
  std::shared_ptr<Route> route(const std::string& path) const;
  void handle_post(const httplib::Request& req, httplib::Response& res);
  void handle_other(const httplib::Request& req, httplib::Response& res);
  void reject(const Route& route, const Rejection& r, const std::string& remote, httplib::Response& res);
  void count_rejection(const std::string& source, const std::string& cause, const std::string& detail);

  HttpOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mutex_;  // guards the maps below
  std::map<std::string, std::shared_ptr<Route>, std::less<>> routes_;
  std::map<std::string, std::function<Reply()>, std::less<>> gets_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> rejections_;
};

}  // namespace chatops::ingestion::webhook
