#include "tests/integration/support/prometheus.hpp"

#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/integration/support/url_encoded.hpp"

namespace chatops::test {

Prometheus::Prometheus(PrometheusOptions options) : options_(std::move(options)) {
  port_ = free_port();
  std::ostringstream c;
  c << "global:\n  scrape_interval: " << options_.interval << "\n  evaluation_interval: " << options_.interval
    << "\n  scrape_timeout: " << options_.interval << "\n";
  if (!options_.rules_yaml.empty()) {
    dir_.write("rules.yml", options_.rules_yaml);
    c << "rule_files: [\"" << (dir_ / "rules.yml").string() << "\"]\n";
  }
  c << "scrape_configs:\n  - job_name: test\n    static_configs:\n      - targets: [";
  for (std::size_t i = 0; i < options_.targets.size(); ++i) c << (i ? ", " : "") << '"' << options_.targets[i] << '"';
  c << "]\n";
  dir_.write("prometheus.yml", c.str());
  if (!options_.history_openmetrics.empty()) {
    const auto history = dir_.write("history.om", options_.history_openmetrics);
    const auto made = run_to_end({.argv = {"promtool", "tsdb", "create-blocks-from", "openmetrics", history.string(),
                                           (dir_ / "data").string()},
                                  .env = {},
                                  .log_dir = dir_.path(),
                                  .name = "promtool",
                                  .cwd = {},
                                  .run_as = {}},
                                 120s);
    if (made.exit_code != 0)
      throw std::runtime_error("promtool could not write the history (" +
                               (made.exit_code ? "exit " + std::to_string(*made.exit_code) : std::string("killed")) +
                               "):\n" + made.out + made.err);
  }
  std::vector<std::string> argv{"prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
                                "--storage.tsdb.path=" + (dir_ / "data").string(),
                                "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"};
  if (!options_.web_config_yaml.empty())
    argv.push_back("--web.config.file=" + dir_.write("web.yml", options_.web_config_yaml).string());
  process_ = std::make_unique<Process>(ProcessOptions{
      .argv = std::move(argv),
      .env = {},
      .log_dir = dir_.path(),
      .name = "prometheus",
      .cwd = {},
      .run_as = {}});
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  const auto up = [&] { return options_.web_config_yaml.empty() ? ready() : wait_for_port(port_, 100ms); };
  while (!up()) {
    if (!process_->running() || std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("Prometheus did not become ready (" + describe_status(process_->wait_status()) +
                               "):\n" + process_->output());
    std::this_thread::sleep_for(50ms);
  }
}

Prometheus::~Prometheus() {
  if (process_) process_->stop(5s);
}

HttpResult Prometheus::get(const std::string& path) { return http_request("GET", port_, path); }

HttpResult Prometheus::query(const std::string& expression) {
  return get("/api/v1/query?query=" + url_encoded(expression));
}

bool Prometheus::ready() { return get("/-/ready").status == 200; }

}  // namespace chatops::test
