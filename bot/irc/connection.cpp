#include "bot/irc/connection.hpp"

#include <spdlog/spdlog.h>

#include "bot/irc/tls_pin.hpp"

namespace chatops::irc {

Connection::Connection(asio::io_context& io) : io_(io), resolver_(io), timer_(io) {}

void Connection::open(const ServerConfig& server, const TlsConfig& tls, std::chrono::milliseconds timeout,
                      Handlers handlers) {
  handlers_ = std::move(handlers);
  host_ = server.host;
  tls_ = server.tls;
  if (tls_) {
    if (auto ok = setup_tls(server, tls); !ok) {
      // Report asynchronously, like every other outcome, so callers see one code path.
      asio::post(io_, [self = shared_from_this(), error = ok.error()] {
        if (!self->closed_) self->handlers_.connected(std::unexpected(error));
      });
      return;
    }
  } else {
    plain_.emplace(io_);
  }
  timer_.expires_after(timeout);
  timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (ec || self->closed_ || self->up_) return;
    self->failed("timed out connecting to " + self->host_);
  });
  resolver_.async_resolve(server.host, std::to_string(server.port),
                          [self = shared_from_this()](const std::error_code& ec, auto results) {
                            self->on_resolved(ec, results);
                          });
}

Result<void> Connection::setup_tls(const ServerConfig& server, const TlsConfig& tls) {
  auto module = tls::load_module();
  if (!module) return std::unexpected(module.error());
  pins_ = tls.fingerprints;
  // Pinned: the certificate is compared with the pins once the handshake is done (up()),
  // whatever its issuer, names or dates; nothing is sent before that.
  if (pins_.empty() && !tls.verify)
    spdlog::warn("irc: tls_verify is false: the certificate of {} is NOT verified (insecure)", server.host);
  auto context = (*module)->client_context(tls::ClientOptions{.host = server.host,
                                                              .verify = tls.verify,
                                                              .pinned = !pins_.empty(),
                                                              .ca_file = tls.ca_file,
                                                              .client_cert = tls.client_cert,
                                                              .client_key = tls.client_key});
  if (!context) return std::unexpected(context.error());
  tls_context_ = std::move(*context);
  auto stream = tls_context_->stream(asio::ip::tcp::socket(io_));
  if (!stream) return std::unexpected(stream.error());
  stream_ = std::move(*stream);
  return {};
}

void Connection::on_resolved(const std::error_code& ec, const asio::ip::tcp::resolver::results_type& results) {
  if (closed_ || up_) return;
  if (ec) return failed("cannot resolve " + host_ + ": " + ec.message());
  asio::async_connect(*socket(), results,
                      [self = shared_from_this()](const std::error_code& ec, const asio::ip::tcp::endpoint&) {
                        self->on_connected(ec);
                      });
}

void Connection::on_connected(const std::error_code& ec) {
  if (closed_ || up_) return;
  if (ec) return failed("cannot connect to " + host_ + ": " + ec.message());
  if (!tls_) return up();
  stream_->handshake([self = shared_from_this()](const std::error_code& ec) {
    if (self->closed_ || self->up_) return;
    if (ec) return self->failed("TLS handshake with " + self->host_ + " failed: " + ec.message());
    if (!self->pins_.empty() && !self->peer_matches_pins())
      return self->failed("the certificate of " + self->host_ + " matches none of tls_fingerprints");
    self->up();
  });
}

bool Connection::peer_matches_pins() { return matches_pin(stream_->peer_certificate(), pins_); }

void Connection::up() {
  up_ = true;
  timer_.cancel();
  handlers_.connected({});
  if (!closed_) read();
}

void Connection::read() {
  auto handler = [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) return self->failed(ec == asio::error::eof ? "connection closed by the server" : ec.message());
    self->on_read(n);
  };
  if (tls_)
    stream_->read_some(asio::buffer(read_buffer_), handler);
  else
    plain_->async_read_some(asio::buffer(read_buffer_), handler);
}

void Connection::on_read(std::size_t n) {
  std::string_view data(read_buffer_.data(), n);
  while (!data.empty() && !closed_) {
    const auto lf = data.find('\n');
    if (lf == std::string_view::npos) {
      if (!discarding_) partial_.append(data);
      if (partial_.size() > kMaxLineBytes) {
        spdlog::warn("irc: dropping a line from {} longer than {} bytes", host_, kMaxLineBytes);
        partial_.clear();
        discarding_ = true;
      }
      break;
    }
    if (!discarding_) partial_.append(data.substr(0, lf));
    data.remove_prefix(lf + 1);
    // LF alone ends a line too: some servers and proxies send no CR.
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    if (!discarding_ && partial_.size() > kMaxLineBytes)
      spdlog::warn("irc: dropping a line from {} longer than {} bytes", host_, kMaxLineBytes);
    else if (!discarding_ && !partial_.empty())
      handlers_.line(partial_);
    partial_.clear();
    discarding_ = false;
  }
  if (!closed_) read();
}

void Connection::write(std::string line, std::function<void()> written) {
  if (closed_ || !up_) return;
  line += "\r\n";
  writes_.emplace_back(std::move(line), std::move(written));
  if (!writing_) write_next();
}

void Connection::write_next() {
  if (writes_.empty() || closed_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  auto handler = [self = shared_from_this()](const std::error_code& ec, std::size_t) {
    if (self->closed_) return;
    if (ec) return self->failed("write failed: " + ec.message());
    auto done = std::move(self->writes_.front().second);
    self->writes_.pop_front();
    if (done) done();
    self->write_next();
  };
  const asio::const_buffer buffer = asio::buffer(writes_.front().first);
  if (tls_)
    stream_->write(std::span(&buffer, 1), handler);
  else
    asio::async_write(*plain_, buffer, handler);
}

void Connection::failed(std::string reason) {
  if (closed_) return;
  const bool was_up = up_;
  close();
  if (was_up)
    handlers_.closed(reason);
  else
    handlers_.connected(fail(std::move(reason)));
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  resolver_.cancel();
  if (auto* s = socket()) {
    std::error_code ignored;
    s->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    s->close(ignored);
  }
}

asio::ip::tcp::socket* Connection::socket() {
  if (stream_) return &stream_->socket();
  return plain_ ? &*plain_ : nullptr;
}

}  // namespace chatops::irc
