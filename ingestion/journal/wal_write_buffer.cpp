#include "ingestion/journal/wal_write_buffer.hpp"

#include <cstddef>
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

sqlite3_vfs* base_vfs = nullptr;  // the default VFS, set once before ours is registered

// Our file: the base VFS's file follows it in the same allocation (szOsFile covers both).
struct File {
  sqlite3_file base;  // first: SQLite sees a sqlite3_file
  sqlite3_file* real = nullptr;
  bool wal = false;
  std::vector<char> gathered;
  sqlite3_int64 gathered_at = 0;  // the file offset of gathered[0]
};
constexpr std::size_t kRealOffset = (sizeof(File) + 15) / 16 * 16;

File& self(sqlite3_file* file) { return *reinterpret_cast<File*>(file); }
sqlite3_file* real(sqlite3_file* file) { return self(file).real; }

int flush(File& f) {
  if (f.gathered.empty()) return SQLITE_OK;
  const int rc = f.real->pMethods->xWrite(f.real, f.gathered.data(), static_cast<int>(f.gathered.size()), f.gathered_at);
  f.gathered.clear();
  return rc;
}

int close_file(sqlite3_file* file) {
  auto& f = self(file);
  const int flushed = flush(f);
  const int rc = f.real->pMethods->xClose(f.real);
  f.~File();
  return flushed != SQLITE_OK ? flushed : rc;
}

int write_file(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  auto& f = self(file);
  if (!f.wal) return f.real->pMethods->xWrite(f.real, data, amount, offset);
  const auto size = static_cast<std::size_t>(amount);
  const bool follows = !f.gathered.empty() && offset == f.gathered_at + static_cast<sqlite3_int64>(f.gathered.size());
  if (!follows || f.gathered.size() + size > kMaxGathered) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    if (size >= kMaxGathered) return f.real->pMethods->xWrite(f.real, data, amount, offset);
    f.gathered_at = offset;
  }
  const auto* bytes = static_cast<const char*>(data);
  f.gathered.insert(f.gathered.end(), bytes, bytes + size);
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
int shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real(file)->pMethods->xShmLock(real(file), offset, n, flags);
}
void shm_barrier(sqlite3_file* file) { real(file)->pMethods->xShmBarrier(real(file)); }
int shm_unmap(sqlite3_file* file, int remove) { return real(file)->pMethods->xShmUnmap(real(file), remove); }
int fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  if (const int rc = flush(self(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFetch(real(file), offset, amount, out);
}
int unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return real(file)->pMethods->xUnfetch(real(file), offset, page);
}

const sqlite3_io_methods kMethods = {
    3,          close_file,  read_file, write_file, truncate_file, sync_file,   file_size,
    lock,       unlock,      check_reserved_lock,   file_control,  sector_size, device_characteristics,
    shm_map,    shm_lock,    shm_barrier,           shm_unmap,     fetch,       unfetch,
};

int open_file(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* base = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  base->pMethods = nullptr;
  const int rc = base_vfs->xOpen(base_vfs, name, base, flags, out_flags);
  // The methods above are version 3: a base file with fewer could not serve them.
  if (rc != SQLITE_OK || base->pMethods->iVersion < 3) {
    if (base->pMethods) base->pMethods->xClose(base);
    file->pMethods = nullptr;
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  auto* f = new (file) File;
  f->base.pMethods = &kMethods;
  f->real = base;
  f->wal = (flags & SQLITE_OPEN_WAL) != 0;
  return SQLITE_OK;
}

}  // namespace

const char* vfs_name() {
  static const char* const name = [] {
    base_vfs = sqlite3_vfs_find(nullptr);
    // A copy of the default VFS keeps its other methods and the data they read (pAppData,
    // mxPathname); only opening files is ours.
    static sqlite3_vfs vfs = *base_vfs;
    vfs.szOsFile = static_cast<int>(kRealOffset) + base_vfs->szOsFile;
    vfs.zName = "chatops-wal-write-buffer";
    vfs.pNext = nullptr;
    vfs.xOpen = open_file;
    sqlite3_vfs_register(&vfs, 0);
    return vfs.zName;
  }();
  return name;
}

}  // namespace chatops::ingestion::wal_write_buffer
