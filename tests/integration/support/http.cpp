#include "tests/integration/support/http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "tests/integration/support/process.hpp"

namespace chatops::test {

namespace {

void set_timeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::map<std::string, std::string> parse_headers(const std::string& head) {
  std::map<std::string, std::string> headers;
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    size_t end = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, end == std::string::npos ? end : end - pos - 2);
    if (size_t colon = line.find(':'); colon != std::string::npos) {
      size_t v = line.find_first_not_of(' ', colon + 1);
      headers[lower(line.substr(0, colon))] = v == std::string::npos ? "" : line.substr(v);
    }
    pos = end;
  }
  return headers;
}

// Body of a chunked transfer encoding (extensions and trailers ignored).
std::string dechunk(const std::string& data) {
  std::string out;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t eol = data.find("\r\n", pos);
    if (eol == std::string::npos) break;
    size_t size = std::stoul(data.substr(pos, eol - pos), nullptr, 16);
    if (size == 0) break;
    out += data.substr(eol + 2, size);
    pos = eol + 2 + size + 2;
  }
  return out;
}

// Reads a whole message: head up to CRLF CRLF, then Content-Length bytes, a chunked body, or
// (read_to_eof) everything until the peer closes.
bool read_message(int fd, std::string& head, std::string& body, bool read_to_eof) {
  std::string data;
  char buf[8192];
  size_t head_end = std::string::npos;
  auto complete = [&]() {
    if (head_end == std::string::npos) return false;
    auto headers = parse_headers(data.substr(0, head_end));
    if (auto it = headers.find("content-length"); it != headers.end())
      return data.size() >= head_end + 4 + std::stoul(it->second);
    if (lower(headers["transfer-encoding"]).find("chunked") != std::string::npos)
      return data.find("\r\n0\r\n", head_end + 2) != std::string::npos ||
             data.compare(head_end + 4, 3, "0\r\n") == 0;
    return !read_to_eof;  // no body
  };
  while (!complete()) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (n == 0 && read_to_eof && head_end != std::string::npos) break;
      return false;
    }
    data.append(buf, static_cast<size_t>(n));
    if (head_end == std::string::npos) head_end = data.find("\r\n\r\n");
  }
  head = data.substr(0, head_end);
  body = data.substr(head_end + 4);
  auto headers = parse_headers(head);
  if (auto it = headers.find("content-length"); it != headers.end())
    body.resize(std::min(body.size(), std::stoul(it->second)));
  else if (lower(headers["transfer-encoding"]).find("chunked") != std::string::npos)
    body = dechunk(body);
  return true;
}

}  // namespace

HttpResult http_request(const std::string& method, int port, const std::string& path,
                        const std::string& body, const std::vector<std::string>& headers,
                        std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  set_timeouts(fd, timeout);
  sockaddr_in addr = loopback(port);
  HttpResult result;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                      std::to_string(port) + "\r\nConnection: close\r\n";
    bool has_type = false;
    for (const auto& h : headers) {
      req += h + "\r\n";
      has_type = has_type || lower(h).starts_with("content-type:");
    }
    if (!body.empty() && !has_type) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    std::string head;
    if (send_all(fd, req) && read_message(fd, head, result.body, true) &&
        head.starts_with("HTTP/1.") && head.size() >= 12)
      result.status = std::stoi(head.substr(9, 3));
  }
  ::close(fd);
  return result;
}

HttpRecorder::HttpRecorder(int status) : status_(status) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd_, 64) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("HttpRecorder: cannot listen on 127.0.0.1");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

HttpRecorder::~HttpRecorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  thread_.join();
  ::close(fd_);
}

std::string HttpRecorder::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HttpRecorder::serve() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    set_timeouts(conn, std::chrono::seconds(5));
    std::string head, body;
    if (read_message(conn, head, body, false)) {
      HttpRequest req;
      std::string first = head.substr(0, head.find("\r\n"));
      req.method = first.substr(0, first.find(' '));
      size_t p = first.find(' ');
      req.path = p == std::string::npos ? "" : first.substr(p + 1, first.find(' ', p + 1) - p - 1);
      req.headers = parse_headers(head);
      req.body = std::move(body);
      send_all(conn, "HTTP/1.1 " + std::to_string(status_) +
                         " Recorded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      std::lock_guard lock(mutex_);
      requests_.push_back(std::move(req));
      changed_.notify_all();
    }
    ::close(conn);
  }
}

std::vector<HttpRequest> HttpRecorder::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<HttpRequest> HttpRecorder::wait_for(size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  return requests_;
}

}  // namespace chatops::test
