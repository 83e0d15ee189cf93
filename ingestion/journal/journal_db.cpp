#include "ingestion/journal/journal_db.hpp"

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>

#include <sqlite3.h>

#include "ingestion/journal/wal_write_buffer.hpp"

namespace chatops::ingestion::journal_db {

namespace {

// AUTOINCREMENT: ids never go back, even when pruning removed the newest rows, so a reader's
// "after id" cursor stays valid. The partial indexes keep pending and prune scans small.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  topic TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  severity TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  fields_json TEXT NOT NULL,
  default_template TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  done_ms INTEGER);
CREATE INDEX events_pending ON events(id) WHERE done_ms IS NULL;
CREATE INDEX events_done ON events(done_ms) WHERE done_ms IS NOT NULL;
CREATE TABLE deliveries(
  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  handler_key TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'digested')),
  lines INTEGER NOT NULL DEFAULT 0,
  sent_ms INTEGER,
  PRIMARY KEY (event_id, handler_key));
CREATE TABLE dedupe(
  key TEXT PRIMARY KEY,
  seen_ms INTEGER NOT NULL);
CREATE INDEX dedupe_seen ON dedupe(seen_ms);
PRAGMA user_version = 1;
)sql";

// Version 2: the payload as the JSON text received, zstd-compressed (compression.hpp), apart from
// the normalised fields (which used to hold it as fields.raw): no re-serialising on the write path.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE events ADD COLUMN raw_zstd BLOB NOT NULL DEFAULT x'';
PRAGMA user_version = 2;
)sql";

// Version 3: dedupe keys scoped by source (one source's key can no longer silence another's
// event); the `kind` column named for what it holds, the event's family; the payload column for
// what it holds now (LZ4 frames; the zstd frames of version 2 still read); sources' cursors, saved
// with their events; small state that components keep between runs; why an event failed.
// A key whose event has already been pruned loses its source and is dropped: the dedupe window
// (24h by default) is far shorter than the retention (7d), so only keys past their window go.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE dedupe_by_source(
  source TEXT NOT NULL,
  key TEXT NOT NULL,
  seen_ms INTEGER NOT NULL,
  PRIMARY KEY (source, key)) WITHOUT ROWID;
INSERT OR REPLACE INTO dedupe_by_source(source, key, seen_ms)
  SELECT e.source, d.key, d.seen_ms FROM dedupe d JOIN events e ON e.dedupe_key = d.key;
DROP TABLE dedupe;
ALTER TABLE dedupe_by_source RENAME TO dedupe;
CREATE INDEX dedupe_seen ON dedupe(seen_ms);
ALTER TABLE events RENAME COLUMN kind TO family;
ALTER TABLE events RENAME COLUMN raw_zstd TO raw_compressed;
ALTER TABLE events ADD COLUMN failed_reason TEXT;
CREATE TABLE cursors(
  source TEXT PRIMARY KEY,
  cursor TEXT NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE TABLE state(
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  expires_ms INTEGER,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (scope, key)) WITHOUT ROWID;
CREATE INDEX state_expiry ON state(expires_ms) WHERE expires_ms IS NOT NULL;
PRAGMA user_version = 3;
)sql";

// Version 4: events found by (source, dedupe key), the Kafka journal speaker's lookup of the event
// a duplicate repeats (Journal::find_event), without a scan. The dedupe table cannot answer it:
// it holds no event id, and a key outlives its event's pruning.
constexpr const char* kSchemaV4 = R"sql(
CREATE INDEX events_by_key ON events(source, dedupe_key);
PRAGMA user_version = 4;
)sql";

// Version 5: a dedupe key names the event that claimed it, which is how a duplicate's original is
// found (Journal::find_event) and how pending events give back their keys. Version 4's index on
// events(source, dedupe_key) answered the same at the price of one more B-tree page written per
// event, at a random place (dedupe keys are delivery ids); the dedupe row is written anyway.
constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE dedupe ADD COLUMN event_id INTEGER;
UPDATE dedupe SET event_id = (SELECT max(e.id) FROM events e WHERE e.source = dedupe.source AND e.dedupe_key = dedupe.key);
DROP INDEX events_by_key;
PRAGMA user_version = 5;
)sql";

// Version 6: no index on dedupe(seen_ms). It cost every claimed key a second B-tree insert at a
// random place for the sake of the hourly prune alone, which now walks the table in key order
// instead (Journal::prune_dedupe_keys). Duplicates are looked up by (source, key), as before.
constexpr const char* kSchemaV6 = R"sql(
DROP INDEX dedupe_seen;
PRAGMA user_version = 6;
)sql";

Result<void> create_parent(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return {};
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return fail(fmt::format("journal: cannot create directory {}: {}", parent.string(), ec.message()));
  return {};
}

Result<void> migrate_schema(SQLite::Database& db, const std::string& path) {
  auto version = guarded("reading the schema version of " + path,
                         [&] { return db.execAndGet("PRAGMA user_version").getInt(); });
  if (!version) return std::unexpected(version.error());
  if (*version > kSchemaVersion)
    return fail(fmt::format("journal: {} has schema version {}, newer than this build's {}", path, *version,
                            kSchemaVersion));
  if (*version == kSchemaVersion) return {};
  // Version 0: a new file (or one that is not ours: CREATE TABLE then fails on a name clash).
  return guarded((*version == 0 ? "creating the schema in " : "upgrading the schema of ") + path, [&] {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    if (*version < 1) db.exec(kSchemaV1);
    if (*version < 2) db.exec(kSchemaV2);
    if (*version < 3) db.exec(kSchemaV3);
    if (*version < 4) db.exec(kSchemaV4);
    if (*version < 5) db.exec(kSchemaV5);
    db.exec(kSchemaV6);
    tx.commit();
  });
}

// SQLite gives each connection's page cache 20 pages at once, each written as it is linked in: 87
// KiB resident per connection before it has read a page, and the journal keeps three open. Pages
// are then allocated as they are read: an idle bot keeps the few it uses (bench/README.md). Only
// possible before SQLite initialises; later (a SQLite source opened first) it stays as it was.
void allocate_page_cache_on_demand() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0); });
}

// SQLite's busy handler: `timeout` is the milliseconds it waits in all, carried in the argument.
int wait_briefly(void* timeout, int tries) {
  constexpr int kShortTries = 20;
  constexpr auto kShort = std::chrono::microseconds(50);
  const auto limit = std::chrono::milliseconds(reinterpret_cast<std::intptr_t>(timeout));
  const auto waited = tries < kShortTries ? tries * kShort
                                          : kShortTries * kShort + std::chrono::milliseconds(tries - kShortTries);
  if (waited >= limit) return 0;
  std::this_thread::sleep_for(tries < kShortTries ? kShort : std::chrono::microseconds(1000));
  return 1;
}

}  // namespace

void wait_when_busy(sqlite3* db, std::chrono::milliseconds timeout) {
  sqlite3_busy_handler(db, wait_briefly, reinterpret_cast<void*>(static_cast<std::intptr_t>(timeout.count())));
}

Result<std::unique_ptr<SQLite::Database>> open(const JournalOptions& options, Synchronous synchronous, bool migrate) {
  allocate_page_cache_on_demand();
  if (migrate) {
    if (auto made = create_parent(options.path); !made) return std::unexpected(made.error());
  }
  // Each commit's WAL frames in one system call, not two per page (wal_write_buffer.hpp).
  auto db = guarded("opening " + options.path, [&] {
    return std::make_unique<SQLite::Database>(options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                              /*busy timeout: set below*/ 0, wal_write_buffer::vfs_name());
  });
  if (!db) return db;
  wait_when_busy((*db)->getHandle(), kBusyTimeout);
  // The first statement reads the header: a file that is not a database fails here.
  auto mode = guarded("opening " + options.path,
                      [&] { return (*db)->execAndGet("PRAGMA journal_mode = WAL").getString(); });
  if (!mode) return std::unexpected(mode.error());
  if (*mode != "wal") return fail(fmt::format("journal: {}: cannot use WAL mode (got {})", options.path, *mode));
  // FULL in WAL mode fsyncs the WAL on every commit: a commit, once answered, survives a power
  // loss. NORMAL only fsyncs at checkpoints: it survives kill -9 but may lose the last commits on
  // a power loss or kernel crash. Numbers in docs/operations.md, "Journal and delivery guarantees".
  auto set = guarded("configuring " + options.path, [&] {
    (*db)->exec(synchronous == Synchronous::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    (*db)->exec("PRAGMA foreign_keys = ON");
    // After a burst, a WAL emptied by a checkpoint is cut back to this size.
    (*db)->exec("PRAGMA journal_size_limit = 67108864");
  });
  if (!set) return std::unexpected(set.error());
  if (migrate) {
    if (auto migrated = migrate_schema(**db, options.path); !migrated) return std::unexpected(migrated.error());
  }
  return db;
}

}  // namespace chatops::ingestion::journal_db
