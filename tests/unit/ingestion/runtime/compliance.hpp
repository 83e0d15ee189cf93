#pragma once
// The compliance harness every source kind's tests run (as Vector's components all run the same
// assertions): the guarantees the runtime promises, checked once here so that a new kind gets them
// by passing its own upstream to run_compliance():
//   - every configuration key is documented;
//   - events reach the journal with the source's name, its kind's family and a topic, and the
//     source's counters agree with what it submitted;
//   - stop() returns within its bound (about a second) and nothing is submitted after it;
//   - a restart resumes from the checkpoint: nothing lost, nothing journaled twice;
//   - a journal that refuses means no acknowledgement upstream and no cursor advance; once it
//     accepts again, everything arrives exactly once.
// Each check runs on a fresh journal, with a real source built from the kind's configuration.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/config/node.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/source_registry.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

namespace chatops::test::compliance {

using namespace std::chrono_literals;

// The kind's upstream, as the test runs it (an HTTP sender, an API, a database, a broker).
struct Upstream {
  // Makes `n` new items upstream (posts them, inserts them, produces them…).
  std::function<void(int n)> produce;
  // How many items upstream holds as acknowledged (answered 2xx, acked, committed); nullopt for
  // kinds with nothing to acknowledge (pollers: their progress is their cursor).
  std::function<std::optional<std::size_t>()> acknowledged = [] { return std::nullopt; };
};

struct Subject {
  const ingestion::SourceKind& kind;
  std::string config_yaml{};  // one `sources:` entry, e.g. "{name: s, kind: api, url: …}"
  ingestion::SourceServices services{};
  Upstream upstream{};
  std::string topic_prefix{};  // every event's topic starts with it
  // Items made while the source was stopped are picked up after a restart (pollers, streams);
  // a webhook's sender retries them instead (they were refused, not acknowledged).
  bool resumes_after_restart = true;
  std::chrono::milliseconds deadline = 30s;  // for what should arrive (costs nothing when it does)
};

// What a test allows stop() while a run hangs upstream. stop() promises about a second; on a
// loaded 2-core CI machine (or under ASan) interrupting and joining can take longer, and what
// the check must tell apart is a stop that interrupted the run from one that waited out the hung
// request (30 s and more in every test), so the bound is generous.
inline constexpr std::chrono::milliseconds kStopBound = 5s;

inline config::Node source_config(const Subject& s) {
  auto raw = config::load_string("sources:\n  - " + s.config_yaml + "\n", "compliance.yml");
  REQUIRE(raw);
  auto validated = ingestion::validate_source((*raw)["sources"].items().at(0), {s.kind});
  INFO((validated ? "" : validated.error().message));
  REQUIRE(validated);
  return validated->node;
}

// A stream kind made for a test: the keys every source has, and `Source` made on `upstream`.
template <class Source, class Upstream>
ingestion::SourceKind test_stream_kind(std::string name, std::string doc, Upstream& upstream) {
  config::Schema schema = ingestion::common_source_schema();
  ingestion::SourceKind k;
  k.name = std::move(name);
  k.family = "stream";
  k.doc = std::move(doc);
  k.validate = [schema](const config::Node& raw) { return config::validate(schema, raw); };
  k.make = [&upstream](const config::Node&,
                       ingestion::SourceServices&) -> Result<std::unique_ptr<ingestion::IngestionSource>> {
    return std::make_unique<Source>(upstream);
  };
  k.schemas = [schema] { return std::vector<config::Schema>{schema}; };
  return k;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// One source of the subject's kind, on a journal, with its runtime.
struct Running {
  Running(Subject& s, ingestion::Journal& journal, std::string name = "compliance")
      : runtime(name, s.kind.family, journal, nullptr) {
    auto made = s.kind.make(source_config(s), s.services);
    INFO((made ? "" : made.error().message));
    REQUIRE(made);
    source = std::move(*made);
  }
  ~Running() { stop(); }
  void start() {
    runtime.open();
    auto started = source->start(runtime);
    INFO((started ? "" : started.error().message));
    REQUIRE(started);
  }
  // Stops as the manager does, and returns how long stop() took.
  std::chrono::milliseconds stop() {
    if (!open) return {};
    const auto begun = std::chrono::steady_clock::now();
    source->stop();
    runtime.close();
    open = false;
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begun);
  }
  ingestion::SourceRuntime runtime;
  std::unique_ptr<ingestion::IngestionSource> source;
  bool open = true;
};

inline std::vector<ingestion::IngestionEvent> journaled(ingestion::Journal& j) {
  return j.pending_events(0, 100000).value();
}

// Every key of every schema of the kind has a description.
inline void keys_documented(const ingestion::SourceKind& kind) {
  for (const auto& schema : kind.schemas()) {
    INFO("kind " << kind.name << ", schema " << schema.name());
    for (const auto& field : schema.fields()) {
      INFO("key " << field.name());
      CHECK_FALSE(field.doc().empty());
    }
  }
  CHECK_FALSE(kind.doc.empty());
}

inline void delivers_with_family_and_topic(Subject& s) {
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  Running r(s, *journal);
  r.start();
  s.upstream.produce(3);
  REQUIRE(eventually([&] { return journaled(*journal).size() >= 3; }, s.deadline));
  // The counters and the state follow the commit (the run says Running once it has returned),
  // and an upstream acknowledges after it: wait for them rather than read them once.
  CHECK(eventually([&] { return r.runtime.status().snapshot().processed >= 3; }, s.deadline));
  CHECK(eventually([&] { return r.runtime.status().state() == ingestion::SourceState::Running; }, s.deadline));
  if (s.upstream.acknowledged()) CHECK(eventually([&] { return s.upstream.acknowledged() >= 3u; }, s.deadline));
  std::this_thread::sleep_for(200ms);  // nothing more than what was produced: absence, proved briefly
  const auto events = journaled(*journal);
  REQUIRE(events.size() == 3);
  std::set<std::string> keys;
  for (const auto& e : events) {
    CHECK(e.source == "compliance");
    CHECK(e.family == s.kind.family);
    CHECK(e.topic.starts_with(s.topic_prefix));
    CHECK_FALSE(e.topic.empty());
  }
  CHECK(r.runtime.accepted() == 3);
  CHECK(r.runtime.refused() == 0);
  const auto status = r.runtime.status().snapshot();
  CHECK(status.state == ingestion::SourceState::Running);
  CHECK(status.processed == 3);
  CHECK(status.consumed >= 3);
  if (auto acked = s.upstream.acknowledged()) CHECK(*acked == 3);
}

inline void stops_promptly_and_submits_nothing_after(Subject& s) {
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  Running r(s, *journal);
  r.start();
  s.upstream.produce(1);
  REQUIRE(eventually([&] { return journaled(*journal).size() == 1; }, s.deadline));
  CHECK(r.stop() < kStopBound);
  s.upstream.produce(2);
  std::this_thread::sleep_for(500ms);  // absence: a source still running would have journaled them
  CHECK(journaled(*journal).size() == 1);
  CHECK(r.runtime.late_submissions() == 0);
  CHECK(r.runtime.status().state() == ingestion::SourceState::Stopped);
}

inline void resumes_from_its_checkpoint(Subject& s) {
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  {
    Running first(s, *journal);
    first.start();
    s.upstream.produce(3);
    REQUIRE(eventually([&] { return journaled(*journal).size() == 3; }, s.deadline));
  }
  s.upstream.produce(2);  // while no source runs
  Running second(s, *journal);
  second.start();
  const std::size_t expected = s.resumes_after_restart ? 5 : 3;
  if (s.resumes_after_restart) REQUIRE(eventually([&] { return journaled(*journal).size() >= 5; }, s.deadline));
  s.upstream.produce(1);
  REQUIRE(eventually([&] { return journaled(*journal).size() >= expected + 1; }, s.deadline));
  std::this_thread::sleep_for(500ms);  // and no repeat of what the first run journaled
  CHECK(journaled(*journal).size() == expected + 1);
  CHECK(second.runtime.refused() == 0);
}

inline void refusing_journal_acknowledges_nothing(Subject& s) {
  ingestion::testing::TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = ingestion::testing::open_journal(path);
  Running r(s, *journal);
  r.start();
  s.upstream.produce(1);
  REQUIRE(eventually([&] { return journaled(*journal).size() == 1; }, s.deadline));
  // An upstream acknowledges after the commit: wait for it, or it would seem to move later.
  if (s.upstream.acknowledged()) REQUIRE(eventually([&] { return s.upstream.acknowledged() >= 1u; }, s.deadline));
  const auto acked_before = s.upstream.acknowledged();
  const auto cursor_before = journal->cursor("compliance").value();
  SQLite::Database(path, SQLite::OPEN_READWRITE, 30000)  // waits while the writer retries
      .exec("CREATE TRIGGER disk_full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  s.upstream.produce(2);
  REQUIRE(eventually([&] { return r.runtime.refused() >= 1; }, s.deadline));
  std::this_thread::sleep_for(300ms);  // absence: retries meanwhile journal nothing
  CHECK(journaled(*journal).size() == 1);
  CHECK(s.upstream.acknowledged() == acked_before);     // nothing acknowledged upstream
  CHECK(journal->cursor("compliance").value() == cursor_before);  // nor the cursor moved
  SQLite::Database(path, SQLite::OPEN_READWRITE, 30000).exec("DROP TRIGGER disk_full");
  if (s.resumes_after_restart) {
    // Upstream still has them: they arrive once the journal accepts again, exactly once.
    REQUIRE(eventually([&] { return journaled(*journal).size() == 3; }, s.deadline));
    std::this_thread::sleep_for(300ms);  // absence: no repeat
    CHECK(journaled(*journal).size() == 3);
  }
}

// Every check, each on a fresh journal.
inline void run_compliance(Subject& s) {
  SECTION("configuration keys are documented") { keys_documented(s.kind); }
  SECTION("events carry the source, its family and a topic; counters agree") { delivers_with_family_and_topic(s); }
  SECTION("stop() returns within a second and nothing is submitted after it") {
    stops_promptly_and_submits_nothing_after(s);
  }
  SECTION("a restart resumes from the checkpoint, nothing lost or repeated") { resumes_from_its_checkpoint(s); }
  SECTION("a refusing journal: no acknowledgement, no cursor advance") { refusing_journal_acknowledges_nothing(s); }
}

}  // namespace chatops::test::compliance
