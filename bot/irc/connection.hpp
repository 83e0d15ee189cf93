#pragma once
// Transport for one IRC connection: resolve (IPv4 and IPv6, each address tried in turn), TCP
// connect, optional TLS (chain verified against ca_file or the system store, host name checked,
// SNI, optional client certificate), a line reader and a serial line writer.
// Owned through shared_ptr so pending operations keep it alive; after close() it calls nothing.
#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "bot/irc/client_config.hpp"
#include "core/error.hpp"
#include "core/tls/tls.hpp"

namespace chatops::irc {

// RFC 1459 line (512) plus the IRCv3 tag section (8191).
inline constexpr std::size_t kMaxLineBytes = 8191 + 512;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Handlers {
    std::function<void(Result<void>)> connected;             // once: link up, or why not
    std::function<void(std::string_view line)> line;         // each line, without CR LF
    std::function<void(const std::string& reason)> closed;   // once, when an up link drops
  };

  explicit Connection(asio::io_context& io);

  void open(const ServerConfig& server, const TlsConfig& tls, std::chrono::milliseconds timeout, Handlers handlers);
  // Queues `line` (CR LF appended); `written` runs once it is in the socket.
  void write(std::string line, std::function<void()> written = {});
  // Closes at once; no handler runs afterwards.
  void close();

 private:
  Result<void> setup_tls(const ServerConfig& server, const TlsConfig& tls);
  void on_resolved(const std::error_code& ec, const asio::ip::tcp::resolver::results_type& results);
  void on_connected(const std::error_code& ec);
  bool peer_matches_pins();
  void up();
  void read();
  void on_read(std::size_t n);
  void write_next();
  void failed(std::string reason);
  // The TCP socket under TLS, or the plain one; null before open().
  asio::ip::tcp::socket* socket();

  asio::io_context& io_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::unique_ptr<tls::Context> tls_context_;
  std::unique_ptr<tls::Stream> stream_;         // with TLS (the openssl module's)
  std::optional<asio::ip::tcp::socket> plain_;  // without: OpenSSL is not even loaded
  bool tls_ = false;
  std::vector<std::string> pins_;  // tls_fingerprints; checked after the handshake
  bool up_ = false;
  bool closed_ = false;
  std::string host_;
  Handlers handlers_;
  std::array<char, 4096> read_buffer_{};
  std::string partial_;
  bool discarding_ = false;  // inside an over-long line, until its LF
  std::deque<std::pair<std::string, std::function<void()>>> writes_;
  bool writing_ = false;
};

}  // namespace chatops::irc
