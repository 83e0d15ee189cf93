#pragma once
// Internal to the journal: the second stage of its group commit. The writer commits a batch
// (published, not yet synced) and hands its answers here; this thread fsyncs the WAL and then
// answers every batch committed before that fsync began. Meanwhile the writer commits the next
// batch, so a commit's transaction and the last one's fsync overlap, as the flush and sync stages
// of PostgreSQL's and MySQL's group commits do.
//
// The WAL is synced through a descriptor of its own (fdatasync covers the file's data whoever
// wrote it): SQLite's file object belongs to the writer's thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>  // std::move_only_function
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace chatops::ingestion {

class WalSyncer {
 public:
  // Runs on the syncer's thread; `error` is empty when what it answers is on disk.
  using Answer = std::move_only_function<void(const std::string& error)>;
  explicit WalSyncer(std::string wal_path);
  ~WalSyncer();  // answers everything handed over, then stops
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // Called after each commit, in commit order. `answer` runs once a sync that began after this
  // call has ended; or, when this commit wrote nothing (a duplicate alone), once every earlier
  // commit is known to be on disk, without a sync of its own. After a failed sync, every batch
  // waits for a sync that succeeds.
  void after_commit(bool wrote, Answer answer);
  // How long the last sync took: the writer gathers for about as long (journal.hpp).
  std::chrono::nanoseconds last_sync() const { return std::chrono::nanoseconds(last_sync_ns_.load()); }

 private:
  struct Waiting {
    bool wrote;
    Answer answer;
  };
  void run();
  Result<void> sync_wal();

  const std::string wal_path_;
  int fd_ = -1;           // the syncer's thread only
  bool unsynced_ = false;  // the syncer's thread only: the last sync failed
  std::atomic<std::int64_t> last_sync_ns_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Waiting> waiting_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace chatops::ingestion
