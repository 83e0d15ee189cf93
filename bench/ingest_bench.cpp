// Webhook ingest throughput: how many signed ~7 KB GitHub pushes per second the real receiver
// (signature check, parsing, normalising, durable journal write before the 202) answers, as a
// ratio of what a bare cpp-httplib server that answers 202 without any work answers on the same
// machine in the same run. Target: receiver ≥ 50 % of bare with the journal on.
//
//   ingest_bench [--smoke] [--seconds S] [--clients N[,N...]] [--only bare|full|normal]
//
// The load generator runs N threads, each with its own keep-alive httplib::Client, posting as fast
// as answers come back, for the same duration against each server. Every delivery id is unique,
// so the journal accepts every event (no dedupe shortcut).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/config/node.hpp"
#include "core/crypto.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/webhook/receiver.hpp"
#include "ingestion/webhook/webhook_source.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kSecret = "bench-secret";
constexpr auto kPath = "/hooks/github";
constexpr int kServerThreads = webhook::HttpOptions{}.threads;  // the receiver's default http.threads, for both servers

struct Options {
  bool smoke = false;
  double seconds = 10;
  std::vector<int> clients{8, 32};  // one round of runs per count
  std::string only;  // "bare", "full" or "normal": run just that one (for profiling)
};

// The GitHub push fixture, compact, with commits appended until the body is at least 7 KiB.
std::string push_payload() {
  std::ifstream in(std::string(CHATOPS_FIXTURES_DIR) + "/webhooks/github/push.new-branch.json");
  if (!in) throw std::runtime_error("cannot read the push fixture");
  std::stringstream text;
  text << in.rdbuf();
  auto payload = nlohmann::json::parse(text.str());
  const auto commit = payload["commits"].at(0);
  for (int i = 1; payload.dump().size() < 7 * 1024; ++i) {
    auto c = commit;
    c["id"] = crypto::to_hex(crypto::hmac(crypto::Digest::Sha1, "pad", std::to_string(i)));
    c["message"] = "Padding commit " + std::to_string(i) + "\n\nSo that the payload is a realistic size.";
    payload["commits"].push_back(std::move(c));
  }
  return payload.dump();
}

struct LoadResult {
  std::uint64_t ok = 0, errors = 0;
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

// Posts `body` from `clients` keep-alive connections for `seconds`; counts 2xx answers.
LoadResult load(int port, const std::string& body, const std::string& label, int clients, const Options& o) {
  const std::string signature = "sha256=" + crypto::to_hex(crypto::hmac(crypto::Digest::Sha256, kSecret, body));
  std::atomic<bool> go{false}, stop{false};
  std::atomic<std::uint64_t> ok{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t)
    threads.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);  // headers and body are separate writes: no Nagle/delayed-ACK stall
      client.set_read_timeout(30, 0);
      std::uint64_t n = 0, mine_ok = 0, mine_errors = 0;
      while (!go) std::this_thread::yield();
      while (!stop) {
        const std::string delivery = label + "-" + std::to_string(t) + "-" + std::to_string(n++);
        httplib::Headers headers{{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", delivery},
                                 {"X-Hub-Signature-256", signature}};
        auto res = client.Post(kPath, headers, body, "application/json");
        if (res && res->status >= 200 && res->status < 300) {
          ++mine_ok;
        } else {
          if (mine_errors++ == 0)
            std::fprintf(stderr, "  client %d: %s\n", t,
                         res ? ("HTTP " + std::to_string(res->status)).c_str() : httplib::to_string(res.error()).c_str());
        }
      }
      ok += mine_ok;
      errors += mine_errors;
    });
  const auto start = Clock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& t : threads) t.join();  // requests in flight finish: count their time too
  LoadResult r{ok.load(), errors.load(), std::chrono::duration<double>(Clock::now() - start).count()};
  std::printf("  %-40s %9.0f req/s  (%llu answered 2xx in %.1f s, %llu errors)\n", label.c_str(), r.rate(),
              static_cast<unsigned long long>(r.ok), r.seconds, static_cast<unsigned long long>(r.errors));
  std::fflush(stdout);
  return r;
}

// (1) The baseline: the same HTTP stack and thread pool, answering 202 without reading anything.
// With TCP_NODELAY, as a server answering keep-alive clients must be: httplib writes the status
// line and headers, then the body, and without it Nagle holds the body back until the client's
// delayed ACK (about 40 ms on Linux). Run once more without it to show that effect in the same run.
LoadResult run_bare(const std::string& body, int clients, const Options& o, bool nodelay) {
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  server.set_keep_alive_max_count(100);  // as the receiver
  server.set_tcp_nodelay(nodelay);
  server.Post(kPath, [](const httplib::Request&, httplib::Response& res) {
    res.status = 202;
    res.set_content(R"({"status":"accepted","events":1})", "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) throw std::runtime_error("bare server: cannot bind");
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(1ms);
  auto r = load(port, body, nodelay ? "bare httplib, TCP_NODELAY (baseline)" : "bare httplib, no TCP_NODELAY", clients, o);
  server.stop();
  thread.join();
  return r;
}

// The disk's own share of a synchronous=full commit, measured now: this VM's fsync latency varies
// several-fold within an hour, and the 8-client rate follows it. Median of 200 overwrites of one
// 16 KiB block, each followed by fdatasync, in the journal's directory.
double fdatasync_median_us(const std::filesystem::path& dir) {
  const auto file = (dir / "fsync-probe").string();
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + file);
  const std::string block(16384, 'x');
  std::vector<double> us;
  for (int i = 0; i < 201; ++i) {
    const auto start = Clock::now();
    const bool ok = ::pwrite(fd, block.data(), block.size(), 0) == static_cast<ssize_t>(block.size()) &&
                    ::fdatasync(fd) == 0;
    if (!ok) break;
    if (i > 0) us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());  // the first write allocated the block
  }
  ::close(fd);
  std::filesystem::remove(file);
  if (us.empty()) throw std::runtime_error("fdatasync failed in " + dir.string());
  std::nth_element(us.begin(), us.begin() + static_cast<std::ptrdiff_t>(us.size() / 2), us.end());
  return us[us.size() / 2];
}

// (2)/(3) The real receiver, GitHub provider and SQLite journal.
LoadResult run_receiver(const std::string& body, int clients, const Options& o, const std::filesystem::path& dir,
                        Synchronous sync) {
  const bool full = sync == Synchronous::Full;
  const auto file = dir / ((full ? "full-" : "normal-") + std::to_string(clients) + ".db");
  auto journal = Journal::open({.path = file.string(), .synchronous = sync});
  if (!journal) throw std::runtime_error("journal: " + journal.error().message);

  auto raw = config::load_string(std::string("{name: github, kind: webhook, provider: github, path: ") + kPath +
                                     ", secret: " + kSecret + "}",
                                 "bench.yml");
  if (!raw) throw std::runtime_error(raw.error().message);
  auto validated = webhook::validate_webhook_source(*raw);
  if (!validated) throw std::runtime_error(validated.error().message);
  auto provider = webhook::find_provider("github")->make(*validated);
  if (!provider) throw std::runtime_error(provider.error().message);

  StatusCounters counters;  // outlives the receiver's route
  webhook::WebhookReceiver receiver({.host = "127.0.0.1", .port = 0, .threads = kServerThreads});
  if (auto started = receiver.start(); !started) throw std::runtime_error(started.error().message);
  if (auto added = receiver.add_route(kPath, std::shared_ptr<const webhook::Provider>(std::move(*provider)), "github",
                                      **journal, counters);
      !added)
    throw std::runtime_error(added.error().message);

  auto r = load(receiver.port(), body,
                std::string("receiver + journal (synchronous=") + (full ? "full)" : "normal)"), clients, o);
  receiver.stop();
  const auto stats = (*journal)->stats();
  std::printf("  %-40s %llu events journaled in %llu commits (%.1f per commit)\n", "",
              static_cast<unsigned long long>(stats.accepted), static_cast<unsigned long long>(stats.commits),
              stats.commits ? static_cast<double>(stats.accepted) / static_cast<double>(stats.commits) : 0.0);
  if (stats.accepted != r.ok)
    std::printf("  WARNING: %llu answers 2xx but %llu events journaled\n", static_cast<unsigned long long>(r.ok),
                static_cast<unsigned long long>(stats.accepted));
  return r;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--smoke") {
      o.smoke = true;
      o.seconds = 0.5;
      o.clients = {2};
    } else if (a == "--seconds" && i + 1 < argc) {
      o.seconds = std::stod(argv[++i]);
    } else if (a == "--clients" && i + 1 < argc) {
      o.clients.clear();
      std::stringstream list(argv[++i]);
      for (std::string n; std::getline(list, n, ',');) o.clients.push_back(std::stoi(n));
    } else if (a == "--only" && i + 1 < argc) {
      o.only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--smoke] [--seconds S] [--clients N[,N...]] [--only bare|full|normal]\n", argv[0]);
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  std::string dir_template = (std::filesystem::temp_directory_path() / "chatops-ingest-bench-XXXXXX").string();
  if (!mkdtemp(dir_template.data())) throw std::runtime_error("mkdtemp failed");
  const std::filesystem::path dir = dir_template;
  try {
    const std::string body = push_payload();
    std::printf("ingest_bench: signed GitHub push of %zu bytes (%zu commits), %d server threads (the receiver's "
                "default), %.1f s per run%s\n",
                body.size(), nlohmann::json::parse(body)["commits"].size(), kServerThreads, o.seconds,
                o.smoke ? " (smoke)" : "");
    if (!o.only.empty()) {
      for (int clients : o.clients) {
        if (o.only == "bare") run_bare(body, clients, o, true);
        else if (o.only == "full") run_receiver(body, clients, o, dir, Synchronous::Full);
        else if (o.only == "normal") run_receiver(body, clients, o, dir, Synchronous::Normal);
        else throw std::runtime_error("--only: expected bare, full or normal");
      }
      std::filesystem::remove_all(dir);
      return 0;
    }
    bool ran = true;
    for (int clients : o.clients) {
      std::printf("\n%d keep-alive clients (fdatasync on this disk now: median %.0f us)\n", clients,
                  fdatasync_median_us(dir));
      const auto bare = run_bare(body, clients, o, true);
      // Once: what the receiver answered before it set TCP_NODELAY.
      const auto bare_nagle = clients == o.clients.front() ? run_bare(body, clients, o, false) : LoadResult{};
      const auto full = run_receiver(body, clients, o, dir, Synchronous::Full);
      const auto normal = run_receiver(body, clients, o, dir, Synchronous::Normal);
      const double ratio_full = bare.rate() > 0 ? full.rate() / bare.rate() : 0;
      const double ratio_normal = bare.rate() > 0 ? normal.rate() / bare.rate() : 0;
      std::printf("ratio receiver/bare at %d clients: synchronous=full %.2f, synchronous=normal %.2f\n", clients,
                  ratio_full, ratio_normal);
      if (bare_nagle.rate() > 0)
        std::printf("ratio receiver/bare without TCP_NODELAY: synchronous=full %.2f, synchronous=normal %.2f\n",
                    full.rate() / bare_nagle.rate(), normal.rate() / bare_nagle.rate());
      std::printf("target receiver >= 0.50 x bare with the journal on (synchronous=full) at %d clients: %s\n",
                  clients, ratio_full >= 0.5 ? "met" : "NOT met");
      ran = ran && bare.ok > 0 && full.ok > 0 && normal.ok > 0;
    }
    std::filesystem::remove_all(dir);
    return ran ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ingest_bench: %s\n", e.what());
    std::filesystem::remove_all(dir);
    return 1;
  }
}
