// An API that says "later" (429, 503 with Retry-After), fails, moves, or is hostile: answers over
// the size cap (declared, chunked by compression, or an endless head), answers dripped past the
// run's timeout, and a stop() while a request hangs (answering, handshaking, connecting).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <thread>

#include "tests/integration/ingestion/api/poller.hpp"
#include "tests/integration/support/process.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// A TCP server that accepts connections and hands each to `behave` on its own thread (which
// returns when the server is stopping): for what no HTTP server would do.
class RawServer {
 public:
  using Behaviour = std::function<void(int socket, const std::atomic<bool>& stopping)>;
  explicit RawServer(Behaviour behave, int backlog = 16) : behave_(std::move(behave)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    auto address = loopback(0);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t size = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    REQUIRE(::listen(fd_, backlog) == 0);
    if (behave_) accepter_ = std::thread([this] { accept_loop(); });
  }
  ~RawServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (accepter_.joinable()) accepter_.join();
    for (auto& t : connections_) t.join();
  }
  int port() const { return port_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      const int s = ::accept(fd_, nullptr, nullptr);
      if (s < 0) return;
      // A send blocked on a client that stopped reading returns now and then, to see `stopping`.
      const timeval send_timeout{0, 100'000};
      setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
      connections_.emplace_back([this, s] {
        behave_(s, stopping_);
        ::close(s);
      });
    }
  }
  Behaviour behave_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accepter_;
  std::vector<std::thread> connections_;
};

void send_all(int s, const std::string& data) {
  for (std::size_t sent = 0; sent < data.size();) {
    const auto n = ::send(s, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

TEST_CASE("api limits: 429 with Retry-After waits that long, then goes on", "[api][limits]") {
  TestApi api;
  std::atomic<int> asked{0};
  api.route("/items", [&](const ApiRequest&) {
    if (++asked == 1) return ApiAnswer{.status = 429, .body = "{}", .headers = {{"Retry-After", "1"}}};
    return ApiAnswer{.body = json_items(1, 2)};
  });
  const auto begun = Clock::now();
  Poller poller("url: \"" + api.url("/items") + "\", key: /id, first_poll: emit, interval: 20ms, "
                "backoff: {initial: 20ms, max: 20ms}");
  REQUIRE(poller.wait_state(ingestion::SourceState::Retrying));
  CHECK_THAT(poller.status().last_error, Catch::Contains("429 Too Many Requests"));
  CHECK_THAT(poller.status().last_error, Catch::Contains("asking again in 1 s"));
  REQUIRE(poller.wait_events(2));
  CHECK(Clock::now() - begun >= 1s);  // not the 20 ms backoff
  CHECK(api.requests("/items").size() >= 2);
}

TEST_CASE("api limits: 503 and 500 are retried with backoff", "[api][limits]") {
  TestApi api;
  std::atomic<int> asked{0};
  api.route("/items", [&](const ApiRequest&) {
    const int n = ++asked;
    if (n == 1) return ApiAnswer{.status = 503, .body = "down"};
    if (n == 2) return ApiAnswer{.status = 500, .body = "oops"};
    return ApiAnswer{.body = json_items(1, 1)};
  });
  Poller poller("url: \"" + api.url("/items") + "\", key: /id, first_poll: emit, interval: 20ms, "
                "backoff: {initial: 20ms, max: 50ms}");
  REQUIRE(poller.wait_events(1));
  // The events are journaled before the run ends and the state turns back to Running.
  CHECK(poller.wait_state(ingestion::SourceState::Running));
  CHECK(asked >= 3);
}

TEST_CASE("api limits: a redirect is reported, not followed", "[api][limits]") {
  TestApi api;
  api.route("/old", [&](const ApiRequest&) {
    return ApiAnswer{.status = 301, .body = "{}", .headers = {{"Location", api.url("/new?token=x")}}};
  });
  Poller poller("url: \"" + api.url("/old") + "\"");
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
  CHECK_THAT(poller.status().last_error, Catch::Contains("301 Moved Permanently (moved to " + api.url("/new") + ")"));
  CHECK(api.count("/new") == 0);
}

TEST_CASE("api limits: an answer over max_response is refused with a clear error", "[api][limits]") {
  TestApi api;
  api.route("/big", [](const ApiRequest&) { return ApiAnswer{.body = "[" + std::string(100000, ' ') + "]"}; });
  Poller poller("url: \"" + api.url("/big") + "\", max_response: 1KiB");
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
  CHECK_THAT(poller.status().last_error, Catch::Contains("larger than max_response (1 KiB)"));
}

TEST_CASE("api limits: a compressed answer is bounded after decompression", "[api][limits]") {
  TestApi api;
  // 32 MiB of JSON that gzips to a few tens of KiB: the server compresses it for our client.
  const std::string bomb = "[" + std::string(32 * 1024 * 1024, ' ') + "]";
  api.route("/bomb", [&](const ApiRequest&) { return ApiAnswer{.body = bomb}; });
  Poller poller("url: \"" + api.url("/bomb") + "\", max_response: 1MiB, timeout: 20s");
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed, 20s));
  CHECK_THAT(api.requests("/bomb").at(0).header("accept-encoding"), Catch::Contains("gzip"));
  CHECK_THAT(poller.status().last_error, Catch::Contains("larger than max_response (1 MiB)"));
}

TEST_CASE("api limits: an endless response head is cut, not buffered", "[api][limits]") {
  RawServer server([](int s, const std::atomic<bool>& stopping) {
    send_all(s, "HTTP/1.1 200 OK\r\n");
    const std::string header = "X-Filler: " + std::string(4000, 'x') + "\r\n";
    std::string burst;
    for (int i = 0; i < 64; ++i) burst += header;
    while (!stopping) send_all(s, burst);
  });
  const auto begun = Clock::now();
  Poller poller("url: \"http://127.0.0.1:" + std::to_string(server.port()) + "/\", max_response: 64KiB, timeout: 30s");
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed, 30s));
  CHECK(Clock::now() - begun < 25s);  // cut at the cap, not at the run's 30 s timeout
  CHECK_THAT(poller.status().last_error, Catch::Contains("larger than max_response"));
}

TEST_CASE("api limits: an answer dripped past the run's timeout is cut at the deadline", "[api][limits]") {
  RawServer server([](int s, const std::atomic<bool>& stopping) {
    const std::string head = "HTTP/1.1 200 OK\r\nX-Slow: ";
    for (std::size_t i = 0; i < head.size() * 100 && !stopping; ++i) {
      send_all(s, std::string(1, i < head.size() ? head[i] : 'y'));
      std::this_thread::sleep_for(100ms);  // each byte well within the read timeout
    }
  });
  Poller poller("url: \"http://127.0.0.1:" + std::to_string(server.port()) + "/\", timeout: 1s, interval: 1h, "
                "backoff: {initial: 1h, max: 1h}");
  const auto begun = Clock::now();
  REQUIRE(poller.wait_state(ingestion::SourceState::Retrying, 30s));
  // Cut at the 1 s deadline, not after the drip's minutes: generous for a loaded machine.
  CHECK(Clock::now() - begun < 15s);
  CHECK_THAT(poller.status().last_error, Catch::Contains("within the run's timeout"));
}

TEST_CASE("api limits: stop() returns within a second while an answer is awaited", "[api][limits]") {
  TestApi api;
  std::mutex m;
  std::condition_variable released;
  bool release = false;
  api.route("/slow", [&](const ApiRequest&) {
    std::unique_lock lock(m);
    released.wait_for(lock, 30s, [&] { return release; });
    return ApiAnswer{.body = "[]"};
  });
  {
    Poller poller("url: \"" + api.url("/slow") + "\", timeout: 60s");
    REQUIRE(api.wait_for("/slow", 1));  // the request is in the handler: the answer is awaited
    CHECK(poller.stop() < compliance::kStopBound);
  }
  {
    std::lock_guard lock(m);
    release = true;
  }
  released.notify_all();
}

TEST_CASE("api limits: stop() returns within a second during a TLS handshake that never ends", "[api][limits]") {
  std::atomic<int> accepted{0};
  RawServer silent([&](int, const std::atomic<bool>& stopping) {
    ++accepted;
    while (!stopping) std::this_thread::sleep_for(10ms);
  });
  Poller poller("url: \"https://127.0.0.1:" + std::to_string(silent.port()) + "/\", timeout: 60s");
  REQUIRE(compliance::eventually([&] { return accepted == 1; }, 30s));  // connected: the handshake is under way
  CHECK(poller.stop() < compliance::kStopBound);
}

TEST_CASE("api limits: stop() returns within a second while connecting", "[api][limits]") {
  // A listener whose accept queue is full: the kernel drops further SYNs, so a connect hangs.
  RawServer full(nullptr, 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    auto address = loopback(full.port());
    ::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers.push_back(s);
  }
  std::this_thread::sleep_for(200ms);  // the loopback handshakes that can complete have (no condition to wait on)
  Poller poller("url: \"http://127.0.0.1:" + std::to_string(full.port()) + "/\", timeout: 60s");
  std::this_thread::sleep_for(500ms);  // absence: a connect that got through would have answered by now
  CHECK(poller.status().state != ingestion::SourceState::Running);  // still connecting
  CHECK(poller.stop() < compliance::kStopBound);
  for (int s : fillers) ::close(s);
}
