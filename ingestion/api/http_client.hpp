#pragma once
// One HTTP(S) request of an API poller, with cpp-httplib's client (in a module, loaded when the
// first client is made: http_exchange.hpp), bounded in time and size:
//   - the run's deadline is the request's: httplib's connection/read/write timeouts are set from
//     it, and a watchdog cuts the connection when it passes (a server dripping its answer, or its
//     headers, never holds a run past its deadline);
//   - the answer's body is read up to max_response bytes (after decompression) and refused past
//     it; what arrives on the socket in all, head included, is bounded too (httplib does not bound
//     a response's head), by watching the socket's received bytes;
//   - interrupt() from another thread cuts the request under way at once, including while it
//     connects (httplib's own stop() waits for a connect to finish);
//   - TLS verification is on unless turned off, against the system store or a CA file.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "ingestion/api/url.hpp"
#include "ingestion/source.hpp"

namespace chatops::ingestion::api {

using Headers = std::vector<std::pair<std::string, std::string>>;
struct HttpExchangeModule;

struct HttpRequest {
  std::string method = "GET";
  Url url;
  Headers headers{};
  std::string body{};          // sent when not empty, with content_type
  std::string content_type{};
  std::size_t max_response = 16 * 1024 * 1024;  // body bytes accepted, after decompression
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
  // The header's values joined by ", " (names compare case-insensitively); nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
};

struct TlsOptions {
  bool verify = true;
  std::string ca_file{};  // PEM bundle; the system's store when empty
};

struct HttpExchangeModule;  // http_exchange.hpp

// Loads the HTTP client's module (chatops-httplib.so) now, or says why it cannot (the paths
// tried). A source or command that will ask over HTTP calls it as it is made, so that a missing
// module stops start-up there, as a kind's module does, rather than failing each of its requests;
// HttpClient holds what it returns.
Result<const HttpExchangeModule*> load_http_client_module();

class HttpClient {
 public:
  // `stopping` says whether the source is stopping: a request then fails at once.
  HttpClient(TlsOptions tls, std::string user_agent, std::function<bool()> stopping);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request and its whole answer, whatever its status, by `deadline`. Errors name the URL
  // without its query: transient for the network (refused, reset, timed out, a failed TLS
  // handshake), configuration for what only a change of configuration mends (a certificate that
  // is not trusted, a CA file that does not load, an answer over max_response).
  SourceResult<HttpResponse> send(const HttpRequest& request, std::chrono::steady_clock::time_point deadline);

  // From another thread, after `stopping` turned true: cuts the request under way.
  void interrupt();

 private:
  class Watchdog;
  enum class Cut { None, Deadline, Oversized, Interrupted };

  void adopt(int socket);  // httplib's socket_options: keep a handle to cut it
  void cut_all(Cut why);
  void release_all();      // after a request
  bool over_budget();      // the sockets have received more than the request may

  Result<const HttpExchangeModule*> module_;  // cpp-httplib's side, or why it cannot be loaded
  TlsOptions tls_;
  std::string user_agent_;
  std::function<bool()> stopping_;
  std::mutex sockets_mutex_;
  std::vector<int> sockets_;  // duplicates of the request's sockets (so a cut never hits a reused fd)
  std::size_t budget_ = 0;    // bytes the request's sockets may receive
  std::atomic<Cut> cut_{Cut::None};
};

}  // namespace chatops::ingestion::api
