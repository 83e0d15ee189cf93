#include "tests/integration/support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <utility>

#include "tests/integration/support/process.hpp"

namespace chatops::test {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<long long>(0, left));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::optional<RawConnection> RawConnection::open(int port, const std::string& source,
                                                 std::chrono::milliseconds timeout) {
  std::signal(SIGPIPE, SIG_IGN);  // a server that hangs up must not kill the test
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return std::nullopt;
  RawConnection c(fd);
  sockaddr_in from = loopback(0);
  if (inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1) return std::nullopt;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) return std::nullopt;
  const sockaddr_in to = loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)
    return std::nullopt;
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) return std::nullopt;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return c;
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(std::string_view bytes) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, remaining_ms(deadline)) != 1 || (p.revents & (POLLERR | POLLHUP))) return false;
      continue;
    }
    return false;
  }
  return true;
}

template <class Done>
bool RawConnection::read_until(Done done, Clock::time_point deadline) {
  while (!done()) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) return false;
    char chunk[16384];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return done();
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<RawResponse> RawConnection::read_response(std::chrono::milliseconds timeout, bool answers_head) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {  // skips interim answers (100 Continue)
    if (!read_until([&] { return buffer_.find("\r\n\r\n") != std::string::npos; }, deadline)) return std::nullopt;
    const auto head_end = buffer_.find("\r\n\r\n");
    const std::string head = buffer_.substr(0, head_end);
    RawResponse r;
    if (head.size() < 12 || !head.starts_with("HTTP/1.")) return std::nullopt;
    r.status = std::stoi(head.substr(9, 3));
    for (std::size_t at = head.find("\r\n"); at != std::string::npos;) {
      const auto next = head.find("\r\n", at + 2);
      const auto line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      if (const auto colon = line.find(':'); colon != std::string::npos) {
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        r.headers[lower(line.substr(0, colon))] = value;
      }
      at = next;
    }
    buffer_.erase(0, head_end + 4);
    if (r.status == 100) continue;
    const std::size_t length =
        !answers_head && r.headers.contains("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    if (!read_until([&] { return buffer_.size() >= length; }, deadline)) return std::nullopt;
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }
}

bool RawConnection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) return false;
    char chunk[16384];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
  }
}

std::optional<RawResponse> raw_exchange(int port, std::string_view request, std::chrono::milliseconds timeout,
                                        const std::string& source) {
  auto c = RawConnection::open(port, source, timeout);
  if (!c || !c->send(request)) return std::nullopt;
  return c->read_response(timeout, request.starts_with("HEAD "));
}

std::string post_request(std::string_view path, std::string_view body, std::string_view header_lines) {
  std::string r = "POST " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n";
  r += header_lines;
  r += "\r\n";
  r += body;
  return r;
}

}  // namespace chatops::test
