#include "tests/integration/support/alertmanager.hpp"

#include <sstream>
#include <stdexcept>
#include <thread>

namespace chatops::test {

namespace {

// YAML double-quoted scalar: tests pass URLs and tokens, escape what YAML needs.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Alertmanager::Alertmanager(AlertmanagerOptions options) : options_(std::move(options)) {
  port_ = free_port();
  write_config();
  start();
}

Alertmanager::~Alertmanager() { stop(); }

void Alertmanager::retarget(std::string webhook_url) {
  options_.webhook_url = std::move(webhook_url);
  write_config();
  restart();
}

void Alertmanager::write_config() const {
  const auto& o = options_;
  std::ostringstream c;
  c << "route:\n  receiver: bot\n  group_by: [";
  for (size_t i = 0; i < o.group_by.size(); ++i) c << (i ? ", " : "") << quoted(o.group_by[i]);
  c << "]\n"
    << "  group_wait: " << o.group_wait << "\n"
    << "  group_interval: " << o.group_interval << "\n"
    << "  repeat_interval: " << o.repeat_interval << "\n"
    << "receivers:\n  - name: bot\n    webhook_configs:\n"
    << "      - url: " << quoted(o.webhook_url) << "\n"
    << "        send_resolved: " << (o.send_resolved ? "true" : "false") << "\n"
    << "        max_alerts: " << o.max_alerts << "\n";
  if (!o.bearer_token.empty())
    c << "        http_config:\n          authorization:\n            type: Bearer\n"
      << "            credentials: " << quoted(o.bearer_token) << "\n";
  dir_.write("alertmanager.yml", c.str());
}

void Alertmanager::start() {
  if (running()) return;
  process_.reset();
  process_ = std::make_unique<Process>(ProcessOptions{
      .argv = {"prometheus-alertmanager",
               "--config.file=" + (dir_ / "alertmanager.yml").string(),
               "--storage.path=" + (dir_ / "data").string(),
               "--web.listen-address=127.0.0.1:" + std::to_string(port_),
               "--cluster.listen-address=",  // empty: no clustering, ready at once
               "--log.level=debug"},
      .env = {},
      .log_dir = dir_.path(),
      .name = "alertmanager",
      .cwd = {},
      .run_as = {}});
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!ready()) {
    if (!process_->running() || std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("Alertmanager did not become ready (" +
                               describe_status(process_->wait_status()) + "):\n" +
                               process_->output());
    std::this_thread::sleep_for(50ms);
  }
}

void Alertmanager::stop() {
  if (process_) process_->stop(5s);
}

void Alertmanager::kill9() {
  if (process_) process_->kill9();
}

HttpResult Alertmanager::post_alerts(const std::string& json) {
  return http_request("POST", port_, "/api/v2/alerts", json);
}

HttpResult Alertmanager::get(const std::string& path) { return http_request("GET", port_, path); }

bool Alertmanager::ready() { return get("/-/ready").status == 200; }

}  // namespace chatops::test
