#include "tests/integration/support/test_api.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <thread>

#include <httplib.h>

namespace chatops::test {

std::string ApiRequest::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string ApiRequest::param(const std::string& name) const {
  const auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

TestApi::TestApi(TestApiOptions options) {
  if (!options.cert.empty()) {
    server_ = std::make_unique<httplib::SSLServer>(options.cert.c_str(), options.key.c_str());
    tls_ = true;
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (!server_->is_valid()) throw std::runtime_error("TestApi: the server does not start (certificate?)");
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("TestApi: cannot bind 127.0.0.1");
  thread_ = std::make_unique<std::thread>([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 500 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

TestApi::~TestApi() {
  server_->stop();
  thread_->join();
}

std::string TestApi::url(const std::string& path) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

void TestApi::route(const std::string& path, ApiRoute route) {
  std::lock_guard lock(mutex_);
  routes_[path] = std::move(route);
}

std::vector<ApiRequest> TestApi::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<ApiRequest> TestApi::requests(const std::string& path) const {
  std::vector<ApiRequest> out;
  for (auto& r : requests())
    if (r.path == path) out.push_back(std::move(r));
  return out;
}

bool TestApi::wait_for(const std::string& path, std::size_t n, std::chrono::milliseconds timeout) const {
  for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;) {
    if (count(path) >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return count(path) >= n;
}

void TestApi::serve(const httplib::Request& req, httplib::Response& res) {
  ApiRequest r;
  r.method = req.method;
  r.path = req.path;
  if (const auto q = req.target.find('?'); q != std::string::npos) r.query = req.target.substr(q + 1);
  for (const auto& [name, value] : req.headers) {
    std::string lower = name;
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    r.headers[lower] = value;
  }
  for (const auto& [name, value] : req.params) r.params[name] = value;
  r.body = req.body;
  ApiRoute route;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(r);
    if (const auto it = routes_.find(req.path); it != routes_.end()) route = it->second;
  }
  const ApiAnswer answer = route ? route(r) : ApiAnswer{.status = 404, .body = R"({"message":"Not Found"})"};
  res.status = answer.status;
  for (const auto& [name, value] : answer.headers) res.set_header(name, value);
  if (!answer.body.empty() || answer.status != 304) res.set_content(answer.body, answer.content_type);
}

struct SwitchableBody::State {
  mutable std::mutex mutex;
  std::string body;
};

SwitchableBody::SwitchableBody(std::string body) : state_(std::make_shared<State>()) { state_->body = std::move(body); }

void SwitchableBody::set(std::string body) {
  std::lock_guard lock(state_->mutex);
  state_->body = std::move(body);
}

ApiAnswer SwitchableBody::answer() const {
  std::lock_guard lock(state_->mutex);
  return {.body = state_->body};
}

std::string json_items(int first, int last) {
  std::string out = "[";
  for (int n = last; n >= first; --n)
    out += (n == last ? "" : ",") + std::string(R"({"id":)") + std::to_string(n) + R"(,"name":"item )" +
           std::to_string(n) + R"("})";
  return out + "]";
}

}  // namespace chatops::test
