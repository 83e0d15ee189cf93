#include "ingestion/api/http_client.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <stop_token>
#include <thread>

#include "core/modules/module_loader.hpp"
#include "ingestion/api/http_exchange.hpp"
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

Result<const HttpExchangeModule*> load_http_client_module() { return modules::load<HttpExchangeModule>("httplib"); }

HttpClient::HttpClient(TlsOptions tls, std::string user_agent, std::function<bool()> stopping)
    : module_(load_http_client_module()),
      tls_(std::move(tls)),
      user_agent_(std::move(user_agent)),
      stopping_(std::move(stopping)) {}

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

  if (!module_) return std::unexpected(SourceError::configuration("cannot ask " + where + ": " + module_.error().message));
  HttpResponse answer;
  bool oversized = false;
  HttpExchange exchange{request, left, tls_, user_agent_, [this](int socket) { adopt(socket); }, answer, oversized};

  {
    std::lock_guard lock(sockets_mutex_);
    budget_ = socket_budget(request.max_response);
  }
  cut_ = Cut::None;
  std::optional<SourceError> failed;
  {
    Watchdog watchdog(*this, deadline);
    failed = (*module_)->exchange(exchange);
  }
  release_all();

  if (stopping_() || cut_ == Cut::Interrupted) return std::unexpected(SourceError::transient("stopped"));
  if (oversized || cut_ == Cut::Oversized)
    return std::unexpected(SourceError::configuration("the answer from " + where + " is larger than max_response (" +
                                                      size_text(request.max_response) + ")"));
  if (cut_ == Cut::Deadline)
    return std::unexpected(SourceError::transient("no complete answer from " + where + " within the run's timeout"));
  if (failed) return std::unexpected(std::move(*failed));
  return answer;
}

}  // namespace chatops::ingestion::api
