// The metric sources' two hot paths, each against a baseline measured in the same run (issue 15):
//
//   threshold   a Prometheus answer of 10,000 series (as /api/v1/query gives it) parsed into
//               samples and evaluated by the threshold engine, against simdjson parsing the same
//               document alone. Cases: steady (every series already firing: nothing to say or
//               save), first run (every series new: 10,000 firing notices and state changes).
//               Reports ms per answer.
//   statsd      StatsD datagrams aggregated by the source's listener, against a bare UDP receive
//               loop on the same port, fed by the same sender for the same time. Reports
//               datagrams/s received by each and the ratio. Target: ≥ 0.5.
//
//   metric_bench [--smoke]
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>

#include "bench/options.hpp"
#include "ingestion/metric/prometheus.hpp"
#include "ingestion/metric/statsd_listener.hpp"
#include "ingestion/metric/threshold.hpp"

using namespace chatops::ingestion::metric;
using Steady = std::chrono::steady_clock;

namespace {

constexpr int kSeries = 10000;

std::string prometheus_answer() {
  std::string doc = R"({"status":"success","data":{"resultType":"vector","result":[)";
  for (int i = 0; i < kSeries; ++i) {
    if (i) doc += ',';
    doc += R"({"metric":{"__name__":"node_filesystem_used_percent","device":"/dev/sda)" + std::to_string(i % 8) +
           R"(","fstype":"ext4","instance":"host-)" + std::to_string(i) +
           R"(:9100","job":"node","mountpoint":"/var"},"value":[1700000000.123,")" + std::to_string(90 + i % 10) +
           R"(.5"]})";
  }
  return doc + "]}}";
}

double median(std::vector<double> v) {
  std::ranges::sort(v);
  return v[v.size() / 2];
}

template <class F>
double ms_per_run(F&& run, std::chrono::duration<double> min_time) {
  std::size_t runs = 0;
  const auto start = Steady::now();
  do {
    run();
    ++runs;
  } while (Steady::now() - start < min_time);
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count() / static_cast<double>(runs);
}

void threshold_bench(bool smoke) {
  const std::chrono::duration<double> slice(smoke ? 0.02 : 0.5);
  const int repeats = smoke ? 1 : 7;
  std::string answer = prometheus_answer();
  answer.reserve(answer.size() + simdjson::SIMDJSON_PADDING);
  Rule rule;
  rule.condition = {Comparison::Gt, 90};
  const TimePoint now(std::chrono::milliseconds(1'700'000'000'000));
  ThresholdEngine firing(rule);
  firing.apply(firing.evaluate(*prometheus::parse_query_answer(200, answer), now));

  simdjson::dom::parser dom;
  std::size_t sink = 0;
  struct Case {
    const char* name;
    std::function<void()> run;
    std::vector<double> ms;
  };
  std::vector<Case> cases{
      {"parse (simdjson DOM)",
       [&] {
         simdjson::dom::element root;
         if (dom.parse(answer).get(root)) std::abort();
         sink += root.is_object();
       },
       {}},
      {"answer → samples",
       [&] { sink += prometheus::parse_query_answer(200, answer)->size(); },
       {}},
      {"answer → evaluated, steady",
       [&] {
         auto e = firing.evaluate(*prometheus::parse_query_answer(200, answer), now + std::chrono::seconds(30));
         if (!e.notices.empty() || !e.changes.empty()) std::abort();
         sink += e.next.size();
       },
       {}},
      {"answer → evaluated, first run",
       [&] {
         ThresholdEngine fresh(rule);
         auto e = fresh.evaluate(*prometheus::parse_query_answer(200, answer), now);
         if (e.notices.size() != kSeries) std::abort();
         for (const auto& [key, s] : e.changes) sink += to_text(*s).size();  // what is journaled
       },
       {}},
  };
  for (auto& c : cases) ms_per_run(c.run, slice / 5);
  for (int r = 0; r < repeats; ++r)
    for (auto& c : cases) c.ms.push_back(ms_per_run(c.run, slice));
  std::printf("threshold: a Prometheus answer of %d series (%.1f MiB), median of %d\n", kSeries,
              static_cast<double>(answer.size()) / (1024 * 1024), repeats);
  const double base = median(cases[0].ms);
  for (const auto& c : cases)
    std::printf("  %-32s %8.2f ms   %5.1f × parse\n", c.name, median(c.ms), median(c.ms) / base);
  if (sink == 0) std::puts("");
}

double cpu_seconds(int who) {
  rusage u{};
  ::getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Sends `payload` to 127.0.0.1:port as fast as it can until `stop`; `cpu` is its thread's CPU time.
void blast(int port, const std::string& payload, const std::atomic<bool>& stop, std::uint64_t& sent, double& cpu) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  while (!stop.load(std::memory_order_relaxed))
    if (::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) > 0) ++sent;
  ::close(fd);
  cpu = cpu_seconds(RUSAGE_THREAD);
}

int free_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Datagrams received per second of the run, and per CPU second of the receiving side (the
// process's CPU time but the sender thread's): what it can take, whether or not the one sender
// keeps it busy.
struct Rate {
  double received_per_s = 0, sent_per_s = 0, per_cpu_s = 0;
};

// The bare loop: recv() and count, nothing else, with the listener's receive buffer.
Rate bare(int port, const std::string& payload, std::chrono::duration<double> d, int buffer) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  timeval tv{0, 100000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::atomic<bool> stop{false};
  std::uint64_t received = 0, sent = 0;
  double sender_cpu = 0;
  const double cpu_before = cpu_seconds(RUSAGE_SELF);
  std::thread reader([&] {
    std::vector<char> buf(65536);
    while (!stop.load(std::memory_order_relaxed))
      if (::recv(fd, buf.data(), buf.size(), 0) > 0) ++received;
  });
  std::thread sender([&] { blast(port, payload, stop, sent, sender_cpu); });
  std::this_thread::sleep_for(d);
  stop = true;
  sender.join();
  reader.join();
  const double receiver_cpu = cpu_seconds(RUSAGE_SELF) - cpu_before - sender_cpu;
  ::close(fd);
  return {static_cast<double>(received) / d.count(), static_cast<double>(sent) / d.count(),
          static_cast<double>(received) / receiver_cpu};
}

Rate aggregated(int port, const std::string& payload, std::chrono::duration<double> d, int buffer) {
  statsd::Aggregator aggregator({});
  statsd::Listener listener({.host = "127.0.0.1", .port = port, .tcp = false,
                             .receive_buffer = static_cast<std::size_t>(buffer), .max_line = 65536,
                             .max_connections = 1},
                            aggregator);
  if (!listener.open()) std::abort();
  std::atomic<bool> stop{false};
  std::uint64_t sent = 0;
  double sender_cpu = 0;
  const double cpu_before = cpu_seconds(RUSAGE_SELF);
  std::thread sender([&] { blast(port, payload, stop, sent, sender_cpu); });
  // Flushed as the source does, every 100 ms, so that the aggregates stay as small as in use.
  const auto end = Steady::now() + d;
  while (Steady::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    aggregator.flush();
  }
  stop = true;
  sender.join();
  const auto received = listener.counters().packets.load();
  listener.close();
  const double receiver_cpu = cpu_seconds(RUSAGE_SELF) - cpu_before - sender_cpu;
  if (listener.counters().malformed != 0) std::abort();
  return {static_cast<double>(received) / d.count(), static_cast<double>(sent) / d.count(),
          static_cast<double>(received) / receiver_cpu};
}

void statsd_bench(bool smoke) {
  const std::chrono::duration<double> d(smoke ? 0.3 : 2.0);
  const int rounds = smoke ? 1 : 5;
  const int buffer = 4 * 1024 * 1024;
  // A typical datagram: a timer with tags, a counter with a sample rate, a gauge.
  const std::string payload =
      "api.latency:123|ms|#route:/login,method:POST\njobs.done:1|c|@0.5|#queue:mail\nqueue.depth:42|g\n";
  std::vector<double> ratios, bare_rates, ours, cpu_ratios, bare_cpu, ours_cpu;
  std::printf("statsd: 3-line datagrams (%zu bytes) from one sender, %.1f s each, %d rounds, interleaved\n",
              payload.size(), d.count(), rounds);
  for (int r = 0; r < rounds; ++r) {
    const auto b = bare(free_udp_port(), payload, d, buffer);
    const auto a = aggregated(free_udp_port(), payload, d, buffer);
    bare_rates.push_back(b.received_per_s);
    ours.push_back(a.received_per_s);
    ratios.push_back(a.received_per_s / b.received_per_s);
    bare_cpu.push_back(b.per_cpu_s);
    ours_cpu.push_back(a.per_cpu_s);
    cpu_ratios.push_back(a.per_cpu_s / b.per_cpu_s);
    std::printf("  round %d: bare %8.0f/s of %8.0f sent (%8.0f per CPU s), aggregated %8.0f/s of %8.0f sent (%8.0f per "
                "CPU s); ratios %.2f, per CPU s %.2f\n",
                r + 1, b.received_per_s, b.sent_per_s, b.per_cpu_s, a.received_per_s, a.sent_per_s, a.per_cpu_s,
                ratios.back(), cpu_ratios.back());
  }
  std::printf("  median: bare %.0f datagrams/s, aggregated %.0f datagrams/s (%.0f lines/s): ratio %.2f (target >= 0.5)\n",
              median(bare_rates), median(ours), 3 * median(ours), median(ratios));
  std::printf("  median per receiving CPU second: bare %.0f, aggregated %.0f: ratio %.2f\n", median(bare_cpu),
              median(ours_cpu), median(cpu_ratios));
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = false;
  if (!chatops::bench::CommandLine("metric_bench").flag("--smoke", smoke).parse(argc, argv)) return 2;
  threshold_bench(smoke);
  statsd_bench(smoke);
  return 0;
}
