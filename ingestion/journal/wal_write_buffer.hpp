#pragma once
// Internal to the journal: a SQLite VFS that writes a commit's WAL frames with one system call.
//
// SQLite writes each WAL frame as two pwrite calls (its 24-byte header, then the page): a commit
// of 3 webhook events, about 13 frames, makes 26 system calls, and on a virtual machine where a
// system call takes the kernel's slow path that is a sixth of the journal writer's CPU. This VFS
// wraps the default one and, for WAL files only, gathers consecutive writes in memory and writes
// them out in one pwrite:
//  - when the page of a commit frame (a frame header with a database size) has been gathered: the
//    commit's frames are in the file before SQLite publishes them to other connections (the
//    wal-index), whether or not it syncs, and a failed write fails the commit as it would without
//    this VFS;
//  - when SQLite reads, sizes, syncs, truncates or closes the WAL, or a write is not contiguous;
//  - when the connection releases the WAL write lock or publishes the wal-index (xShmLock and
//    xShmBarrier on the database file): frames a transaction spilled before rolling back go out
//    while it still holds the lock, never later over frames another connection committed.

namespace chatops::ingestion::wal_write_buffer {

// Registers the VFS once (not as the default) and returns its name, for sqlite3_open_v2. Each
// file is opened through the default VFS of the moment (a test may have replaced it).
const char* vfs_name();

}  // namespace chatops::ingestion::wal_write_buffer
