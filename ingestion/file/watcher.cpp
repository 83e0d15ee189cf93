#include "ingestion/file/watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cstring>

namespace chatops::ingestion::file {

namespace {

// IN_MODIFY: a file written after it was closed is not complete any more (a writer truncating and
// rewriting it).
constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY |
                                IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

}  // namespace

DirectoryWatcher::DirectoryWatcher(std::size_t max_watches)
    : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)), max_watches_(max_watches) {}

DirectoryWatcher::~DirectoryWatcher() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t DirectoryWatcher::watch(const std::vector<std::string>& directories) {
  if (fd_ < 0) return directories.size();
  const std::set<std::string> wanted(directories.begin(), directories.end());
  for (auto it = by_directory_.begin(); it != by_directory_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    ::inotify_rm_watch(fd_, it->second);
    by_descriptor_.erase(it->second);
    it = by_directory_.erase(it);
  }
  std::size_t missing = 0;
  for (const auto& dir : wanted) {
    if (by_directory_.contains(dir)) continue;
    // ENOSPC: the per-user watch limit; the periodic rescan covers what is not watched.
    const int wd = by_directory_.size() < max_watches_ ? ::inotify_add_watch(fd_, dir.c_str(), kMask) : -1;
    if (wd < 0) {
      ++missing;
      continue;
    }
    // A directory renamed and another one created under the old name give the same descriptor
    // again only for the same inode: forget the old name.
    if (auto old = by_descriptor_.find(wd); old != by_descriptor_.end()) by_directory_.erase(old->second);
    by_descriptor_[wd] = dir;
    by_directory_[dir] = wd;
  }
  return missing;
}

void DirectoryWatcher::read(Changes& changes, std::size_t max_paths) {
  if (fd_ < 0) return;
  alignas(inotify_event) char buffer[64 * 1024];
  for (;;) {
    const auto got = ::read(fd_, buffer, sizeof buffer);
    if (got <= 0) return;  // EAGAIN: nothing more queued
    for (const char* p = buffer; p < buffer + got;) {
      inotify_event event;
      std::memcpy(&event, p, sizeof event);
      const char* name = p + sizeof(inotify_event);
      p += sizeof(inotify_event) + event.len;
      if (event.mask & IN_Q_OVERFLOW) {
        changes.rescan = true;
        continue;
      }
      if (event.mask & IN_IGNORED) {
        if (auto it = by_descriptor_.find(event.wd); it != by_descriptor_.end()) {
          by_directory_.erase(it->second);
          by_descriptor_.erase(it);
        }
        changes.rescan = true;
        continue;
      }
      const auto dir = by_descriptor_.find(event.wd);
      if (dir == by_descriptor_.end()) continue;
      // A directory came, went or moved (or a watched one did): new subdirectories to follow,
      // files to find or to say deleted.
      if (event.mask & (IN_ISDIR | IN_DELETE_SELF | IN_MOVE_SELF)) {
        changes.rescan = true;
        continue;
      }
      if (event.len == 0) continue;
      // Spelt as the patterns' expansion spells it.
      auto path = dir->second == "." ? std::string(name) : (dir->second == "/" ? "/" : dir->second + "/") + name;
      if (changes.paths.size() >= max_paths && !changes.paths.contains(path)) {
        changes.rescan = true;
        continue;
      }
      if (event.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) changes.closed.insert(path);
      else changes.closed.erase(path);
      changes.paths.insert(std::move(path));
    }
  }
}

}  // namespace chatops::ingestion::file
