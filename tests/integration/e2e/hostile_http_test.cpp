// Issue: an internet-facing webhook front that 1,000 hostile connections cannot stop. The built
// bot, a real ngircd and a watcher in the channel; attackers on other loopback addresses.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/crypto.hpp"
#include "tests/integration/e2e/bot_in_channel.hpp"
#include "tests/integration/support/raw_http.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// The test itself holds thousands of sockets.
void raise_open_files() {
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  limit.rlim_cur = limit.rlim_max;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &limit) == 0);
  REQUIRE(limit.rlim_cur >= 4500);
}

long rss_kib(const BotProcess& bot) {
  auto status = read_file("/proc/" + std::to_string(bot.pid()) + "/status");
  auto at = status.find("VmRSS:");
  return at == std::string::npos ? 0 : std::stol(status.substr(at + 6));
}

std::string signed_github(const std::string& event, const std::string& delivery, const std::string& body,
                          const std::string& extra_headers = "") {
  const auto signature =
      "sha256=" + chatops::crypto::to_hex(chatops::crypto::hmac(chatops::crypto::Digest::Sha256, "s3cret", body));
  return post_request("/hooks/github", body,
                      "Content-Type: application/json\r\nX-GitHub-Event: " + event + "\r\nX-GitHub-Delivery: " +
                          delivery + "\r\nX-Hub-Signature-256: " + signature + "\r\n" + extra_headers);
}

// 1,000 connections from four addresses (each under the default 256 per address).
std::string attacker(int i, int base) { return "127.0.0." + std::to_string(base + i % 4); }

}  // namespace

TEST_CASE("1,000 slowloris and 1,000 idle keep-alive connections do not delay a signed delivery", "[e2e][http]") {
  raise_open_files();
  BotInChannel stack(github_to_ops(), "chatops-hostile");
  const int port = stack.bot->http_port();

  std::vector<RawConnection> slow;
  for (int i = 0; i < 1000; ++i) {
    auto c = RawConnection::open(port, attacker(i, 10));
    REQUIRE(c);
    REQUIRE(c->send("POST /hooks/github HTTP/1.1\r\nHost: x\r\n"));
    slow.push_back(std::move(*c));
  }
  std::vector<RawConnection> idle;
  for (int i = 0; i < 1000; ++i) {
    auto c = RawConnection::open(port, attacker(i, 20));
    REQUIRE(c);
    REQUIRE(c->send("GET /healthz/live HTTP/1.1\r\nHost: x\r\n\r\n"));  // then kept alive, silent
    REQUIRE(c->read_response());
    idle.push_back(std::move(*c));
  }
  // The slowloris keep trickling header lines while the delivery is made.
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (int round = 0; !stop; ++round)
      for (std::size_t i = 0; i < slow.size() && !stop; ++i) {
        slow[i].send("X-Slow-" + std::to_string(round) + ": 1\r\n");
        if (i % 100 == 99) std::this_thread::sleep_for(20ms);
      }
  });
  REQUIRE(stack.bot->metric("chatops_http_connections").value_or(0) >= 2000);

  const auto start = std::chrono::steady_clock::now();
  auto answer = raw_exchange(port, signed_github("ping", "hostile-1", fixture_text("webhooks/github/ping.default.json")), 30s);
  const auto took = std::chrono::steady_clock::now() - start;
  stop = true;
  trickle.join();
  REQUIRE(answer);
  CHECK(answer->status == 202);
  CHECK(took < 5s);  // not starved (a loaded CI machine is slower than 1 s at times; starved is never)
  CHECK(stack.watcher->wait_for(std::regex("."), "opsbot", "#ops", 30s).size() == 1);
  INFO(stack.bot->log());
}

TEST_CASE("oversized, encoded and endless requests are refused with bounded memory", "[e2e][http]") {
  BotInChannel stack(github_to_ops(), "chatops-hostile");
  const int port = stack.bot->http_port();
  long peak = 0;
  auto sample = [&] { peak = std::max(peak, rss_kib(*stack.bot)); };

  {
    // 400 MiB, chunked, unsigned: refused at the head; the client's later writes fail.
    auto c = RawConnection::open(port);
    REQUIRE(c);
    REQUIRE(c->send("POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "X-GitHub-Event: push\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "100000\r\n" + std::string(0x100000, 'A') + "\r\n";
    int sent = 0;
    while (sent < 400 && c->send(chunk)) ++sent, sample();
    CHECK(sent < 400);  // the bot stopped reading long before
    auto r = c->read_response(2s);
    if (r) CHECK(r->status == 401);
  }
  {
    // A gzip bomb (300 MiB of zeros in about 300 KB), correctly signed: encoded bodies are refused.
    TempDir tmp;
    Process gzip({.argv = {"sh", "-c", "head -c 314572800 /dev/zero | gzip -9 > " + (tmp / "bomb.gz").string()},
                  .log_dir = tmp.path(),
                  .name = "gzip"});
    REQUIRE(gzip.wait_exit(60s));
    const auto bomb = read_file(tmp / "bomb.gz");
    REQUIRE(bomb.size() < 400 * 1024);
    auto r = raw_exchange(port, signed_github("push", "bomb-1", bomb, "Content-Encoding: gzip\r\n"));
    REQUIRE(r);
    CHECK(r->status == 415);
    sample();
  }
  {
    // 20,000 headers of 8 KB.
    auto c = RawConnection::open(port);
    REQUIRE(c);
    REQUIRE(c->send("POST /hooks/github HTTP/1.1\r\nHost: x\r\n"));
    const std::string header = "X-Filler: " + std::string(8 * 1024, 'h') + "\r\n";
    int sent = 0;
    while (sent < 20000 && c->send(header)) ++sent;
    sample();
    auto r = c->read_response(2s);
    if (r) CHECK(r->status == 431);
    CHECK(sent < 20000);
  }
  {
    // One header line of 1 MiB, and a request target of 1 MiB.
    auto line = raw_exchange(port, "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'b') + "\r\n\r\n");
    REQUIRE(line);
    CHECK(line->status == 431);
    auto target = raw_exchange(port, "GET /" + std::string(1 << 20, 'u') + " HTTP/1.1\r\n\r\n");
    REQUIRE(target);
    CHECK(target->status == 414);
    sample();
  }
  // Still serving, and what the attacks cost is counted.
  auto ok = raw_exchange(port, signed_github("ping", "after-1", fixture_text("webhooks/github/ping.default.json")));
  REQUIRE(ok);
  CHECK(ok->status == 202);
  CHECK(stack.bot->metric("chatops_http_responses_total{code=\"415\"}").value_or(0) == 1);
  CHECK(stack.bot->metric("chatops_http_responses_total{code=\"431\"}").value_or(0) >= 2);
  const long hwm = stack.bot->peak_rss_kib();
  INFO("peak RSS sampled " << peak << " KiB, VmHWM " << hwm << " KiB");
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  // shadow memory and quarantine
  CHECK(hwm < 64 * 1024);
#endif
}
