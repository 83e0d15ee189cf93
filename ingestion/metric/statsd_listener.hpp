#pragma once
// The StatsD listener: UDP datagrams and (optionally) newline-framed TCP streams on one address,
// read by one thread into the aggregator. Hostile senders are bounded: a datagram is at most
// 64 KiB; the socket's receive buffer is sized (receive_buffer) and what the kernel drops when it
// is full is counted (SO_RXQ_OVFL); a TCP line longer than max_line closes its connection, and so
// does one that has not completed a line for tcp_idle_timeout (idle, or too slow: a slowloris);
// at most max_connections TCP senders at once (more are refused); a malformed line is counted, not
// fatal; new series beyond the aggregator's limit are dropped, counted.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "ingestion/metric/statsd_aggregator.hpp"
#include "ingestion/source.hpp"

namespace chatops::ingestion::metric::statsd {

struct ListenerOptions {
  std::string host = "127.0.0.1";  // an IP address
  int port = 8125;
  bool tcp = false;                // also TCP on the same port
  std::size_t receive_buffer = 4 * 1024 * 1024;  // SO_RCVBUF of the UDP socket
  std::size_t max_line = 64 * 1024;              // of a TCP line
  int max_connections = 64;
  std::chrono::milliseconds tcp_idle_timeout{std::chrono::minutes(1)};  // without a complete line
};

struct ListenerCounters {
  std::atomic<std::uint64_t> packets{0};            // datagrams, and TCP reads
  std::atomic<std::uint64_t> lines{0};              // metrics aggregated
  std::atomic<std::uint64_t> malformed{0};          // lines that do not parse
  std::atomic<std::uint64_t> dropped_series{0};     // over the series limit
  std::atomic<std::uint64_t> dropped_datagrams{0};  // dropped by the kernel, its receive buffer full
  std::atomic<std::uint64_t> oversized_lines{0};    // TCP lines over max_line (their connection closed)
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> timed_out_connections{0};  // closed after tcp_idle_timeout without a line
};

class Listener {
 public:
  Listener(ListenerOptions options, Aggregator& aggregator);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and starts reading; a second call does nothing. An address in use is transient.
  SourceResult<> open();
  void close();
  bool is_open() const { return thread_.joinable(); }
  const ListenerCounters& counters() const { return counters_; }

  // Aggregates every line of `payload` (lines separated by \n; empty ones skipped).
  void take(std::string_view payload);

 private:
  struct Connection;
  void run();
  void read_datagrams();
  // Reads what the connection has; false when it is to be closed (the end, an error, a line too long).
  bool read_stream(int fd, Connection& connection, std::vector<char>& chunk);

  ListenerOptions options_;
  Aggregator& aggregator_;
  ListenerCounters counters_;
  int udp_ = -1, tcp_ = -1, wake_ = -1;
  std::thread thread_;
};

}  // namespace chatops::ingestion::metric::statsd
