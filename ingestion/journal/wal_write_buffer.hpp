#pragma once
// Internal to the journal: a SQLite VFS that writes a commit's WAL frames with one system call.
//
// SQLite writes each WAL frame as two pwrite calls (its 24-byte header, then the page): a commit
// of 20 webhook events, about 80 frames, made 160 system calls, and on a virtual machine where a
// system call costs a microsecond that was a fifth of the journal writer's CPU. This VFS wraps
// the default one and, for WAL files only, gathers consecutive writes in memory and writes them
// out in one pwrite when SQLite syncs the WAL (or reads, sizes, truncates or closes it, or a
// write is not contiguous). Nothing is acknowledged in between: SQLite publishes a commit's
// frames to readers (the wal-index) only after that sync, so the frames are on disk first.
//
// Valid only for connections that sync the WAL at every commit (synchronous = FULL): with
// NORMAL, SQLite publishes frames without syncing, and another connection could read the WAL
// before the gathered frames are written. journal_db::open uses it for those connections only.
#include <string>

namespace chatops::ingestion::wal_write_buffer {

// Registers the VFS once (not as the default) and returns its name, for sqlite3_open_v2.
const char* vfs_name();

}  // namespace chatops::ingestion::wal_write_buffer
