#include "ingestion/db/sqlite.hpp"

#include <sqlite3.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>
#include <thread>

#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::db {

namespace {

using Clock = std::chrono::steady_clock;

// A column declared as a date or time (DATE, DATETIME, TIMESTAMP…) whose value is stored as text:
// a timestamp, shown in ISO 8601. Its text stays as stored for the high-water mark.
bool time_column(const char* declared) {
  if (!declared) return false;
  const std::string type = payload::ascii_lower(declared);
  return type.find("date") != std::string::npos || type.find("time") != std::string::npos;
}

std::string hex(const void* data, int size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "\\x";
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (int i = 0; i < size; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xf];
  }
  return out;
}

std::string shortest(double v) {
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof text, v);
  return ec == std::errc{} ? std::string(text, end) : std::to_string(v);
}

struct Finalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

class SqliteEngine final : public Engine {
 public:
  SqliteEngine(ConnectOptions options, RewrittenQuery query) : o_(std::move(options)), q_(std::move(query)) {}
  ~SqliteEngine() override { close(); }

  SourceResult<std::vector<std::string>> open(Deadline deadline) override {
    close();
    deadline_ = deadline;
    std::unique_ptr<SQLite::Database> db;
    try {
      db = std::make_unique<SQLite::Database>(o_.path, SQLite::OPEN_READONLY);
    } catch (const SQLite::Exception& e) {
      return std::unexpected(error(e.getErrorCode(), "cannot open " + o_.path + ": " + e.what()));
    }
    sqlite3* handle = db->getHandle();
    sqlite3_busy_handler(handle, &SqliteEngine::on_busy, this);
    sqlite3_progress_handler(handle, 1000, &SqliteEngine::on_progress, this);
    sqlite3_stmt* prepared = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(handle, q_.text.data(), static_cast<int>(q_.text.size()),
                                      SQLITE_PREPARE_PERSISTENT, &prepared, &tail);
    std::unique_ptr<sqlite3_stmt, Finalize> statement(prepared);
    if (rc != SQLITE_OK)
      return std::unexpected(error(rc, std::string("the query does not prepare: ") + sqlite3_errmsg(handle)));
    // SQLite prepares the first statement and would quietly ignore the rest.
    if (std::any_of(tail, q_.text.data() + q_.text.size(),
                    [](char c) { return !std::isspace(static_cast<unsigned char>(c)) && c != ';'; }))
      return std::unexpected(SourceError::configuration("the query must be one statement"));
    sqlite3_stmt* s = statement.get();
    if (!s) return std::unexpected(SourceError::configuration("the query is empty"));
    if (!sqlite3_stmt_readonly(s))
      return std::unexpected(SourceError::configuration("the query writes; a db source only reads"));
    if (sqlite3_bind_parameter_count(s) != static_cast<int>(q_.parameters.size()))
      return std::unexpected(SourceError::configuration("the query has parameters other than :last and :limit"));
    std::vector<std::string> columns;
    time_columns_.clear();
    for (int i = 0; i < sqlite3_column_count(s); ++i) {
      columns.emplace_back(sqlite3_column_name(s, i));
      time_columns_.push_back(time_column(sqlite3_column_decltype(s, i)));
    }
    std::lock_guard lock(mutex_);
    db_ = std::move(db);
    statement_ = std::move(statement);
    return columns;
  }

  SourceResult<std::vector<Row>> fetch(const Cell& last, std::int64_t limit, Deadline deadline) override {
    if (!statement_) return std::unexpected(SourceError::transient("not open"));
    deadline_ = deadline;
    sqlite3_stmt* s = statement_.get();
    // Reset when done, so that no read transaction stays open between runs (it would hold the
    // writer's WAL from being checkpointed).
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() { sqlite3_reset(s); }
    } reset{s};
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    for (std::size_t i = 0; i < q_.parameters.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      if (q_.parameters[i] == Parameter::Limit) sqlite3_bind_int64(s, at, limit);
      else bind_last(s, at, last);
    }
    std::vector<Row> rows;
    const int n = sqlite3_column_count(s);
    for (;;) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return std::unexpected(error(rc, std::string("the query failed: ") + sqlite3_errmsg(db_->getHandle())));
      Row row;
      row.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) row.push_back(cell(s, i));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void close() override {
    std::lock_guard lock(mutex_);
    statement_.reset();  // before its database
    db_.reset();
  }

  void interrupt() override {
    std::lock_guard lock(mutex_);
    raise_interrupt();
    if (db_) sqlite3_interrupt(db_->getHandle());
  }

 private:
  static void bind_last(sqlite3_stmt* s, int at, const Cell& last) {
    std::int64_t integer = 0;
    double number = 0;
    const char* begin = last.text.data();
    const char* end = begin + last.text.size();
    if (last.type == Type::Integer && std::from_chars(begin, end, integer).ec == std::errc{})
      sqlite3_bind_int64(s, at, integer);
    else if (last.type == Type::Float && std::from_chars(begin, end, number).ec == std::errc{})
      sqlite3_bind_double(s, at, number);
    else
      sqlite3_bind_text(s, at, last.text.data(), static_cast<int>(last.text.size()), SQLITE_TRANSIENT);
  }

  Cell cell(sqlite3_stmt* s, int i) const {
    switch (sqlite3_column_type(s, i)) {
      case SQLITE_INTEGER:
        return {Type::Integer, std::to_string(sqlite3_column_int64(s, i))};
      case SQLITE_FLOAT:
        return {Type::Float, shortest(sqlite3_column_double(s, i))};
      case SQLITE_TEXT: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
        return {time_columns_[static_cast<std::size_t>(i)] ? Type::Time : Type::Text,
                std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(s, i)))};
      }
      case SQLITE_BLOB:
        return {Type::Text, hex(sqlite3_column_blob(s, i), sqlite3_column_bytes(s, i))};
      default:
        return {};
    }
  }

  SourceError error(int code, std::string message) const {
    if ((code & 0xff) == SQLITE_INTERRUPT)
      return SourceError::transient(interrupted() ? "stopped" : "the query ran past the run's timeout");
    return sqlite_configuration_error(code & 0xff) ? SourceError::configuration(std::move(message))
                                                   : SourceError::transient(std::move(message));
  }

  // Another connection writes: wait in short steps, up to the busy timeout and within the run.
  static int on_busy(void* self, int count) {
    auto& e = *static_cast<SqliteEngine*>(self);
    const auto now = Clock::now();
    if (count == 0) e.busy_since_ = now;
    if (e.interrupted() || now >= e.deadline_ || now - e.busy_since_ >= e.o_.busy_timeout) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return 1;
  }

  static int on_progress(void* self) {
    auto& e = *static_cast<SqliteEngine*>(self);
    return e.interrupted() || Clock::now() >= e.deadline_ ? 1 : 0;
  }

  const ConnectOptions o_;
  const RewrittenQuery q_;
  std::mutex mutex_;  // db_ against interrupt()
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<sqlite3_stmt, Finalize> statement_;
  std::vector<bool> time_columns_;
  Deadline deadline_{};
  Clock::time_point busy_since_{};
};

}  // namespace

std::unique_ptr<Engine> make_sqlite_engine(ConnectOptions options, RewrittenQuery query) {
  return std::make_unique<SqliteEngine>(std::move(options), std::move(query));
}

bool sqlite_configuration_error(int code) {
  switch (code & 0xff) {
    case SQLITE_ERROR:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_AUTH:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return true;
    default:
      return false;
  }
}

}  // namespace chatops::ingestion::db
