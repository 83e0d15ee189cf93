#include "tests/integration/e2e/bot_process.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/crypto.hpp"

namespace chatops::test {

namespace {
std::string fill(std::string text, const std::string& key, const std::string& value) {
  for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + value.size()))
    text.replace(pos, key.size(), value);
  return text;
}
}  // namespace

BotProcess::BotProcess(const TempDir& dir, std::string config_yaml, std::vector<std::pair<std::string, std::string>> env,
                       std::filesystem::path binary)
    : dir_(dir), http_port_(free_port()), env_(std::move(env)), binary_(std::move(binary)) {
  rewrite_config(std::move(config_yaml));
  start();
}

void BotProcess::rewrite_config(std::string config_yaml) {
  config_yaml = fill(std::move(config_yaml), "{{http_port}}", std::to_string(http_port_));
  config_yaml = fill(std::move(config_yaml), "{{dir}}", dir_.path().string());
  config_path_ = dir_.write("config.yml", config_yaml);
}

void BotProcess::signal(int sig) {
  if (process_) process_->signal(sig);
}

BotProcess::~BotProcess() { stop(); }

void BotProcess::start() {
  ProcessOptions options;
  // A benchmark compares two builds by running the other one's binary in its place.
  const char* other = std::getenv("CHATOPS_BENCH_BOT");
  options.argv = {other && *other ? std::string(other) : binary_.string(), "--config", config_path_.string()};
  options.log_dir = dir_.path();
  options.name = "bot";
  options.env = env_;
  options.env.emplace_back("LOG_LEVEL", "debug");
  process_ = std::make_unique<Process>(options);
  ++starts_;
  for (int i = 0; i < 150; ++i) {
    if (wait_for_port(http_port_, 100ms)) return;
    if (!process_->running()) break;  // e.g. refused its config: say why at once
  }
  throw std::runtime_error("chatops-bot did not open its HTTP port; its output:\n" + process_->output());
}

void BotProcess::kill9() {
  if (process_) process_->kill9();
}

void BotProcess::stop() {
  if (process_) process_->stop(10s);
}

bool BotProcess::running() { return process_ && process_->running(); }

std::string BotProcess::log() const { return process_ ? process_->output() : ""; }

bool BotProcess::wait_for_log(const std::regex& re, Duration timeout) const {
  return process_ && process_->wait_for_log(re, timeout);
}

long BotProcess::peak_rss_kib() const {
  auto status = read_file("/proc/" + std::to_string(pid()) + "/status");
  auto at = status.find("VmHWM:");
  return at == std::string::npos ? 0 : std::stol(status.substr(at + 6));
}

bool BotProcess::wait_sources_running(std::chrono::milliseconds timeout) const {
  const auto running = [this] {
    const auto health = get("/healthz/live");
    if (health.status != 200) return false;
    const auto sources = nlohmann::json::parse(health.body)["sources"];
    return !sources.empty() && std::ranges::all_of(sources, [](const auto& s) { return s["state"] == "running"; });
  };
  for (const auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(20ms))
    if (running()) return true;
  return running();
}

std::optional<double> BotProcess::metric(const std::string& sample) const {
  auto body = get("/metrics").body;
  for (std::size_t pos = 0; pos < body.size();) {
    auto end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + pos, end - pos);
    if (line.starts_with(sample + " ")) return std::stod(std::string(line.substr(sample.size() + 1)));
    pos = end + 1;
  }
  return std::nullopt;
}

HttpReply BotProcess::post(const std::string& path, const std::string& body,
                           const std::map<std::string, std::string>& headers) const {
  httplib::Client client("127.0.0.1", http_port_);
  client.set_read_timeout(10, 0);
  httplib::Headers h(headers.begin(), headers.end());
  std::string content_type = "application/json";
  if (auto it = headers.find("Content-Type"); it != headers.end()) content_type = it->second;
  h.erase("Content-Type");
  auto res = client.Post(path, h, body, content_type);
  if (!res) return {};
  return {res->status, res->body};
}

HttpReply BotProcess::get(const std::string& path) const {
  httplib::Client client("127.0.0.1", http_port_);
  client.set_read_timeout(10, 0);
  auto res = client.Get(path);
  if (!res) return {};
  return {res->status, res->body};
}

HttpReply BotProcess::post_github(const std::string& path, const std::string& secret, const std::string& event,
                                  const std::string& delivery, const std::string& body) const {
  auto signature = "sha256=" + crypto::to_hex(crypto::hmac(crypto::Digest::Sha256, secret, body));
  return post(path, body,
              {{"X-GitHub-Event", event}, {"X-GitHub-Delivery", delivery}, {"X-Hub-Signature-256", signature}});
}

}  // namespace chatops::test
