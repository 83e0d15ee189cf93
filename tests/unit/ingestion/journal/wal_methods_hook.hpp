#pragma once
// Shared by the journal tests that watch SQLite's file calls: while a WalMethodsHook lives, SQLite's
// default VFS opens WAL files with some of their methods replaced (a sync that records who synced,
// a write that counts or fails); everything else is the default VFS's. Open the connections after
// it is made, close them before it goes.
#include <functional>
#include <map>
#include <mutex>

#include <sqlite3.h>

namespace chatops::ingestion::testing {

class WalMethodsHook {
 public:
  explicit WalMethodsHook(std::function<void(sqlite3_io_methods&)> replace) : replace_(std::move(replace)) {
    current() = this;
    default_vfs_ = sqlite3_vfs_find(nullptr);
    vfs_ = *default_vfs_;
    vfs_.zName = "chatops-test-wal-methods-hook";
    vfs_.pNext = nullptr;
    vfs_.xOpen = open;
    sqlite3_vfs_register(&vfs_, 1);
  }
  ~WalMethodsHook() {
    sqlite3_vfs_register(default_vfs_, 1);
    sqlite3_vfs_unregister(&vfs_);
    current() = nullptr;
  }
  WalMethodsHook(const WalMethodsHook&) = delete;
  WalMethodsHook& operator=(const WalMethodsHook&) = delete;

  // For a replaced method: the methods the file had before.
  static const sqlite3_io_methods& original(sqlite3_file* file) {
    return *reinterpret_cast<const Replaced*>(file->pMethods)->original;
  }

 private:
  struct Replaced {
    sqlite3_io_methods ours;  // first: a file's pMethods leads back to the original
    const sqlite3_io_methods* original;
  };

  static WalMethodsHook*& current() {
    static WalMethodsHook* hook = nullptr;
    return hook;
  }

  static int open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
    auto& self = *current();
    const int rc = self.default_vfs_->xOpen(self.default_vfs_, name, file, flags, out_flags);
    if (rc != SQLITE_OK || (flags & SQLITE_OPEN_WAL) == 0 || file->pMethods == nullptr) return rc;
    std::lock_guard lock(self.mutex_);
    auto [it, added] = self.replaced_.try_emplace(file->pMethods);
    if (added) {
      it->second.ours = *file->pMethods;
      self.replace_(it->second.ours);
      it->second.original = file->pMethods;
    }
    file->pMethods = &it->second.ours;
    return rc;
  }

  std::function<void(sqlite3_io_methods&)> replace_;
  sqlite3_vfs* default_vfs_ = nullptr;
  sqlite3_vfs vfs_{};
  std::mutex mutex_;
  std::map<const sqlite3_io_methods*, Replaced> replaced_;  // by the original
};

}  // namespace chatops::ingestion::testing
