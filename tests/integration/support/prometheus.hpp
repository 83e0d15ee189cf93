// A real Prometheus (Debian's prometheus, 2.42) on 127.0.0.1, scraping the targets the test gives
// and evaluating the rule file it gives, both every `interval` (1 s by default, for quick tests),
// optionally over a history of samples written into its storage first.
// The constructor returns once /-/ready answers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/http.hpp"
#include "tests/integration/support/process.hpp"

namespace chatops::test {

struct PrometheusOptions {
  std::vector<std::string> targets{};  // host:port of exporters, scraped at /metrics
  std::string rules_yaml{};            // the rule file's content ("" for none)
  std::string interval = "1s";         // scrape and evaluation interval
  // The --web.config.file's content (TLS, basic_auth_users), "" for none. With one, readiness
  // is the port accepting connections (/-/ready may need TLS and credentials).
  std::string web_config_yaml{};
  // Samples with their timestamps (OpenMetrics text, ending "# EOF"), written into the TSDB
  // before Prometheus starts (promtool tsdb create-blocks-from openmetrics): a history that
  // queries at past times (`time=`) read, as if it had been scraped then.
  std::string history_openmetrics{};
};

class Prometheus {
 public:
  explicit Prometheus(PrometheusOptions options);  // throws if not ready within 30 s
  ~Prometheus();
  Prometheus(const Prometheus&) = delete;
  Prometheus& operator=(const Prometheus&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  HttpResult get(const std::string& path);  // e.g. "/-/ready" (plain HTTP, without credentials)
  // GET /api/v1/query?query=<expression> (percent-encoded here).
  HttpResult query(const std::string& expression);
  bool ready();

 private:
  PrometheusOptions options_;
  TempDir dir_{"chatops-prometheus"};
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace chatops::test
