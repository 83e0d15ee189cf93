#include "ingestion/api/http_client.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <stop_token>
#include <thread>

#include <httplib.h>

#include "ingestion/api/socket_bytes.hpp"
#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::api {

namespace {

using Clock = std::chrono::steady_clock;

// What a response's head may add to its body on the wire (headers, chunk sizes, TLS records):
// generous, since the point is a bound, not an exact count.
std::size_t socket_budget(std::size_t max_response) { return 2 * max_response + 1024 * 1024; }

std::string size_text(std::size_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

SourceError network_error(httplib::Error error, const Url& url) {
  const auto where = url.display();
  const auto host = url.host + ":" + std::to_string(url.port);
  switch (error) {
    case httplib::Error::Connection: return SourceError::transient("cannot connect to " + host + " (" + where + ")");
    case httplib::Error::ConnectionTimeout:
      return SourceError::transient("timed out connecting to " + host + " (" + where + ")");
    case httplib::Error::SSLConnection:
      return SourceError::transient("the TLS handshake with " + host + " failed (" + where + ")");
    case httplib::Error::SSLLoadingCerts:
      return SourceError::configuration("the CA certificates (ca_file) for " + where + " do not load");
    case httplib::Error::SSLServerVerification:
      return SourceError::configuration("the TLS certificate of " + host +
                                        " is not trusted (unknown CA, expired, or for another name): give its CA "
                                        "in ca_file (" + where + ")");
    case httplib::Error::Compression:
      return SourceError::transient("the answer from " + where + " does not decompress");
    case httplib::Error::Write: return SourceError::transient("the connection to " + where + " broke while asking");
    default: return SourceError::transient("the connection to " + where + " broke while reading its answer");
  }
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  std::optional<std::string> value;
  const auto wanted = payload::ascii_lower(name);
  for (const auto& [n, v] : headers) {
    if (payload::ascii_lower(n) != wanted) continue;
    value = value ? *value + ", " + v : v;
  }
  return value;
}

// Runs while a request is under way: cuts it at the deadline, or when its sockets received more
// than its budget.
class HttpClient::Watchdog {
 public:
  Watchdog(HttpClient& client, Clock::time_point deadline)
      : thread_([&client, deadline](std::stop_token stop) {
          std::mutex mutex;
          std::condition_variable_any wake;
          std::unique_lock lock(mutex);
          while (!stop.stop_requested()) {
            wake.wait_until(lock, stop, std::min(deadline, Clock::now() + std::chrono::milliseconds(10)),
                            [] { return false; });
            if (stop.stop_requested()) return;
            if (Clock::now() >= deadline) return client.cut_all(Cut::Deadline);
            if (client.over_budget()) return client.cut_all(Cut::Oversized);
          }
        }) {}

 private:
  std::jthread thread_;
};

HttpClient::HttpClient(TlsOptions tls, std::string user_agent, std::function<bool()> stopping)
    : tls_(std::move(tls)), user_agent_(std::move(user_agent)), stopping_(std::move(stopping)) {}

HttpClient::~HttpClient() { release_all(); }

void HttpClient::adopt(int socket) {
  const int handle = fcntl(socket, F_DUPFD_CLOEXEC, 0);
  if (handle < 0) return;
  std::lock_guard lock(sockets_mutex_);
  sockets_.push_back(handle);
  // A stop that came between the check before the request and now still cuts it.
  if (stopping_() || cut_.load() != Cut::None) ::shutdown(handle, SHUT_RDWR);
}

void HttpClient::cut_all(Cut why) {
  std::lock_guard lock(sockets_mutex_);
  Cut none = Cut::None;
  cut_.compare_exchange_strong(none, why);
  for (int s : sockets_) ::shutdown(s, SHUT_RDWR);
}

void HttpClient::release_all() {
  std::lock_guard lock(sockets_mutex_);
  for (int s : sockets_) ::close(s);
  sockets_.clear();
}

bool HttpClient::over_budget() {
  std::lock_guard lock(sockets_mutex_);
  std::uint64_t received = 0;
  for (int s : sockets_) received += bytes_received(s).value_or(0);
  return received > budget_;
}

void HttpClient::interrupt() { cut_all(Cut::Interrupted); }

SourceResult<HttpResponse> HttpClient::send(const HttpRequest& request, Clock::time_point deadline) {
  const auto where = request.url.display();
  if (stopping_()) return std::unexpected(SourceError::transient("stopped"));
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left <= std::chrono::milliseconds(0)) return std::unexpected(SourceError::transient("no time left to ask " + where));

  httplib::Client client(request.url.origin());
  client.set_connection_timeout(left);
  client.set_read_timeout(left);
  client.set_write_timeout(left);
  client.set_keep_alive(false);
  client.set_follow_location(false);  // a redirect is reported: credentials never follow it elsewhere
  client.set_url_encode(false);       // targets are encoded already
  client.set_decompress(true);
  client.set_socket_options([this](int socket) { adopt(socket); });
  if (request.url.scheme == "https") {
    client.enable_server_certificate_verification(tls_.verify);
    if (!tls_.ca_file.empty()) client.set_ca_cert_path(tls_.ca_file);
  }

  httplib::Request req;
  req.method = request.method;
  req.path = request.url.target;
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  if (!req.has_header("User-Agent")) req.headers.emplace("User-Agent", user_agent_);
  if (!req.has_header("Accept")) req.headers.emplace("Accept", "application/json");
  // Compressed answers are decompressed as they are read, and bounded after decompression.
  if (!req.has_header("Accept-Encoding")) req.headers.emplace("Accept-Encoding", "gzip, deflate");
  if (!request.body.empty()) {
    req.body = request.body;
    if (!req.has_header("Content-Type")) req.headers.emplace("Content-Type", request.content_type);
  }
  HttpResponse answer;
  bool oversized = false;
  req.response_handler = [&](const httplib::Response& head) {
    // Refused from its announced length, before a byte of it is read.
    if (head.has_header("Content-Length") &&
        head.get_header_value<std::uint64_t>("Content-Length") > request.max_response)
      oversized = true;
    return !oversized;
  };
  req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
    if (answer.body.size() + size > request.max_response) {
      oversized = true;
      return false;
    }
    answer.body.append(data, size);
    return true;
  };

  {
    std::lock_guard lock(sockets_mutex_);
    budget_ = socket_budget(request.max_response);
  }
  cut_ = Cut::None;
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  bool ok;
  {
    Watchdog watchdog(*this, deadline);
    ok = client.send(req, response, error);
  }
  release_all();

  if (stopping_() || cut_ == Cut::Interrupted) return std::unexpected(SourceError::transient("stopped"));
  if (oversized || cut_ == Cut::Oversized)
    return std::unexpected(SourceError::configuration("the answer from " + where + " is larger than max_response (" +
                                                      size_text(request.max_response) + ")"));
  if (cut_ == Cut::Deadline)
    return std::unexpected(SourceError::transient("no complete answer from " + where + " within the run's timeout"));
  if (!ok) return std::unexpected(network_error(error, request.url));
  answer.status = response.status;
  for (const auto& [name, value] : response.headers) answer.headers.emplace_back(name, value);
  return answer;
}

}  // namespace chatops::ingestion::api
