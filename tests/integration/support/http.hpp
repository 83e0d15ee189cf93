// Minimal HTTP/1.1 over plain TCP for tests: a blocking client call and a recording receiver.
// Written on sockets because Debian's cpp-httplib is a compiled library (libcpp-httplib, built
// with OpenSSL, zlib and Brotli support) that chatops_test_support does not link.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace chatops::test {

struct HttpResult {
  int status = 0;      // 0 when the request failed (connection refused, timeout, bad answer)
  std::string body{};
};

// One request to http://127.0.0.1:<port><path> (Connection: close). Headers are "Name: value".
HttpResult http_request(const std::string& method, int port, const std::string& path,
                        const std::string& body = "", const std::vector<std::string>& headers = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

struct HttpRequest {
  std::string method{};
  std::string path{};
  std::map<std::string, std::string> headers{};  // names lower-cased
  std::string body{};
};

// Listens on 127.0.0.1:<free port>, answers every request with `status` and records it.
// Stands in for a webhook target (e.g. of Alertmanager) in tests.
class HttpRecorder {
 public:
  explicit HttpRecorder(int status = 200);
  ~HttpRecorder();
  HttpRecorder(const HttpRecorder&) = delete;
  HttpRecorder& operator=(const HttpRecorder&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/") const;
  std::vector<HttpRequest> requests() const;
  // Waits until at least `count` requests arrived; returns all received so far.
  std::vector<HttpRequest> wait_for(size_t count = 1,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  void serve();

  int status_;
  int fd_ = -1;
  int port_ = 0;
  bool stopping_ = false;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<HttpRequest> requests_;
  std::thread thread_;
};

}  // namespace chatops::test
