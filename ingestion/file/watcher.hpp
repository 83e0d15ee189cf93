#pragma once
// inotify on the directories a file source's patterns can match in: which files were created,
// written and closed, moved or deleted, and when everything must be looked at again (the queue
// overflowed, a directory appeared, a watched directory was deleted or moved). Bounded: at most
// max_watches directories (the per-user limit, fs.inotify.max_user_watches, may be lower) and
// max_paths paths per read; beyond them it asks for a rescan instead.
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace chatops::ingestion::file {

struct Changes {
  std::set<std::string> paths;   // files named by an event
  std::set<std::string> closed;  // closed after writing (and not written since), or moved in
  bool rescan = false;           // look at every file
  bool empty() const { return paths.empty() && !rescan; }
};

class DirectoryWatcher {
 public:
  explicit DirectoryWatcher(std::size_t max_watches);
  ~DirectoryWatcher();
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  bool available() const { return fd_ >= 0; }
  int fd() const { return fd_; }  // readable when events are queued
  // Watches `directories` (and no others), within max_watches; returns how many are not watched.
  std::size_t watch(const std::vector<std::string>& directories);
  // Reads what is queued, without waiting.
  void read(Changes& changes, std::size_t max_paths);
  std::size_t watches() const { return by_descriptor_.size(); }

 private:
  int fd_ = -1;
  std::size_t max_watches_;
  std::map<int, std::string> by_descriptor_;
  std::map<std::string, int> by_directory_;
};

}  // namespace chatops::ingestion::file
