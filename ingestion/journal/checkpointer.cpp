#include "ingestion/journal/checkpointer.hpp"

#include <chrono>

#include <pthread.h>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "ingestion/journal/journal_db.hpp"

namespace chatops::ingestion {

namespace {
// Long enough that a burst shares one checkpoint, short enough that the WAL stays small.
constexpr auto kInterval = std::chrono::milliseconds(100);
}  // namespace

Result<std::unique_ptr<Checkpointer>> Checkpointer::open(const JournalOptions& options) {
  auto db = journal_db::open(options, options.synchronous, false);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<Checkpointer>(new Checkpointer(std::move(*db)));
}

Checkpointer::Checkpointer(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)), thread_([this] { run(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Checkpointer::watch(SQLite::Database& db) {
  sqlite3_wal_hook(
      db.getHandle(),
      [](void* self, sqlite3*, const char*, int wal_frames) {
        static_cast<Checkpointer*>(self)->nudge(wal_frames);
        return SQLITE_OK;
      },
      this);
}

void Checkpointer::nudge(int wal_frames) {
  wal_frames_ = wal_frames;
  if (wal_frames < kCheckpointFrames) return;
  if (pending_.exchange(true)) return;
  std::lock_guard lock(mutex_);
  cv_.notify_one();
}

void Checkpointer::bound_wal(SQLite::Database& writer) {
  const int frames = wal_frames_;
  if (frames < kRestartFrames) next_restart_at_ = kRestartFrames;  // the WAL started over by itself
  if (frames < next_restart_at_) return;
  // Waits for readers to leave the WAL, but briefly: every webhook waits for the writer meanwhile.
  // A reader that stays (an online backup, a sqlite3 shell) only postpones the restart.
  constexpr auto kReaderWait = std::chrono::milliseconds(100);
  journal_db::wait_when_busy(writer.getHandle(), kReaderWait);
  int log_frames = -1;
  const int rc =
      sqlite3_wal_checkpoint_v2(writer.getHandle(), nullptr, SQLITE_CHECKPOINT_RESTART, &log_frames, nullptr);
  journal_db::wait_when_busy(writer.getHandle(), journal_db::kBusyTimeout);
  if (rc == SQLITE_OK) {
    next_restart_at_ = kRestartFrames;
    return;
  }
  // Busy before it ran (the WAL's size not reported): another connection held the checkpoint lock,
  // which is never waited for; most often the checkpointer's own passive one, which takes long
  // under load, so missing it for a whole kRetryFrames let the WAL grow past twice its bound.
  // Tried again at the next commit: failing costs one lock attempt. Busy after it ran: a reader
  // stayed, and waiting for it again at every commit would hold off every webhook.
  const bool checkpoint_lock_held = rc == SQLITE_BUSY && log_frames < 0;
  next_restart_at_ = checkpoint_lock_held ? frames + 1 : frames + kRetryFrames;
  if (rc != SQLITE_BUSY) spdlog::warn("journal: restarting the WAL: {} (retrying later)", sqlite3_errstr(rc));
}

void Checkpointer::run() {
  pthread_setname_np(pthread_self(), "journal-ckpt");
  bool failing = false;
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || pending_; });
    if (cv_.wait_for(lock, kInterval, [&] { return stopping_; })) return;
    pending_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, never waits for or blocks the other connections.
    auto done = journal_db::guarded("checkpointing the WAL", [&] { db_->exec("PRAGMA wal_checkpoint(PASSIVE)"); });
    if (!done && !failing) spdlog::warn("{} (retrying after the next commits)", done.error().message);
    failing = !done;
    lock.lock();
  }
}

}  // namespace chatops::ingestion
