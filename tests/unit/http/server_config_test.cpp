#include <catch2/catch.hpp>

#include "core/config/node.hpp"
#include "http/server.hpp"
#include "http/server_config.hpp"

using namespace chatops;

namespace {
Result<http::ServerOptions> options(const std::string& yaml) {
  auto raw = config::load_string(yaml, "cfg.yml");
  REQUIRE(raw);
  auto validated = config::validate(http::http_schema(), *raw);
  if (!validated) return std::unexpected(validated.error());
  return http::server_options(*validated);
}
}  // namespace

TEST_CASE("the http: section has safe defaults for a listener facing the internet", "[http]") {
  auto d = options("{}");
  REQUIRE(d);
  CHECK(d->host == "127.0.0.1");
  CHECK(d->port == 8080);
  CHECK(d->parser.max_body == 25u * 1024 * 1024);
  CHECK(d->parser.max_request_line == 8u * 1024);
  CHECK(d->parser.max_head == 64u * 1024);
  CHECK(d->parser.max_headers == 100);
  CHECK(d->head_timeout == std::chrono::seconds(10));
  CHECK(d->body_timeout == std::chrono::seconds(60));
  CHECK(d->idle_timeout == std::chrono::seconds(60));
  CHECK(d->max_connections == 4096);
  CHECK(d->max_connections_per_address == 256);
  CHECK(d->backlog >= 1024);
  CHECK_FALSE(d->tls);
}

TEST_CASE("the http: section: addresses, TLS files and bad values", "[http]") {
  auto v6 = options("{listen: '[::1]:9000', max_body: 1MiB, head_timeout: 2s, tls: {cert: c.pem, key: k.pem}}");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 9000);
  CHECK(v6->parser.max_body == 1024u * 1024);
  CHECK(v6->head_timeout == std::chrono::seconds(2));
  CHECK(v6->tls->first == "c.pem");

  auto bad = options("{listen: localhost}");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("cfg.yml:1:"));
  CHECK_FALSE(options("{listen: 'h:99999'}"));
  auto line = options("{max_request_line: 128KiB, max_head: 64KiB}");
  REQUIRE_FALSE(line);
  CHECK_THAT(line.error().message, Catch::Contains("larger than max_head"));

  http::ServerOptions tls;
  tls.port = 0;
  tls.tls = std::pair{"/nonexistent.pem", "/nonexistent.key"};
  http::Server server(tls);
  auto failed = server.start();
  REQUIRE_FALSE(failed);
  CHECK_THAT(failed.error().message, Catch::Contains("/nonexistent.pem"));
  http::ServerOptions not_ip;
  not_ip.host = "localhost";
  CHECK_FALSE(http::Server(not_ip).start());
}
