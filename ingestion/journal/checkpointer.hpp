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

  // After a commit that left `wal_frames` frames in the WAL: checkpoint soon once it holds
  // kCheckpointFrames. Commits within one interval share a checkpoint, and only the first of them
  // takes the lock.
  void nudge(int wal_frames);
  // SQLite's own automatic checkpoint threshold (4 MiB of 4 KiB pages). Not less: a WAL fully
  // copied back is started over by the next commit, which then fsyncs the WAL's new header
  // before its own frames, one fsync more in the commit; checkpointing after every quiet commit
  // did that to a fifth of the commits at 20 webhooks/s.
  static constexpr int kCheckpointFrames = 1000;

  // The writer thread, between commits. Under a constant stream of commits a passive checkpoint
  // never finds the WAL fully copied, so SQLite never starts it over and it grows without end
  // (118 MB in 2.5 s of the ingest bench). Once it holds kRestartFrames frames, this checkpoints
  // what is left and restarts it: the next commits overwrite it from the start, which also makes
  // their fsyncs cheaper than appending (no file size to journal). Most frames are already copied
  // by then, so the writer is held off for about one small checkpoint.
  void bound_wal(SQLite::Database& writer);
  static constexpr int kRestartFrames = 4096;  // 16 MiB of 4 KiB pages
  static constexpr int kRetryFrames = 1024;    // after a restart a reader held off

 private:
  explicit Checkpointer(std::unique_ptr<SQLite::Database> db);
  void run();

  std::unique_ptr<SQLite::Database> db_;  // the checkpointer thread's only
  std::atomic<bool> pending_{false};
  std::atomic<int> wal_frames_{0};  // after the latest commit
  int next_restart_at_ = kRestartFrames;  // frames; bound_wal's (the writer thread's) only
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace chatops::ingestion
