#pragma once
// The `http:` section: where the listener binds and the limits that keep hostile clients from
// taking it over. Declared once; validation, defaults and the configuration reference come from it.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "core/config/node.hpp"
#include "core/error.hpp"
#include "http/request_parser.hpp"

namespace chatops::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (Server::port() tells which)
  std::optional<std::pair<std::string, std::string>> tls{};  // certificate chain and key files (PEM)
  int threads = 1;                                           // event loops
  ParserLimits parser{};
  std::chrono::milliseconds head_timeout{10'000};    // from a request's first byte to its last header
  std::chrono::milliseconds body_timeout{60'000};    // from the head to the body's last byte
  std::chrono::milliseconds idle_timeout{60'000};    // a connection with no request under way
  std::chrono::milliseconds answer_timeout{30'000};  // a handler's answer, then 503
  std::chrono::milliseconds write_timeout{10'000};   // for the client to take the response
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_address = 256;  // 0: no limit (behind a reverse proxy)
  std::size_t max_buffered = 128 * 1024 * 1024;   // request bodies in memory, all connections
  int backlog = 1024;
};

config::Schema http_schema();
Result<ServerOptions> server_options(const config::Node& validated_http);

}  // namespace chatops::http
