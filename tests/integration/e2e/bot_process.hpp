#pragma once
// Runs the built chatops-bot binary on a config written for the test, and talks to its HTTP side.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/support/process.hpp"

namespace chatops::test {

struct HttpReply {
  int status = 0;  // 0: no answer (connection refused, timeout)
  std::string body;
};

class BotProcess {
 public:
  // `config_yaml` may use {{http_port}} and {{dir}} (the temp dir), filled in here; `env` is added
  // to the bot's environment (for ${NAME} in the config); `binary` replaces the built one (e.g. a
  // copy without its modules beside it).
  BotProcess(const TempDir& dir, std::string config_yaml, std::vector<std::pair<std::string, std::string>> env = {},
             std::filesystem::path binary = CHATOPS_BOT_BINARY);
  ~BotProcess();

  int http_port() const { return http_port_; }
  // Starts (or starts again after kill9/stop) and waits for the HTTP listener.
  void start();
  void kill9();
  void stop();
  bool running();
  // Writes a new config.yml (with {{http_port}} and {{dir}} filled in as at construction), for a
  // reload; the running bot reads it at SIGHUP or `!reload`.
  void rewrite_config(std::string config_yaml);
  void signal(int sig);
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  // Peak resident set size (VmHWM) of the running bot, in KiB; 0 when unknown.
  long peak_rss_kib() const;
  // A sample's value from /metrics ("name" or "name{labels}"), nullopt when absent.
  std::optional<double> metric(const std::string& sample) const;
  std::string log() const;
  // Whether the log holds a match of `re` by `timeout` (Process::wait_for_log).
  bool wait_for_log(const std::regex& re, Duration timeout) const;
  // The listener opens before the sources start, and a webhook on a path whose source is still
  // starting is answered 503 (real senders retry). A test that posts once waits for this first:
  // true once every source runs, false after `timeout`.
  bool wait_sources_running(std::chrono::milliseconds timeout = std::chrono::seconds(15)) const;

  HttpReply post(const std::string& path, const std::string& body,
                 const std::map<std::string, std::string>& headers) const;
  HttpReply get(const std::string& path) const;
  // Posts a GitHub delivery signed with `secret`.
  HttpReply post_github(const std::string& path, const std::string& secret, const std::string& event,
                        const std::string& delivery, const std::string& body) const;

 private:
  const TempDir& dir_;
  int http_port_;
  std::filesystem::path config_path_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::filesystem::path binary_;
  std::unique_ptr<Process> process_;
  int starts_ = 0;
};

}  // namespace chatops::test
