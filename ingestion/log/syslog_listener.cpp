#include "ingestion/log/syslog_listener.hpp"

#include <sys/socket.h>

#include <cstring>
#include <list>

#include <asio.hpp>
#include <spdlog/spdlog.h>

#include "ingestion/log/syslog_framing.hpp"
#include "ingestion/runtime/udp_drops.hpp"

namespace chatops::ingestion::log {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kReadChunk = 64 * 1024;  // a TCP read, into the loop's buffer
constexpr std::size_t kMaxDatagram = 65535;
constexpr int kDatagramsPerWake = 256;  // before the other sockets get their turn

}  // namespace

struct SyslogListener::Impl {
  struct Connection {
    asio::ip::tcp::socket socket;
    std::string address;
    FrameDecoder decoder;
    Clock::time_point last_read = Clock::now();
    std::list<std::shared_ptr<Connection>>::iterator registration;
  };

  Impl(ListenOptions o, ListenCounters& c) : options(std::move(o)), counters(c), sweeper(io) {}

  ListenOptions options;
  ListenCounters& counters;
  asio::io_context io{1};
  std::optional<asio::ip::udp::socket> udp;
  std::optional<asio::ip::tcp::acceptor> acceptor;
  asio::steady_timer sweeper;
  std::list<std::shared_ptr<Connection>> connections;
  std::map<std::string, std::size_t> per_address;
  std::vector<char> buffer = std::vector<char>(std::max(kReadChunk, kMaxDatagram + 1));
  std::vector<Line>* out = nullptr;  // while receive() runs
  std::atomic<bool> woken{false};

  void add(std::string text, const std::string& address, const char* transport, bool cut) {
    Line line;
    line.text = std::move(text);
    line.path = address;
    line.cut = cut;
    line.transport = transport;
    out->push_back(std::move(line));
  }

  void wait_datagrams() {
    udp->async_wait(asio::ip::udp::socket::wait_read, [this](std::error_code ec) {
      if (ec) return;
      read_datagrams();
      wait_datagrams();
    });
  }

  void read_datagrams() {
    alignas(cmsghdr) char control[kDropCountControl];
    for (int i = 0; i < kDatagramsPerWake; ++i) {
      sockaddr_storage from{};
      iovec iov{buffer.data(), buffer.size()};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const auto n = ::recvmsg(udp->native_handle(), &msg, MSG_DONTWAIT);
      if (n < 0) return;  // EAGAIN: read all there was
      ++counters.datagrams;
      if (const auto dropped = dropped_datagrams(msg)) counters.dropped_datagrams.store(*dropped);
      asio::ip::udp::endpoint sender;
      std::memcpy(sender.data(), &from, std::min<std::size_t>(msg.msg_namelen, sender.capacity()));
      std::string_view text(buffer.data(), static_cast<std::size_t>(n));
      const bool cut = (msg.msg_flags & MSG_TRUNC) || text.size() > options.max_message;
      text = text.substr(0, options.max_message);
      while (!cut && (text.ends_with('\n') || text.ends_with('\r') || text.ends_with('\0'))) text.remove_suffix(1);
      if (text.empty()) continue;
      counters.cut += cut;
      add(std::string(text), sender.address().to_string(), "udp", cut);
      if (out->size() >= max_batch) return;
    }
  }
  std::size_t max_batch = 0;

  void accept() {
    acceptor->async_accept([this](std::error_code ec, asio::ip::tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) admit(std::move(socket));
      accept();
    });
  }

  void admit(asio::ip::tcp::socket socket) {
    std::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) return;
    auto address = remote.address().to_string();
    auto& from_address = per_address[address];
    if (connections.size() >= options.max_connections ||
        (options.max_connections_per_address > 0 && from_address >= options.max_connections_per_address)) {
      ++counters.refused;
      if (from_address == 0) per_address.erase(address);
      return;  // the socket closes here
    }
    ++from_address;
    ++counters.accepted;
    ++counters.open;
    socket.non_blocking(true, ec);
    auto c = std::make_shared<Connection>(
        Connection{std::move(socket), std::move(address), FrameDecoder(options.max_message), Clock::now(), {}});
    c->registration = connections.insert(connections.end(), c);
    read(c);
  }

  void close(const std::shared_ptr<Connection>& c) {
    if (!c->socket.is_open()) return;
    std::error_code ignored;
    c->socket.close(ignored);
    if (--per_address[c->address] == 0) per_address.erase(c->address);
    connections.erase(c->registration);
    --counters.open;
  }

  // Waits until readable, then reads what is there into the loop's buffer: an idle connection
  // holds no buffer, only what its decoder keeps of a message under way.
  void read(std::shared_ptr<Connection> c) {
    c->socket.async_wait(asio::ip::tcp::socket::wait_read, [this, c](std::error_code ec) {
      if (ec) return close(c);
      const auto n = c->socket.read_some(asio::buffer(buffer.data(), kReadChunk), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) return read(c);
      std::vector<Frame> frames;
      if (ec) {  // the sender closed (or reset): its last line may lack its LF
        c->decoder.finish(frames);
        take(frames, *c);
        return close(c);
      }
      c->last_read = Clock::now();
      const bool ok = c->decoder.feed(std::string_view(buffer.data(), n), frames);
      take(frames, *c);
      if (!ok) {
        ++counters.framing_errors;
        spdlog::warn("syslog over TCP from {}: {}: connection closed", c->address, c->decoder.error());
        return close(c);
      }
      read(c);
    });
  }

  void take(std::vector<Frame>& frames, const Connection& c) {
    for (auto& f : frames) {
      ++counters.tcp_messages;
      counters.cut += f.cut;
      add(std::move(f.text), c.address, "tcp", f.cut);
    }
  }

  // Closes the connections idle for idle_timeout, every tenth of it (at most every second).
  void sweep() {
    const auto every = std::clamp<std::chrono::milliseconds>(options.idle_timeout / 10, std::chrono::milliseconds(10),
                                                             std::chrono::seconds(1));
    sweeper.expires_after(every);
    sweeper.async_wait([this](std::error_code ec) {
      if (ec) return;
      const auto now = Clock::now();
      for (auto it = connections.begin(); it != connections.end();) {
        auto c = *it++;
        if (now - c->last_read >= options.idle_timeout) {
          ++counters.idle_closed;
          close(c);
        }
      }
      sweep();
    });
  }
};

SyslogListener::SyslogListener(ListenOptions options) : impl_(std::make_unique<Impl>(std::move(options), counters_)) {}

SyslogListener::~SyslogListener() {
  // Connections hold sockets of the loop: closed before it goes.
  for (auto& c : std::list(impl_->connections)) impl_->close(c);
}

SourceResult<> SyslogListener::open() {
  auto& i = *impl_;
  std::error_code ec;
  auto failed = [&](const char* what, const std::pair<std::string, int>& at) {
    return std::unexpected(SourceError::transient(std::string("listening on ") + what + " " + at.first + ":" +
                                                  std::to_string(at.second) + ": " + ec.message()));
  };
  if (i.options.udp) {
    const auto& [host, port] = *i.options.udp;
    const asio::ip::udp::endpoint at(asio::ip::make_address(host, ec), static_cast<unsigned short>(port));
    if (ec) return failed("UDP", *i.options.udp);
    i.udp.emplace(i.io);
    i.udp->open(at.protocol(), ec);
    if (!ec) i.udp->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) i.udp->bind(at, ec);
    if (ec) {
      i.udp.reset();
      return failed("UDP", *i.options.udp);
    }
    const int buffer = static_cast<int>(i.options.receive_buffer);
    ::setsockopt(i.udp->native_handle(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    enable_drop_count(i.udp->native_handle());
    i.udp->non_blocking(true, ec);
    i.wait_datagrams();
  }
  if (i.options.tcp) {
    const auto& [host, port] = *i.options.tcp;
    const asio::ip::tcp::endpoint at(asio::ip::make_address(host, ec), static_cast<unsigned short>(port));
    if (ec) return failed("TCP", *i.options.tcp);
    i.acceptor.emplace(i.io);
    i.acceptor->open(at.protocol(), ec);
    if (!ec) i.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) i.acceptor->bind(at, ec);
    if (!ec) i.acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      i.acceptor.reset();
      if (i.udp) i.udp.reset();
      return failed("TCP", *i.options.tcp);
    }
    i.accept();
    i.sweep();
  }
  return {};
}

void SyslogListener::receive(std::vector<Line>& out, std::size_t max, Clock::time_point deadline) {
  auto& i = *impl_;
  i.out = &out;
  i.max_batch = max;
  i.io.restart();
  while (out.size() < max && !i.woken.exchange(false))
    if (i.io.run_one_until(deadline) == 0) break;
  i.out = nullptr;
}

void SyslogListener::wake() {
  impl_->woken = true;
  asio::post(impl_->io, [] {});
}

int SyslogListener::udp_port() const {
  std::error_code ec;
  return impl_->udp ? impl_->udp->local_endpoint(ec).port() : 0;
}

int SyslogListener::tcp_port() const {
  std::error_code ec;
  return impl_->acceptor ? impl_->acceptor->local_endpoint(ec).port() : 0;
}

}  // namespace chatops::ingestion::log
