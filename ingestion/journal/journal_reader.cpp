// The journal's reader side: what the dispatcher reads and marks, history, pruning.
#include <algorithm>
#include <array>

#include <spdlog/spdlog.h>

#include "ingestion/journal/journal.hpp"
#include "ingestion/journal/journal_db.hpp"
#include "ingestion/journal/statements.hpp"

namespace chatops::ingestion {

namespace {

constexpr std::array<std::string_view, 3> kStateNames{"pending", "sent", "digested"};

IngestionEvent event_from_row(SQLite::Statement& row) {
  IngestionEvent e;
  e.id = row.getColumn(0).getInt64();
  e.source = row.getColumn(1).getString();
  e.family = row.getColumn(2).getString();
  e.topic = row.getColumn(3).getString();
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(row.getColumn(4).getInt64()));
  e.severity = severity_from_string(row.getColumn(5).getString());
  e.dedupe_key = row.getColumn(6).getString();
  e.fields = EventFields::from_text(row.getColumn(7).getString());
  e.default_template = row.getColumn(8).getString();
  const auto frame = row.getColumn(9);
  e.raw_compressed.assign(static_cast<const char*>(frame.getBlob()), static_cast<std::size_t>(frame.getBytes()));
  return e;
}

std::vector<IngestionEvent> read_events(SQLite::Statement& query) {
  std::vector<IngestionEvent> out;
  while (query.executeStep()) out.push_back(event_from_row(query));
  return out;
}

// A bind-style wildcard (*, ?) as a LIKE pattern, which is case-insensitive for ASCII.
std::string like_pattern(std::string_view mask) {
  std::string out;
  for (char c : mask) {
    if (c == '*') out += '%';
    else if (c == '?') out += '_';
    else if (c == '%' || c == '_' || c == '\\') out.append("\\").push_back(c);
    else out += c;
  }
  return out;
}

// Deletes in chunks, each its own transaction, so the writer thread is never held off for long.
std::int64_t delete_chunked(SQLite::Database& db, const char* sql, std::int64_t cutoff) {
  constexpr int kChunk = 1000;
  std::int64_t total = 0;
  SQLite::Statement del(db, sql);
  for (;;) {
    del.bind(1, cutoff);
    del.bind(2, kChunk);
    int n = del.exec();
    del.reset();
    total += n;
    if (n < kChunk) return total;
  }
}

}  // namespace

Journal::ReaderStatements& Journal::statements() {
  if (!reader_statements_) reader_statements_ = std::make_unique<ReaderStatements>(*reader_db_);
  return *reader_statements_;
}

namespace {
// Runs `f` on a cached statement and leaves it reset (also when it throws) for its next use.
template <class F>
auto with_reset(SQLite::Statement& statement, F&& f) {
  struct Reset {
    SQLite::Statement& s;
    ~Reset() {
      s.tryReset();
      s.clearBindings();
    }
  } reset{statement};
  return f(statement);
}
}  // namespace

std::string_view to_string(DeliveryState s) { return kStateNames[static_cast<std::size_t>(s)]; }

Result<std::vector<IngestionEvent>> Journal::pending_events(std::int64_t after_id, std::size_t limit) {
  // Fields held as text stay so: the dispatcher reads a few names of them, and builds the object
  // only for an output it says.
  if (auto recent = recent_.take(after_id, limit)) return std::move(*recent);
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded("reading pending events", [&] {
    return with_reset(statements().pending, [&](SQLite::Statement& q) {
      q.bind(1, after_id);
      q.bind(2, static_cast<std::int64_t>(limit));
      return read_events(q);
    });
  });
}

Result<std::vector<Delivery>> Journal::deliveries(std::int64_t event_id) {
  if (recent_.unsaid(event_id)) return std::vector<Delivery>{};
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded(fmt::format("reading the deliveries of event {}", event_id), [&] {
    return with_reset(statements().deliveries, [&](SQLite::Statement& q) {
      q.bind(1, event_id);
      std::vector<Delivery> out;
      while (q.executeStep()) {
        Delivery d;
        d.handler_key = q.getColumn(0).getString();
        auto state = q.getColumn(1).getString();
        d.state = state == "sent" ? DeliveryState::Sent : state == "digested" ? DeliveryState::Digested
                                                                              : DeliveryState::Pending;
        d.lines = q.getColumn(2).getInt64();
        if (!q.getColumn(3).isNull()) d.sent_ms = q.getColumn(3).getInt64();
        out.push_back(std::move(d));
      }
      return out;
    });
  });
}

Result<void> Journal::set_state(std::int64_t event_id, const std::string& handler_key, DeliveryState state,
                                std::int64_t lines) {
  recent_.marked(event_id);
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded(fmt::format("marking {} of event {} {}", handler_key, event_id, to_string(state)), [&] {
    with_reset(statements().mark, [&](SQLite::Statement& q) {
      q.bind(1, event_id);
      q.bind(2, handler_key);
      q.bind(3, std::string(to_string(state)));
      q.bind(4, lines);
      q.bind(5, now_ms());
      q.exec();  // a foreign key error for an unknown event
    });
  });
}

Result<void> Journal::mark_sent(std::int64_t event_id, const std::string& handler_key, std::int64_t lines) {
  return set_state(event_id, handler_key, DeliveryState::Sent, lines);
}

Result<void> Journal::mark_digested(std::int64_t event_id, const std::string& handler_key) {
  return set_state(event_id, handler_key, DeliveryState::Digested, 0);
}

Result<void> Journal::mark_done(std::int64_t event_id) {
  recent_.marked(event_id);
  std::lock_guard lock(reader_mutex_);
  auto what = fmt::format("marking event {} done", event_id);
  auto known = journal_db::guarded(what, [&] {
    auto& st = statements();
    const int changed = with_reset(st.done, [&](SQLite::Statement& q) {
      q.bind(1, now_ms());
      q.bind(2, event_id);
      return q.exec();
    });
    // Nothing changed: already done (marking is idempotent), or unknown.
    return changed > 0 || with_reset(st.exists, [&](SQLite::Statement& q) {
             q.bind(1, event_id);
             return q.executeStep();
           });
  });
  if (!known) return std::unexpected(known.error());
  if (!*known) return fail(fmt::format("journal: {}: no such event", what));
  if (on_done_) on_done_(event_id);
  return {};
}

Result<std::int64_t> Journal::backlog() {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded("counting the backlog", [&] {
    return reader_db_->execAndGet("SELECT count(*) FROM events WHERE done_ms IS NULL").getInt64();
  });
}

Result<std::chrono::milliseconds> Journal::oldest_pending_age() {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded("reading the oldest pending event", [&] {
    // Ids grow with received_ms, so the lowest pending id is the oldest (found through the index).
    SQLite::Statement q(*reader_db_, "SELECT received_ms FROM events WHERE done_ms IS NULL ORDER BY id LIMIT 1");
    if (!q.executeStep()) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(std::max<std::int64_t>(0, now_ms() - q.getColumn(0).getInt64()));
  });
}

Result<std::vector<IngestionEvent>> Journal::history(std::size_t limit, std::string_view topic_mask) {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded("reading history", [&] {
    SQLite::Statement q(*reader_db_, fmt::format("SELECT {} FROM events WHERE done_ms IS NOT NULL AND topic LIKE ? "
                                                 "ESCAPE '\\' ORDER BY id DESC LIMIT ?",
                                                 kEventColumns));
    q.bind(1, like_pattern(topic_mask));
    q.bind(2, static_cast<std::int64_t>(limit));
    return read_events(q);
  });
}

Result<std::vector<std::pair<std::string, std::int64_t>>> Journal::received_per_source(std::chrono::milliseconds window) {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded("counting events per source", [&] {
    SQLite::Statement q(*reader_db_,
                        "SELECT source, COUNT(*) FROM events WHERE received_ms >= ? GROUP BY source ORDER BY source");
    q.bind(1, now_ms() - window.count());
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (q.executeStep()) out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
    return out;
  });
}

Result<PruneCounts> Journal::prune(std::chrono::system_clock::time_point now) {
  std::lock_guard lock(reader_mutex_);
  const auto now_ms = journal_db::to_ms(now);
  return journal_db::guarded("pruning", [&] {
    PruneCounts n;
    // Deliveries go with their event (ON DELETE CASCADE).
    n.events = delete_chunked(*reader_db_,
                              "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE done_ms IS NOT NULL "
                              "AND done_ms < ? LIMIT ?)",
                              now_ms - options_.retention.count());
    n.state = delete_chunked(*reader_db_,
                             "DELETE FROM state WHERE (scope, key) IN (SELECT scope, key FROM state "
                             "WHERE expires_ms <= ? LIMIT ?)",
                             now_ms);
    return n;
  });
}

Result<DedupePruneStep> Journal::prune_dedupe_keys(std::chrono::system_clock::time_point now, std::size_t max_keys) {
  std::lock_guard lock(reader_mutex_);
  const auto cutoff = journal_db::to_ms(now) - options_.dedupe_window.count();
  max_keys = std::max<std::size_t>(max_keys, 1);
  return journal_db::guarded("pruning dedupe keys", [&] {
    SQLite::Statement read(*reader_db_, dedupe_walk_after_
                                            ? "SELECT source, key, seen_ms < ?3 FROM dedupe WHERE (source, key) > (?1, ?2) "
                                              "ORDER BY source, key LIMIT ?4"
                                            : "SELECT source, key, seen_ms < ?3 FROM dedupe ORDER BY source, key LIMIT ?4");
    if (dedupe_walk_after_) {
      read.bind(1, dedupe_walk_after_->first);
      read.bind(2, dedupe_walk_after_->second);
    }
    read.bind(3, cutoff);
    read.bind(4, static_cast<std::int64_t>(max_keys));
    std::vector<std::pair<std::string, std::string>> expired;
    std::size_t keys = 0;
    while (read.executeStep()) {
      const bool is_expired = read.getColumn(2).getInt() != 0;
      const bool last = ++keys == max_keys;
      if (!is_expired && !last) continue;  // most keys: nothing copied
      std::pair<std::string, std::string> at{read.getColumn(0).getString(), read.getColumn(1).getString()};
      if (last) dedupe_walk_after_ = at;
      if (is_expired) expired.push_back(std::move(at));
    }
    read.reset();
    DedupePruneStep step;
    step.finished = keys < max_keys;
    if (step.finished) dedupe_walk_after_.reset();
    if (expired.empty()) return step;
    // Its age is checked again: the writer may have claimed the key anew since it was read.
    SQLite::Transaction tx(*reader_db_);
    SQLite::Statement del(*reader_db_, "DELETE FROM dedupe WHERE source = ? AND key = ? AND seen_ms < ?");
    for (const auto& [source, key] : expired) {
      del.bind(1, source);
      del.bind(2, key);
      del.bind(3, cutoff);
      step.deleted += del.exec();
      del.reset();
    }
    tx.commit();
    return step;
  });
}

Result<void> Journal::mark_failed(std::int64_t event_id, std::string_view reason) {
  recent_.marked(event_id);
  {
    std::lock_guard lock(reader_mutex_);
    auto marked = journal_db::guarded(fmt::format("marking event {} failed", event_id), [&] {
      SQLite::Statement q(*reader_db_, "UPDATE events SET done_ms = ?, failed_reason = ? WHERE id = ?");
      q.bind(1, now_ms());
      q.bind(2, std::string(reason));
      q.bind(3, event_id);
      q.exec();
    });
    if (!marked) return marked;
  }
  if (on_done_) on_done_(event_id);
  return {};
}

Result<std::int64_t> Journal::hand_back_pending(std::string_view reason) {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded("handing pending events back", [&]() -> std::int64_t {
    SQLite::Transaction tx(*reader_db_);
    reader_db_->exec("DELETE FROM dedupe WHERE event_id IN (SELECT id FROM events WHERE done_ms IS NULL)");
    SQLite::Statement q(*reader_db_, "UPDATE events SET done_ms = ?, failed_reason = ? WHERE done_ms IS NULL");
    q.bind(1, now_ms());
    q.bind(2, std::string(reason));
    const auto n = q.exec();
    tx.commit();
    return n;
  });
}

void Journal::set_on_done(std::function<void(std::int64_t)> callback) { on_done_ = std::move(callback); }

Result<std::optional<std::pair<std::int64_t, bool>>> Journal::find_event(std::string_view source,
                                                                         std::string_view dedupe_key) {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded("looking up a dedupe key of " + std::string(source),
                             [&]() -> std::optional<std::pair<std::int64_t, bool>> {
                               SQLite::Statement q(*reader_db_,
                                                   "SELECT e.id, e.done_ms IS NOT NULL FROM dedupe d JOIN events e "
                                                   "ON e.id = d.event_id WHERE d.source = ? AND d.key = ?");
                               q.bind(1, std::string(source));
                               q.bind(2, std::string(dedupe_key));
                               if (!q.executeStep()) return std::nullopt;
                               return std::pair{q.getColumn(0).getInt64(), q.getColumn(1).getInt() != 0};
                             });
}

// --- cursors and state

Result<std::optional<std::string>> Journal::cursor(std::string_view source) {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded("reading the cursor of " + std::string(source), [&]() -> std::optional<std::string> {
    SQLite::Statement q(*reader_db_, "SELECT cursor FROM cursors WHERE source = ?");
    q.bind(1, std::string(source));
    if (!q.executeStep()) return std::nullopt;
    return q.getColumn(0).getString();
  });
}

Result<void> Journal::put_state(std::string_view scope, std::string_view key, std::string_view value,
                                std::optional<std::chrono::system_clock::time_point> expires) {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded(fmt::format("saving state {}/{}", scope, key), [&] {
    SQLite::Statement q(*reader_db_,
                        "INSERT OR REPLACE INTO state(scope, key, value, expires_ms, updated_ms) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, std::string(scope));
    q.bind(2, std::string(key));
    q.bind(3, std::string(value));
    if (expires) q.bind(4, journal_db::to_ms(*expires));
    q.bind(5, now_ms());
    q.exec();
  });
}

Result<std::optional<std::string>> Journal::get_state(std::string_view scope, std::string_view key) {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded(fmt::format("reading state {}/{}", scope, key), [&]() -> std::optional<std::string> {
    SQLite::Statement q(*reader_db_,
                        "SELECT value FROM state WHERE scope = ? AND key = ? AND (expires_ms IS NULL OR expires_ms > ?)");
    q.bind(1, std::string(scope));
    q.bind(2, std::string(key));
    q.bind(3, now_ms());
    if (!q.executeStep()) return std::nullopt;
    return q.getColumn(0).getString();
  });
}

Result<std::vector<std::pair<std::string, std::string>>> Journal::list_state(std::string_view scope) {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded(fmt::format("reading state {}", scope), [&] {
    SQLite::Statement q(*reader_db_,
                        "SELECT key, value FROM state WHERE scope = ? AND (expires_ms IS NULL OR expires_ms > ?) "
                        "ORDER BY key");
    q.bind(1, std::string(scope));
    q.bind(2, now_ms());
    std::vector<std::pair<std::string, std::string>> out;
    while (q.executeStep()) out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
    return out;
  });
}

Result<void> Journal::delete_state(std::string_view scope, std::string_view key) {
  std::lock_guard lock(reader_mutex_);
  return journal_db::guarded(fmt::format("deleting state {}/{}", scope, key), [&] {
    SQLite::Statement q(*reader_db_, "DELETE FROM state WHERE scope = ? AND key = ?");
    q.bind(1, std::string(scope));
    q.bind(2, std::string(key));
    q.exec();
  });
}

// --- Batch

Journal::Batch::Batch(Journal& journal) : journal_(journal) {
  std::lock_guard lock(journal_.reader_mutex_);
  // IMMEDIATE: take the write lock now (waiting for the writer thread's commit if needed) rather
  // than fail on a later upgrade from read to write.
  auto begun = journal_db::guarded("beginning a batch", [&] { journal_.reader_db_->exec("BEGIN IMMEDIATE"); });
  if (begun) open_ = true;
  else begin_error_ = begun.error();
}

Journal::Batch::~Batch() {
  if (!open_) return;
  std::lock_guard lock(journal_.reader_mutex_);
  if (auto rolled = journal_db::guarded("rolling back a batch", [&] { journal_.reader_db_->exec("ROLLBACK"); }); !rolled)
    spdlog::error("{}", rolled.error().message);
}

Result<void> Journal::Batch::commit() {
  if (begin_error_) return std::unexpected(*begin_error_);
  if (!open_) return fail("journal: batch already committed");
  std::lock_guard lock(journal_.reader_mutex_);
  auto committed = journal_db::guarded("committing a batch", [&] { journal_.reader_db_->exec("COMMIT"); });
  if (committed) open_ = false;
  return committed;
}

}  // namespace chatops::ingestion
