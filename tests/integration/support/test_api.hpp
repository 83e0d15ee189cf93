// An HTTP(S) API of the test's own, for API-poller tests: cpp-httplib's server on 127.0.0.1 and a
// free port, in its own thread, with routes the test sets and changes while it runs, and a record
// of every request. A real server on a real socket: the poller under test uses its own client
// code (conditional requests, pagination, OAuth2, TLS, limits) against it.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <vector>

namespace httplib {
struct Request;
struct Response;
class Server;
}  // namespace httplib

namespace chatops::test {

struct ApiRequest {
  std::string method, path, query;             // query as sent, without '?'
  std::map<std::string, std::string> headers;  // names lower-cased
  std::map<std::string, std::string> params;   // query and form parameters, decoded
  std::string body;
  // "" when absent.
  std::string header(const std::string& lower_case_name) const;
  std::string param(const std::string& name) const;
};

// What a route answers.
struct ApiAnswer {
  int status = 200;
  std::string body{};
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers{};
};

using ApiRoute = std::function<ApiAnswer(const ApiRequest&)>;

struct TestApiOptions {
  std::filesystem::path cert{}, key{};  // both given: HTTPS
};

class TestApi {
 public:
  explicit TestApi(TestApiOptions options = {});
  ~TestApi();
  TestApi(const TestApi&) = delete;
  TestApi& operator=(const TestApi&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const;  // http(s)://127.0.0.1:<port><path>

  // GET and POST on `path` (exact, without the query) answered by `route`; replaces an earlier one.
  void route(const std::string& path, ApiRoute route);
  std::vector<ApiRequest> requests() const;
  std::vector<ApiRequest> requests(const std::string& path) const;
  std::size_t count(const std::string& path) const { return requests(path).size(); }
  // Waits until `path` was asked at least `n` times.
  bool wait_for(const std::string& path, std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  void serve(const httplib::Request& req, httplib::Response& res);

  std::unique_ptr<httplib::Server> server_;
  bool tls_ = false;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, ApiRoute> routes_;
  std::vector<ApiRequest> requests_;
  std::unique_ptr<std::thread> thread_;
};

// A 200 answer whose body the test switches while the API serves it (a listing that changes).
class SwitchableBody {
 public:
  explicit SwitchableBody(std::string body);
  void set(std::string body);
  ApiAnswer answer() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// A JSON list of items {"id": n, "name": "item n"} for n in [first, last], newest (highest) first.
std::string json_items(int first, int last);

}  // namespace chatops::test
