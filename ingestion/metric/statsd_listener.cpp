#include "ingestion/metric/statsd_listener.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

namespace chatops::ingestion::metric::statsd {

namespace {

constexpr std::size_t kMaxDatagram = 65536;
constexpr int kBatch = 256;  // datagrams read per wake-up before looking at the other sockets

std::string errno_text() { return std::strerror(errno); }

// A socket bound to host:port, or an error naming them.
SourceResult<int> bound_socket(const ListenerOptions& o, int type) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = type;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  const auto port = std::to_string(o.port);
  if (getaddrinfo(o.host.c_str(), port.c_str(), &hints, &found) != 0 || !found)
    return std::unexpected(SourceError::configuration("listen: " + o.host + " is not an IP address"));
  const int fd = ::socket(found->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return std::unexpected(SourceError::transient("socket: " + errno_text()));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int rc = ::bind(fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (rc != 0) {
    const auto why = errno_text();
    ::close(fd);
    return std::unexpected(SourceError::transient("binding " + std::string(type == SOCK_DGRAM ? "UDP " : "TCP ") +
                                                  o.host + ":" + port + ": " + why));
  }
  return fd;
}

}  // namespace

Listener::Listener(ListenerOptions options, Aggregator& aggregator) : options_(std::move(options)), aggregator_(aggregator) {}

Listener::~Listener() { close(); }

SourceResult<> Listener::open() {
  if (is_open()) return {};
  auto udp = bound_socket(options_, SOCK_DGRAM);
  if (!udp) return std::unexpected(udp.error());
  udp_ = *udp;
  const int buffer = static_cast<int>(options_.receive_buffer), one = 1;
  setsockopt(udp_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  setsockopt(udp_, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (options_.tcp) {
    auto tcp = bound_socket(options_, SOCK_STREAM);
    if (!tcp || ::listen(*tcp, 64) != 0) {
      ::close(udp_);
      udp_ = -1;
      if (tcp) ::close(*tcp);
      return std::unexpected(tcp ? SourceError::transient("listen: " + errno_text()) : tcp.error());
    }
    tcp_ = *tcp;
  }
  wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { run(); });
  return {};
}

void Listener::close() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_, &one, sizeof one);
  thread_.join();
  for (int* fd : {&udp_, &tcp_, &wake_})
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
}

void Listener::take(std::string_view payload) {
  while (!payload.empty()) {
    const auto end = payload.find('\n');
    const auto line = payload.substr(0, end);
    payload = end == std::string_view::npos ? std::string_view{} : payload.substr(end + 1);
    if (line.empty() || line == "\r") continue;
    const auto parsed = parse_line(line);
    if (!parsed) {
      ++counters_.malformed;
      continue;
    }
    if (aggregator_.add(*parsed)) ++counters_.lines;
    else ++counters_.dropped_series;
  }
}

void Listener::read_datagrams() {
  static thread_local std::vector<char> buffer(kMaxDatagram);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint32_t))];
  for (int i = 0; i < kBatch; ++i) {
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const auto n = ::recvmsg(udp_, &msg, MSG_DONTWAIT);
    if (n < 0) return;  // EAGAIN: read all there was
    ++counters_.packets;
    for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        std::uint32_t dropped = 0;  // the kernel's running count for this socket
        std::memcpy(&dropped, CMSG_DATA(c), sizeof dropped);
        counters_.dropped_datagrams.store(dropped);
      }
    if (msg.msg_flags & MSG_TRUNC) {
      ++counters_.malformed;
      continue;
    }
    take(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  }
}

// A TCP sender: the part of a line read so far, and when it must have completed one.
struct Listener::Connection {
  std::string pending;
  std::chrono::steady_clock::time_point deadline;
};

bool Listener::read_stream(int fd, Connection& connection, std::vector<char>& chunk) {
  const auto n = ::read(fd, chunk.data(), chunk.size());
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  if (n == 0) {
    take(connection.pending);  // the last line may lack its \n
    return false;
  }
  ++counters_.packets;
  auto& pending = connection.pending;
  pending.append(chunk.data(), static_cast<std::size_t>(n));
  // Every complete line is checked for its length before any is aggregated past it.
  std::size_t start = 0;
  for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n', start)) {
    if (end - start > options_.max_line) {
      ++counters_.oversized_lines;
      return false;
    }
    take(std::string_view(pending).substr(start, end - start));
    start = end + 1;
    connection.deadline = std::chrono::steady_clock::now() + options_.tcp_idle_timeout;
  }
  pending.erase(0, start);
  if (pending.size() > options_.max_line) {
    ++counters_.oversized_lines;
    return false;
  }
  return true;
}

void Listener::run() {
  pthread_setname_np(pthread_self(), "statsd");
  std::map<int, Connection> connections;
  std::vector<char> chunk(16 * 1024);
  const auto close_connection = [&](int fd) {
    ::close(fd);
    connections.erase(fd);
  };
  for (;;) {
    std::vector<pollfd> fds{{wake_, POLLIN, 0}, {udp_, POLLIN, 0}};
    if (tcp_ >= 0) fds.push_back({tcp_, POLLIN, 0});
    auto next_deadline = std::chrono::steady_clock::time_point::max();
    for (const auto& [fd, connection] : connections) {
      fds.push_back({fd, POLLIN, 0});
      next_deadline = std::min(next_deadline, connection.deadline);
    }
    int timeout = -1;
    if (!connections.empty()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(next_deadline - std::chrono::steady_clock::now());
      timeout = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
    }
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
    if (fds[0].revents) break;
    if (fds[1].revents) read_datagrams();
    std::size_t next = 2;
    if (tcp_ >= 0 && fds[next++].revents) {
      for (;;) {
        const int fd = ::accept4(tcp_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        if (static_cast<int>(connections.size()) >= options_.max_connections) {
          ++counters_.refused_connections;
          ::close(fd);
          continue;
        }
        connections.emplace(fd, Connection{{}, std::chrono::steady_clock::now() + options_.tcp_idle_timeout});
      }
    }
    for (; next < fds.size(); ++next) {
      const int fd = fds[next].fd;
      const auto it = connections.find(fd);
      if (fds[next].revents && !read_stream(fd, it->second, chunk)) close_connection(fd);
    }
    // Idle and slow senders: no complete line within tcp_idle_timeout.
    const auto now = std::chrono::steady_clock::now();
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      ++counters_.timed_out_connections;
      ::close(it->first);
      it = connections.erase(it);
    }
  }
  for (const auto& [fd, _] : connections) ::close(fd);
}

}  // namespace chatops::ingestion::metric::statsd
