// A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1 with one
// route to one webhook receiver, tuned for quick tests (group_wait/group_interval 1 s,
// resolved notifications on, clustering off). The constructor returns once /-/ready answers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/http.hpp"
#include "tests/integration/support/process.hpp"

namespace chatops::test {

struct AlertmanagerOptions {
  std::string webhook_url{};                    // where notifications go, e.g. the bot's hook
  std::string bearer_token{};                   // http_config authorization Bearer (if set)
  std::vector<std::string> group_by = {"alertname"};
  std::string group_wait = "1s";
  std::string group_interval = "1s";
  std::string repeat_interval = "1h";
  bool send_resolved = true;
  int max_alerts = 0;                           // per notification, 0 = all
};

class Alertmanager {
 public:
  explicit Alertmanager(AlertmanagerOptions options);  // throws if not ready within 15 s
  ~Alertmanager();
  Alertmanager(const Alertmanager&) = delete;
  Alertmanager& operator=(const Alertmanager&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // POST /api/v2/alerts with a JSON list of {labels, annotations, startsAt, endsAt}
  // (Alertmanager answers 200). Post the same labels with endsAt = now to resolve.
  HttpResult post_alerts(const std::string& json);
  HttpResult get(const std::string& path);   // e.g. "/-/ready", "/api/v2/alerts"
  bool ready();                              // GET /-/ready is 200

  void start();      // same port and storage; waits until ready
  void stop();
  void kill9();
  void restart() { stop(); start(); }
  // Notifications go to `webhook_url` from now on (a restart; silences and alerts are kept): for a
  // bot that must know this Alertmanager's URL before the Alertmanager can know the bot's.
  void retarget(std::string webhook_url);
  bool running() const { return process_ && process_->running(); }
  Process* process() { return process_.get(); }
  const TempDir& dir() const { return dir_; }

 private:
  void write_config() const;

  AlertmanagerOptions options_;
  TempDir dir_{"chatops-alertmanager"};
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace chatops::test
