#pragma once
// Internal to the journal: opening a connection with the right pragmas, the schema, and turning
// SQLite exceptions into errors.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "core/error.hpp"
#include "ingestion/journal/journal.hpp"

struct sqlite3;

namespace chatops::ingestion::journal_db {

inline constexpr int kSchemaVersion = 6;
// How long a connection waits for another one's write transaction instead of failing at once.
inline constexpr std::chrono::milliseconds kBusyTimeout{5000};

// Has `db` wait up to `timeout` for another connection's write transaction, trying again every
// 50 µs for the first millisecond and every millisecond after. SQLite's own busy handler
// (sqlite3_busy_timeout) sleeps a whole millisecond at the first conflict, then longer: far more
// than the writer's transactions last (a commit, or one gathering its submitters for at most 1 ms),
// and the dispatcher's marks run on the io thread.
void wait_when_busy(sqlite3* db, std::chrono::milliseconds timeout);

// Opens `options.path` in WAL mode with the given synchronous level; with `migrate`, also creates
// the parent directories and brings the schema to kSchemaVersion.
Result<std::unique_ptr<SQLite::Database>> open(const JournalOptions& options, Synchronous synchronous, bool migrate);

inline std::int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Runs `f`, turning a SQLite exception into "journal: <what>: <sqlite message>".
template <class F>
auto guarded(std::string_view what, F&& f) -> Result<std::invoke_result_t<F>> {
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
      f();
      return {};
    } else {
      return f();
    }
  } catch (const SQLite::Exception& e) {
    return fail(fmt::format("journal: {}: {}", what, e.what()));
  }
}

}  // namespace chatops::ingestion::journal_db
