#include "ingestion/metric/metric_config.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/config/address.hpp"
#include "ingestion/api/auth.hpp"
#include "ingestion/metric/influxdb.hpp"
#include "ingestion/metric/prometheus.hpp"
#include "ingestion/metric/statsd.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::ingestion::metric {

namespace {

Result<api::Url> url_at(const config::Node& node, const std::string& key) {
  auto url = api::parse_url(node.str(key));
  if (!url) return std::unexpected(node[key].error(url.error().message));
  if (url->target.find('?') != std::string::npos)
    return std::unexpected(node[key].error("the server's URL takes no query"));
  return url;
}

// What the HTTP providers share: the server, its credentials, TLS and the answer's bound.
struct Server {
  api::Url url;
  api::AuthConfig auth;
  api::TlsOptions tls;
  std::size_t max_response = 0;
};

Result<Server> server_from(const config::Node& node) {
  const auto provider = node.str("provider");
  if (!node.has("url")) return std::unexpected(node.error("provider " + provider + " needs url: (the server)"));
  Server s;
  auto url = url_at(node, "url");
  if (!url) return std::unexpected(url.error());
  s.url = std::move(*url);
  if (node.has("auth")) {
    auto auth = api::auth_from_config(node.map("auth"));
    if (!auth) return std::unexpected(auth.error());
    s.auth = std::move(*auth);
  }
  s.tls.verify = node.boolean("tls_verify");
  if (node.has("ca_file")) {
    s.tls.ca_file = node.str("ca_file");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(s.tls.ca_file, ec))
      return std::unexpected(node["ca_file"].error("no such file: " + s.tls.ca_file));
  }
  s.max_response = node.size("max_response");
  if (!s.tls.verify && s.url.scheme == "https")
    spdlog::warn("source {}: tls_verify is false: the certificate of {} is not checked", node.str("name"), s.url.host);
  return s;
}

Result<ProviderFactory> prometheus_from(const config::Node& node) {
  auto server = server_from(node);
  if (!server) return std::unexpected(server.error());
  prometheus::PrometheusConfig c{.url = server->url, .external = std::nullopt, .auth = server->auth, .tls = server->tls,
                                 .max_response = server->max_response};
  if (node.has("external_url")) {
    auto external = url_at(node, "external_url");
    if (!external) return std::unexpected(external.error());
    c.external = std::move(*external);
  }
  return [c](std::function<bool()> stopping) { return prometheus::make_provider(c, std::move(stopping)); };
}

Result<ProviderFactory> influxdb_from(const config::Node& node) {
  auto server = server_from(node);
  if (!server) return std::unexpected(server.error());
  influxdb::InfluxConfig c;
  c.url = server->url;
  c.auth = server->auth;
  c.tls = server->tls;
  c.max_response = server->max_response;
  c.language = node.str("language") == "flux" ? influxdb::Language::Flux : influxdb::Language::InfluxQL;
  if (c.language == influxdb::Language::InfluxQL) {
    if (!node.has("database")) return std::unexpected(node.error("language influxql needs database:"));
    c.database = node.str("database");
  } else {
    if (!node.has("org")) return std::unexpected(node.error("language flux needs org:"));
    c.org = node.str("org");
  }
  if (node.has("token")) c.token = node.str("token");
  return [c](std::function<bool()> stopping) { return influxdb::make_provider(c, std::move(stopping)); };
}

Result<ProviderFactory> statsd_from(const config::Node& node) {
  if (node.has("url")) return std::unexpected(node["url"].error("provider statsd listens (listen:); it has no url"));
  statsd::StatsdConfig c;
  auto address = config::listen_address(node, "listen", "127.0.0.1:8125");
  if (!address) return std::unexpected(address.error());
  c.listener.host = address->first;
  c.listener.port = address->second;
  c.listener.tcp = node.boolean("tcp");
  c.listener.receive_buffer = node.size("receive_buffer");
  c.listener.max_line = node.size("max_line");
  c.listener.max_connections = static_cast<int>(node.integer("max_connections"));
  c.listener.tcp_idle_timeout = node.duration("tcp_idle_timeout");
  c.limits.max_series = static_cast<std::size_t>(node.integer("max_series"));
  c.limits.max_samples = static_cast<std::size_t>(node.integer("max_samples"));
  c.limits.max_members = c.limits.max_samples;
  for (const auto& check : node.list("checks")) {
    const auto query = check.str("query");
    const auto [name, stat] = statsd::split_query(query);
    if (name.empty() || !statsd::known_stat(stat))
      return std::unexpected(check["query"].error(
          "a StatsD check's query is <metric> or <metric>:<statistic> (count, rate, value, unique, mean, sum, min, "
          "max, median, p1 … p100)"));
  }
  return [c](std::function<bool()>) { return statsd::make_provider(c); };
}

}  // namespace

config::Schema metric_source_schema() {
  config::Schema s("metric", "");
  s.field("provider", config::Kind::String,
          "Where the checks' values come from: prometheus (PromQL instant queries to url), influxdb (InfluxQL or "
          "Flux queries to url), or statsd (a StatsD server listening on listen:, aggregating what is pushed to it "
          "per interval).")
      .required()
      .one_of({"prometheus", "influxdb", "statsd"});
  s.field("url", config::Kind::String,
          "The server's URL (http or https), with its path prefix if it has one. Credentials go in auth:.")
      .example("http://prometheus.example:9090");
  s.field("external_url", config::Kind::String,
          "The server's URL as people reach it, for the links in events (default: url).")
      .example("https://prometheus.example.com");
  s.field("auth", config::Kind::Map, "Credentials: bearer, basic, api_key or oauth2 (as for kind api).")
      .schema(api::auth_schema());
  s.field("ca_file", config::Kind::String, "PEM file of the CAs that may sign the server's certificate (https); "
                                           "the system's store by default.");
  s.field("tls_verify", config::Kind::Boolean,
          "Verify the server's certificate and name (https). false is for tests only: it is logged as a warning.")
      .fallback("true");
  s.field("max_response", config::Kind::Size, "Largest answer read; a larger one is an error.")
      .fallback("64MiB")
      .range(1024, 1024.0 * 1024 * 1024);
  s.field("language", config::Kind::String,
          "influxdb: influxql (InfluxDB 1.x, GET /query) or flux (InfluxDB 2.x, POST /api/v2/query).")
      .fallback("influxql")
      .one_of({"influxql", "flux"});
  s.field("database", config::Kind::String, "influxdb, influxql: the database the queries run in.").example("telegraf");
  s.field("org", config::Kind::String, "influxdb, flux: the organisation the queries run in.");
  s.field("token", config::Kind::Secret, "influxdb, flux: the API token, sent as `Authorization: Token <token>`.");
  s.field("listen", config::Kind::String, "statsd: the address to listen on, UDP (and TCP with tcp: true).")
      .fallback("127.0.0.1:8125");
  s.field("tcp", config::Kind::Boolean, "statsd: also accept newline-framed TCP streams on the same port.")
      .fallback("false");
  s.field("receive_buffer", config::Kind::Size,
          "statsd: the UDP socket's receive buffer (SO_RCVBUF, within the kernel's net.core.rmem_max); datagrams "
          "that arrive while it is full are dropped by the kernel, and counted.")
      .fallback("4MiB")
      .range(4096, 1024.0 * 1024 * 1024);
  s.field("max_line", config::Kind::Size, "statsd: longest TCP line; a longer one closes its connection.")
      .fallback("64KiB")
      .range(256, 64.0 * 1024 * 1024);
  s.field("max_connections", config::Kind::Integer, "statsd: TCP senders at once; more are refused.")
      .fallback("64")
      .range(1, 10000);
  s.field("tcp_idle_timeout", config::Kind::Duration,
          "statsd: a TCP connection that has not completed a line for this long is closed (an idle sender, or one "
          "too slow: a slowloris), so that such senders cannot keep max_connections taken.")
      .fallback("1m")
      .range(0.1, 86400);
  s.field("max_series", config::Kind::Integer,
          "statsd: series (name and tags) aggregated at once; lines of new series beyond it are dropped, counted.")
      .fallback("10000")
      .range(1, 10000000);
  s.field("max_samples", config::Kind::Integer,
          "statsd: timer/histogram values kept per series and interval for percentiles (a uniform sample of them "
          "beyond; count, sum, mean, min and max stay exact), and set members counted per series and interval.")
      .fallback("10000")
      .range(1, 10000000);
  s.field("checks", config::Kind::List, "The threshold checks (see check below), evaluated at every run.")
      .items(check_schema())
      .required();
  add_poll_fields(s, "30s");
  return common_source_schema().merged(s, "metric");
}

Result<MetricConfig> metric_config(const config::Node& node) {
  MetricConfig c;
  c.name = node.str("name");
  auto checks = checks_from_config(node);
  if (!checks) return std::unexpected(checks.error());
  c.checks = std::move(*checks);
  const auto kind = node.str("provider");
  auto provider = kind == "statsd" ? statsd_from(node) : kind == "influxdb" ? influxdb_from(node) : prometheus_from(node);
  if (!provider) return std::unexpected(provider.error());
  c.provider = std::move(*provider);
  c.poll = poll_options(node);
  return c;
}

}  // namespace chatops::ingestion::metric
