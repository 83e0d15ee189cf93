// `kind: metric, provider: statsd`: real packets over UDP and TCP to the source's listener, the
// compliance harness, aggregates crossing thresholds, and hostile senders.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "tests/integration/ingestion/metric/metric_fixture.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

void send_udp(int port, const std::string& payload) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  const auto to = loopback(port);
  ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  ::close(fd);
}

// A TCP connection to the listener (connected once it accepts).
class TcpSender {
 public:
  explicit TcpSender(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    const auto to = loopback(port);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
  }
  ~TcpSender() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const std::string& text) { return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()); }
  // True once the listener has closed the connection (a reset, when it left bytes unread).
  bool closed_by_peer(std::chrono::milliseconds timeout = 5s) {
    return compliance::eventually(
        [&] {
          char c;
          const auto n = ::recv(fd_, &c, 1, MSG_DONTWAIT);
          return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
        },
        timeout);
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string statsd_source(int port, const std::string& checks, const std::string& extra = "") {
  return "provider: statsd, listen: \"127.0.0.1:" + std::to_string(port) + "\", tcp: true, interval: 200ms, " +
         "jitter: 0" + extra + ", checks: [" + checks + "]";
}


}  // namespace

TEST_CASE("metric source (statsd): compliance", "[metric][statsd]") {
  const int port = free_port();
  int made = 0;
  // Each item is a new gauge series (a tag) over the threshold: it fires once and, a gauge, keeps
  // its value; series not reported after a restart are no data, kept.
  compliance::Subject subject{
      .kind = metric_kind(),
      .config_yaml = "{name: compliance, kind: metric, " +
                     statsd_source(port, "{name: items, query: item, condition: {gt: 0}, no_data: keep}") + "}",
      .services = {},
      .upstream = {.produce =
                       [&](int n) {
                         std::string payload;
                         for (int i = 0; i < n; ++i) payload += "item:1|g|#n:" + std::to_string(++made) + "\n";
                         send_udp(port, payload);
                       }},
      .topic_prefix = "metric/compliance/firing",
      // A datagram sent while no listener runs is lost: its sender's affair, as with webhooks.
      .resumes_after_restart = false,
      .deadline = 30s};
  compliance::run_compliance(subject);
}

TEST_CASE("metric source (statsd): a timer's p99 over UDP fires, and resolves when it drops", "[metric][statsd]") {
  const int port = free_port();
  MetricPoller poller(statsd_source(port, "{name: slow_api, query: \"api.latency:p99\", condition: {gt: 500}, unit: "
                                          "milliseconds}"),
                      "stats");
  REQUIRE(compliance::eventually([&] { return poller.status().state == ingestion::SourceState::Running; }, 30s));
  // Sent until an interval holds all of it: 100 values, 2 of them slow.
  REQUIRE(compliance::eventually(
      [&] {
        std::string payload;
        for (int i = 0; i < 98; ++i) payload += "api.latency:20|ms|#route:/login\n";
        payload += "api.latency:900|ms|#route:/login\napi.latency:1200|ms|#route:/login\n";
        send_udp(port, payload);
        return poller.events().size() >= 1;
      },
      10s));
  const auto fired = poller.events().at(0);
  CHECK(fired.topic == "metric/stats/firing");
  CHECK(fired.fields["labels"]["route"] == "/login");
  CHECK(fired.fields["value_text"] == "900 ms");  // the 99th of every 100 values
  REQUIRE(compliance::eventually(
      [&] {
        send_udp(port, "api.latency:20|ms|#route:/login");
        return poller.events().size() >= 2;
      },
      10s));
  CHECK(poller.events().at(1).topic == "metric/stats/resolved");
}

TEST_CASE("metric source (statsd): newline-framed TCP, counters with sample rates and gauges with deltas",
          "[metric][statsd]") {
  const int port = free_port();
  MetricPoller poller(statsd_source(port, "{name: failures, query: \"jobs.failed:count\", condition: {gte: 10}}, "
                                          "{name: depth, query: queue.depth, condition: {gt: 100}, no_data: keep}"),
                      "stats");
  REQUIRE(compliance::eventually([&] { return poller.status().state == ingestion::SourceState::Running; }, 30s));
  TcpSender tcp(port);
  REQUIRE(tcp.connected());
  // 1 sent at a rate of 0.1 counts 10; the gauge goes to 90, then +20 = 110. One write, split
  // across lines mid-way to check the framing.
  REQUIRE(tcp.send("queue.depth:90|g\nqueue.dep"));
  std::this_thread::sleep_for(50ms);  // the rest of the line in a later read
  REQUIRE(tcp.send("th:+20|g\njobs.failed:1|c|@0.1|#queue:mail\n"));
  REQUIRE(poller.wait_events(2, 30s));
  std::set<std::string> checks;
  for (const auto& e : poller.events()) checks.insert(e.fields["check"].get<std::string>());
  CHECK(checks == std::set<std::string>{"failures", "depth"});
}

TEST_CASE("metric source (statsd): hostile senders are bounded and counted, never fatal", "[metric][statsd]") {
  const int port = free_port();
  MetricPoller poller(statsd_source(port, "{name: g, query: ok, condition: {gt: 0}}",
                                    ", max_line: 1KiB, max_connections: 2, max_series: 5"),
                      "stats");
  REQUIRE(compliance::eventually([&] { return poller.status().state == ingestion::SourceState::Running; }, 30s));
  SECTION("garbage lines are counted as failed, the good ones among them aggregated") {
    send_udp(port, "garbage\n\x01\x02:1|c\nx:1|zz\nok:1|g\n");
    send_udp(port, std::string(60000, '\xff'));
    REQUIRE(poller.wait_events(1, 30s));
    REQUIRE(compliance::eventually([&] { return poller.status().failed >= 4; }, 30s));
    CHECK(poller.status().state == ingestion::SourceState::Running);
  }
  SECTION("a TCP line longer than max_line closes its connection") {
    TcpSender tcp(port);
    REQUIRE(tcp.connected());
    tcp.send(std::string(4096, 'a'));
    CHECK(tcp.closed_by_peer());
    REQUIRE(compliance::eventually([&] { return poller.status().failed >= 1; }, 30s));
  }
  SECTION("connections beyond max_connections are refused") {
    TcpSender first(port), second(port), third(port);
    REQUIRE(third.connected());  // the kernel accepts; the listener closes it
    CHECK(third.closed_by_peer());
    REQUIRE(first.send("ok:1|g\n"));
    REQUIRE(poller.wait_events(1, 30s));
  }
  SECTION("series beyond max_series are dropped, counted") {
    std::string payload;
    for (int i = 0; i < 50; ++i) payload += "flood:1|c|#n:" + std::to_string(i) + "\n";
    send_udp(port, payload);
    REQUIRE(compliance::eventually([&] { return poller.status().failed >= 45; }, 30s));
  }
}

TEST_CASE("metric source (statsd): idle, slow, endless and crowding TCP senders lose their connection",
          "[metric][statsd]") {
  const int port = free_port();
  MetricPoller poller(statsd_source(port, "{name: g, query: ok, condition: {gt: 0}}",
                                    ", max_line: 1KiB, max_connections: 2, tcp_idle_timeout: 1s"),
                      "stats");
  REQUIRE(compliance::eventually([&] { return poller.status().state == ingestion::SourceState::Running; }, 30s));
  using SteadyClock = std::chrono::steady_clock;
  SECTION("an idle connection is closed after tcp_idle_timeout, and counted") {
    const auto opened = SteadyClock::now();
    TcpSender idle(port);
    REQUIRE(idle.connected());
    CHECK(idle.closed_by_peer(30s));
    CHECK(SteadyClock::now() - opened >= 900ms);
    REQUIRE(compliance::eventually([&] { return poller.status().failed >= 1; }, 30s));
  }
  SECTION("a sender that dribbles a line without ending it is closed as idle, though it keeps sending") {
    const auto opened = SteadyClock::now();
    TcpSender slow(port);
    REQUIRE(slow.connected());
    bool closed = false;
    for (const auto end = SteadyClock::now() + 30s; !closed && SteadyClock::now() < end;) {
      slow.send("o");
      closed = slow.closed_by_peer(100ms);
    }
    CHECK(closed);
    // tcp_idle_timeout (1 s), with room for a loaded machine: a byte that reset the timer would
    // keep it open for good.
    CHECK(SteadyClock::now() - opened < 10s);
  }
  SECTION("a sender that completes lines stays connected past tcp_idle_timeout") {
    TcpSender steady(port);
    REQUIRE(steady.connected());
    const auto until = SteadyClock::now() + 2500ms;
    while (SteadyClock::now() < until) {
      REQUIRE(steady.send("ok:1|g\n"));
      CHECK_FALSE(steady.closed_by_peer(300ms));
    }
    REQUIRE(poller.wait_events(1, 30s));
  }
  SECTION("an endless line, in one write or many, closes its connection at max_line") {
    TcpSender endless(port);
    REQUIRE(endless.connected());
    bool closed = false;
    for (int i = 0; i < 20 && !closed; ++i) {  // 20 × 200 bytes, without a newline
      endless.send(std::string(200, 'a'));
      closed = endless.closed_by_peer(50ms);
    }
    CHECK(closed);
    TcpSender long_line(port);  // a complete line longer than max_line is refused too
    REQUIRE(long_line.connected());
    long_line.send("ok:" + std::string(2000, '1') + "|g\n");
    CHECK(long_line.closed_by_peer());
  }
  SECTION("connections crowding max_connections are refused, and idle ones free their slot") {
    std::vector<std::unique_ptr<TcpSender>> crowd;
    for (int i = 0; i < 50; ++i) crowd.push_back(std::make_unique<TcpSender>(port));
    int refused = 0;
    for (auto& sender : crowd) refused += sender->closed_by_peer(100ms) ? 1 : 0;
    CHECK(refused >= 48);
    // Those that got in say nothing: after tcp_idle_timeout their slots are free for a real sender.
    for (auto& sender : crowd) CHECK(sender->closed_by_peer(5s));
    TcpSender late(port);
    REQUIRE(late.connected());
    REQUIRE(late.send("ok:1|g\n"));
    REQUIRE(poller.wait_events(1, 30s));
  }
}
