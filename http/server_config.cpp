#include "http/server_config.hpp"

#include <tuple>

#include "core/config/address.hpp"

namespace chatops::http {

config::Schema http_schema() {
  using config::Kind;
  config::Schema tls("tls", "Serve HTTPS instead of HTTP (OpenSSL).");
  tls.field("cert", Kind::String, "Certificate chain file (PEM).").required();
  tls.field("key", Kind::String, "Private key file (PEM).").required();

  config::Schema s("http",
                   "The HTTP listener shared by every webhook source, /healthz and /metrics. It is event-driven: a "
                   "connection costs a socket, not a thread, and each limit below bounds what one client, or all "
                   "of them, can make it hold.");
  s.field("listen", Kind::String, "Address and port to listen on (\"[::1]:8080\" for IPv6; port 0: any).")
      .fallback("127.0.0.1:8080");
  s.field("tls", Kind::Map, "TLS certificate and key; plain HTTP when absent.").schema(tls);
  s.field("threads", Kind::Integer,
          "Event loops serving connections. One serves thousands of connections; a second one uses a second "
          "CPU for signature checks and parsing under heavy load.")
      .fallback("1")
      .range(1, 16);
  s.field("max_body", Kind::Size,
          "Largest request body, enforced while reading (Content-Length or chunked alike); larger ones get 413.")
      .fallback("25MiB")
      .range(1024, 1024.0 * 1024 * 1024);
  s.field("max_request_line", Kind::Size, "Longest request target (path and query); longer ones get 414.")
      .fallback("8KiB")
      .range(256, 1024.0 * 1024);
  s.field("max_head", Kind::Size, "Largest request head (request line and headers); larger ones get 431.")
      .fallback("64KiB")
      .range(1024, 16.0 * 1024 * 1024);
  s.field("max_headers", Kind::Integer, "Most header fields in a request; more get 431.")
      .fallback("100")
      .range(8, 10000);
  s.field("head_timeout", Kind::Duration,
          "Time from a request's first byte to the end of its headers; a slower client gets 408 and is "
          "disconnected (slowloris).")
      .fallback("10s")
      .range(0.1, 3600);
  s.field("body_timeout", Kind::Duration, "Time from the end of the headers to the body's last byte; then 408.")
      .fallback("60s")
      .range(0.1, 3600);
  s.field("idle_timeout", Kind::Duration,
          "How long a connection may stay open with no request under way (new or kept alive).")
      .fallback("60s")
      .range(0.1, 3600);
  s.field("answer_timeout", Kind::Duration,
          "How long a request may wait for its answer (e.g. the journal's commit); then 503 with Retry-After, "
          "and the sender retries (its dedupe key absorbs the repeat).")
      .fallback("30s")
      .range(0.1, 3600);
  s.field("write_timeout", Kind::Duration, "How long a client may take to read a response.")
      .fallback("10s")
      .range(0.1, 3600);
  s.field("max_connections", Kind::Integer,
          "Connections open at once; the next ones get 503 and are closed. The process's open-file limit is "
          "raised to fit when it can be.")
      .fallback("4096")
      .range(16, 1000000);
  s.field("max_connections_per_address", Kind::Integer,
          "Connections open at once from one client address; 0 for no limit (behind a reverse proxy, every "
          "request comes from the proxy's address).")
      .fallback("256")
      .range(0, 1000000);
  s.field("max_buffered", Kind::Size,
          "Request bodies held in memory at once, all connections together; a request that would go over it "
          "gets 503 with Retry-After.")
      .fallback("128MiB")
      .range(1024 * 1024, 64.0 * 1024 * 1024 * 1024);
  s.field("backlog", Kind::Integer, "Pending connections the kernel queues before they are accepted.")
      .fallback("1024")
      .range(16, 65535);
  return s;
}

Result<ServerOptions> server_options(const config::Node& node) {
  ServerOptions o;
  auto address = config::listen_address(node, "listen", "127.0.0.1:8080", 0);
  if (!address) return std::unexpected(address.error());
  std::tie(o.host, o.port) = std::move(*address);
  if (node.has("tls")) o.tls = std::pair{node.map("tls").str("cert"), node.map("tls").str("key")};
  o.threads = static_cast<int>(node.integer("threads"));
  o.parser.max_body = node.size("max_body");
  o.parser.max_request_line = node.size("max_request_line");
  o.parser.max_head = node.size("max_head");
  o.parser.max_headers = static_cast<std::size_t>(node.integer("max_headers"));
  o.head_timeout = node.duration("head_timeout");
  o.body_timeout = node.duration("body_timeout");
  o.idle_timeout = node.duration("idle_timeout");
  o.answer_timeout = node.duration("answer_timeout");
  o.write_timeout = node.duration("write_timeout");
  o.max_connections = static_cast<std::size_t>(node.integer("max_connections"));
  o.max_connections_per_address = static_cast<std::size_t>(node.integer("max_connections_per_address"));
  o.max_buffered = node.size("max_buffered");
  o.backlog = static_cast<int>(node.integer("backlog"));
  if (o.parser.max_request_line > o.parser.max_head)
    return std::unexpected(node["max_request_line"].error("larger than max_head, which includes it"));
  return o;
}

}  // namespace chatops::http
