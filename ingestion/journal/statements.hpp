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

// The writer thread's. claim_key inserts a dedupe key naming the event about to be inserted (?5),
// or takes over one last seen before the window (?4); a key seen within the window changes no
// row: the event is a duplicate. One statement instead of a look-up and two writes. The writer is
// the only one to insert events, so it gives them their ids itself: next_id is the one
// AUTOINCREMENT would give (above every id the table ever had), read once per transaction.
struct Journal::WriterStatements {
  explicit WriterStatements(SQLite::Database& db)
      : next_id(db, "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) + 1"),
        claim_key(db,
                  "INSERT INTO dedupe(source, key, seen_ms, event_id) VALUES (?1, ?2, ?3, ?5) ON CONFLICT (source, key) "
                  "DO UPDATE SET seen_ms = excluded.seen_ms, event_id = excluded.event_id WHERE dedupe.seen_ms <= ?4"),
        insert(db,
               "INSERT INTO events(id, source, family, topic, time_ms, severity, dedupe_key, fields_json, "
               "default_template, received_ms, raw_compressed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        put_cursor(db, "INSERT OR REPLACE INTO cursors(source, cursor, updated_ms) VALUES (?, ?, ?)"),
        put_state(db, "INSERT OR REPLACE INTO state(scope, key, value, expires_ms, updated_ms) VALUES (?, ?, ?, NULL, ?)"),
        delete_state(db, "DELETE FROM state WHERE scope = ? AND key = ?") {}
  SQLite::Statement next_id, claim_key, insert, put_cursor, put_state, delete_state;
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
