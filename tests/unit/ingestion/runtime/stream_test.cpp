// The stream base, through a kind made for this test that consumes an in-memory queue: messages
// are removed from it only when acknowledged, and handed back to its front when refused.
#include <catch2/catch.hpp>

#include <deque>
#include <mutex>

#include "ingestion/runtime/stream.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace std::chrono_literals;

namespace {

struct Queue {
  std::mutex m;
  std::deque<int> ready;            // not yet delivered
  std::size_t acked = 0;
  int next = 0;
  int connect_failures = 0;         // the next connects fail (transiently)
  std::atomic<int> connects{0}, requeued{0};
  void produce(int n) {
    std::lock_guard lock(m);
    for (int i = 0; i < n; ++i) ready.push_back(++next);
  }
};

class QueueConsumer final : public StreamSource {
 public:
  explicit QueueConsumer(Queue& q) : StreamSource({.receive_wait = 50ms, .backoff_initial = 20ms, .backoff_max = 100ms}), q_(q) {}
  ~QueueConsumer() override { stop(); }

 private:
  SourceResult<> connect() override {
    ++q_.connects;
    std::lock_guard lock(q_.m);
    if (q_.connect_failures > 0) {
      --q_.connect_failures;
      return std::unexpected(SourceError::transient("broker unreachable"));
    }
    return {};
  }
  SourceResult<Received> receive(std::chrono::steady_clock::time_point deadline) override {
    Received r;
    {
      std::lock_guard lock(q_.m);
      while (!q_.ready.empty() && r.events.size() < 10) {
        IngestionEvent e;
        e.topic = "queue/message";
        e.dedupe_key = "m-" + std::to_string(q_.ready.front());
        e.fields = {{"n", q_.ready.front()}};
        q_.ready.pop_front();
        r.events.push_back(std::move(e));
      }
    }
    if (r.events.empty()) std::this_thread::sleep_until(std::min(deadline, std::chrono::steady_clock::now() + 10ms));
    return r;
  }
  SourceResult<> acknowledge(const Received& batch) override {
    std::lock_guard lock(q_.m);
    q_.acked += batch.events.size();
    return {};
  }
  void refused(const Received& batch) override {
    std::lock_guard lock(q_.m);
    for (auto it = batch.events.rbegin(); it != batch.events.rend(); ++it) q_.ready.push_front(it->fields["n"].get<int>());
    q_.requeued += static_cast<int>(batch.events.size());
  }
  // Acknowledges and requeues by the events' numbers.
  bool keeps_events() const override { return true; }

  Queue& q_;
};

SourceKind queue_kind(Queue& q) {
  return test::compliance::test_stream_kind<QueueConsumer>("queue", "An in-memory queue, for the stream base's tests.", q);
}

}  // namespace

TEST_CASE("a stream source passes the compliance harness", "[stream][compliance]") {
  Queue q;
  const auto kind = queue_kind(q);
  test::compliance::Subject subject{
      .kind = kind,
      .config_yaml = "{name: compliance, kind: queue}",
      .upstream = {.produce = [&](int n) { q.produce(n); },
                   .acknowledged = [&]() -> std::optional<std::size_t> {
                     std::lock_guard lock(q.m);
                     return q.acked;
                   }},
      .topic_prefix = "queue/",
  };
  test::compliance::run_compliance(subject);
}

TEST_CASE("a stream reconnects with backoff, a refused batch goes back upstream", "[stream]") {
  Queue q;
  q.connect_failures = 2;
  const auto kind = queue_kind(q);
  test::compliance::Subject subject{.kind = kind, .config_yaml = "{name: s, kind: queue}"};
  ingestion::testing::TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = ingestion::testing::open_journal(path);
  test::compliance::Running r(subject, *journal);
  r.start();
  REQUIRE(test::compliance::eventually([&] { return r.runtime.status().state() == SourceState::Running; }, 30s));
  CHECK(q.connects == 3);
  SQLite::Database(path, SQLite::OPEN_READWRITE, 30000)  // waits while the writer holds the lock
      .exec("CREATE TRIGGER disk_full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  q.produce(4);
  REQUIRE(test::compliance::eventually([&] { return q.requeued >= 4; }, 30s));
  CHECK(q.acked == 0);
  SQLite::Database(path, SQLite::OPEN_READWRITE, 30000).exec("DROP TRIGGER disk_full");
  REQUIRE(test::compliance::eventually([&] { return journal->backlog().value() == 4; }, 30s));
  // Acknowledged upstream after the commit, a moment later: waited for, not read once.
  CHECK(test::compliance::eventually([&] { return q.acked == 4; }, 30s));
}
