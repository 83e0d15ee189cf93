// The polling base, through a kind made for this test that polls a numbered sequence upstream
// (items 1, 2, 3… appended by the test), keeping the last number journaled as its cursor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "ingestion/runtime/polling.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace std::chrono_literals;

namespace {

// The test's upstream: a numbered sequence, and failures to inject.
struct Sequence {
  std::mutex m;
  int last = 0;             // items 1..last exist
  int fail_next = 0;        // the next polls fail (transiently)
  std::optional<std::chrono::milliseconds> rate_limited;  // the next poll is told to come back after this
  bool misconfigured = false;  // polls fail with a configuration error
  std::atomic<int> polls{0}, opens{0}, interrupts{0}, in_poll{0}, overlapping{0};
  std::chrono::milliseconds poll_takes{0};
  std::vector<std::chrono::steady_clock::time_point> poll_times;  // when each poll began (under m)
  void append(int n) {
    std::lock_guard lock(m);
    last += n;
  }
};

class SequencePoller final : public PollingSource {
 public:
  SequencePoller(PollOptions o, Sequence& upstream) : PollingSource(o), upstream_(upstream) {}
  ~SequencePoller() override { stop(); }

 private:
  SourceResult<> open() override {
    ++upstream_.opens;
    return {};
  }
  SourceResult<> poll(std::chrono::steady_clock::time_point) override {
    if (++upstream_.in_poll > 1) ++upstream_.overlapping;
    struct Leave {
      Sequence& s;
      ~Leave() { --s.in_poll; }
    } leave{upstream_};
    ++upstream_.polls;
    {
      std::lock_guard lock(upstream_.m);
      upstream_.poll_times.push_back(std::chrono::steady_clock::now());
    }
    if (upstream_.poll_takes.count()) {
      std::unique_lock lock(interrupt_mutex_);
      interrupted_.wait_for(lock, upstream_.poll_takes, [this] { return interrupted_flag_; });
    }
    int last;
    {
      std::lock_guard lock(upstream_.m);
      if (upstream_.misconfigured) return std::unexpected(SourceError::configuration("401 Unauthorized"));
      if (upstream_.rate_limited) {
        const auto after = *std::exchange(upstream_.rate_limited, std::nullopt);
        return std::unexpected(SourceError::retry_later("429 Too Many Requests", after));
      }
      if (upstream_.fail_next > 0) {
        --upstream_.fail_next;
        return std::unexpected(SourceError::transient("connection refused"));
      }
      last = upstream_.last;
    }
    auto cursor = runtime().cursor();
    if (!cursor) return std::unexpected(SourceError::transient(cursor.error().message));
    const int from = cursor->has_value() ? std::stoi(**cursor) : 0;
    std::vector<IngestionEvent> events;
    for (int i = from + 1; i <= last; ++i) {
      IngestionEvent e;
      e.topic = "seq/item";
      e.fields = {{"n", i}};
      events.push_back(std::move(e));
    }
    runtime().status().consumed += events.size();
    if (events.empty()) return {};
    const auto result = runtime().submit_and_wait(std::move(events), std::to_string(last));
    if (!result.committed()) return std::unexpected(SourceError::transient("the journal refused: " + result.error));
    runtime().status().processed += result.count(Submission::Accepted);
    return {};
  }
  void interrupt() override {
    ++upstream_.interrupts;
    std::lock_guard lock(interrupt_mutex_);
    interrupted_flag_ = true;
    interrupted_.notify_all();
  }

  Sequence& upstream_;
  std::mutex interrupt_mutex_;
  std::condition_variable interrupted_;
  bool interrupted_flag_ = false;
};

SourceKind sequence_kind(Sequence& upstream) {
  config::Schema schema = common_source_schema();
  add_poll_fields(schema, "100ms");
  SourceKind k;
  k.name = "sequence";
  k.family = "api";
  k.doc = "A numbered sequence, for the polling base's tests.";
  k.validate = [schema](const config::Node& raw) { return config::validate(schema, raw); };
  k.make = [&upstream](const config::Node& v, SourceServices&) -> Result<std::unique_ptr<IngestionSource>> {
    return std::make_unique<SequencePoller>(poll_options(v), upstream);
  };
  k.schemas = [schema] { return std::vector<config::Schema>{schema}; };
  return k;
}

}  // namespace

TEST_CASE("a polling source passes the compliance harness", "[polling][compliance]") {
  Sequence upstream;
  const auto kind = sequence_kind(upstream);
  test::compliance::Subject subject{
      .kind = kind,
      .config_yaml = "{name: compliance, kind: sequence, interval: 50ms, backoff: {initial: 20ms, max: 100ms}}",
      .upstream = {.produce = [&](int n) { upstream.append(n); }},
      .topic_prefix = "seq/",
  };
  test::compliance::run_compliance(subject);
  CHECK(upstream.overlapping == 0);  // runs never overlap
}

TEST_CASE("a failing poll backs off, reconnects, and recovers", "[polling]") {
  Sequence upstream;
  const auto kind = sequence_kind(upstream);
  test::compliance::Subject subject{.kind = kind,
                                    .config_yaml = "{name: s, kind: sequence, interval: 20ms, backoff: {initial: 50ms, "
                                                   "max: 50ms}}"};
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  test::compliance::Running r(subject, *journal);
  upstream.fail_next = 3;
  upstream.append(2);
  const auto begun = std::chrono::steady_clock::now();
  r.start();
  REQUIRE(test::compliance::eventually([&] { return r.runtime.status().state() == SourceState::Retrying; }, 30s));
  CHECK(r.runtime.status().snapshot().error_kind == ErrorKind::Transient);
  CHECK(r.runtime.status().snapshot().last_error == "connection refused");
  REQUIRE(test::compliance::eventually([&] { return journal->backlog().value() == 2; }, 30s));
  CHECK(std::chrono::steady_clock::now() - begun >= 120ms);  // three waits of the backoff (40 to 50 ms)
  // The run that journaled them says Running once it has returned, a moment after the commit.
  CHECK(test::compliance::eventually([&] { return r.runtime.status().state() == SourceState::Running; }, 30s));
  CHECK(upstream.opens == 4);  // opened again after each failure
}

TEST_CASE("a poll told when to come back waits that long rather than the backoff", "[polling]") {
  Sequence upstream;
  const auto kind = sequence_kind(upstream);
  test::compliance::Subject subject{.kind = kind,
                                    .config_yaml = "{name: s, kind: sequence, interval: 1h, backoff: {initial: 20ms, "
                                                   "max: 20ms}}"};
  // The interval is long so that no third poll can come before the count is read (a loaded or
  // sanitized run took more than 20 ms between the commit and the check).
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  test::compliance::Running r(subject, *journal);
  upstream.rate_limited = 400ms;
  upstream.append(1);
  const auto begun = std::chrono::steady_clock::now();
  r.start();
  REQUIRE(test::compliance::eventually([&] { return r.runtime.status().state() == SourceState::Retrying; }, 30s));
  CHECK(r.runtime.status().snapshot().last_error == "429 Too Many Requests");
  REQUIRE(test::compliance::eventually([&] { return journal->backlog().value() == 1; }, 30s));
  CHECK(std::chrono::steady_clock::now() - begun >= 400ms);  // not the 20 ms backoff
  CHECK(upstream.polls == 2);
  CHECK(test::compliance::eventually([&] { return r.runtime.status().state() == SourceState::Running; }, 30s));
}

TEST_CASE("a configuration error ends the poller: Failed, not retried", "[polling]") {
  Sequence upstream;
  upstream.misconfigured = true;
  const auto kind = sequence_kind(upstream);
  test::compliance::Subject subject{.kind = kind, .config_yaml = "{name: s, kind: sequence, interval: 20ms}"};
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  test::compliance::Running r(subject, *journal);
  r.start();
  REQUIRE(test::compliance::eventually([&] { return r.runtime.status().state() == SourceState::Failed; }, 30s));
  std::this_thread::sleep_for(200ms);  // absence: nothing more comes
  CHECK(upstream.polls == 1);
  CHECK(r.runtime.status().snapshot().error_kind == ErrorKind::Configuration);
}

TEST_CASE("stop interrupts a run under way and returns within a second", "[polling]") {
  Sequence upstream;
  upstream.poll_takes = 30s;  // a request that would hang
  const auto kind = sequence_kind(upstream);
  test::compliance::Subject subject{.kind = kind, .config_yaml = "{name: s, kind: sequence, interval: 1h}"};
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  test::compliance::Running r(subject, *journal);
  r.start();
  REQUIRE(test::compliance::eventually([&] { return upstream.polls == 1; }, 30s));
  CHECK(r.stop() < test::compliance::kStopBound);
  CHECK(upstream.interrupts == 1);
}

TEST_CASE("intervals are jittered within their bounds", "[polling]") {
  Sequence upstream;
  const auto kind = sequence_kind(upstream);
  test::compliance::Subject subject{.kind = kind, .config_yaml = "{name: s, kind: sequence, interval: 400ms, jitter: 0.5}"};
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  test::compliance::Running r(subject, *journal);
  r.start();
  REQUIRE(test::compliance::eventually([&] { return upstream.polls >= 6; }, 30s));
  r.stop();
  std::vector<std::chrono::milliseconds> gaps;
  {
    std::lock_guard lock(upstream.m);
    for (std::size_t i = 1; i < upstream.poll_times.size(); ++i)
      gaps.push_back(
          std::chrono::duration_cast<std::chrono::milliseconds>(upstream.poll_times[i] - upstream.poll_times[i - 1]));
  }
  REQUIRE(gaps.size() >= 5);
  // Each wait is drawn from [200 ms, 400 ms]. A loaded machine only ever lengthens a gap, so the
  // lower bound holds for each; that some gap is shorter than the interval shows the jitter is
  // taken off it (the shortest of five draws is near 230 ms: under 400 ms unless every wake-up
  // came more than 150 ms late). No upper bound per gap: load would break it.
  for (const auto gap : gaps) CHECK(gap >= 200ms);
  CHECK(std::ranges::min(gaps) < 400ms);
}

TEST_CASE("a paused poller asks nothing upstream until resumed", "[polling][pause]") {
  Sequence upstream;
  const auto kind = sequence_kind(upstream);
  test::compliance::Subject subject{.kind = kind, .config_yaml = "{name: s, kind: sequence, interval: 20ms}"};
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  test::compliance::Running r(subject, *journal);
  upstream.append(1);
  r.start();
  REQUIRE(test::compliance::eventually([&] { return journal->backlog().value() == 1; }, 30s));
  r.runtime.set_paused(true);
  REQUIRE(test::compliance::eventually([&] { return upstream.in_poll == 0; }, 30s));  // a run under way ends
  const int polls = upstream.polls;
  upstream.append(2);
  // Absence over ten intervals: nothing asked, nothing journaled.
  std::this_thread::sleep_for(200ms);
  CHECK(upstream.polls == polls);
  CHECK(journal->backlog().value() == 1);
  CHECK(r.runtime.status().state() == SourceState::Running);  // still started: resuming is immediate
  r.runtime.set_paused(false);
  CHECK(test::compliance::eventually([&] { return journal->backlog().value() == 3; }, 30s));
}
