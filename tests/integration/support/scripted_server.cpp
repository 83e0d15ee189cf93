#include "tests/integration/support/scripted_server.hpp"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <stdexcept>

namespace chatops::test {
namespace {

SSL_CTX* ctx_of(void* p) { return static_cast<SSL_CTX*>(p); }
SSL* ssl_of(void* p) { return static_cast<SSL*>(p); }

bool readable(int fd, Duration timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

}  // namespace

ScriptedServer::ScriptedServer(std::optional<CertFiles> tls) {
  // OpenSSL writes with write(2): a client that hung up must not kill the test with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  port_ = free_port();
  const auto address = loopback(port_);
  if (::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 4) != 0)
    throw std::runtime_error("ScriptedServer: cannot listen on port " + std::to_string(port_));
  if (tls) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_file(ctx, tls->cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, tls->key.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("ScriptedServer: cannot load " + tls->cert.string());
    SSL_CTX_set_num_tickets(ctx, 0);  // nothing written after the handshake
    ssl_ctx_ = ctx;
  }
}

ScriptedServer::~ScriptedServer() {
  drop();
  if (ssl_ctx_) SSL_CTX_free(ctx_of(ssl_ctx_));
  ::close(listener_);
}

void ScriptedServer::drop() {
  if (ssl_) SSL_free(ssl_of(ssl_));
  ssl_ = nullptr;
  if (conn_ >= 0) ::close(conn_);
  conn_ = -1;
  buffer_.clear();
}

bool ScriptedServer::accept(Duration timeout) {
  drop();
  if (!readable(listener_, timeout)) return false;
  conn_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn_ < 0) return false;
  if (!ssl_ctx_) return true;
  // The handshake blocks at most `timeout` per read.
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(conn_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL* ssl = SSL_new(ctx_of(ssl_ctx_));
  SSL_set_fd(ssl, conn_);
  ssl_ = ssl;
  return SSL_accept(ssl) == 1;
}

long ScriptedServer::receive(char* buffer, std::size_t size, Duration timeout) {
  if (conn_ < 0) return -1;
  if (ssl_ && SSL_pending(ssl_of(ssl_)) == 0 && !readable(conn_, timeout)) return -2;
  if (!ssl_ && !readable(conn_, timeout)) return -2;
  if (ssl_) {
    const int n = SSL_read(ssl_of(ssl_), buffer, static_cast<int>(size));
    return n > 0 ? n : -1;
  }
  const auto n = ::recv(conn_, buffer, size, 0);
  return n > 0 ? n : -1;
}

std::optional<std::string> ScriptedServer::read_line(Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto lf = buffer_.find('\n'); lf != std::string::npos) {
      std::string line = buffer_.substr(0, lf);
      buffer_.erase(0, lf + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    const auto left = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left <= Duration::zero()) return std::nullopt;
    char chunk[4096];
    const auto n = receive(chunk, sizeof chunk, left);
    if (n < 0) return std::nullopt;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> ScriptedServer::expect(std::string_view prefix, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    auto line = read_line(std::max(left, Duration::zero()));
    if (!line) return std::nullopt;
    if (line->starts_with(prefix)) return line;
  }
}

void ScriptedServer::send(std::string_view line) {
  const std::string data = std::string(line) + "\r\n";
  if (ssl_)
    SSL_write(ssl_of(ssl_), data.data(), static_cast<int>(data.size()));
  else if (conn_ >= 0)
    ::send(conn_, data.data(), data.size(), MSG_NOSIGNAL);
}

bool ScriptedServer::wait_closed(Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left <= Duration::zero()) return false;
    char chunk[4096];
    const auto n = receive(chunk, sizeof chunk, left);
    if (n == -1) return true;
    if (n == -2) return false;
  }
}

}  // namespace chatops::test
