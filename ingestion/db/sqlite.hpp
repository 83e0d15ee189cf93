#pragma once
// SQLite through SQLiteCpp: the file opened read-only, a busy handler that waits up to the busy
// timeout (and no longer than the run), a progress handler that ends a query at the run's deadline
// or when interrupted.
#include <memory>

#include "ingestion/db/engine.hpp"

namespace chatops::ingestion::db {

std::unique_ptr<Engine> make_sqlite_engine(ConnectOptions options, RewrittenQuery query);

// Whether an SQLite result code (primary) is one of configuration: a missing or unreadable file,
// not a database, a syntax error or missing table (SQLITE_ERROR), a write refused. Busy, locked,
// interrupted and I/O errors pass.
bool sqlite_configuration_error(int code);

}  // namespace chatops::ingestion::db
