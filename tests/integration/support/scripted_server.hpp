// A scripted IRC server for client tests: listens on 127.0.0.1, accepts one connection at a
// time (plain or TLS with the given certificate), and lets the test read the client's lines and
// send its own, each wait bounded by a deadline. The test plays the server line by line, as
// irctest does, against the real client over real sockets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

namespace chatops::test {

class ScriptedServer {
 public:
  // Without `tls`, a plain TCP listener; with it, TLS with that certificate and key.
  explicit ScriptedServer(std::optional<CertFiles> tls = std::nullopt);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  int port() const { return port_; }

  // Accepts the next connection (dropping the current one) and, with TLS, completes the
  // handshake. False on timeout or when the handshake fails (the client refused us).
  bool accept(Duration timeout = 10s);
  // The next line from the client without CR LF; nullopt on timeout or when it closed.
  std::optional<std::string> read_line(Duration timeout = 5s);
  // Reads until a line starting with `prefix` (skipping others); nullopt when none came in time.
  std::optional<std::string> expect(std::string_view prefix, Duration timeout = 30s);
  void send(std::string_view line);  // CR LF appended
  // True when the client closes the connection within the timeout (lines it sends are dropped).
  bool wait_closed(Duration timeout = 30s);
  void drop();  // closes the current connection

 private:
  long receive(char* buffer, std::size_t size, Duration timeout);

  int listener_ = -1;
  int port_ = 0;
  int conn_ = -1;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*
  void* ssl_ = nullptr;      // SSL* of the current connection
  std::string buffer_;
};

}  // namespace chatops::test
