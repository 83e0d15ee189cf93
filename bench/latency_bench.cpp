// Webhook → IRC latency through the built bot and a real ngircd (flood penalties lifted on both
// sides): events are posted at a fixed rate to a generic webhook source whose template carries a
// sequence number; a test client in the channel timestamps each line. Latency = line received −
// POST started. Baseline, same run, same rate: a PRIVMSG sent by a second client straight through
// the same ngircd (the server's own latency). Also the bot's VmRSS/VmHWM idle and after the load.
// Targets (issue "internet-facing webhook front"): p50 ≤ 1 ms and p99 ≤ 2 ms at 20 events/s
// (with synchronous=full: the latency includes the journal's fsync), and idle RSS ≤ 10 MiB.
//
//   latency_bench [--smoke] [--seconds S] [--rate N]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <regex>
#include <stdexcept>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "bench/measure.hpp"
#include "bench/options.hpp"
#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kChannel = "#bench";
constexpr auto kToken = "bench-token";
constexpr int kPosters = 4;  // concurrent HTTP clients, so that one slow commit does not delay the schedule

struct Options {
  bool smoke = false;
  double seconds = 10;
  double rate = 20;  // events per second
};

struct Stats {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t count = 0, missing = 0;
};

Stats stats(std::vector<double> ms, std::size_t expected) {
  Stats s;
  s.count = ms.size();
  s.missing = expected - std::min(expected, ms.size());
  if (ms.empty()) return s;
  std::ranges::sort(ms);
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))]; };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.max = ms.back();
  return s;
}

void print(const char* label, const Stats& s) {
  std::printf("  %-42s p50 %7.2f ms   p99 %7.2f ms   max %7.2f ms   (%zu lines, %zu missing)\n", label, s.p50, s.p99,
              s.max, s.count, s.missing);
}

// Calls send(i) for i in [0, n) at start + i / rate from `threads` threads (i % threads each);
// returns the time each call started.
std::vector<Clock::time_point> paced(std::size_t n, double rate, int threads,
                                     const std::function<void(int thread, std::size_t i)>& send) {
  std::vector<Clock::time_point> sent(n);
  const auto start = Clock::now() + 50ms;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < n; i += static_cast<std::size_t>(threads)) {
        std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(static_cast<double>(i) / rate)));
        sent[i] = Clock::now();
        send(t, i);
      }
    });
  for (auto& t : pool) t.join();
  return sent;
}

// Latencies (ms) of the PRIVMSGs from `nick` whose text is "<prefix><i>", against sent[i].
std::vector<double> latencies(IrcTestClient& watcher, const std::string& nick, const std::string& prefix,
                              const std::vector<Clock::time_point>& sent, Clock::duration timeout) {
  const std::regex re("^" + prefix + "([0-9]+)$");
  // Only lines of this run count (not a warm-up line with a larger number).
  auto of_this_run = [&](const Privmsg& m) {
    std::smatch match;
    return m.nick == nick && std::regex_search(m.text, match, re) && std::stoul(match[1]) < sent.size();
  };
  watcher.wait_for(of_this_run, std::chrono::duration_cast<std::chrono::milliseconds>(timeout), sent.size());
  std::vector<double> ms;
  std::smatch match;
  for (const auto& m : watcher.messages()) {
    if (m.nick != nick || !std::regex_search(m.text, match, re)) continue;
    const auto i = std::stoul(match[1]);
    if (i < sent.size()) ms.push_back(std::chrono::duration<double, std::milli>(m.received - sent[i]).count());
  }
  return ms;
}

struct Memory {
  long rss_kib = 0, hwm_kib = 0;
};

Memory memory(pid_t pid) {
  const auto proc = "/proc/" + std::to_string(pid);
  return {chatops::bench::status_value(proc, "VmRSS:"), chatops::bench::status_value(proc, "VmHWM:")};
}

// nullopt when the arguments are not understood (said on stderr).
std::optional<Options> parse(int argc, char** argv) {
  Options o;
  chatops::bench::CommandLine options("latency_bench");
  options.flag("--smoke", o.smoke).value("--seconds", o.seconds, "S").value("--rate", o.rate, "N");
  if (!options.parse(argc, argv)) return std::nullopt;
  if (o.smoke) o.seconds = 0.2;
  return o;
}

int run(const Options& o) {
  const auto n = static_cast<std::size_t>(o.seconds * o.rate);
  std::printf("latency_bench: %zu events at %.0f/s (%.1f s)%s\n", n, o.rate, o.seconds, o.smoke ? " (smoke)" : "");

  Ngircd ircd(NgircdOptions{.channels = {kChannel}, .no_flood_penalty = true});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join(kChannel);
  IrcTestClient pinger(IrcClientOptions{.port = ircd.port(), .nick = "pinger"});
  pinger.join(kChannel);

  // Baseline: the server's own latency for a channel message at the same rate.
  const auto ping_sent = paced(n, o.rate, 1, [&](int, std::size_t i) { pinger.privmsg(kChannel, "ping " + std::to_string(i)); });
  const auto server = stats(latencies(watcher, "pinger", "ping ", ping_sent, 10s), n);

  // The bot: flood control lifted as far as its config allows, quiet log.
  TempDir dir("chatops-latency-bench");
  BotConfig config;
  config.irc_port = ircd.port();
  config.nick = "benchbot";
  config.channel = kChannel;
  config.flood = "{burst: 100, rate: 100}";
  config.sources = std::string("  - {name: bench, kind: webhook, provider: generic, path: /hooks/bench, "
                               "bearer_token: ") + kToken + ", topic: bench/event, "
                               "template: \"bench {{seq}}\"}\n";
  config.binds = std::string("  - {type: webhook, mask: \"bench/*\", say: {to: [\"") + kChannel + "\"]}}\n";
  config.log = "{level: warn}";
  std::string yaml = bot_config_yaml(config);
  BotProcess bot(dir, yaml);
  if (!watcher.wait_for_join(config.nick, kChannel, 15s)) throw std::runtime_error("the bot did not join:\n" + bot.log());

  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int t = 0; t < kPosters; ++t) {
    clients.push_back(std::make_unique<httplib::Client>("127.0.0.1", bot.http_port()));
    clients.back()->set_keep_alive(true);
    clients.back()->set_tcp_nodelay(true);  // else Nagle + delayed ACK add 40 ms between headers and body
    clients.back()->set_bearer_token_auth(kToken);
  }
  std::atomic<int> refused{0};
  auto post = [&](int t, std::size_t seq) {
    auto res = clients[static_cast<std::size_t>(t)]->Post("/hooks/bench", nlohmann::json{{"seq", seq}}.dump(),
                                                           "application/json");
    if (!res || res->status != 202) ++refused;
  };
  // Warm-up: one event end to end (connections open, first template compiled).
  post(0, 1'000'000);
  watcher.wait_for(std::regex("^bench 1000000$"), config.nick, kChannel, 10s);
  std::this_thread::sleep_for(500ms);
  const Memory idle = memory(bot.pid());

  const auto sent = paced(n, o.rate, kPosters, post);
  const auto botstats = stats(latencies(watcher, config.nick, "bench ", sent, 30s), n);
  const Memory loaded = memory(bot.pid());

  print("server alone (client -> ngircd -> client)", server);
  print("bot (POST -> journal -> bot -> ngircd)", botstats);
  if (refused) std::printf("  %d POSTs were not answered 202\n", refused.load());
  if (botstats.missing > 0) {
    // Which ones, and what the bot said instead (a digest line?), to tell a loss from a late line.
    std::vector<bool> seen(n);
    const std::regex line_re("^bench ([0-9]+)$");
    std::smatch match;
    for (const auto& m : watcher.messages()) {
      if (m.nick != config.nick) continue;
      if (std::regex_search(m.text, match, line_re)) {
        if (const auto i = std::stoul(match[1]); i < n) seen[i] = true;
      } else {
        std::printf("  the bot also said: %s\n", m.text.c_str());
      }
    }
    std::printf("  missing:");
    for (std::size_t i = 0; i < n; ++i)
      if (!seen[i]) std::printf(" %zu", i);
    std::printf("\n");
  }
  std::printf("ratio bot/server: p50 %.1f   p99 %.1f\n", server.p50 > 0 ? botstats.p50 / server.p50 : 0,
              server.p99 > 0 ? botstats.p99 / server.p99 : 0);
  std::printf("bot memory: idle VmRSS %ld KiB (VmHWM %ld KiB); after the load VmRSS %ld KiB (VmHWM %ld KiB)\n",
              idle.rss_kib, idle.hwm_kib, loaded.rss_kib, loaded.hwm_kib);
  std::printf("target p50 <= 1 ms and p99 <= 2 ms at %.0f events/s: %s; idle RSS <= 10 MiB: %s\n", o.rate,
              botstats.missing == 0 && botstats.p50 <= 1 && botstats.p99 <= 2 ? "met" : "NOT met",
              idle.rss_kib <= 10 * 1024 ? "met" : "NOT met");
  return botstats.count > 0 && server.count > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto options = parse(argc, argv);
    return options ? run(*options) : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latency_bench: %s\n", e.what());
    return 1;
  }
}
