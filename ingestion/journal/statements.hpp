#pragma once
// Internal to the journal: the statements each side prepares once and keeps (preparing them
// anew cost more than running them).
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "ingestion/journal/journal.hpp"

namespace chatops::ingestion {

// The columns event_from_row() reads, in its order.
inline constexpr const char* kEventColumns =
    "id, source, family, topic, time_ms, severity, dedupe_key, fields_json, default_template, raw_compressed";

// The writer thread's. claim_key inserts a dedupe key, or takes over one last seen before the
// window (?4); a key seen within the window changes no row: the event is a duplicate. One
// statement instead of a look-up and a write. key_event then records the event inserted for it
// (its row is the one claim_key just wrote: no other page is written).
struct Journal::WriterStatements {
  explicit WriterStatements(SQLite::Database& db)
      : claim_key(db,
                  "INSERT INTO dedupe(source, key, seen_ms) VALUES (?1, ?2, ?3) ON CONFLICT (source, key) "
                  "DO UPDATE SET seen_ms = excluded.seen_ms WHERE dedupe.seen_ms <= ?4"),
        key_event(db, "UPDATE dedupe SET event_id = ?3 WHERE source = ?1 AND key = ?2"),
        insert(db,
               "INSERT INTO events(source, family, topic, time_ms, severity, dedupe_key, fields_json, "
               "default_template, received_ms, raw_compressed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        put_cursor(db, "INSERT OR REPLACE INTO cursors(source, cursor, updated_ms) VALUES (?, ?, ?)"),
        put_state(db, "INSERT OR REPLACE INTO state(scope, key, value, expires_ms, updated_ms) VALUES (?, ?, ?, NULL, ?)"),
        delete_state(db, "DELETE FROM state WHERE scope = ? AND key = ?") {}
  SQLite::Statement claim_key, key_event, insert, put_cursor, put_state, delete_state;
};

// The reader connection's (the dispatcher's), under reader_mutex_.
struct Journal::ReaderStatements {
  explicit ReaderStatements(SQLite::Database& db)
      : pending(db, fmt::format("SELECT {} FROM events WHERE done_ms IS NULL AND id > ? ORDER BY id LIMIT ?",
                                kEventColumns)),
        deliveries(db, "SELECT handler_key, state, lines, sent_ms FROM deliveries WHERE event_id = ? ORDER BY rowid"),
        mark(db,
             "INSERT INTO deliveries(event_id, handler_key, state, lines, sent_ms) VALUES (?, ?, ?, ?, ?) "
             "ON CONFLICT (event_id, handler_key) DO UPDATE SET state = excluded.state, lines = excluded.lines, "
             "sent_ms = excluded.sent_ms"),
        done(db, "UPDATE events SET done_ms = ? WHERE id = ? AND done_ms IS NULL"),
        exists(db, "SELECT 1 FROM events WHERE id = ?") {}
  SQLite::Statement pending, deliveries, mark, done, exists;
};

}  // namespace chatops::ingestion
