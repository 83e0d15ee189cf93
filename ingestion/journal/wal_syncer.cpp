#include "ingestion/journal/wal_syncer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <fmt/format.h>

namespace chatops::ingestion {

namespace {

Result<void> sync_failed(const std::string& what, int error) {
  return fail(fmt::format("journal: syncing the WAL: {}: {}", what, std::strerror(error)));
}

}  // namespace

WalSyncer::WalSyncer(std::string wal_path) : wal_path_(std::move(wal_path)), thread_([this] { run(); }) {}

WalSyncer::~WalSyncer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void WalSyncer::after_commit(bool wrote, Answer answer) {
  {
    std::lock_guard lock(mutex_);
    waiting_.push_back({wrote, std::move(answer)});
  }
  cv_.notify_one();
}

Result<void> WalSyncer::sync_wal() {
  if (fd_ < 0) {
    // The WAL exists: a commit wrote to it, and SQLite keeps it while the journal's connections
    // are open. Its directory entry is synced once, as SQLite does at a new WAL's first sync.
    const int fd = ::open(wal_path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return sync_failed(wal_path_, errno);
    const auto directory = std::filesystem::path(wal_path_).parent_path();
    const int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int dir_synced = dir < 0 ? -1 : ::fsync(dir);
    const int dir_error = errno;
    if (dir >= 0) ::close(dir);
    if (dir_synced != 0) {
      ::close(fd);
      return sync_failed(directory.string(), dir_error);
    }
    fd_ = fd;
  }
  if (::fdatasync(fd_) != 0) return sync_failed(wal_path_, errno);
  return {};
}

void WalSyncer::run() {
  pthread_setname_np(pthread_self(), "journal-sync");  // top -H, perf, gdb
  std::vector<Waiting> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping, and everything handed over has been answered
      batch.swap(waiting_);
    }
    std::string error;
    const bool wrote = std::any_of(batch.begin(), batch.end(), [](const Waiting& w) { return w.wrote; });
    if (wrote || unsynced_) {
      const auto began = std::chrono::steady_clock::now();
      auto synced = sync_wal();
      last_sync_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - began).count();
      unsynced_ = !synced;
      if (!synced) error = synced.error().message;
    }
    for (auto& w : batch) w.answer(error);
    batch.clear();
  }
}

}  // namespace chatops::ingestion
