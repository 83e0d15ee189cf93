#pragma once
// Syslog over the network, as rsyslog, syslog-ng and appliances forward it: UDP (RFC 5426: one
// message per datagram) and TCP (RFC 6587: octet-counting or LF framing, see syslog_framing.hpp).
// An Asio loop run on the log source's own thread, inside receive(): while the source waits for
// the journal, nothing is read, and the kernel holds what comes (a UDP receive buffer of
// receive_buffer bytes, whose overflows are counted from SO_RXQ_OVFL; TCP's flow control slows
// the senders). Hostile senders are bounded: at most max_connections TCP connections (and
// max_connections_per_address from one address; more are closed at once, counted), a message
// longer than max_message is cut and its rest skipped (never held), a malformed frame length
// closes its connection, and a connection that sends nothing for idle_timeout is closed. Memory:
// one read buffer, plus at most max_message per connection.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ingestion/log/tailer.hpp"
#include "ingestion/source.hpp"

namespace chatops::ingestion::log {

struct ListenOptions {
  std::optional<std::pair<std::string, int>> udp, tcp;  // host, port (0: any free port)
  std::size_t max_message = 64 * 1024;
  std::size_t max_connections = 256;
  std::size_t max_connections_per_address = 32;  // 0: no limit
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  std::size_t receive_buffer = 4 * 1024 * 1024;  // SO_RCVBUF of the UDP socket
};

struct ListenCounters {
  std::atomic<std::uint64_t> datagrams{0}, tcp_messages{0};
  std::atomic<std::uint64_t> dropped_datagrams{0};  // by the kernel, its receive buffer full
  std::atomic<std::uint64_t> cut{0};                // messages longer than max_message
  std::atomic<std::uint64_t> accepted{0}, refused{0}, idle_closed{0}, framing_errors{0};
  std::atomic<std::uint64_t> open{0};  // TCP connections now
};

class SyslogListener {
 public:
  explicit SyslogListener(ListenOptions options);
  ~SyslogListener();
  SyslogListener(const SyslogListener&) = delete;
  SyslogListener& operator=(const SyslogListener&) = delete;

  // Binds; an address in use (or not ours) is transient, and named.
  SourceResult<> open();
  // Runs the loop on the calling thread until `max` messages are in `out`, `deadline`, or wake().
  // Each message is a Line: its text, `path` the sender's address, `transport` udp or tcp.
  void receive(std::vector<Line>& out, std::size_t max, std::chrono::steady_clock::time_point deadline);
  void wake();  // from any thread: receive() returns soon
  int udp_port() const;
  int tcp_port() const;
  const ListenCounters& counters() const { return counters_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ListenCounters counters_;
};

}  // namespace chatops::ingestion::log
