#pragma once
// The one call of HttpClient that needs cpp-httplib, behind a module (chatops-httplib.so, loaded
// when the first HttpClient is made): cpp-httplib's library initialises OpenSSL, error strings included, as
// soon as it is loaded, which a bot with no API poller, metric query or Alertmanager command
// should not pay for (about 2 MiB resident, bench/README.md). HttpClient keeps the bounds (the
// deadline's watchdog, the sockets' byte budget, interrupt()); the module only asks and reads.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "ingestion/api/http_client.hpp"

namespace chatops::ingestion::api {

struct HttpExchange {
  const HttpRequest& request;
  std::chrono::milliseconds timeout;  // for connecting, reading and writing each
  const TlsOptions& tls;
  const std::string& user_agent;
  std::function<void(int socket)> on_socket;  // each socket the request opens, as it opens it
  HttpResponse& answer;                        // filled as it is read
  bool& oversized;                             // set when the answer goes past request.max_response
};

// What chatops_module_httplib returns.
struct HttpExchangeModule {
  // Sends the request and reads its answer: nullopt when it was answered (any status), else the
  // network failure, naming the URL.
  std::optional<SourceError> (*exchange)(HttpExchange& exchange);
};

}  // namespace chatops::ingestion::api
