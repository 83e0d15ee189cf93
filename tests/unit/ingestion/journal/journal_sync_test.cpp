// When a commit reaches the disk: with synchronous=full the writer publishes a commit and hands its
// events to the reader (the dispatcher may say them); the syncer thread then fsyncs the WAL, and
// only then are the submitters answered. Meanwhile the writer commits the next batch. Observed
// through fdatasync, which this test binary defines over libc's: on the syncer's thread it records
// the sync, and can fail it or hold it until the test lets it go.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <dlfcn.h>
#include <pthread.h>

#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

namespace {

// What happened, in order, on any thread: "handed", "answered <name>", "synced", "sync failed".
class Log {
 public:
  void add(std::string what) {
    {
      std::lock_guard lock(mutex_);
      entries_.push_back(std::move(what));
    }
    changed_.notify_all();
  }
  std::vector<std::string> entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
  }
  // Waits (5 s at most) until `what` has been logged `times` times.
  bool wait_for(const std::string& what, int times = 1) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(5),
                             [&] { return std::count(entries_.begin(), entries_.end(), what) >= times; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> entries_;
};
Log log_;

std::atomic<bool> fail_next_sync{false};

// While one lives, the syncer's fdatasync waits (once it has logged "sync began") until it is
// released.
class SyncHold {
 public:
  SyncHold() {
    std::lock_guard lock(state().mutex);
    state().held = true;
  }
  ~SyncHold() { release(); }
  void release() {
    {
      std::lock_guard lock(state().mutex);
      state().held = false;
    }
    state().cv.notify_all();
  }
  static void wait_if_held() {
    std::unique_lock lock(state().mutex);
    if (!state().held) return;
    log_.add("sync began");
    state().cv.wait(lock, [] { return !state().held; });
  }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable cv;
    bool held = false;
  };
  static State& state() {
    static State s;
    return s;
  }
};

bool on_syncer_thread() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return std::string_view(name) == "journal-sync";
}

}  // namespace

// Over libc's for the whole test binary; other threads' syncs (SQLite's checkpoints) pass through.
extern "C" int fdatasync(int fd) {
  static const auto libc = reinterpret_cast<int (*)(int)>(dlsym(RTLD_NEXT, "fdatasync"));
  if (!on_syncer_thread()) return libc(fd);
  SyncHold::wait_if_held();
  if (fail_next_sync.exchange(false)) {
    log_.add("sync failed");
    errno = EIO;
    return -1;
  }
  const int rc = libc(fd);
  log_.add(rc == 0 ? "synced" : "sync failed");
  return rc;
}

namespace {

std::unique_ptr<Journal> open_logged(const std::string& path, Synchronous synchronous) {
  JournalOptions o;
  o.path = path;
  o.synchronous = synchronous;
  auto journal = Journal::open(o, std::chrono::system_clock::now);
  REQUIRE(journal);
  (*journal)->set_on_new_events([](std::int64_t) { log_.add("handed"); });
  return std::move(*journal);
}

EventBatch one_event(const std::string& key) {
  EventBatch batch{"test", {}, std::nullopt};
  batch.events.push_back(make_event("github/push", key));
  return batch;
}

// Submits without waiting; logs "answered <name>" (or "refused <name>: why") when answered.
void submit_logged(Journal& journal, EventBatch batch, const std::string& name) {
  journal.submit(std::move(batch), [name](const BatchResult& r) {
    log_.add(r.error.empty() ? "answered " + name : "refused " + name + ": " + r.error);
  });
}

void submit_and_wait(Journal& journal, EventBatch batch) {
  std::promise<void> answered;
  journal.submit(std::move(batch), [&](const BatchResult& r) {
    log_.add(r.error.empty() ? "answered" : "refused: " + r.error);
    answered.set_value();
  });
  answered.get_future().wait();
}

using Entries = std::vector<std::string>;

}  // namespace

TEST_CASE("synchronous full: a commit is handed to the reader, then synced, then answered", "[journal]") {
  TempDir dir;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Full);
  for (int i = 0; i < 3; ++i) {
    log_.clear();
    submit_and_wait(*journal, one_event("k-" + std::to_string(i)));
    CHECK(log_.entries() == Entries{"handed", "synced", "answered"});
  }
}

TEST_CASE("synchronous full: a cursor moved without events is synced before it is answered", "[journal]") {
  TempDir dir;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Full);
  log_.clear();
  submit_and_wait(*journal, EventBatch{"test", {}, std::string("offset 42")});
  CHECK(log_.entries() == Entries{"synced", "answered"});
  CHECK(journal->cursor("test").value() == "offset 42");
}

TEST_CASE("synchronous full: a duplicate alone writes nothing and is answered without a sync", "[journal]") {
  TempDir dir;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Full);
  submit_and_wait(*journal, one_event("same"));
  log_.clear();
  submit_and_wait(*journal, one_event("same"));
  CHECK(log_.entries() == Entries{"answered"});
}

TEST_CASE("synchronous normal: commits are answered without syncing the WAL", "[journal]") {
  TempDir dir;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Normal);
  log_.clear();
  submit_and_wait(*journal, one_event("k"));
  CHECK(log_.entries() == Entries{"handed", "answered"});
}

TEST_CASE("synchronous full: a failed sync refuses the batch, and the next commit syncs even a lone duplicate", "[journal]") {
  TempDir dir;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Full);
  log_.clear();
  fail_next_sync = true;
  auto batch = one_event("k");
  batch.chain = std::make_shared<BatchChain>();
  const auto chain = batch.chain;
  submit_and_wait(*journal, std::move(batch));
  const auto failed = log_.entries();
  REQUIRE(failed.size() == 3);
  CHECK(failed[0] == "handed");  // published before the sync: the dispatcher may say it
  CHECK(failed[1] == "sync failed");
  CHECK_THAT(failed[2], Catch::StartsWith("refused: journal: syncing the WAL:"));
  CHECK(journal->stats().failed == 1);
  CHECK(chain->broken);  // committed, yet refused: its source's later batches are refused too

  // The sender, refused, sends the event again: a duplicate, which writes nothing, but is told
  // "stored" only after a sync that succeeds.
  log_.clear();
  submit_and_wait(*journal, one_event("k"));
  CHECK(log_.entries() == Entries{"synced", "answered"});
  log_.clear();
  submit_and_wait(*journal, one_event("k"));
  CHECK(log_.entries() == Entries{"answered"});  // synced since: no sync needed
}

TEST_CASE("synchronous full: the next batch is committed while the last one syncs, and waits for a sync of its own", "[journal]") {
  TempDir dir;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Full);
  log_.clear();
  {
    SyncHold hold;
    submit_logged(*journal, one_event("a"), "a");
    REQUIRE(log_.wait_for("sync began"));
    // While a's sync is under way: a duplicate of a (nothing to write, but a is not on disk yet),
    // then a new event, which the writer commits and hands over meanwhile.
    submit_logged(*journal, one_event("a"), "a again");
    submit_logged(*journal, one_event("b"), "b");
    REQUIRE(log_.wait_for("handed", 2));
    CHECK(log_.entries() == Entries{"handed", "sync began", "handed"});
  }
  REQUIRE(log_.wait_for("answered b"));
  // a is answered by its sync; its duplicate and b by the next one, which began after b's commit.
  CHECK(log_.entries() == Entries{"handed", "sync began", "handed", "synced", "answered a", "synced", "answered a again",
                                  "answered b"});
  CHECK(journal->stats().accepted == 2);
  CHECK(journal->stats().duplicates == 1);
}

TEST_CASE("synchronous full: closing the journal answers what is still syncing", "[journal]") {
  TempDir dir;
  auto journal = open_logged(dir.file("j.db"), Synchronous::Full);
  log_.clear();
  {
    SyncHold hold;
    submit_logged(*journal, one_event("a"), "a");
    submit_logged(*journal, one_event("b"), "b");
    REQUIRE(log_.wait_for("sync began"));
    hold.release();
    journal.reset();
  }
  const auto entries = log_.entries();
  CHECK(std::count(entries.begin(), entries.end(), "answered a") == 1);
  CHECK(std::count(entries.begin(), entries.end(), "answered b") == 1);
  CHECK(entries.back() == "answered b");
}
