// The stream base's pipelined loop (batches submitted as a chain), through a kind made for this test that
// consumes an in-memory queue of numbers (negative ones are unreadable: skipped, yet acknowledged),
// on a real journal behind a gate: each batch waits at the gate until the test lets it through
// or refuses it, so that the test decides when a commit completes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <future>
#include <mutex>

#include "ingestion/runtime/stream.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace std::chrono_literals;

namespace {

using Numbers = std::vector<int>;

// The real journal behind a gate, keeping chains as the journal does: a batch the test refuses
// breaks its chain, and the journal then refuses the later ones.
class PipeGate final : public ForwardingStore {
 public:
  explicit PipeGate(Journal& journal) : ForwardingStore(journal), journal_(journal) {}
  void submit(EventBatch batch, Completion done) override {
    std::lock_guard lock(m_);
    held_.emplace_back(std::move(batch), std::move(done));
  }
  bool keeps_chains() const override { return true; }
  std::size_t held() {
    std::lock_guard lock(m_);
    return held_.size();
  }
  // The oldest batch held goes to the journal (true), or none is held (false).
  bool pass() {
    auto next = take();
    if (!next) return false;
    journal_.submit(std::move(next->first), std::move(next->second));
    return true;
  }
  void refuse() {
    auto next = take();
    REQUIRE(next);
    REQUIRE(next->first.chain);
    next->first.chain->broken = true;
    next->second(BatchResult::refused(next->first.events.size(), "refused by the test"));
  }

 private:
  std::optional<std::pair<EventBatch, Completion>> take() {
    std::lock_guard lock(m_);
    if (held_.empty()) return std::nullopt;
    auto next = std::move(held_.front());
    held_.pop_front();
    return next;
  }
  Journal& journal_;
  std::mutex m_;
  std::deque<std::pair<EventBatch, Completion>> held_;
};

// Upstream, and what the source did with it, in order.
struct PipeQueue {
  std::mutex m;
  std::deque<int> ready;
  std::vector<Numbers> received, acknowledged, refused;
  std::atomic<int> connects{0};
  void produce(Numbers numbers) {
    std::lock_guard lock(m);
    ready.insert(ready.end(), numbers.begin(), numbers.end());
  }
  template <class T>
  T read(const T& what) {
    std::lock_guard lock(m);
    return what;
  }
};

Numbers pipe_range(int first, int count) {
  Numbers n;
  for (int i = 0; i < count; ++i) n.push_back(first + i);
  return n;
}

class PipeConsumer final : public StreamSource {
 public:
  explicit PipeConsumer(PipeQueue& q) : StreamSource({.receive_wait = 50ms, .backoff_initial = 20ms, .backoff_max = 100ms}), q_(q) {}
  ~PipeConsumer() override { stop(); }

 private:
  SourceResult<> connect() override {
    ++q_.connects;
    return {};
  }
  // Up to 10 numbers a batch; the numbers travel with the batch (its upstream), not its events.
  SourceResult<Received> receive(std::chrono::steady_clock::time_point deadline) override {
    Received r;
    Numbers numbers;
    {
      std::lock_guard lock(q_.m);
      while (!q_.ready.empty() && numbers.size() < 10) {
        numbers.push_back(q_.ready.front());
        q_.ready.pop_front();
      }
      if (!numbers.empty()) q_.received.push_back(numbers);
      given_back_ = 0;
    }
    for (const int n : numbers) {
      if (n < 0) continue;  // unreadable: no event, acknowledged all the same
      IngestionEvent e;
      e.topic = "pipe/message";
      e.dedupe_key = "p-" + std::to_string(n);
      e.fields = {{"n", n}};
      r.events.push_back(std::move(e));
    }
    if (numbers.empty()) std::this_thread::sleep_until(std::min(deadline, std::chrono::steady_clock::now() + 10ms));
    else r.upstream = numbers;
    return r;
  }
  SourceResult<> acknowledge(const Received& batch) override {
    std::lock_guard lock(q_.m);
    q_.acknowledged.push_back(std::any_cast<Numbers>(batch.upstream));
    return {};
  }
  void refused(const Received& batch) override {
    const auto numbers = std::any_cast<Numbers>(batch.upstream);  // never called for an empty batch
    std::lock_guard lock(q_.m);
    q_.refused.push_back(numbers);
    // Given back in order: after those given back since the last receive, ahead of the rest.
    q_.ready.insert(q_.ready.begin() + static_cast<long>(given_back_), numbers.begin(), numbers.end());
    given_back_ += numbers.size();
  }
  bool pipelined() const override { return true; }

  PipeQueue& q_;
  std::size_t given_back_ = 0;  // under q_.m
};

// The source on the gated journal, started.
struct PipeRun {
  PipeQueue q;
  ingestion::testing::TempDir dir;
  std::unique_ptr<Journal> journal = ingestion::testing::open_journal(dir.file("j.db"));
  PipeGate gate{*journal};
  SourceRuntime runtime{"pipe", "stream", gate, nullptr};
  PipeConsumer source{q};
  PipeRun() {
    runtime.open();
    REQUIRE(source.start(runtime));
  }
  ~PipeRun() { stop(); }
  void stop() {
    source.stop();
    runtime.close();
  }
  std::size_t received() { return q.read(q.received).size(); }
  std::vector<Numbers> acknowledged() { return q.read(q.acknowledged); }
  Numbers journaled() {
    Numbers n;
    const auto events = journal->pending_events(0, 1000).value();  // kept: a range-for over .value() of a temporary dangles
    for (const auto& e : events) n.push_back(std::stoi(e.dedupe_key.substr(2)));  // p-<n>
    return n;
  }
};

SourceKind pipe_kind(PipeQueue& q) {
  return test::compliance::test_stream_kind<PipeConsumer>(
      "pipe", "An in-memory queue consumed by a pipelined stream, for the stream base's tests.", q);
}

bool pipe_eventually(const std::function<bool()>& pred) { return test::compliance::eventually(pred, 30s); }

}  // namespace

TEST_CASE("a pipelined stream passes the compliance harness", "[stream][pipelined][compliance]") {
  PipeQueue q;
  int produced = 0;
  const auto kind = pipe_kind(q);
  test::compliance::Subject subject{
      .kind = kind,
      .config_yaml = "{name: compliance, kind: pipe}",
      .upstream = {.produce =
                       [&](int n) {
                         q.produce(pipe_range(produced + 1, n));
                         produced += n;
                       },
                   .acknowledged = [&]() -> std::optional<std::size_t> {
                     std::size_t acked = 0;
                     for (const auto& batch : q.read(q.acknowledged)) acked += batch.size();
                     return acked;
                   }},
      .topic_prefix = "pipe/",
  };
  test::compliance::run_compliance(subject);
}

TEST_CASE("a pipelined stream submits each batch at once, at most kMostInFlight out, and acknowledges each once "
          "durable, in order",
          "[stream][pipelined]") {
  constexpr int kOut = static_cast<int>(StreamSource::kMostInFlight);
  constexpr int kBatches = kOut + 1;
  PipeRun run;
  run.q.produce(pipe_range(1, 10 * kBatches));  // batches of 10
  REQUIRE(pipe_eventually([&] { return run.gate.held() == kOut && run.received() == kOut; }));
  std::this_thread::sleep_for(200ms);  // absence, proved briefly
  CHECK(run.received() == kOut);  // all out: the next receive waits for the oldest's answer
  CHECK(run.acknowledged().empty());
  REQUIRE(run.gate.pass());  // batch 1 durable: acknowledged, and the last batch received and submitted
  REQUIRE(pipe_eventually([&] { return run.acknowledged().size() == 1 && run.gate.held() == kOut; }));
  CHECK(run.acknowledged() == std::vector<Numbers>{pipe_range(1, 10)});
  CHECK(run.received() == kBatches);
  REQUIRE(pipe_eventually([&] {
    run.gate.pass();
    return run.acknowledged().size() == kBatches;
  }));
  std::vector<Numbers> batches;
  for (int b = 0; b < kBatches; ++b) batches.push_back(pipe_range(1 + 10 * b, 10));
  CHECK(run.acknowledged() == batches);
  CHECK(run.journaled() == pipe_range(1, 10 * kBatches));
  CHECK(run.runtime.status().snapshot().committed == 10 * kBatches);
}

TEST_CASE("a pipelined stream acknowledges a batch with nothing to journal after the batch in flight",
          "[stream][pipelined]") {
  PipeRun run;
  auto numbers = pipe_range(1, 10);
  numbers.insert(numbers.end(), {-1, -2, -3});  // a second batch of only unreadable messages: nothing to journal
  run.q.produce(numbers);
  REQUIRE(pipe_eventually([&] { return run.gate.held() == 1; }));
  REQUIRE(pipe_eventually([&] { return run.received() == 2; }));
  std::this_thread::sleep_for(200ms);
  CHECK(run.acknowledged().empty());  // not before the batch ahead of it
  REQUIRE(run.gate.pass());
  REQUIRE(pipe_eventually([&] { return run.acknowledged().size() == 2; }));
  CHECK(run.acknowledged() == std::vector<Numbers>{pipe_range(1, 10), Numbers{-1, -2, -3}});
  CHECK(run.gate.held() == 0);  // it never went to the journal
  CHECK(run.journaled() == pipe_range(1, 10));
}

TEST_CASE("a pipelined stream hands back every batch after a refused one, and the journal refuses them, so that "
          "all are journaled once, in order",
          "[stream][pipelined]") {
  PipeRun run;
  run.q.produce(pipe_range(1, 30));
  REQUIRE(pipe_eventually([&] { return run.gate.held() == 3 && run.received() == 3; }));
  run.gate.refuse();  // batch 1: batches 2 and 3, already submitted, go back too, behind it
  REQUIRE(pipe_eventually([&] { return run.q.read(run.q.refused).size() == 3; }));
  CHECK(run.q.read(run.q.refused) == std::vector<Numbers>{pipe_range(1, 10), pipe_range(11, 10), pipe_range(21, 10)});
  CHECK(run.acknowledged().empty());
  REQUIRE(pipe_eventually([&] { return run.q.connects >= 2; }));
  // The old batches 2 and 3 reach the journal first, and are refused there: their chain is broken.
  REQUIRE(pipe_eventually([&] {
    run.gate.pass();
    return run.acknowledged().size() == 3;
  }));
  CHECK(run.acknowledged() == std::vector<Numbers>{pipe_range(1, 10), pipe_range(11, 10), pipe_range(21, 10)});
  CHECK(run.journaled() == pipe_range(1, 30));  // each once, in order
  CHECK(run.runtime.status().snapshot().failed == 10);  // the refused batch; the others were handed back unanswered
}

TEST_CASE("stopping a pipelined stream settles the batches in flight", "[stream][pipelined]") {
  PipeRun run;
  run.q.produce(pipe_range(1, 20));  // two batches, both submitted
  REQUIRE(pipe_eventually([&] { return run.gate.held() == 2 && run.received() == 2; }));
  auto stopped = std::async(std::launch::async, [&] { run.stop(); });
  // stop() waits for what is in flight; the journal answers, and it returns.
  CHECK(stopped.wait_for(200ms) == std::future_status::timeout);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (stopped.wait_for(10ms) == std::future_status::timeout && std::chrono::steady_clock::now() < deadline)
    run.gate.pass();
  const auto released = std::chrono::steady_clock::now();
  REQUIRE(stopped.wait_for(test::compliance::kStopBound) == std::future_status::ready);
  CHECK(std::chrono::steady_clock::now() - released < test::compliance::kStopBound);
  // Everything received was journaled once and acknowledged (or given back), nothing after the stop.
  const auto acked = run.acknowledged();
  Numbers acked_numbers;
  for (const auto& b : acked) acked_numbers.insert(acked_numbers.end(), b.begin(), b.end());
  CHECK(acked_numbers == run.journaled());
  CHECK(run.q.read(run.q.refused).size() + acked.size() == 2);
  CHECK(run.runtime.late_submissions() == 0);
  CHECK(run.gate.held() == 0);
}
