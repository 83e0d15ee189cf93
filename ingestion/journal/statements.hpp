#pragma once
// Internal to the journal: the statements each side prepares once and keeps (preparing them
// anew cost more than running them).
#include <array>
#include <bit>
#include <memory>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "ingestion/journal/journal.hpp"

namespace chatops::ingestion {

// The columns event_from_row() reads, in its order.
inline constexpr const char* kEventColumns =
    "id, source, family, topic, time_ms, severity, dedupe_key, fields_json, default_template, raw_compressed";

// The writer thread's. A job of many rows (a stream's batch) goes in by statements of several rows
// each (one program run for many rows rather than one per row: a third less of SQLite's time a
// row in a transaction of 500), in powers of two up to kRowsPerStatement, so that few statements
// are ever prepared, each once, when first needed: seen_keys finds which of up to
// kRowsPerStatement dedupe keys (unused places NULL) were seen within the window; claim takes the
// others' keys, naming the events about to be inserted (a key seen before the window is taken
// over). A job of a few rows (a webhook's one event) goes row by row: there the look-up would
// cost more than it saves, and claim_key does it in the claim, inserting a key naming the event
// about to be inserted (?5) or taking over one last seen before the window (?4); a key seen
// within the window changes no row: the event is a duplicate. The writer is the only one to insert
// events, so it gives them their ids itself: next_id is the one AUTOINCREMENT would give (above
// every id the table ever had), read once per transaction.
struct Journal::WriterStatements {
  static constexpr std::size_t kRowsPerStatement = 32;
  static constexpr std::size_t kRowsForSlices = 8;  // jobs with fewer go row by row
  static constexpr int kInsertColumns = 11;

  explicit WriterStatements(SQLite::Database& db)
      : next_id(db, "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) + 1"),
        claim_key(db,
                  "INSERT INTO dedupe(source, key, seen_ms, event_id) VALUES (?1, ?2, ?3, ?5) ON CONFLICT (source, key) "
                  "DO UPDATE SET seen_ms = excluded.seen_ms, event_id = excluded.event_id WHERE dedupe.seen_ms <= ?4"),
        seen_keys(db, fmt::format("SELECT key FROM dedupe WHERE source = ?1 AND seen_ms > ?2 AND key IN ({})",
                                  placeholders(3, kRowsPerStatement))),
        put_cursor(db, "INSERT OR REPLACE INTO cursors(source, cursor, updated_ms) VALUES (?, ?, ?)"),
        put_state(db, "INSERT OR REPLACE INTO state(scope, key, value, expires_ms, updated_ms) VALUES (?, ?, ?, NULL, ?)"),
        delete_state(db, "DELETE FROM state WHERE scope = ? AND key = ?"),
        db_(db) {}

  // A statement of `rows` rows (a power of two, at most kRowsPerStatement); its parameters are
  // numbered row by row: (source, key, seen_ms, event_id) for claim, the events columns for insert.
  SQLite::Statement& claim(std::size_t rows) {
    return prepared(claims_, rows,
                    "INSERT INTO dedupe(source, key, seen_ms, event_id) VALUES {} ON CONFLICT (source, key) "
                    "DO UPDATE SET seen_ms = excluded.seen_ms, event_id = excluded.event_id",
                    4);
  }
  SQLite::Statement& insert(std::size_t rows) {
    return prepared(inserts_, rows,
                    "INSERT INTO events(id, source, family, topic, time_ms, severity, dedupe_key, fields_json, "
                    "default_template, received_ms, raw_compressed) VALUES {}",
                    kInsertColumns);
  }

  SQLite::Statement next_id, claim_key, seen_keys, put_cursor, put_state, delete_state;

 private:
  using BySize = std::array<std::unique_ptr<SQLite::Statement>, std::countr_zero(kRowsPerStatement) + 1>;

  // "?first, ?first+1, …", count of them.
  static std::string placeholders(int first, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += fmt::format("{}?{}", i ? ", " : "", first + static_cast<int>(i));
    return out;
  }
  SQLite::Statement& prepared(BySize& by_size, std::size_t rows, const char* pattern, int columns) {
    auto& statement = by_size.at(static_cast<std::size_t>(std::countr_zero(rows)));
    if (!statement) {
      std::string values;
      for (std::size_t r = 0; r < rows; ++r) {
        values += r ? ", (" : "(";
        for (int c = 0; c < columns; ++c) values += c ? ", ?" : "?";
        values += ')';
      }
      statement = std::make_unique<SQLite::Statement>(db_, fmt::format(fmt::runtime(pattern), values));
    }
    return *statement;
  }

  SQLite::Database& db_;
  BySize claims_, inserts_;  // by log2 of their rows
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
