#include "ingestion/journal/wal_write_buffer.hpp"

#include <cstddef>
#include <memory>
#include <new>
#include <vector>

#include <sqlite3.h>

namespace chatops::ingestion::wal_write_buffer {

namespace {

// Writes gathered beyond this go out at once, and the buffer a connection keeps stays this small.
// The unix VFS writes at most 128 KiB - 1 bytes a call (it never needs more for one page, and
// reports a longer write as short: "database or disk is full"), so this stays below: 29 frames of
// 4 KiB pages a system call.
constexpr std::size_t kMaxGathered = 120 * 1024;
constexpr int kFrameHeaderBytes = 24;  // a WAL frame's header; bytes 4-7: the database size after a commit
constexpr int kWalWriteLock = 0;       // SQLite's WAL_WRITE_LOCK, the first slot of xShmLock

sqlite3_vfs* registered_base = nullptr;  // SQLite's unix VFS, whose other methods ours has
sqlite3_vfs our_vfs{};

// Our file, in the space SQLite allocates for one (szOsFile); the base VFS's file is beside it.
struct File {
  sqlite3_file base;  // first: SQLite sees a sqlite3_file
  std::unique_ptr<std::byte[]> real_storage;
  sqlite3_file* real = nullptr;
  bool wal = false;
  File* partner = nullptr;  // a database file's WAL, a WAL's database file (both open)
  std::vector<char> gathered;
  sqlite3_int64 gathered_at = 0;       // the file offset of gathered[0]
  sqlite3_int64 commit_page_at = -1;   // where the page of the last commit frame's header goes
};

File& self(sqlite3_file* file) { return *reinterpret_cast<File*>(file); }
sqlite3_file* real(sqlite3_file* file) { return self(file).real; }

// What is gathered stays until written: a transaction whose frames failed to go out fails.
int flush(File& f) {
  if (f.gathered.empty()) return SQLITE_OK;
  const int rc = f.real->pMethods->xWrite(f.real, f.gathered.data(), static_cast<int>(f.gathered.size()), f.gathered_at);
  if (rc == SQLITE_OK) f.gathered.clear();
  return rc;
}

bool is_commit_frame_header(const void* data, int amount) {
  if (amount != kFrameHeaderBytes) return false;
  const auto* b = static_cast<const unsigned char*>(data);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

int close_file(sqlite3_file* file) {
  auto& f = self(file);
  const int flushed = flush(f);
  if (f.partner) f.partner->partner = nullptr;
  const int rc = f.real->pMethods->xClose(f.real);
  f.~File();
  return flushed != SQLITE_OK ? flushed : rc;
}

int write_file(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  auto& f = self(file);
  if (!f.wal) return f.real->pMethods->xWrite(f.real, data, amount, offset);
  const auto size = static_cast<std::size_t>(amount);
  const bool follows = offset == f.gathered_at + static_cast<sqlite3_int64>(f.gathered.size());
  if (!follows || f.gathered.size() + size > kMaxGathered) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  if (size >= kMaxGathered) return f.real->pMethods->xWrite(f.real, data, amount, offset);
  if (f.gathered.empty()) f.gathered_at = offset;
  const auto* bytes = static_cast<const char*>(data);
  f.gathered.insert(f.gathered.end(), bytes, bytes + size);
  if (is_commit_frame_header(data, amount)) {
    f.commit_page_at = offset + kFrameHeaderBytes;
  } else if (offset == f.commit_page_at) {
    // The commit is whole: in the file before SQLite makes it visible, its failure SQLite's.
    f.commit_page_at = -1;
    return flush(f);
  }
  return SQLITE_OK;
}

// Everything that reads, sizes or syncs the file sees what was gathered written first.
int read_file(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  if (const int rc = flush(self(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xRead(real(file), data, amount, offset);
}
int truncate_file(sqlite3_file* file, sqlite3_int64 size) {
  if (const int rc = flush(self(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xTruncate(real(file), size);
}
int sync_file(sqlite3_file* file, int flags) {
  if (const int rc = flush(self(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xSync(real(file), flags);
}
int file_size(sqlite3_file* file, sqlite3_int64* size) {
  if (const int rc = flush(self(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFileSize(real(file), size);
}
int file_control(sqlite3_file* file, int op, void* arg) {
  if (const int rc = flush(self(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFileControl(real(file), op, arg);
}
int fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  if (const int rc = flush(self(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFetch(real(file), offset, amount, out);
}

// The database file's shared-memory calls. Before the wal-index is published, the WAL's frames
// are written (a commit's already are: this is for anything else SQLite publishes).
void shm_barrier(sqlite3_file* file) {
  if (auto* wal = self(file).partner) flush(*wal);  // a failure is seen by the WAL's next call
  real(file)->pMethods->xShmBarrier(real(file));
}
int shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  auto* wal = self(file).partner;
  if (wal && (flags & SQLITE_SHM_UNLOCK) && offset <= kWalWriteLock && kWalWriteLock < offset + n) {
    // The transaction has ended. A commit's frames are written; what is left was spilled by a
    // transaction that rolled back: written now if it can be, else dropped, but never later,
    // when another connection may have committed at the same offsets.
    if (flush(*wal) != SQLITE_OK) wal->gathered.clear();
    wal->commit_page_at = -1;
  }
  return real(file)->pMethods->xShmLock(real(file), offset, n, flags);
}

// The rest is the base file's.
int lock(sqlite3_file* file, int level) { return real(file)->pMethods->xLock(real(file), level); }
int unlock(sqlite3_file* file, int level) { return real(file)->pMethods->xUnlock(real(file), level); }
int check_reserved_lock(sqlite3_file* file, int* out) {
  return real(file)->pMethods->xCheckReservedLock(real(file), out);
}
int sector_size(sqlite3_file* file) { return real(file)->pMethods->xSectorSize(real(file)); }
int device_characteristics(sqlite3_file* file) { return real(file)->pMethods->xDeviceCharacteristics(real(file)); }
int shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return real(file)->pMethods->xShmMap(real(file), region, size, extend, out);
}
int shm_unmap(sqlite3_file* file, int remove) { return real(file)->pMethods->xShmUnmap(real(file), remove); }
int unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return real(file)->pMethods->xUnfetch(real(file), offset, page);
}

const sqlite3_io_methods kMethods = {
    3,          close_file,  read_file, write_file, truncate_file, sync_file,   file_size,
    lock,       unlock,      check_reserved_lock,   file_control,  sector_size, device_characteristics,
    shm_map,    shm_lock,    shm_barrier,           shm_unmap,     fetch,       unfetch,
};

int open_file(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  file->pMethods = nullptr;
  sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
  if (base == nullptr || base == &our_vfs) base = registered_base;
  auto storage = std::make_unique<std::byte[]>(static_cast<std::size_t>(base->szOsFile));
  auto* real_file = reinterpret_cast<sqlite3_file*>(storage.get());
  const int rc = base->xOpen(base, name, real_file, flags, out_flags);
  // The methods above are version 3: a base file with fewer could not serve them.
  if (rc != SQLITE_OK || real_file->pMethods->iVersion < 3) {
    if (real_file->pMethods) real_file->pMethods->xClose(real_file);
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  auto* f = new (file) File;
  f->base.pMethods = &kMethods;
  f->real_storage = std::move(storage);
  f->real = real_file;
  f->wal = (flags & SQLITE_OPEN_WAL) != 0;
  if (f->wal) {
    // The WAL's name is SQLite's own here: it leads to the connection's database file.
    sqlite3_file* db = sqlite3_database_file_object(name);
    if (db != nullptr && db->pMethods == &kMethods) {
      f->partner = &self(db);
      self(db).partner = f;
    }
  }
  return SQLITE_OK;
}

}  // namespace

const char* vfs_name() {
  static const char* const name = [] {
    // SQLite's own unix VFS, not whatever is the default now (a test's, which may go away).
    registered_base = sqlite3_vfs_find("unix");
    if (registered_base == nullptr) registered_base = sqlite3_vfs_find(nullptr);
    // A copy of it keeps its other methods and the data they read (pAppData,
    // mxPathname); only opening files is ours.
    our_vfs = *registered_base;
    our_vfs.szOsFile = static_cast<int>(sizeof(File));
    our_vfs.zName = "chatops-wal-write-buffer";
    our_vfs.pNext = nullptr;
    our_vfs.xOpen = open_file;
    sqlite3_vfs_register(&our_vfs, 0);
    return our_vfs.zName;
  }();
  return name;
}

}  // namespace chatops::ingestion::wal_write_buffer
