#include "ingestion/journal/checkpointer.hpp"

#include <chrono>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "ingestion/journal/journal_db.hpp"

namespace chatops::ingestion {

namespace {
// Long enough that a burst shares one checkpoint, short enough that the WAL stays small.
constexpr auto kInterval = std::chrono::milliseconds(100);
}  // namespace

Result<std::unique_ptr<Checkpointer>> Checkpointer::open(const JournalOptions& options) {
  auto db = journal_db::open(options, false);
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
      [](void* self, sqlite3*, const char*, int) {
        static_cast<Checkpointer*>(self)->nudge();
        return SQLITE_OK;
      },
      this);
}

void Checkpointer::nudge() {
  if (pending_.exchange(true)) return;
  std::lock_guard lock(mutex_);
  cv_.notify_one();
}

void Checkpointer::run() {
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
