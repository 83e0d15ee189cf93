// When a commit reaches the disk: with synchronous=full the writer publishes a commit, hands its
// events to the reader (the dispatcher may say them), then fsyncs the WAL, and only then answers
// the submitters. Observed through a VFS that records every sync of a WAL file, registered as
// SQLite's default while each test runs.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>
#include <future>
#include <vector>

#include <pthread.h>
#include <sqlite3.h>

#include "tests/unit/ingestion/journal/temp_journal.hpp"
#include "tests/unit/ingestion/journal/wal_methods_hook.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

namespace {

// What happened, in order, on any thread: "handed", "answered", or "<thread> synced the WAL".
class Log {
 public:
  void add(std::string what) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(what));
  }
  std::vector<std::string> entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> entries_;
};
Log log_;

std::atomic<bool> fail_next_writer_sync{false};

int recording_sync(sqlite3_file* file, int flags) {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  if (std::string_view(name) == "journal-writer" && fail_next_writer_sync.exchange(false)) {
    log_.add("journal-writer failed to sync the WAL");
    return SQLITE_IOERR_FSYNC;
  }
  // The checkpointer's syncs come when they come (the writer's order is what is tested).
  if (std::string_view(name) != "journal-ckpt") log_.add(std::string(name) + " synced the WAL");
  return WalMethodsHook::original(file).xSync(file, flags);
}

// SQLite's default VFS records WAL syncs while this lives (open journals after it, close them before).
class RecordingVfs {
 public:
  RecordingVfs() { log_.clear(); }

 private:
  WalMethodsHook hook_{[](sqlite3_io_methods& m) { m.xSync = recording_sync; }};
};

std::unique_ptr<Journal> open_logged(const std::string& path, Synchronous synchronous) {
  JournalOptions o;
  o.path = path;
  o.synchronous = synchronous;
  auto journal = Journal::open(o, std::chrono::system_clock::now);
  REQUIRE(journal);
  (*journal)->set_on_new_events([](std::int64_t) { log_.add("handed"); });
  return std::move(*journal);
}

void submit_logged(Journal& journal, EventBatch batch) {
  std::promise<void> answered;
  journal.submit(std::move(batch), [&](const BatchResult& r) {
    log_.add(r.error.empty() ? "answered" : "refused: " + r.error);
    answered.set_value();
  });
  answered.get_future().wait();
}

EventBatch one_event(const std::string& key) {
  EventBatch batch{"test", {}, std::nullopt};
  batch.events.push_back(make_event("github/push", key));
  return batch;
}

const std::string kWriterSynced = "journal-writer synced the WAL";

}  // namespace

TEST_CASE("synchronous full: a commit is handed to the reader, then synced, then answered", "[journal]") {
  TempDir dir;
  RecordingVfs vfs;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Full);
  for (int i = 0; i < 3; ++i) {
    log_.clear();
    submit_logged(*journal, one_event("k-" + std::to_string(i)));
    CHECK(log_.entries() == std::vector<std::string>{"handed", kWriterSynced, "answered"});
  }
  journal.reset();
}

TEST_CASE("synchronous full: a cursor moved without events is synced before it is answered", "[journal]") {
  TempDir dir;
  RecordingVfs vfs;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Full);
  log_.clear();
  submit_logged(*journal, EventBatch{"test", {}, std::string("offset 42")});
  CHECK(log_.entries() == std::vector<std::string>{kWriterSynced, "answered"});
  CHECK(journal->cursor("test").value() == "offset 42");
  journal.reset();
}

TEST_CASE("synchronous full: a duplicate alone writes nothing and is answered without a sync", "[journal]") {
  TempDir dir;
  RecordingVfs vfs;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Full);
  submit_logged(*journal, one_event("same"));
  log_.clear();
  submit_logged(*journal, one_event("same"));
  CHECK(log_.entries() == std::vector<std::string>{"answered"});
  journal.reset();
}

TEST_CASE("synchronous normal: commits are answered without syncing the WAL", "[journal]") {
  TempDir dir;
  RecordingVfs vfs;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Normal);
  log_.clear();
  submit_logged(*journal, one_event("k"));
  CHECK(log_.entries() == std::vector<std::string>{"handed", "answered"});
  journal.reset();
}

TEST_CASE("synchronous full: a failed sync refuses the batch, and the next commit syncs even a lone duplicate", "[journal]") {
  TempDir dir;
  RecordingVfs vfs;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Full);
  log_.clear();
  fail_next_writer_sync = true;
  submit_logged(*journal, one_event("k"));
  const auto failed = log_.entries();
  REQUIRE(failed.size() == 3);
  CHECK(failed[0] == "handed");  // published before the sync: the dispatcher may say it
  CHECK(failed[1] == "journal-writer failed to sync the WAL");
  CHECK_THAT(failed[2], Catch::StartsWith("refused: journal: syncing the WAL:"));
  CHECK(journal->stats().failed == 1);

  // The sender, refused, sends the event again: a duplicate, which writes nothing, but is told
  // "stored" only after a sync that succeeds.
  log_.clear();
  submit_logged(*journal, one_event("k"));
  CHECK(log_.entries() == std::vector<std::string>{kWriterSynced, "answered"});
  log_.clear();
  submit_logged(*journal, one_event("k"));
  CHECK(log_.entries() == std::vector<std::string>{"answered"});  // synced since: no sync needed
  journal.reset();
}
