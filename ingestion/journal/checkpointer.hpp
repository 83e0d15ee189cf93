#pragma once
// Copies the journal's WAL back into the database file on its own thread and connection, so that
// neither the writer (whose commits every webhook answer waits for) nor the dispatcher pays for
// it: with ~9 KB events, SQLite's automatic checkpoint doubled the writes in the commit path.
// The connections it watches get no automatic checkpoints: their commits only nudge it.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "ingestion/journal/journal.hpp"

namespace chatops::ingestion {

class Checkpointer {
 public:
  static Result<std::unique_ptr<Checkpointer>> open(const JournalOptions& options);
  ~Checkpointer();  // what is left is checkpointed when the last connection closes
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Replaces `db`'s automatic checkpoints: each of its commits calls nudge() (SQLite's WAL hook).
  // `db` must close before the Checkpointer is destroyed.
  void watch(SQLite::Database& db);

  // After a commit: checkpoint soon. Commits within one interval share a checkpoint, and only the
  // first of them takes the lock.
  void nudge();

 private:
  explicit Checkpointer(std::unique_ptr<SQLite::Database> db);
  void run();

  std::unique_ptr<SQLite::Database> db_;  // the checkpointer thread's only
  std::atomic<bool> pending_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace chatops::ingestion
