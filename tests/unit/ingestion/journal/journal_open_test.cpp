#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/config/node.hpp"
#include "ingestion/journal/checkpointer.hpp"
#include "ingestion/journal/journal_config.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

TEST_CASE("opening creates parent directories and a versioned schema, reopening keeps the data", "[journal]") {
  TempDir dir;
  auto path = dir.file("nested/deeper/j.db");
  {
    auto journal = open_journal(path);
    REQUIRE(journal->submit_one(make_event("a")) == Submission::Accepted);
  }
  {
    SQLite::Database db(path);
    REQUIRE(db.execAndGet("PRAGMA user_version").getInt() == 6);
    REQUIRE(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
  }
  auto journal = open_journal(path);
  REQUIRE(journal->backlog().value() == 1);
}

TEST_CASE("a database from a newer version is refused", "[journal]") {
  TempDir dir;
  auto path = dir.file("j.db");
  open_journal(path).reset();
  SQLite::Database(path, SQLite::OPEN_READWRITE).exec("PRAGMA user_version = 99");
  JournalOptions o;
  o.path = path;
  auto journal = Journal::open(o);
  REQUIRE_FALSE(journal);
  REQUIRE_THAT(journal.error().message, Catch::Contains("schema version 99, newer than this build's 6"));
}

TEST_CASE("a version 1 journal is upgraded in place: events keep their payload, dedupe keys their source", "[journal]") {
  TempDir dir;
  const auto path = dir.file("j.db");
  {
    // What version 1 wrote: the payload inside fields_json, as fields.raw.
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(R"sql(
      CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, kind TEXT NOT NULL,
        topic TEXT NOT NULL, time_ms INTEGER NOT NULL, severity TEXT NOT NULL, dedupe_key TEXT NOT NULL,
        fields_json TEXT NOT NULL, default_template TEXT NOT NULL, received_ms INTEGER NOT NULL, done_ms INTEGER);
      CREATE INDEX events_pending ON events(id) WHERE done_ms IS NULL;
      CREATE INDEX events_done ON events(done_ms) WHERE done_ms IS NOT NULL;
      CREATE TABLE deliveries(event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        handler_key TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'digested')),
        lines INTEGER NOT NULL DEFAULT 0, sent_ms INTEGER, PRIMARY KEY (event_id, handler_key));
      CREATE TABLE dedupe(key TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL);
      CREATE INDEX dedupe_seen ON dedupe(seen_ms);
      INSERT INTO events(source, kind, topic, time_ms, severity, dedupe_key, fields_json, default_template, received_ms)
        VALUES ('gh', 'webhook', 'github/push', 1, 'info', 'd-1', '{"repo":"a/b","raw":{"x":1}}', '', 1);
      INSERT INTO dedupe(key, seen_ms) VALUES ('d-1', CAST(unixepoch('now') AS INTEGER) * 1000);
      PRAGMA user_version = 1;
    )sql");
  }
  auto journal = open_journal(path);
  auto old = journal->pending_events(0, 10).value();
  REQUIRE(old.size() == 1);
  CHECK(old[0].fields["repo"] == "a/b");
  CHECK(old[0].fields["raw"]["x"] == 1);
  CHECK(old[0].raw.empty());

  auto e = make_event("github/push", "d-2");
  e.raw = R"({"y": 2})";
  REQUIRE(journal->submit_one(e) == Submission::Accepted);
  auto same_source = make_event("github/push", "d-1");
  same_source.source = "gh";
  REQUIRE(journal->submit_one(same_source) == Submission::Duplicate);  // remembered across, under its source
  REQUIRE(journal->submit_one(make_event("github/push", "d-1")) == Submission::Accepted);  // another source's
  auto all = journal->pending_events(0, 10).value();
  REQUIRE(all.size() == 3);
  CHECK(payload_text(all[1]) == R"({"y": 2})");
  CHECK(all[0].family == "webhook");  // the column once named kind
  journal.reset();
  CHECK(SQLite::Database(path).execAndGet("PRAGMA user_version").getInt() == 6);
}

TEST_CASE("a version 5 journal is upgraded in place: dedupe keys kept, their index by age dropped", "[journal]") {
  TempDir dir;
  const auto path = dir.file("j.db");
  {
    auto journal = open_journal(path);
    REQUIRE(append(*journal, make_event("github/push", "d-1")).result == Submission::Accepted);
  }
  {
    // What version 5 had besides: an index of the dedupe keys by age.
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("CREATE INDEX dedupe_seen ON dedupe(seen_ms); PRAGMA user_version = 5;");
  }
  auto journal = open_journal(path);
  REQUIRE(journal->submit_one(make_event("github/push", "d-1")) == Submission::Duplicate);
  REQUIRE(journal->submit_one(make_event("github/push", "d-2")) == Submission::Accepted);
  journal.reset();
  SQLite::Database db(path);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == 6);
  CHECK(db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'dedupe_seen'").getInt() == 0);
  CHECK(db.execAndGet("SELECT count(*) FROM dedupe").getInt() == 2);
}

TEST_CASE("committed events reach the database file while the journal runs", "[journal]") {
  // Checkpoints run on their own thread, not in the commits: once the WAL holds
  // kCheckpointFrames, it is copied back meanwhile. 600 events of two pages pass that.
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path);
  const auto before = std::filesystem::file_size(path);
  std::mt19937 random(42);
  constexpr int kEvents = 600;
  for (int i = 0; i < kEvents; ++i) {
    auto e = make_event("github/push", "d-" + std::to_string(i));
    e.raw = barely_compressible_payload(random);
    REQUIRE(journal->submit_one(std::move(e)) == Submission::Accepted);
  }
  constexpr std::uintmax_t kCopied = Checkpointer::kCheckpointFrames * 4096;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::filesystem::file_size(path) < before + kCopied && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(std::filesystem::file_size(path) >= before + kCopied);
  CHECK(journal->backlog().value() == kEvents);
}

TEST_CASE("a trickle of commits is not checkpointed commit by commit", "[journal]") {
  // A WAL copied back in full is started over by the next commit, with one fsync more in it.
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path);
  const auto before = std::filesystem::file_size(path);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(append(*journal, make_event("github/push", "t-" + std::to_string(i))).result == Submission::Accepted);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // longer than the checkpoint interval
  }
  CHECK(std::filesystem::file_size(path) == before);
  CHECK(std::filesystem::file_size(path + "-wal") > 0);
  journal.reset();  // the last connection to close copies the WAL back
  CHECK(SQLite::Database(path).execAndGet("SELECT count(*) FROM events").getInt() == 4);
}

// `threads` writers submitting `per_thread` events each, back to back: commits that never pause.
// Two 4 KiB pages an event. Returns how many were accepted.
int stream_events(Journal& journal, int threads, int per_thread) {
  std::vector<std::thread> writers;
  std::atomic<int> accepted{0};
  for (int t = 0; t < threads; ++t)
    writers.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t));
      for (int i = 0; i < per_thread; ++i) {
        auto e = make_event("github/push");
        e.raw = barely_compressible_payload(random);
        accepted += journal.submit_one(std::move(e)) == Submission::Accepted;
      }
    });
  for (auto& w : writers) w.join();
  return accepted;
}

// Frames in the WAL now, as a passive checkpoint on another connection reports them. It reports
// -1 while the journal's own checkpointer holds the checkpoint lock: asked again then.
int wal_frames(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  SQLite::Statement checkpoint(db, "PRAGMA wal_checkpoint(PASSIVE)");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    REQUIRE(checkpoint.executeStep());
    const int frames = checkpoint.getColumn(1).getInt();
    checkpoint.reset();
    if (frames >= 0 || std::chrono::steady_clock::now() > deadline) return frames;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST_CASE("a steady stream of commits keeps the WAL bounded", "[journal]") {
  // A passive checkpoint never catches up with commits that never pause, so SQLite alone would let
  // this WAL grow to the whole stream (~64 MiB here); the writer restarts it at 16 MiB.
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path);
  std::atomic<bool> writing{true};
  std::uintmax_t largest_wal = 0;
  std::thread watcher([&] {
    std::error_code ec;
    while (writing) {
      largest_wal = std::max(largest_wal, std::filesystem::file_size(path + "-wal", ec));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const int accepted = stream_events(*journal, 8, 1000);
  writing = false;
  watcher.join();
  REQUIRE(accepted == 8000);
  INFO("largest WAL: " << largest_wal << " bytes");
  CHECK(largest_wal > 0);
  CHECK(largest_wal < 32u * 1024 * 1024);
  CHECK(journal->backlog().value() == 8000);
}

TEST_CASE("a reader that stays in the WAL postpones its restart and fails no commit", "[journal]") {
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path);
  {
    // An online backup or a sqlite3 shell in a transaction: its snapshot must stay readable.
    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    SQLite::Transaction snapshot(reader, SQLite::TransactionBehavior::DEFERRED);
    REQUIRE(reader.execAndGet("SELECT count(*) FROM events").getInt() == 0);
    REQUIRE(stream_events(*journal, 4, 750) == 3000);  // ~6000 frames: past the restart point
    CHECK(reader.execAndGet("SELECT count(*) FROM events").getInt() == 0);
    CHECK(wal_frames(path) > Checkpointer::kRestartFrames);  // not restarted under the reader
  }
  REQUIRE(stream_events(*journal, 4, 750) == 3000);  // reader gone: restarted on the way
  CHECK(wal_frames(path) < Checkpointer::kRestartFrames + 64);  // 12,000 frames had it not
  CHECK(journal->backlog().value() == 6000);
}

// Another process holding the WAL's checkpoint lock (as a checkpoint running there does) until
// destroyed: SQLite's lock byte in the -shm file, 120 + 1 (WALINDEX_LOCK_OFFSET + WAL_CKPT_LOCK).
class CheckpointLockHolder {
 public:
  explicit CheckpointLockHolder(const std::string& db_path) {
    int locked[2], unlocking[2];
    REQUIRE(pipe(locked) == 0);
    REQUIRE(pipe(unlocking) == 0);
    const std::string shm_path = db_path + "-shm";  // made before the fork: the child may not allocate
    child_ = fork();
    REQUIRE(child_ >= 0);
    if (child_ == 0) {  // async-signal-safe calls only: the parent has threads
      close(locked[0]);
      close(unlocking[1]);  // else its read below never sees the parent's end close
      const int shm = open(shm_path.c_str(), O_RDWR);
      struct flock lock{};
      lock.l_type = F_WRLCK;
      lock.l_whence = SEEK_SET;
      lock.l_start = 121;
      lock.l_len = 1;
      const char ok = shm >= 0 && fcntl(shm, F_SETLK, &lock) == 0 ? 'y' : 'n';
      if (write(locked[1], &ok, 1) != 1) _exit(1);
      char c;
      while (read(unlocking[0], &c, 1) > 0) {
      }
      _exit(0);
    }
    close(locked[1]);
    close(unlocking[0]);
    release_ = unlocking[1];
    char ok = 'n';
    const bool answered = read(locked[0], &ok, 1) == 1;
    close(locked[0]);
    if (!answered || ok != 'y') release();  // the destructor does not run when the constructor throws
    REQUIRE(answered);
    REQUIRE(ok == 'y');
  }
  ~CheckpointLockHolder() { release(); }
  CheckpointLockHolder(const CheckpointLockHolder&) = delete;
  CheckpointLockHolder& operator=(const CheckpointLockHolder&) = delete;

 private:
  void release() {
    if (release_ < 0) return;
    close(release_);
    release_ = -1;
    waitpid(child_, nullptr, 0);
  }

  pid_t child_ = -1;
  int release_ = -1;
};

// The WAL header's checkpoint sequence number, which each restart of the WAL increments. Read from
// the file: a checkpoint to count the frames would copy them and let the next commit restart it.
std::uint32_t wal_restarts(const std::string& path) {
  std::ifstream wal(path + "-wal", std::ios::binary);
  unsigned char header[16] = {};
  REQUIRE(wal.read(reinterpret_cast<char*>(header), sizeof header));
  return std::uint32_t{header[12]} << 24 | std::uint32_t{header[13]} << 16 | std::uint32_t{header[14]} << 8 | header[15];
}

TEST_CASE("a WAL restart missed while a checkpoint ran is done at the next commit", "[journal]") {
  // Under load the journal's passive checkpoint runs most of the time; a restart retried only
  // kRetryFrames later could miss it again and again, and the WAL outgrow its bound.
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path);
  REQUIRE(journal->submit_one(make_event("a")) == Submission::Accepted);  // the -shm file exists
  {
    CheckpointLockHolder checkpoint_running(path);
    REQUIRE(stream_events(*journal, 2, 1200) == 2400);  // ~9,800 frames, restart tries all refused
    // The journal's checkpointer, nudged by the last commits, tries once more 100 ms later: let
    // it, so that it is idle when the lock is released (its copy would let any commit restart).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  CHECK(std::filesystem::file_size(path + "-wal") > Checkpointer::kRestartFrames * 4096u);
  const auto restarts = wal_restarts(path);
  // After the first commit the writer checkpoints the WAL in full; the second writes it from the
  // start. Without the retry at the next commit, the next try is some 1,000 frames away, and the
  // journal's checkpointer, nudged by the first commit, waits 100 ms before copying anything.
  REQUIRE(journal->submit_one(make_event("b")) == Submission::Accepted);
  REQUIRE(journal->submit_one(make_event("c")) == Submission::Accepted);
  CHECK(wal_restarts(path) == restarts + 1);
  CHECK(wal_frames(path) < 64);
  CHECK(journal->backlog().value() == 2403);
}

TEST_CASE("a corrupt file or an unusable path gives a clear error", "[journal]") {
  TempDir dir;
  JournalOptions o;
  o.path = dir.file("garbage.db");
  std::ofstream(o.path) << std::string(4096, 'x');
  auto corrupt = Journal::open(o);
  REQUIRE_FALSE(corrupt);
  REQUIRE_THAT(corrupt.error().message, Catch::Contains(o.path) && Catch::Contains("not a database"));

  o.path = dir.file("garbage.db/j.db");  // a directory that is a file
  auto unusable = Journal::open(o);
  REQUIRE_FALSE(unusable);
  REQUIRE_THAT(unusable.error().message, Catch::Contains("cannot create directory"));
}

TEST_CASE("the storage section has documented defaults", "[journal]") {
  auto check = [](const std::string& yaml) {
    auto doc = config::load_string(yaml, "config.yml");
    REQUIRE(doc);
    auto storage = config::validate(storage_schema(), (*doc)["storage"]);
    REQUIRE(storage);
    return journal_options(*storage);
  };
  auto defaults = check("storage: {}\n");
  REQUIRE(defaults.path == "./data/chatops.db");
  REQUIRE(defaults.dedupe_window == std::chrono::hours(24));
  REQUIRE(defaults.retention == std::chrono::hours(24 * 7));
  REQUIRE(defaults.synchronous == Synchronous::Full);
  REQUIRE(defaults.batch_max == 512);

  auto set = check("storage: {path: /var/lib/bot.db, dedupe_window: 1h, retention: 2d, synchronous: normal, batch_max: 64}\n");
  REQUIRE(set.path == "/var/lib/bot.db");
  REQUIRE(set.dedupe_window == std::chrono::hours(1));
  REQUIRE(set.retention == std::chrono::hours(48));
  REQUIRE(set.synchronous == Synchronous::Normal);
  REQUIRE(set.batch_max == 64);

  auto doc = config::load_string("storage: {synchronous: off}\n", "config.yml");
  REQUIRE(doc);
  REQUIRE_FALSE(config::validate(storage_schema(), (*doc)["storage"]));
}

TEST_CASE("a version 3 or 4 journal is upgraded in place: each dedupe key names its event, no index on events by key",
          "[journal]") {
  for (const int version : {3, 4}) {
    CAPTURE(version);
    TempDir dir;
    const auto path = dir.file("j.db");
    std::int64_t id = 0;
    {
      auto journal = open_journal(path);
      auto e = make_event("deploy/x", "k-1");
      e.source = "alpha";
      id = append(*journal, e).id;
      e.dedupe_key = "k-2";
      append(*journal, e);
    }
    {
      // What versions 3 and 4 had: a dedupe table without event ids, indexed by age; version 4 an
      // index on events by key too.
      SQLite::Database db(path, SQLite::OPEN_READWRITE);
      db.exec("ALTER TABLE dedupe DROP COLUMN event_id");
      db.exec("CREATE INDEX dedupe_seen ON dedupe(seen_ms)");
      if (version == 4) db.exec("CREATE INDEX events_by_key ON events(source, dedupe_key)");
      db.exec("PRAGMA user_version = " + std::to_string(version));
    }
    auto journal = open_journal(path);
    const auto found = journal->find_event("alpha", "k-1").value();
    REQUIRE(found);
    CHECK(found->first == id);
    CHECK_FALSE(found->second);  // not done
    CHECK(journal->find_event("alpha", "k-2").value()->first == id + 1);
    CHECK_FALSE(journal->find_event("beta", "k-1").value());  // another source's key
    auto repeat = make_event("deploy/x", "k-1");
    repeat.source = "alpha";
    CHECK(journal->submit_one(repeat) == Submission::Duplicate);  // the dedupe key kept its source
    CHECK(journal->backlog().value() == 2);
    journal.reset();
    SQLite::Database db(path);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == 6);
    CHECK(db.execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'events_by_key'").getInt() == 0);
  }
}
